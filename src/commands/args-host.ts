import { PptError } from "../core/errors.ts";
import { buildModel } from "../core/model/model.ts";
import { type PciAddress, formatBhyve, sameAddr } from "../core/pci/address.ts";
import { indexListing, quirksFor } from "../core/knowledge/quirks.ts";
import { resetMethod } from "../core/knowledge/reset.ts";
import type { PassthruEntry } from "../core/vm/passthru-entry.ts";
import { capsListed } from "../core/pci/device.ts";
import { boundProblems } from "../core/preflight/bound.ts";
import type { SlotPlan } from "../core/vm/slots.ts";
import type { VmManager } from "../core/vm/configs.ts";
import { gather } from "../host/gather.ts";
import type { MemoHost } from "../host/host.ts";
import { loadModelWithVms } from "./_model.ts";

/** The passthru list of one VM, from the configs `list` finds. */
export interface VmEntries {
  readonly entries: string[];
  readonly manager: VmManager;
  /** What `pptN` entries name on this host now. */
  readonly pptNames: ReadonlyMap<string, PciAddress>;
  /** Hoster's first passthru slot for this VM (after its NICs, disks and shares); null for others. */
  readonly firstSlot: number | null;
}

export async function vmEntries(host: MemoHost, vm: string, extraDirs: readonly string[]): Promise<VmEntries> {
  const model = await loadModelWithVms(host, extraDirs);
  const broken = model.vms.problems.find((p) => p.vm === vm);
  if (broken) throw new PptError(`args: VM ${vm}: cannot read ${broken.path}: ${broken.problem}`);
  const found = model.vms.configs.filter((c) => c.vm === vm);
  if (found.length > 1) {
    throw new PptError(`args: VM ${vm} has configs in ${found.map((c) => c.path).join(" and ")}; give its entries directly`);
  }
  const cfg = found[0];
  if (!cfg) {
    const known = model.vms.configs.map((c) => c.vm);
    const where = model.vms.problems.length > 0 ? `; also: ${model.vms.problems[0]?.path}: ${model.vms.problems[0]?.problem}` : "";
    throw new PptError(
      `args: no config for VM '${vm}' (${known.length > 0 ? `known VMs: ${known.join(", ")}` : "no Hoster or vm-bhyve configs found; use --vms PATH"})${where}`,
    );
  }
  // A VM without passthrough gets empty output, so `bhyve $(pptctl args --vm X) …` still works.
  return { entries: [...cfg.entries], manager: cfg.manager, pptNames: model.vms.pptNames, firstSlot: cfg.hoster?.firstSlot ?? null };
}

/**
 * Intel IGDs (quirk intel-igd) that do not land at guest slot 2, where the GOP and the guest
 * drivers expect them. Said on stderr; stdout stays what bhyve gets.
 */
export async function igdNotAtSlot2(host: MemoHost, plan: SlotPlan, manager: VmManager | null): Promise<string[]> {
  const model = buildModel(await gather(host));
  if (!model.pci.ok) return [];
  const devices = model.pci.value.devices;
  const listed = capsListed(devices);
  const index = indexListing(devices);
  const out: string[] = [];
  for (const a of plan.assignments) {
    const d = devices.find((x) => sameAddr(x.addr, a.entry.addr));
    if (!d || a.slot === 2) continue;
    if (quirksFor(d, index, resetMethod(d, listed)).some((q) => q.id === "intel-igd")) {
      const b = formatBhyve(d.addr);
      const how = manager === "hoster" ? "Hoster cannot pin a slot (it splits entries at '/', and its NIC is at slot 2): pass it with vm-bhyve or plain bhyve" : `pin it as ${b}=2:0`;
      out.push(`${b} is Intel integrated graphics, which the GOP and guest drivers expect at guest slot 2, but it gets slot ${a.slot}: ${how} (quirk intel-igd, see 'pptctl list --all --json')`);
    }
  }
  return out;
}

/** Reasons why entries are not usable right now (boundProblems). */
export async function checkBound(host: MemoHost, entries: readonly PassthruEntry[]): Promise<string[]> {
  return boundProblems(buildModel(await gather(host)), entries);
}
