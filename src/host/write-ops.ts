import { FILE_LIMIT, kindOf, nodeFs, openFlags, refusal } from "./node-fs.ts";

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
    const fs = await nodeFs();
    const fh = await fs.open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
    try {
      await fh.writeFile(Buffer.from(bytes, "latin1"));
      await fh.chmod(mode);
      await fh.sync();
    } catch (e) {
      // A full disk (ENOSPC) must not leave an empty file behind: an empty lock stalls the next run.
      await fh.close().catch(() => undefined);
      await fs.unlink(path).catch(() => undefined);
      throw e;
    } finally {
      await fh.close().catch(() => undefined);
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

