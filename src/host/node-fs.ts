import type { Stats } from "node:fs";
import type { FileResult } from "../core/snapshot.ts";

/**
 * node:fs/promises, loaded on first use: a bundle's static node:* imports are all loaded at
 * start-up, before `args` runs a line.
 */
let mod: Promise<typeof import("node:fs/promises")> | null = null;

export function nodeFs(): Promise<typeof import("node:fs/promises")> {
  mod ??= import("node:fs/promises");
  return mod;
}

/** O_* flags (node:fs constants) without importing node:fs at start-up. */
export async function openFlags(): Promise<typeof import("node:fs").constants> {
  return (await import("node:fs")).constants;
}

/**
 * The most pptctl reads of one host file. loader.conf, rc.conf and VM configs are a few KB; the
 * bound keeps a mistake (a symlink to /dev/zero, a log file named like a config) from eating memory.
 */
export const FILE_LIMIT = 4 << 20;

/** What a file system object is, for a message: "a FIFO", "a directory". */
export function kindOf(st: Stats): string {
  if (st.isFile()) return "a regular file";
  if (st.isDirectory()) return "a directory";
  if (st.isFIFO()) return "a FIFO (named pipe)";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isSocket()) return "a socket";
  if (st.isSymbolicLink()) return "a symbolic link";
  return "not a regular file";
}

/**
 * Reads a host file as bytes (one char per byte, latin1), so what pptctl edits and copies keeps
 * every byte whatever the file's encoding. Only regular files are read, and at most `limit`
 * bytes: a FIFO would block the read for ever, a device could be endless. The type is checked
 * before the open (opening some devices has effects) and again on the open descriptor, which is
 * opened non-blocking in case something was swapped in between.
 */
export async function readHostFile(path: string, limit = FILE_LIMIT): Promise<FileResult> {
  const fs = await nodeFs();
  let st: Stats;
  try {
    st = await fs.stat(path);
  } catch (e) {
    const r = missingOrUnknown(e);
    if (r.kind !== "absent") return r;
    // A dangling link is absent to a reader, but a VM config kept so must not vanish unsaid.
    const link = await fs.readlink(path).catch(() => null);
    return link === null ? r : { kind: "absent", link };
  }
  const refused = refusal(st, limit);
  if (refused) return { kind: "unknown", reason: refused };
  const { O_RDONLY, O_NONBLOCK } = await openFlags();
  let fh: Awaited<ReturnType<typeof fs.open>>;
  try {
    fh = await fs.open(path, O_RDONLY | O_NONBLOCK);
  } catch (e) {
    return missingOrUnknown(e);
  }
  try {
    const again = refusal(await fh.stat(), limit);
    if (again) return { kind: "unknown", reason: again };
    const bytes = await readUpTo(fh, limit + 1);
    if (bytes.length > limit) return { kind: "unknown", reason: tooBig(bytes.length, limit) };
    return { kind: "file", text: bytes.toString("latin1") };
  } catch (e) {
    return { kind: "unknown", reason: describeErrno(e) };
  } finally {
    await fh.close();
  }
}

/** Why a file is not read, or null when it is a regular file within the bound. */
export function refusal(st: Stats, limit: number): string | null {
  if (!st.isFile()) return `is ${kindOf(st)}, not a regular file; pptctl reads only regular files`;
  if (st.size > limit) return tooBig(st.size, limit);
  return null;
}

function tooBig(size: number, limit: number): string {
  return `is ${size} bytes or more, over the ${limit} bytes pptctl reads of one file; not read`;
}

async function readUpTo(fh: import("node:fs/promises").FileHandle, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  while (total < max) {
    const buf = Buffer.alloc(Math.min(64 << 10, max - total));
    const { bytesRead } = await fh.read(buf, 0, buf.length, null);
    if (bytesRead === 0) break;
    chunks.push(buf.subarray(0, bytesRead));
    total += bytesRead;
  }
  return Buffer.concat(chunks);
}

function missingOrUnknown(e: unknown): FileResult {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "ENOENT" || code === "ENOTDIR") return { kind: "absent" };
  return { kind: "unknown", reason: describeErrno(e) };
}

export function describeErrno(e: unknown, root = process.getuid?.() === 0): string {
  const err = e as NodeJS.ErrnoException;
  switch (err.code) {
    case "EACCES":
      return root ? "permission denied, even to root (a read-only mount, or an ACL)" : "permission denied (run as root)";
    case "EPERM":
      // Root gets EPERM from a file flag or the securelevel (chflags(1), security(7)), not from modes.
      return root ? "operation not permitted, even to root: the file or its directory has an immutable flag (ls -lo shows schg or uchg; chflags noschg,nouchg removes it) or the securelevel forbids the change" : "permission denied (run as root)";
    case "EROFS":
      return "read-only file system";

    case "EISDIR":
      return "is a directory";
    case "ELOOP":
      return "is a symbolic link, which pptctl does not follow here";
    default:
      return err.message ?? String(e);
  }
}
