import { PptError } from "../core/errors.ts";
import { baseName, dirName, joinPath } from "../core/posix-path.ts";
import { FILE_LIMIT, describeErrno, kindOf, nodeFs, openFlags, refusal } from "./node-fs.ts";

/**
 * The one writer of host files (loader.conf, VM configs). DESIGN §5: bytes, not decoded text;
 * one writer at a time; a complete, fsynced backup before anything else; temp file + rename in
 * the file's own directory; symbolic links kept, dangling ones too; only regular files.
 */

export interface Meta {
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly ino: number;
  /** Last modification, ms since the epoch. */
  readonly mtimeMs: number;
  readonly type: "file" | "link" | "dir" | "other";
  /** For a message: "a FIFO (named pipe)". */
  readonly kind: string;
}

/** The file system calls the writer makes; tests swap some to simulate crashes and errors. */
export interface WriteOps {
  /** lstat(2); null when nothing is there. */
  lstat(path: string): Promise<Meta | null>;
  readlink(path: string): Promise<string>;
  /**
   * The file's bytes (one char per byte), null when absent; throws when it is not a regular file
   * or is over the size bound. Opened non-blocking, so a FIFO cannot hang the read.
   */
  read(path: string): Promise<string | null>;
  /** Creates `path` exclusively (never through a link) with `mode`, writes every byte, fsyncs. */
  createExclusive(path: string, bytes: string, mode: number): Promise<void>;
  chown(path: string, uid: number, gid: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  fsyncDir(dir: string): Promise<void>;
  /** access(2) W_OK. */
  writable(path: string): Promise<boolean>;
  /** Whether a process with this id exists. */
  alive(pid: number): boolean;
  sleep(ms: number): Promise<void>;
  readonly pid: number;
}

export const realOps: WriteOps = {
  async lstat(path) {
    try {
      const s = await (await nodeFs()).lstat(path);
      const type = s.isFile() ? "file" : s.isSymbolicLink() ? "link" : s.isDirectory() ? "dir" : "other";
      return { mode: s.mode & 0o7777, uid: s.uid, gid: s.gid, ino: s.ino, mtimeMs: s.mtimeMs, type, kind: kindOf(s) };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") return null;
      throw e;
    }
  },
  readlink: async (path) => (await nodeFs()).readlink(path),
  async read(path) {
    const fs = await nodeFs();
    const { O_RDONLY, O_NONBLOCK } = await openFlags();
    let fh: import("node:fs/promises").FileHandle;
    try {
      fh = await fs.open(path, O_RDONLY | O_NONBLOCK);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw e;
    }
    try {
      const why = refusal(await fh.stat(), FILE_LIMIT);
      if (why) throw Object.assign(new Error(why), { code: "ENOTREG" });
      return (await fh.readFile()).toString("latin1");
    } finally {
      await fh.close();
    }
  },
  async createExclusive(path, bytes, mode) {
    const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = await openFlags();
    const fh = await (await nodeFs()).open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
    try {
      await fh.writeFile(Buffer.from(bytes, "latin1"));
      await fh.chmod(mode);
      await fh.sync();
    } finally {
      await fh.close();
    }
  },
  chown: async (path, uid, gid) => (await nodeFs()).chown(path, uid, gid),
  rename: async (from, to) => (await nodeFs()).rename(from, to),
  unlink: async (path) => (await nodeFs()).unlink(path),
  async fsyncDir(dir) {
    const fh = await (await nodeFs()).open(dir, "r");
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  },
  async writable(path) {
    const fs = await nodeFs();
    try {
      await fs.access(path, (await openFlags()).W_OK);
      return true;
    } catch {
      return false;
    }
  },
  alive(pid) {
    try {
      process.kill(pid, 0);
      return true;
    } catch (e) {
      // EPERM: it exists, under another user.
      return (e as NodeJS.ErrnoException).code === "EPERM";
    }
  },
  sleep: (ms) => Bun.sleep(ms),
  pid: process.pid,
};

export interface WriteOptions {
  /** Who writes, for messages: "plan --write", "assign". */
  readonly command: string;
  readonly ops?: WriteOps;
  /** How long to wait for another pptctl writing the same file. */
  readonly lockWaitMs?: number;
}

export interface WriteResult {
  /** The file replaced (the link's target when the path is a symbolic link). */
  readonly path: string;
  readonly backup: string | null;
}

/** Where a write goes: the path itself, or the final target of its symbolic links. */
interface Target {
  readonly path: string;
  readonly shown: string;
  readonly meta: Meta | null;
}

const MAX_LINKS = 32;

async function resolveTarget(given: string, command: string, ops: WriteOps): Promise<Target> {
  const fail = (why: string) => new PptError(`${command}: ${given}: ${why}`, 1);
  let path = given;
  let meta: Meta | null = null;
  for (let hops = 0; ; hops++) {
    meta = await ops.lstat(path).catch((e) => {
      throw fail(describeErrno(e));
    });
    if (meta?.type !== "link") break;
    if (hops === MAX_LINKS) throw fail(`more than ${MAX_LINKS} symbolic links deep; point it at the file directly`);
    // Admins keep loader.conf as a link into a managed tree: the link stays, its target is written.
    const to = await ops.readlink(path);
    path = to.startsWith("/") ? to : joinPath(dirName(path), to);
  }
  const shown = path === given ? given : `${given} (-> ${path})`;
  if (meta === null) {
    // A dangling link (or a new file): its directory must be there; the link is kept.
    const dir = await ops.lstat(dirName(path)).catch(() => null);
    if (dir?.type !== "dir") {
      const why = path === given ? `its directory ${dirName(path)} does not exist` : `is a symbolic link to ${path}, whose directory does not exist`;
      throw fail(`${why}; create it first or write another file with --file`);
    }
  } else if (meta.type !== "file") {
    throw new PptError(`${command}: ${shown}: is ${meta.kind}, not a regular file; pptctl writes only regular files: give the file with --file`, 1);
  }
  return { path, shown, meta };
}

/**
 * What would stop a write, found before anything changes (attach --persist checks this before
 * the first devctl call): a path that is not a regular file, a read-only file, a directory
 * pptctl cannot create files in.
 */
export async function checkWritable(given: string, opts: WriteOptions): Promise<void> {
  const ops = opts.ops ?? realOps;
  await checkTarget(await resolveTarget(given, opts.command, ops), opts.command, ops);
}

async function checkTarget(t: Target, command: string, ops: WriteOps): Promise<void> {
  const fail = (why: string) => new PptError(`${command}: ${t.shown}: ${why}`, 1);
  if (t.meta && (t.meta.mode & 0o222) === 0) {
    throw fail(`is read-only (mode ${octal(t.meta.mode)}); make it writable (chmod u+w ${t.path}) or write another file with --file`);
  }
  const dir = dirName(t.path);
  if (!(await ops.writable(dir))) throw fail(`pptctl cannot create files in ${dir} (permission denied, or a read-only file system); nothing was written`);
}

/**
 * Replaces `given` with `next` so that a crash at any point leaves the old or the new file, and
 * a write is never lost to another pptctl: under a lock, it checks the file still holds
 * `expected` (null: absent), writes a complete backup, writes a temp file beside the file,
 * renames it over the file and fsyncs the directory. Anything that fails first leaves nothing.
 */
export async function replaceFile(given: string, expected: string | null, next: string, now: Date, opts: WriteOptions): Promise<WriteResult> {
  const ops = opts.ops ?? realOps;
  const t = await resolveTarget(given, opts.command, ops);
  await checkTarget(t, opts.command, ops);
  const fail = (why: string) => new PptError(`${opts.command}: ${t.shown}: ${why}`, 1);
  const lock = await Lock.acquire(t.path, opts.command, ops, opts.lockWaitMs ?? 10_000);
  const made: string[] = [];
  const undo = async () => {
    for (const p of made.splice(0).reverse()) await ops.unlink(p).catch(() => undefined);
  };
  try {
    if ((await readNow(t.path, ops, fail)) !== expected) throw fail("changed since pptctl read it; nothing was written: run the command again");
    const mode = t.meta?.mode ?? 0o644;
    const dir = dirName(t.path);
    let backup: string | null = null;
    if (expected !== null) {
      backup = await freeName(t.path, now, ops);
      made.push(backup);
      try {
        await ops.createExclusive(backup, expected, mode);
      } catch (e) {
        await undo();
        throw fail(`cannot make a complete backup copy (${describeErrno(e)}); nothing was written`);
      }
      if (t.meta) await ops.chown(backup, t.meta.uid, t.meta.gid).catch(() => undefined);
    }
    const temp = joinPath(dir, `.${baseName(t.path)}.pptctl-${ops.pid}-${randomHex(4)}.tmp`);
    made.push(temp);
    try {
      await ops.createExclusive(temp, next, mode);
      if (t.meta) await ops.chown(temp, t.meta.uid, t.meta.gid).catch(() => undefined);
    } catch (e) {
      await undo();
      throw fail(`cannot write a temporary file in ${dir} (${describeErrno(e)}); nothing was written`);
    }
    // Last look before the switch: an editor that is not pptctl may have saved meanwhile.
    if (!(await lock.stillHeld()) || (await readNow(t.path, ops, fail)) !== expected) {
      await undo();
      throw fail("changed while pptctl was writing; nothing was written: run the command again");
    }
    try {
      await ops.rename(temp, t.path);
    } catch (e) {
      await undo();
      throw fail(`could not replace the file (${describeErrno(e)}); it is unchanged`);
    }
    await ops.fsyncDir(dir).catch(() => undefined);
    return { path: t.path, backup };
  } catch (e) {
    if (e instanceof PptError) throw e;
    await undo();
    throw fail(`${describeErrno(e)}; nothing was written`);
  } finally {
    await lock.release();
  }
}

async function readNow(path: string, ops: WriteOps, fail: (why: string) => PptError): Promise<string | null> {
  try {
    return await ops.read(path);
  } catch (e) {
    throw fail(`${describeErrno(e)}; nothing was written`);
  }
}

/** `F.bak`, else `F.bak-<time>`, else `F.bak-<time>-2` …: a backup never replaces an older one. */
async function freeName(path: string, now: Date, ops: WriteOps): Promise<string> {
  const first = `${path}.bak`;
  if ((await ops.lstat(first)) === null) return first;
  const stamped = `${path}.bak-${stamp(now)}`;
  for (let n = 1; ; n++) {
    const name = n === 1 ? stamped : `${stamped}-${n}`;
    if ((await ops.lstat(name)) === null) return name;
  }
}

/**
 * One pptctl writer per file: a lock file beside it, created exclusively and holding the
 * writer's pid. A lock whose process is gone (a crash, kill -9) is taken over. FreeBSD's
 * lockf(1) and pw(8) use flock(2), which neither Bun nor Node offers; an exclusive create
 * works on every file system and in the test trees. Held for the milliseconds of one write.
 */
class Lock {
  private constructor(
    private readonly path: string,
    private readonly ino: number,
    private readonly ops: WriteOps,
  ) {}

  static async acquire(target: string, command: string, ops: WriteOps, waitMs: number): Promise<Lock> {
    const path = joinPath(dirName(target), `.${baseName(target)}.pptctl-lock`);
    const deadline = Date.now() + waitMs;
    for (;;) {
      try {
        await ops.createExclusive(path, `${ops.pid}\n`, 0o600);
        const meta = await ops.lstat(path);
        if (meta) return new Lock(path, meta.ino, ops);
        continue;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") {
          throw new PptError(`${command}: ${target}: cannot create the lock file ${path} (${describeErrno(e)}); nothing was written`, 1);
        }
      }
      const held = await ops.lstat(path);
      if (held === null) continue;
      const text = await ops.read(path).catch(() => null);
      const pid = Number(text?.trim());
      const known = Number.isInteger(pid) && pid > 0;
      // A lock file with no pid yet is being created this very moment, unless it is old.
      const busy = known ? ops.alive(pid) : Date.now() - held.mtimeMs < 5_000;
      if (busy) {
        if (Date.now() >= deadline) {
          throw new PptError(`${command}: ${target}: another pptctl${known ? ` (pid ${pid})` : ""} is writing it; nothing was written: try again when it has finished (if no pptctl runs, remove ${path})`, 1);
        }
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

function octal(mode: number): string {
  return mode.toString(8).padStart(4, "0");
}

function stamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
}

/** Web Crypto (a global), not node:crypto: that module alone costs start-up time. */
function randomHex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0")).join("");
}
