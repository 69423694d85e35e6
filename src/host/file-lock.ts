import { PptError } from "../core/errors.ts";
import { baseName, dirName, joinPath } from "../core/text/path.ts";
import { describeErrno } from "./node-fs.ts";
import type { WriteOps } from "./write-ops.ts";

/**
 * One pptctl writer per file: a lock file beside it, created exclusively and holding the
 * writer's pid. A lock whose process is gone (a crash, kill -9) is taken over. FreeBSD's
 * lockf(1) and pw(8) use flock(2), which neither Bun nor Node offers; an exclusive create
 * works on every file system and in the test trees. Held for the milliseconds of one write.
 */
/** What to say when the lock cannot be made, and when another pptctl holds it too long. */
export interface LockWords {
  readonly cannot: (why: string) => string;
  readonly busy: (pid: number | null) => string;
}

export class Lock {
  private constructor(
    private readonly path: string,
    private readonly ino: number,
    private readonly ops: WriteOps,
  ) {}

  static async acquire(target: string, command: string, ops: WriteOps, waitMs: number): Promise<Lock> {
    const path = joinPath(dirName(target), `.${baseName(target)}.pptctl-lock`);
    return Lock.acquireAt(path, ops, {
      waitMs,
      cannot: (why) => `${command}: ${target}: cannot create the lock file ${path} (${why}); nothing was written`,
      busy: (pid) => `${command}: ${target}: another pptctl${pid ? ` (pid ${pid})` : ""} is writing it; nothing was written: try again when it has finished (if no pptctl runs, remove ${path})`,
    });
  }

  /** A lock at `path` itself; `onWait` is told once when another pptctl holds it. */
  static async acquireAt(path: string, ops: WriteOps, o: LockWords & { waitMs: number; onWait?: (pid: number | null) => void }): Promise<Lock> {
    const deadline = Date.now() + o.waitMs;
    let told = false;
    for (;;) {
      try {
        await ops.createExclusive(path, `${ops.pid}\n`, 0o600);
        const meta = await ops.lstat(path);
        if (meta) return new Lock(path, meta.ino, ops);
        continue;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw new PptError(o.cannot(describeErrno(e)), 1);
      }
      const held = await ops.lstat(path);
      if (held === null) continue;
      // Number() skips the blanks around the digits; an unreadable or empty file gives 0, no pid.
      // Stryker disable next-line ArrowFunction: Number(undefined) is NaN and Number(null) 0, and neither is a pid
      const pid = Number(await ops.read(path).catch(() => null));
      const known = Number.isInteger(pid) && pid > 0;
      // A lock file with no pid yet is being created this very moment, unless it is old.
      const busy = known ? ops.alive(pid) : Date.now() - held.mtimeMs < 5_000;
      if (busy) {
        if (Date.now() >= deadline) throw new PptError(o.busy(known ? pid : null), 1);
        if (!told) o.onWait?.(known ? pid : null);
        told = true;
        await ops.sleep(25);
        continue;
      }
      // Its writer is gone: take the lock over, unless another pptctl did so a moment ago.
      if ((await ops.lstat(path))?.ino === held.ino) await ops.unlink(path).catch(() => undefined);
    }
  }

  /** The lock file is still the one this writer made (nobody took it over). */
  async stillHeld(): Promise<boolean> {
    return (await this.ops.lstat(this.path))?.ino === this.ino;
  }

  async release(): Promise<void> {
    if (await this.stillHeld()) await this.ops.unlink(this.path).catch(() => undefined);
  }
}

