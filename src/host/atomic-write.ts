import { baseName as basename, dirName as dirname, joinPath as join } from "../core/posix-path.ts";
import { PptError } from "../core/errors.ts";
import { describeErrno } from "./live.ts";
import { nodeFs } from "./node-fs.ts";

/** The file system calls the writer makes; tests swap some to simulate crashes and errors. */
export interface WriteOps {
  stat(path: string): Promise<{ mode: number; uid: number; gid: number } | null>;
  read(path: string): Promise<string | null>;
  /** Creates `path` exclusively with `mode`, writes, fsyncs, closes. */
  writeNew(path: string, data: string, mode: number): Promise<void>;
  chown(path: string, uid: number, gid: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  fsyncDir(dir: string): Promise<void>;
  /** The file a path finally names, through every symbolic link; the path itself when absent. */
  resolve(path: string): Promise<string>;
}

export const realOps: WriteOps = {
  async stat(path) {
    try {
      const s = await (await nodeFs()).stat(path);
      return { mode: s.mode & 0o7777, uid: s.uid, gid: s.gid };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw e;
    }
  },
  async read(path) {
    try {
      return await (await nodeFs()).readFile(path, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw e;
    }
  },
  async writeNew(path, data, mode) {
    const fh = await (await nodeFs()).open(path, "wx", mode);
    try {
      await fh.writeFile(data);
      await fh.chmod(mode);
      await fh.sync();
    } finally {
      await fh.close();
    }
  },
  chown: async (path, uid, gid) => (await nodeFs()).chown(path, uid, gid),
  rename: async (from, to) => (await nodeFs()).rename(from, to),
  unlink: async (path) => (await nodeFs()).unlink(path),
  async resolve(path) {
    try {
      return await (await nodeFs()).realpath(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return path;
      throw e;
    }
  },
  async fsyncDir(dir) {
    const fh = await (await nodeFs()).open(dir, "r");
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  },
};

export interface WriteResult {
  readonly backup: string | null;
}

/**
 * Replaces `path` with `next` so that a crash at any point leaves either the old or the new
 * file: temp file in the same directory, fsync, backup copy, re-check, rename, fsync the
 * directory. Refuses when the file is read-only or no longer holds `expected`.
 */
export async function atomicReplace(given: string, expected: string | null, next: string, now: Date, ops: WriteOps = realOps): Promise<WriteResult> {
  const failGiven = (why: string) => new PptError(`plan --write: ${given}: ${why}`, 1);
  // Admins keep loader.conf as a link into a managed tree: replace the link's target in its own
  // directory (rename(2) would otherwise swap the link for a regular file) and keep the link.
  const path = await ops.resolve(given).catch((e) => {
    throw failGiven(describeErrno(e));
  });
  const shown = path === given ? given : `${given} (-> ${path})`;
  const fail = (why: string) => new PptError(`plan --write: ${shown}: ${why}`, 1);
  const st = await ops.stat(path).catch((e) => {
    throw fail(describeErrno(e));
  });
  if (st && (st.mode & 0o222) === 0) {
    throw fail(`is read-only (mode ${st.mode.toString(8).padStart(4, "0")}); make it writable (chmod u+w ${path}) or write another file with --file`);
  }
  const changed = async () => (await ops.read(path)) !== expected;
  if (await changed()) throw fail("changed since pptctl read it; run the command again");

  const mode = st?.mode ?? 0o644;
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.pptctl-${process.pid}-${randomHex(4)}.tmp`);
  const cleanup = () => ops.unlink(temp).catch(() => undefined);
  try {
    await ops.writeNew(temp, next, mode);
    if (st) await ops.chown(temp, st.uid, st.gid).catch(() => undefined);
  } catch (e) {
    await cleanup();
    throw fail(`cannot write a temporary file in ${dir}: ${describeErrno(e)}`);
  }

  let backup: string | null = null;
  try {
    if (expected !== null) {
      backup = (await ops.stat(`${path}.bak`)) === null ? `${path}.bak` : `${path}.bak-${stamp(now)}`;
      await ops.writeNew(backup, expected, mode);
    }
    // Last look before the switch: another editor may have saved meanwhile.
    if (await changed()) {
      await cleanup();
      throw fail("changed while pptctl was writing; nothing was replaced, run the command again");
    }
    await ops.rename(temp, path);
  } catch (e) {
    if (e instanceof PptError) throw e;
    await cleanup();
    throw fail(`could not replace the file (${describeErrno(e)}); it is unchanged${backup ? `, a copy is in ${backup}` : ""}`);
  }
  await ops.fsyncDir(dir).catch(() => undefined);
  return { backup };
}

function stamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
}

/** Web Crypto (a global), not node:crypto: that module alone costs start-up time. */
function randomHex(bytes: number): string {
  return [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");
}
