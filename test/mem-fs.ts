import type { Meta, WriteOps } from "../src/host/write-ops.ts";

/**
 * An in-memory file system behind the writer's WriteOps, for testing every branch of the safe
 * writer and its lock without a disk: files, symbolic links and directories, a log of the calls
 * in order, and hooks that make one call fail or change the tree at the moment it happens.
 */
export interface Node {
  bytes: string;
  mode: number;
  uid: number;
  gid: number;
  ino: number;
  mtimeMs: number;
}

type Hook = (path: string, fs: MemFs) => void;

export class MemFs implements WriteOps {
  readonly files = new Map<string, Node>();
  readonly links = new Map<string, string>();
  readonly dirs = new Set<string>(["/"]);
  readonly others = new Map<string, string>();
  readonly log: string[] = [];
  readonly before: Partial<Record<keyof WriteOps, Hook>> = {};
  readonly fail: Partial<Record<keyof WriteOps, (path: string) => NodeJS.ErrnoException | null>> = {};
  readonly unwritableDirs = new Set<string>();
  pid = 4242;
  alivePids = new Set<number>();
  private nextIno = 100;

  constructor(tree: Record<string, string> = {}) {
    for (const [p, bytes] of Object.entries(tree)) this.put(p, bytes);
  }

  put(path: string, bytes: string, mode = 0o644, mtimeMs = Date.now()): Node {
    for (let d = dirOf(path); !this.dirs.has(d); d = dirOf(d)) this.dirs.add(d);
    const node = { bytes, mode, uid: 0, gid: 5, ino: this.nextIno++, mtimeMs };
    this.files.set(path, node);
    return node;
  }

  private step(op: keyof WriteOps, path: string, extra = ""): void {
    this.log.push(`${op} ${path}${extra}`);
    this.before[op]?.(path, this);
    const err = this.fail[op]?.(path);
    if (err) throw err;
  }

  async lstat(path: string): Promise<Meta | null> {
    this.step("lstat", path);
    const f = this.files.get(path);
    const base = { uid: 0, gid: 5, mtimeMs: 0 };
    if (f) return { mode: f.mode, uid: f.uid, gid: f.gid, ino: f.ino, mtimeMs: f.mtimeMs, type: "file", kind: "a regular file" };
    if (this.links.has(path)) return { ...base, mode: 0o755, ino: 1, type: "link", kind: "a symbolic link" };
    if (this.dirs.has(path)) return { ...base, mode: 0o755, ino: 2, type: "dir", kind: "a directory" };
    const other = this.others.get(path);
    if (other) return { ...base, mode: 0o644, ino: 3, type: "other", kind: other };
    return null;
  }
  async readlink(path: string): Promise<string> {
    this.step("readlink", path);
    return this.links.get(path)!;
  }
  async read(path: string): Promise<string | null> {
    this.step("read", path);
    return this.files.get(path)?.bytes ?? null;
  }
  async createExclusive(path: string, bytes: string, mode: number): Promise<void> {
    this.step("createExclusive", path, ` ${mode.toString(8)}`);
    if (this.files.has(path) || this.links.has(path)) throw errno("EEXIST");
    this.put(path, bytes, mode);
  }
  async chown(path: string, uid: number, gid: number): Promise<void> {
    this.step("chown", path, ` ${uid}:${gid}`);
  }
  async rename(from: string, to: string): Promise<void> {
    this.step("rename", from, ` ${to}`);
    const f = this.files.get(from)!;
    this.files.delete(from);
    this.files.set(to, f);
  }
  async unlink(path: string): Promise<void> {
    this.step("unlink", path);
    if (!this.files.delete(path)) throw errno("ENOENT");
  }
  async fsyncDir(dir: string): Promise<void> {
    this.step("fsyncDir", dir);
  }
  async writable(path: string): Promise<boolean> {
    this.step("writable", path);
    return !this.unwritableDirs.has(path);
  }
  alive(pid: number): boolean {
    // kill(pid, 0) succeeds for 0 (the caller's group) and negative ids (groups) as root.
    return pid <= 0 || this.alivePids.has(pid);
  }
  async sleep(_ms: number): Promise<void> {
    this.step("sleep", String(_ms));
  }
}

export function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated`), { code });
}

function dirOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}
