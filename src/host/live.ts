import { joinPath as join } from "../core/text/path.ts";
import type { CommandResult, DirResult, FileResult, StatResult } from "../core/snapshot.ts";
import type { Host, RunOptions } from "./host.ts";
import { describeErrno, kindOf, nodeFs, readHostFile } from "./node-fs.ts";

export { describeErrno };

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
    return this.root === "/" ? path : join(this.root, path);
  }

  readonly live = true;

  async run(argv: readonly string[], opts: RunOptions = {}): Promise<CommandResult> {
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const [cmd, ...args] = argv;
    if (!cmd) return { kind: "missing", reason: "empty command" };
    const exe = this.localPath(cmd);
    if (!(await Bun.file(exe).exists())) return { kind: "missing", reason: `${cmd} is not installed` };
    let proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
    try {
      proc = Bun.spawn([exe, ...args], {
        stdin: "ignore",
        stdout: "pipe",
        stderr: "pipe",
        // Its own process group, so a timeout can end whatever it started as well.
        detached: true,
        // A fixed, minimal environment: cron's PATH and C locale, so outputs parse the same.
        env: { PATH: "/usr/bin:/bin:/usr/sbin:/sbin", LC_ALL: "C" },
      });
    } catch (e) {
      return { kind: "missing", reason: `${cmd} could not be started: ${(e as Error).message}` };
    }
    const readers = [proc.stdout.getReader(), proc.stderr.getReader()] as const;
    const done = Promise.all([drain(readers[0]), drain(readers[1]), proc.exited]);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    try {
      const first = await Promise.race([done, expired]);
      if (first !== "timeout") {
        const [stdout, stderr, exit] = first;
        return { kind: "ran", exit, stdout, stderr };
      }
      // Stop waiting now: a child the command left behind may hold its pipes open for ever.
      killGroup(proc);
      for (const r of readers) r.cancel().catch(() => undefined);
      done.catch(() => undefined);
      return { kind: "timeout", seconds: timeoutMs / 1000 };
    } finally {
      clearTimeout(timer);
    }
  }

  async readFile(path: string): Promise<FileResult> {
    return readHostFile(this.localPath(path));
  }

  async statFile(path: string): Promise<StatResult> {
    try {
      const st = await (await nodeFs()).stat(this.localPath(path));
      return st.isFile() ? { kind: "file", size: st.size } : { kind: "other", what: kindOf(st) };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") return { kind: "absent" };
      return { kind: "unknown", reason: describeErrno(e) };
    }
  }

  async listDir(path: string): Promise<DirResult> {
    try {
      return { kind: "dir", entries: (await (await nodeFs()).readdir(this.localPath(path))).sort() };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") return { kind: "absent" };
      return { kind: "unknown", reason: describeErrno(e) };
    }
  }
}

async function drain(reader: { read(): Promise<{ done: boolean; value?: Uint8Array }> }): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    text += decoder.decode(value, { stream: true });
  }
}

/** SIGKILL to the command's process group (it leads one: detached), and to the command itself. */
function killGroup(proc: Bun.Subprocess): void {
  try {
    process.kill(-proc.pid, "SIGKILL");
  } catch {
    // Already gone, or the group is: the direct kill below is enough.
  }
  proc.kill("SIGKILL");
}
