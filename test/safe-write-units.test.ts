import { afterEach, describe, expect, setSystemTime, test } from "bun:test";
import { PptError } from "../src/core/errors.ts";
import { Lock } from "../src/host/file-lock.ts";
import { checkWritable, removeCreated, replaceFile } from "../src/host/safe-write.ts";
import { MemFs, errno } from "./mem-fs.ts";

/**
 * The safe writer and its lock branch by branch, on an in-memory file system (issue 36: the
 * first mutation run found most of their refusals and clean-ups tested only through slow CLI
 * runs, or not at all). Each test says what a user would lose if the branch were wrong.
 */
const NOW = new Date("2026-11-24T12:00:00.123Z");
const F = "/boot/loader.conf";
const LOCK = "/boot/.loader.conf.pptctl-lock";

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof PptError) return e.message;
    throw e;
  }
  throw new Error("no refusal");
}

const write = (fs: MemFs, expected: string | null, next: string, extra: { elsewhere?: string | null; lockWaitMs?: number } = {}) =>
  replaceFile(F, expected, next, NOW, { command: "plan --write", ops: fs, lockWaitMs: 0, ...extra });

/** What is left beside the file once a write is over: nothing but the file and its backups. */
const leftovers = (fs: MemFs) => [...fs.files.keys()].filter((p) => p.startsWith("/boot/.")).sort();

afterEach(() => setSystemTime());

describe("replaceFile: the write itself", () => {
  test("backup first (same mode and owner), temp beside the file, rename, then the directory fsynced", async () => {
    const fs = new MemFs();
    fs.put(F, "old\n", 0o600);
    expect(await write(fs, "old\n", "new\n")).toEqual({ path: F, backup: `${F}.bak` });
    expect(fs.files.get(F)?.bytes).toBe("new\n");
    expect(fs.files.get(F)?.mode).toBe(0o600);
    expect(fs.files.get(`${F}.bak`)).toMatchObject({ bytes: "old\n", mode: 0o600 });
    const steps = fs.log.filter((l) => /^(createExclusive|chown|rename|fsyncDir|unlink)/.test(l)).map((l) => l.replace(/pptctl-4242-[0-9a-f]{8}/, "pptctl-4242-X"));
    expect(steps).toEqual([
      `createExclusive ${LOCK} 600`,
      `createExclusive ${F}.bak 600`,
      `chown ${F}.bak 0:5`,
      "createExclusive /boot/.loader.conf.pptctl-4242-X.tmp 600",
      "chown /boot/.loader.conf.pptctl-4242-X.tmp 0:5",
      `rename /boot/.loader.conf.pptctl-4242-X.tmp ${F}`,
      "fsyncDir /boot",
      `unlink ${LOCK}`,
    ]);
    expect(leftovers(fs)).toEqual([]);
  });
  test("a backup never replaces an older one: .bak, then the time, then -2, -3", async () => {
    const fs = new MemFs({ [F]: "a\n", [`${F}.bak`]: "0\n" });
    expect((await write(fs, "a\n", "b\n")).backup).toBe(`${F}.bak-20261124T120000Z`);
    expect((await write(fs, "b\n", "c\n")).backup).toBe(`${F}.bak-20261124T120000Z-2`);
    expect((await write(fs, "c\n", "d\n")).backup).toBe(`${F}.bak-20261124T120000Z-3`);
    expect(fs.files.get(`${F}.bak`)?.bytes).toBe("0\n");
  });
  test("a new file: no backup, mode 0644, nobody's ownership copied", async () => {
    const fs = new MemFs();
    fs.dirs.add("/boot");
    expect(await write(fs, null, "x\n")).toEqual({ path: F, backup: null });
    expect(fs.files.get(F)?.mode).toBe(0o644);
    expect(fs.log.some((l) => l.startsWith("chown"))).toBe(false);
  });
  test("an fsync of the directory that fails does not undo a write that happened", async () => {
    const fs = new MemFs({ [F]: "a\n" });
    fs.fail.fsyncDir = () => errno("EIO");
    expect((await write(fs, "a\n", "b\n")).backup).toBe(`${F}.bak`);
    expect(fs.files.get(F)?.bytes).toBe("b\n");
  });
  test("symbolic links: followed to the file, relative to the link's folder, absolute as written; the link stays", async () => {
    const fs = new MemFs({ "/etc/managed/loader.conf": "a\n" });
    fs.dirs.add("/boot");
    fs.links.set(F, "../etc/managed/loader.conf");
    fs.links.set("/etc/managed/loader.conf.link", "/etc/managed/loader.conf");
    expect(await write(fs, "a\n", "b\n")).toEqual({ path: "/etc/managed/loader.conf", backup: "/etc/managed/loader.conf.bak" });
    expect(fs.links.get(F)).toBe("../etc/managed/loader.conf");
    const r = await replaceFile("/etc/managed/loader.conf.link", "b\n", "c\n", NOW, { command: "plan --write", ops: fs, lockWaitMs: 0 });
    expect(r.path).toBe("/etc/managed/loader.conf");
  });
});

describe("replaceFile: every refusal leaves nothing behind and says why", () => {
  test("the file changed since it was read", async () => {
    const fs = new MemFs({ [F]: "theirs\n" });
    expect(await refusal(write(fs, "mine\n", "new\n"))).toBe("plan --write: /boot/loader.conf: changed since pptctl read it; nothing was written: run the command again");
    expect([...fs.files.keys()]).toEqual([F]);
  });
  test("read-only: the way out, or none where a manager reads only this file, or the caller's", async () => {
    const fs = new MemFs();
    fs.put(F, "a\n", 0o444);
    expect(await refusal(write(fs, "a\n", "b\n"))).toBe("plan --write: /boot/loader.conf: is read-only (mode 0444); make it writable (chmod u+w /boot/loader.conf) or write another file with --file");
    expect(await refusal(write(fs, "a\n", "b\n", { elsewhere: null }))).toBe("plan --write: /boot/loader.conf: is read-only (mode 0444); make it writable (chmod u+w /boot/loader.conf)");
    expect(await refusal(write(fs, "a\n", "b\n", { elsewhere: "assign to --config FILE" }))).toBe("plan --write: /boot/loader.conf: is read-only (mode 0444); make it writable (chmod u+w /boot/loader.conf) or assign to --config FILE");
    fs.put(F, "a\n", 0o200);
    expect((await write(fs, "a\n", "b\n")).path).toBe(F);
    const linked = new MemFs();
    linked.put("/etc/managed/loader.conf", "a\n", 0o444);
    linked.dirs.add("/boot");
    linked.links.set(F, "/etc/managed/loader.conf");
    expect(await refusal(write(linked, "a\n", "b\n", { elsewhere: null }))).toBe(
      "plan --write: /boot/loader.conf (-> /etc/managed/loader.conf): is read-only (mode 0444); make it writable (chmod u+w /etc/managed/loader.conf)",
    );
  });
  test("a folder pptctl cannot create files in", async () => {
    const fs = new MemFs({ [F]: "a\n" });
    fs.unwritableDirs.add("/boot");
    expect(await refusal(write(fs, "a\n", "b\n"))).toBe("plan --write: /boot/loader.conf: pptctl cannot create files in /boot (permission denied, or a read-only file system); nothing was written");
  });
  test("not a regular file: what it is, and --file unless there is no other file", async () => {
    const fs = new MemFs();
    fs.dirs.add("/boot");
    fs.others.set(F, "a FIFO (named pipe)");
    expect(await refusal(write(fs, null, "b\n"))).toBe("plan --write: /boot/loader.conf: is a FIFO (named pipe), not a regular file; pptctl writes only regular files: give the file with --file");
    expect(await refusal(write(fs, null, "b\n", { elsewhere: null }))).toBe("plan --write: /boot/loader.conf: is a FIFO (named pipe), not a regular file; pptctl writes only regular files");
  });
  test("a missing folder, for the file or for a link's target", async () => {
    const fs = new MemFs();
    expect(await refusal(write(fs, null, "b\n"))).toBe("plan --write: /boot/loader.conf: its directory /boot does not exist; create it first or write another file with --file");
    fs.links.set(F, "/nowhere/loader.conf");
    fs.dirs.add("/boot");
    expect(await refusal(write(fs, null, "b\n", { elsewhere: null }))).toBe("plan --write: /boot/loader.conf: is a symbolic link to /nowhere/loader.conf, whose directory does not exist; create it first");
  });
  test("links 32 deep are followed; 33 are not", async () => {
    const chain = (n: number) => {
      const fs = new MemFs({ "/d/real": "a\n" });
      for (let i = 0; i < n; i++) fs.links.set(`/d/l${i}`, i + 1 < n ? `l${i + 1}` : "real");
      return fs;
    };
    expect((await replaceFile("/d/l0", "a\n", "b\n", NOW, { command: "assign", ops: chain(32), lockWaitMs: 0 })).path).toBe("/d/real");
    expect(await refusal(replaceFile("/d/l0", "a\n", "b\n", NOW, { command: "assign", ops: chain(33), lockWaitMs: 0 }))).toBe("assign: /d/l0: more than 32 symbolic links deep; point it at the file directly");
  });
  test("a backup that cannot be made: nothing written, nothing left", async () => {
    const fs = new MemFs({ [F]: "a\n" });
    fs.fail.createExclusive = (p) => (p.endsWith(".bak") ? errno("ENOSPC") : null);
    expect(await refusal(write(fs, "a\n", "b\n"))).toBe("plan --write: /boot/loader.conf: cannot make a complete backup copy (ENOSPC: simulated); nothing was written");
    expect([...fs.files.keys()]).toEqual([F]);
  });
  test("a temp file that cannot be made: the backup goes too", async () => {
    const fs = new MemFs({ [F]: "a\n" });
    fs.fail.createExclusive = (p) => (p.endsWith(".tmp") ? errno("ENOSPC") : null);
    expect(await refusal(write(fs, "a\n", "b\n"))).toBe("plan --write: /boot/loader.conf: cannot write a temporary file in /boot (ENOSPC: simulated); nothing was written");
    expect([...fs.files.keys()]).toEqual([F]);
  });
  test("changed while writing: the temp file goes first, then the backup", async () => {
    const fs = new MemFs({ [F]: "a\n" });
    fs.before.chown = (p, f) => {
      if (p.endsWith(".tmp")) f.files.get(F)!.bytes = "editor\n";
    };
    expect(await refusal(write(fs, "a\n", "b\n"))).toBe("plan --write: /boot/loader.conf: changed while pptctl was writing; nothing was written: run the command again");
    expect(fs.files.get(F)?.bytes).toBe("editor\n");
    expect(fs.log.filter((l) => l.startsWith("unlink")).map((l) => l.replace(/pptctl-4242-[0-9a-f]{8}/, "X"))).toEqual(["unlink /boot/.loader.conf.X.tmp", `unlink ${F}.bak`, `unlink ${LOCK}`]);
  });
  test("the lock taken over meanwhile: nothing written, and the other writer's lock is left alone", async () => {
    const fs = new MemFs({ [F]: "a\n" });
    fs.before.chown = (p, f) => {
      if (p.endsWith(".tmp")) f.put(LOCK, "999\n");
    };
    expect(await refusal(write(fs, "a\n", "b\n"))).toBe("plan --write: /boot/loader.conf: changed while pptctl was writing; nothing was written: run the command again");
    expect(fs.files.get(LOCK)?.bytes).toBe("999\n");
    expect(fs.files.get(F)?.bytes).toBe("a\n");
  });
  test("a rename that fails: the file is unchanged and says so", async () => {
    const fs = new MemFs({ [F]: "a\n" });
    fs.fail.rename = () => errno("EXDEV");
    expect(await refusal(write(fs, "a\n", "b\n"))).toBe("plan --write: /boot/loader.conf: could not replace the file (EXDEV: simulated); it is unchanged");
    expect([...fs.files.keys()]).toEqual([F]);
  });
  test("anything else that fails midway: its words, and nothing left", async () => {
    const fs = new MemFs({ [F]: "a\n" });
    fs.fail.lstat = (p) => (p === `${F}.bak` ? errno("EIO") : null);
    expect(await refusal(write(fs, "a\n", "b\n"))).toBe("plan --write: /boot/loader.conf: EIO: simulated; nothing was written");
    expect(leftovers(fs)).toEqual([]);
  });
  test("a file that cannot be read", async () => {
    const fs = new MemFs({ [F]: "a\n" });
    fs.fail.read = (p) => (p === F ? errno("EIO") : null);
    expect(await refusal(write(fs, "a\n", "b\n"))).toBe("plan --write: /boot/loader.conf: EIO: simulated; nothing was written");
  });
  test("a path that cannot be looked at", async () => {
    const fs = new MemFs();
    fs.fail.lstat = () => errno("EIO");
    expect(await refusal(write(fs, null, "b\n"))).toBe("plan --write: /boot/loader.conf: EIO: simulated");
  });
});

describe("checkWritable and removeCreated", () => {
  test("checkWritable finds what would stop the write, before anything changes", async () => {
    const fs = new MemFs({ [F]: "a\n" });
    await checkWritable(F, { command: "attach --persist", ops: fs });
    fs.files.get(F)!.mode = 0o400;
    expect(await refusal(checkWritable(F, { command: "attach --persist", ops: fs }))).toStartWith("attach --persist: /boot/loader.conf: is read-only (mode 0400)");
    expect(fs.log.some((l) => /^(createExclusive|unlink|rename)/.test(l))).toBe(false);
  });
  test("removeCreated takes back only what pptctl wrote", async () => {
    const fs = new MemFs({ "/vm/x.conf": "mine\n" });
    await removeCreated("/vm/x.conf", "mine\n", { command: "assign", ops: fs, lockWaitMs: 0 });
    expect(fs.files.has("/vm/x.conf")).toBe(false);
    expect(fs.log).toContain("fsyncDir /vm");
    fs.put("/vm/x.conf", "edited\n");
    expect(await refusal(removeCreated("/vm/x.conf", "mine\n", { command: "assign", ops: fs, lockWaitMs: 0 }))).toBe("assign: /vm/x.conf: changed since pptctl wrote it; it was left as it is");
    expect(fs.files.has("/vm/.x.conf.pptctl-lock")).toBe(false);
  });
});

describe("the lock", () => {
  const words = { cannot: (why: string) => `cannot: ${why}`, busy: (pid: number | null) => `busy: ${pid}` };
  const acquire = (fs: MemFs, waitMs = 0, onWait?: (pid: number | null) => void) => Lock.acquireAt(LOCK, fs, { ...words, waitMs, onWait });

  test("a live writer's lock is waited for, told once, and taken when it goes", async () => {
    const fs = new MemFs();
    fs.put(LOCK, "77\n");
    fs.alivePids.add(77);
    let sleeps = 0;
    fs.before.sleep = (_, f) => {
      if (++sleeps === 3) f.files.delete(LOCK);
    };
    const told: (number | null)[] = [];
    await acquire(fs, 60_000, (pid) => told.push(pid));
    expect(told).toEqual([77]);
    expect(fs.files.get(LOCK)?.bytes).toBe("4242\n");
  });
  test("a live writer past the wait: busy, with its pid; without a pid when the file has none yet", async () => {
    const fs = new MemFs();
    fs.put(LOCK, "77\n");
    fs.alivePids.add(77);
    expect(await refusal(acquire(fs))).toBe("busy: 77");
    fs.put(LOCK, "");
    expect(await refusal(acquire(fs))).toBe("busy: null");
  });
  test("the default wait is ten seconds", async () => {
    const fs = new MemFs({ [F]: "a\n" });
    fs.put(LOCK, "77\n");
    fs.alivePids.add(77);
    let t = NOW.getTime();
    setSystemTime(new Date(t));
    fs.before.sleep = () => setSystemTime(new Date((t += 1_000)));
    expect(await refusal(replaceFile(F, "a\n", "b\n", NOW, { command: "plan --write", ops: fs }))).toBe(
      "plan --write: /boot/loader.conf: another pptctl (pid 77) is writing it; nothing was written: try again when it has finished (if no pptctl runs, remove /boot/.loader.conf.pptctl-lock)",
    );
    expect(fs.log.filter((l) => l.startsWith("sleep"))).toHaveLength(10);
  });
  test("removeCreated waits the same ten seconds", async () => {
    const fs = new MemFs({ "/vm/x.conf": "mine\n" });
    fs.put("/vm/.x.conf.pptctl-lock", "77\n");
    fs.alivePids.add(77);
    let t = NOW.getTime();
    setSystemTime(new Date(t));
    fs.before.sleep = () => setSystemTime(new Date((t += 1_000)));
    expect(await refusal(removeCreated("/vm/x.conf", "mine\n", { command: "assign", ops: fs }))).toStartWith("assign: /vm/x.conf: another pptctl (pid 77) is writing it");
    expect(fs.log.filter((l) => l.startsWith("sleep"))).toHaveLength(10);
  });
  test("a dead writer's lock is taken over; so is an empty one older than 5 s, and one that holds no pid", async () => {
    for (const [bytes, ageMs] of [["77\n", 0], ["", 5_000], ["-1\n", 6_000], ["0\n", 6_000], ["x\n", 6_000]] as const) {
      const fs = new MemFs();
      setSystemTime(NOW);
      fs.put(LOCK, bytes, 0o600, NOW.getTime() - ageMs);
      await acquire(fs);
      expect({ bytes, now: fs.files.get(LOCK)?.bytes }).toEqual({ bytes, now: "4242\n" });
    }
  });
  test("an empty lock younger than 5 s is a writer starting up", async () => {
    const fs = new MemFs();
    setSystemTime(NOW);
    fs.put(LOCK, "", 0o600, NOW.getTime() - 4_999);
    expect(await refusal(acquire(fs))).toBe("busy: null");
  });
  test("a dead writer's lock replaced by another pptctl meanwhile is not taken from it", async () => {
    const fs = new MemFs();
    fs.put(LOCK, "77\n");
    let swapped = false;
    fs.before.read = (p, f) => {
      if (p === LOCK && !swapped) {
        swapped = true;
        f.put(LOCK, "88\n").mtimeMs = Date.now();
        f.alivePids.add(88);
      }
    };
    expect(await refusal(acquire(fs))).toBe("busy: 88");
  });
  test("a lock that vanishes between the calls is simply made again", async () => {
    const fs = new MemFs();
    fs.put(LOCK, "77\n");
    fs.before.lstat = (p, f) => {
      if (p === LOCK && f.files.get(LOCK)?.bytes === "77\n") f.files.delete(LOCK);
    };
    await acquire(fs);
    expect(fs.files.get(LOCK)?.bytes).toBe("4242\n");
    const gone = new MemFs();
    let once = true;
    gone.before.lstat = (p, f) => {
      if (p === LOCK && once && f.files.has(LOCK)) {
        once = false;
        f.files.delete(LOCK);
      }
    };
    await acquire(gone);
    expect(gone.files.get(LOCK)?.bytes).toBe("4242\n");
  });
  test("a dead writer's lock that vanishes just before it is taken over: made again, nothing removed", async () => {
    const fs = new MemFs();
    fs.put(LOCK, "77\n");
    let calls = 0;
    fs.before.lstat = (p, f) => {
      if (p === LOCK && ++calls === 2) f.files.delete(LOCK);
    };
    await acquire(fs);
    expect(fs.files.get(LOCK)?.bytes).toBe("4242\n");
    expect(fs.log.filter((l) => l.startsWith(`unlink ${LOCK}`))).toEqual([]);
  });
  test("busy, in the writer's words: with the pid, or without one while the file has none yet", async () => {
    const fs = new MemFs({ [F]: "a\n" });
    setSystemTime(NOW);
    fs.put(LOCK, "", 0o600, NOW.getTime());
    expect(await refusal(write(fs, "a\n", "b\n"))).toBe(
      "plan --write: /boot/loader.conf: another pptctl is writing it; nothing was written: try again when it has finished (if no pptctl runs, remove /boot/.loader.conf.pptctl-lock)",
    );
  });
  test("a lock file that cannot be made: the reason", async () => {
    const fs = new MemFs();
    fs.fail.createExclusive = () => errno("EROFS");
    expect(await refusal(acquire(fs))).toBe("cannot: read-only file system");
  });
  test("release leaves a lock that is no longer this writer's", async () => {
    const fs = new MemFs();
    const lock = await acquire(fs);
    fs.put(LOCK, "88\n");
    expect(await lock.stillHeld()).toBe(false);
    await lock.release();
    expect(fs.files.get(LOCK)?.bytes).toBe("88\n");
    fs.files.delete(LOCK);
    await lock.release();
  });
});
