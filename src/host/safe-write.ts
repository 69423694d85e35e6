import { PptError } from "../core/errors.ts";
import { baseName, dirName, joinPath } from "../core/text/path.ts";
import { Lock } from "./file-lock.ts";
import { describeErrno } from "./node-fs.ts";
import { type Meta, type WriteOps, realOps } from "./write-ops.ts";

export { type WriteOps, realOps };

/**
 * The one writer of host files (loader.conf, VM configs). DESIGN §5: bytes, not decoded text;
 * one writer at a time; a complete, fsynced backup before anything else; temp file + rename in
 * the file's own directory; symbolic links kept, dangling ones too; only regular files.
 */

export interface WriteOptions {
  /** Who writes, for messages: "plan --write", "assign". */
  readonly command: string;
  readonly ops?: WriteOps;
  /** How long to wait for another pptctl writing the same file. */
  readonly lockWaitMs?: number;
  /**
   * Another way out named in a refusal; loader files have --file, a VM's config has none (its
   * manager reads that file and no other). Default: --file.
   */
  readonly elsewhere?: string | null;
}

function orElse(opts: WriteOptions, head: string): string {
  const other = opts.elsewhere === undefined ? "write another file with --file" : opts.elsewhere;
  return other === null ? head : `${head} or ${other}`;
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

async function resolveTarget(given: string, opts: WriteOptions, ops: WriteOps): Promise<Target> {
  const command = opts.command;
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
    // Stryker disable next-line ArrowFunction: undefined has no type either, so the directory counts as missing all the same
    const dir = await ops.lstat(dirName(path)).catch(() => null);
    if (dir?.type !== "dir") {
      const why = path === given ? `its directory ${dirName(path)} does not exist` : `is a symbolic link to ${path}, whose directory does not exist`;
      throw fail(`${why}; ${orElse(opts, "create it first")}`);
    }
  } else if (meta.type !== "file") {
    throw new PptError(`${command}: ${shown}: is ${meta.kind}, not a regular file; pptctl writes only regular files${opts.elsewhere === null ? "" : ": give the file with --file"}`, 1);
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
  await checkTarget(await resolveTarget(given, opts, ops), opts, ops);
}

async function checkTarget(t: Target, opts: WriteOptions, ops: WriteOps): Promise<void> {
  const command = opts.command;
  const fail = (why: string) => new PptError(`${command}: ${t.shown}: ${why}`, 1);
  if (t.meta && (t.meta.mode & 0o222) === 0) {
    throw fail(`is read-only (mode ${octal(t.meta.mode)}); ${orElse(opts, `make it writable (chmod u+w ${t.path})`)}`);
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
  const t = await resolveTarget(given, opts, ops);
  await checkTarget(t, opts, ops);
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
      // Stryker disable next-line ConditionalExpression: a file pptctl read as expected was there when its target was resolved, so its owner is known
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

/**
 * Takes back a file pptctl created (assign --attach undoing a new --config file): under the
 * lock, and only while it still holds exactly what pptctl wrote.
 */
export async function removeCreated(given: string, expected: string, opts: WriteOptions): Promise<void> {
  const ops = opts.ops ?? realOps;
  const t = await resolveTarget(given, opts, ops);
  const fail = (why: string) => new PptError(`${opts.command}: ${t.shown}: ${why}`, 1);
  const lock = await Lock.acquire(t.path, opts.command, ops, opts.lockWaitMs ?? 10_000);
  try {
    if ((await readNow(t.path, ops, fail)) !== expected) throw fail("changed since pptctl wrote it; it was left as it is");
    await ops.unlink(t.path);
    await ops.fsyncDir(dirName(t.path)).catch(() => undefined);
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

function octal(mode: number): string {
  return mode.toString(8).padStart(4, "0");
}

function stamp(d: Date): string {
  // 2026-11-24T12:00:00.123Z → 20261124T120000Z
  return `${d.toISOString().slice(0, 19).replace(/[-:]/g, "")}Z`;
}

/** Web Crypto (a global), not node:crypto: that module alone costs start-up time. */
function randomHex(bytes: number): string {
  // Stryker disable next-line StringLiteral: the temp name only has to be unlikely to exist; a shorter random part is that too
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0")).join("");
}
