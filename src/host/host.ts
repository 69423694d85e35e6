import type { CommandResult, DirResult, FileResult, StatResult } from "../core/snapshot.ts";
import { jitForAnswer } from "./jit.ts";

export interface RunOptions {
  /** Overrides the host's per-command timeout (devctl can take a minute to re-attach a driver). */
  readonly timeoutMs?: number;
}

/** The one narrow door to a FreeBSD host: run a command, read a file, list a directory. */
export interface Host {
  /** For messages: "live host", "recorded host examples/hosts/x". */
  readonly label: string;
  /** A live host can be changed; a recording never is. */
  readonly live?: boolean;
  run(argv: readonly string[], opts?: RunOptions): Promise<CommandResult>;
  readFile(path: string): Promise<FileResult>;
  listDir(path: string): Promise<DirResult>;
  /** What a path is and how big, following links as open(2) does; nothing is read. */
  statFile(path: string): Promise<StatResult>;
}

/**
 * Asks the inner host each question at most once per invocation, and remembers every answer
 * in the order first asked (capture writes them out).
 */
export class MemoHost implements Host {
  readonly commands = new Map<string, { argv: readonly string[]; result: Promise<CommandResult> }>();
  readonly files = new Map<string, Promise<FileResult>>();
  readonly dirs = new Map<string, Promise<DirResult>>();
  /** The answers that have arrived, by the same keys: a snapshot copies these, with no await per answer. */
  readonly answered = { commands: new Map<string, CommandResult>(), files: new Map<string, FileResult>(), dirs: new Map<string, DirResult>() };
  /** Questions asked and not answered yet. */
  pending = 0;

  constructor(readonly inner: Host) {}

  private note<T>(into: Map<string, T>, key: string, answer: Promise<T>): Promise<T> {
    this.pending++;
    return answer.then(
      (r) => {
        this.pending--;
        into.set(key, r);
        return r;
      },
      (e: unknown) => {
        this.pending--;
        throw e;
      },
    );
  }

  get label(): string {
    return this.inner.label;
  }

  run(argv: readonly string[]): Promise<CommandResult> {
    const key = argv.join("\u0000");
    let hit = this.commands.get(key);
    if (!hit) {
      const result = this.inner.run(argv).then((r) => {
        if (r.kind === "ran") jitForAnswer(r.stdout.length);
        return r;
      });
      hit = { argv: [...argv], result: this.note(this.answered.commands, key, result) };
      this.commands.set(key, hit);
    }
    return hit.result;
  }

  readFile(path: string): Promise<FileResult> {
    let hit = this.files.get(path);
    if (!hit) {
      hit = this.note(this.answered.files, path, this.inner.readFile(path));
      this.files.set(path, hit);
    }
    return hit;
  }

  /**
   * Runs again, past the memo: attach/release change the host and must re-read pciconf after
   * each devctl call. Not recorded for capture.
   */
  runFresh(argv: readonly string[], opts?: RunOptions): Promise<CommandResult> {
    return this.inner.run(argv, opts);
  }

  /** True when this host can be changed (a live host, not a recording). */
  get live(): boolean {
    return this.inner.live === true;
  }

  /** Not memoised and not recorded: only doctor --vm and explain ask, once per ROM file. */
  statFile(path: string): Promise<StatResult> {
    return this.inner.statFile(path);
  }

  listDir(path: string): Promise<DirResult> {
    let hit = this.dirs.get(path);
    if (!hit) {
      hit = this.note(this.answered.dirs, path, this.inner.listDir(path));
      this.dirs.set(path, hit);
    }
    return hit;
  }
}
