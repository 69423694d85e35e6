import { type HostModel, buildModel } from "../src/core/model/model.ts";
import { CMD, type CommandResult, type DirResult, type FileResult, type HostSnapshot, commandKey } from "../src/core/snapshot.ts";
import { gather } from "../src/host/gather.ts";
import { MemoHost } from "../src/host/host.ts";
import { RecordedHost } from "../src/host/recorded.ts";

const cache = new Map<string, HostSnapshot>();

/**
 * The model of a recorded host, with files or command outputs swapped in: the core's functions
 * can then be tested case by case without a process or a tree (fast enough to run for every
 * mutant of a mutation test).
 */
export async function recordedSnapshot(dir: string): Promise<HostSnapshot> {
  let snap = cache.get(dir);
  if (!snap) {
    snap = await gather(new MemoHost(await RecordedHost.load(dir)), { vms: true });
    cache.set(dir, snap);
  }
  return snap;
}

export async function modelOf(dir: string, change: { files?: Record<string, string | null | FileResult>; pciconf?: string; commands?: Record<string, CommandResult>; dirs?: Record<string, DirResult> } = {}): Promise<HostModel> {
  const snap = await recordedSnapshot(dir);
  const files = new Map(snap.files);
  for (const [p, text] of Object.entries(change.files ?? {})) files.set(p, text === null ? { kind: "absent" } : typeof text === "string" ? { kind: "file", text } : text);
  const commands = new Map(snap.commands);
  if (change.pciconf !== undefined) commands.set(commandKey(CMD.pciconf), { kind: "ran", exit: 0, stdout: change.pciconf, stderr: "" });
  for (const [k, r] of Object.entries(change.commands ?? {})) commands.set(k, r);
  const dirs = new Map(snap.dirs);
  for (const [p, d] of Object.entries(change.dirs ?? {})) dirs.set(p, d);
  return buildModel({ commands, files, dirs });
}
