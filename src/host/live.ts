import { joinPath as join } from "../core/posix-path.ts";
import type { CommandResult, DirResult, FileResult } from "../core/snapshot.ts";
import type { Host, RunOptions } from "./host.ts";
import { nodeFs, readText } from "./node-fs.ts";

export interface LiveOptions {
  /** Prefix for every absolute path (tests point it at a fake host tree). Default "/". */
  readonly root?: string;
  /** Per-command timeout; a hung acpidump must not hang pptctl (or cron). */
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/** The running host: Bun.spawn with argument arrays and absolute paths, never a shell. */
export class LiveHost implements Host {
  readonly label: string;
  private readonly root: string;
  private readonly timeoutMs: number;

  constructor(opts: LiveOptions = {}) {
    this.root = opts.root ?? "/";
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.label = this.root === "/" ? "live host" : `live host under ${this.root}`;
  }

  /** Where a host path lives on this machine's file system (differs under a test root). */
  localPath(path: string): string {
    return this.at(path);
  }

  private at(path: string): string {
    return this.root === "/" ? path : join(this.root, path);
  }

  readonly live = true;

  async run(argv: readonly string[], opts: RunOptions = {}): Promise<CommandResult> {
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const [cmd, ...args] = argv;
    if (!cmd) return { kind: "missing", reason: "empty command" };
    const exe = this.at(cmd);
    if (!(await Bun.file(exe).exists())) return { kind: "missing", reason: `${cmd} is not installed` };
    let proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
    try {
      proc = Bun.spawn([exe, ...args], {
        stdin: "ignore",
        stdout: "pipe",
        stderr: "pipe",
        // A fixed, minimal environment: cron's PATH and C locale, so outputs parse the same.
        env: { PATH: "/usr/bin:/bin:/usr/sbin:/sbin", LC_ALL: "C" },
      });
    } catch (e) {
      return { kind: "missing", reason: `${cmd} could not be started: ${(e as Error).message}` };
    }
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      proc.kill("SIGKILL");
    }, timeoutMs);
    try {
      const [stdout, stderr, exit] = await Promise.all([
        new Response(proc.stdout).text(),
        new Response(proc.stderr).text(),
        proc.exited,
      ]);
      if (timedOut) return { kind: "timeout", seconds: timeoutMs / 1000 };
      return { kind: "ran", exit, stdout, stderr };
    } finally {
      clearTimeout(timer);
    }
  }

  async readFile(path: string): Promise<FileResult> {
    try {
      return { kind: "file", text: await readText(this.at(path)) };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") return { kind: "absent" };
      return { kind: "unknown", reason: describeErrno(e) };
    }
  }

  async listDir(path: string): Promise<DirResult> {
    try {
      return { kind: "dir", entries: (await (await nodeFs()).readdir(this.at(path))).sort() };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") return { kind: "absent" };
      return { kind: "unknown", reason: describeErrno(e) };
    }
  }
}

export function describeErrno(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err.code) {
    case "EACCES":
    case "EPERM":
      return "permission denied (run as root)";
    case "EISDIR":
      return "is a directory";
    default:
      return err.message ?? String(e);
  }
}
