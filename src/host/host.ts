import type { CommandResult, DirResult, FileResult } from "../core/snapshot.ts";

/** The one narrow door to a FreeBSD host: run a command, read a file, list a directory. */
export interface Host {
  /** For messages: "live host", "recorded host examples/hosts/x". */
  readonly label: string;
  run(argv: readonly string[]): Promise<CommandResult>;
  readFile(path: string): Promise<FileResult>;
  listDir(path: string): Promise<DirResult>;
}

/**
 * Asks the inner host each question at most once per invocation, and remembers every answer
 * in the order first asked (capture writes them out).
 */
export class MemoHost implements Host {
  readonly commands = new Map<string, { argv: readonly string[]; result: Promise<CommandResult> }>();
  readonly files = new Map<string, Promise<FileResult>>();
  readonly dirs = new Map<string, Promise<DirResult>>();

  constructor(readonly inner: Host) {}

  get label(): string {
    return this.inner.label;
  }

  run(argv: readonly string[]): Promise<CommandResult> {
    const key = argv.join("\u0000");
    let hit = this.commands.get(key);
    if (!hit) {
      hit = { argv: [...argv], result: this.inner.run(argv) };
      this.commands.set(key, hit);
    }
    return hit.result;
  }

  readFile(path: string): Promise<FileResult> {
    let hit = this.files.get(path);
    if (!hit) {
      hit = this.inner.readFile(path);
      this.files.set(path, hit);
    }
    return hit;
  }

  listDir(path: string): Promise<DirResult> {
    let hit = this.dirs.get(path);
    if (!hit) {
      hit = this.inner.listDir(path);
      this.dirs.set(path, hit);
    }
    return hit;
  }
}
