import { LOADER_CONF_DIR } from "../core/parse/loader-conf.ts";
import { CORE_COMMANDS, CORE_DIRS, CORE_FILES, type HostSnapshot, dirResult } from "../core/snapshot.ts";
import { DISCOVERY_FILES, discoverVms } from "../core/vm/configs.ts";
import type { MemoHost } from "./host.ts";

export interface GatherOptions {
  /** Also find VM configs (list, doctor, args --vm). */
  readonly vms?: boolean;
  readonly extraVmDirs?: readonly string[];
  /**
   * Core commands this caller never reads (list does not need acpidump, which can take a while on
   * a live host). Capture asks everything.
   */
  readonly skip?: readonly (readonly string[])[];
}

/** Discovery reads in rounds (config → dataset → VM dirs → VM files); this bounds them. */
const MAX_ROUNDS = 8;

/** Asks the host the core set concurrently (each once), then whatever discovery needs. */
export async function gather(host: MemoHost, opts: GatherOptions = {}): Promise<HostSnapshot> {
  const skip = new Set((opts.skip ?? []).map((c) => c.join("\u0000")));
  await Promise.all([
    ...CORE_COMMANDS.filter((c) => !skip.has(c.join("\u0000"))).map((c) => host.run(c)),
    ...CORE_FILES.map((f) => host.readFile(f)),
    ...(opts.vms ? DISCOVERY_FILES : []).map((f) => host.readFile(f)),
    ...CORE_DIRS.map((d) => host.listDir(d)),
  ]);
  let snap = await snapshotOf(host);
  const confd = dirResult(snap, LOADER_CONF_DIR);
  if (confd.kind === "dir") {
    await Promise.all(confd.entries.filter((n) => n.endsWith(".conf")).map((n) => host.readFile(`${LOADER_CONF_DIR}/${n}`)));
    snap = await snapshotOf(host);
  }
  if (!opts.vms) return snap;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const { needs } = discoverVms(snap, opts.extraVmDirs ?? []);
    if (needs.files.length === 0 && needs.dirs.length === 0) break;
    await Promise.all([...needs.files.map((f) => host.readFile(f)), ...needs.dirs.map((d) => host.listDir(d))]);
    snap = await snapshotOf(host);
  }
  return snap;
}

/**
 * Everything the host has answered so far, as plain data (copies: later rounds add to the host,
 * never to a snapshot already handed out). Waits only when a question is still open.
 */
export async function snapshotOf(host: MemoHost): Promise<HostSnapshot> {
  if (host.pending > 0) {
    await Promise.all([
      ...[...host.commands.values()].map((x) => x.result),
      ...host.files.values(),
      ...host.dirs.values(),
    ]);
  }
  const a = host.answered;
  return { commands: new Map(a.commands), files: new Map(a.files), dirs: new Map(a.dirs) };
}
