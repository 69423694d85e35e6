/**
 * Who holds a device, or may: one answer, in one set of words, for list, doctor --vm, explain,
 * attach/release and assign. A device is held by an instance that exists (or is being made)
 * whose config names it, or whose bhyve command line shows it; an instance no readable config
 * describes may hold any ppt device. Pure.
 */
import { type PciAddress, addrKey, formatBhyve, sameAddr } from "../pci/address.ts";
import type { Assignments } from "./assignments.ts";
import type { VmInventory } from "./configs.ts";
import { type VmState, namesWithoutConfig, processText, vmState } from "./instances.ts";
import { destroyCommand, shellWord } from "../text/shell.ts";

export interface Holder {
  readonly vm: string;
  readonly state: VmState;
  /** Its config names the device, or its bhyve command line shows it; false: it only may hold it. */
  readonly names: boolean;
}

/** Every instance other than `except` that holds or may hold `a`; stopped VMs are not holders. */
export function holdersOf(inv: VmInventory, asg: Assignments, a: PciAddress, except?: string): Holder[] {
  const out: Holder[] = [];
  const add = (h: Holder) => {
    if (h.vm !== except && !out.some((o) => o.vm === h.vm)) out.push(h);
  };
  for (const u of asg.byDevice.get(addrKey(a))?.uses ?? []) if (u.state.kind !== "stopped") add({ vm: u.vm, state: u.state, names: true });
  for (const p of inv.processes ?? []) if (p.passthru.some((x) => sameAddr(x, a))) add({ vm: p.vm, state: vmState(inv, p.vm), names: true });
  for (const vm of namesWithoutConfig(inv, new Set(inv.configs.map((c) => c.vm)))) add({ vm, state: vmState(inv, vm), names: false });
  return out;
}

export interface HolderWords {
  readonly status: "fail" | "warn" | "unknown";
  readonly text: string;
  /** Never a bhyvectl --destroy while a process names the VM. */
  readonly fix: string;
}

/** What to say about one holder of `a`, and the fix that is safe to run. */
export function holderWords(h: Holder, a: PciAddress): HolderWords {
  const b = formatBhyve(a);
  const s = h.state;
  const unnamed = h.names ? "" : ` (no config pptctl can read says which devices ${h.vm} has)`;
  const verb = h.names ? "holds" : "may hold";
  switch (s.kind) {
    case "running":
      return {
        status: h.names ? "fail" : "warn",
        text: `${b} ${h.names ? "is in use by" : "may be in use by"} the running VM ${h.vm} (bhyve pid ${s.pid})${unnamed}`,
        fix: h.names ? `stop ${h.vm} first, or give the device to one VM only ('pptctl unassign ${b} --vm ${shellWord(h.vm)}')` : `check what ${h.vm} was started with; point pptctl at its config with --vms PATH`,
      };
    case "starting":
      return {
        status: h.names ? "fail" : "warn",
        text: `${h.vm}, which is starting now (${processText(s.procs)}), ${verb} ${b}${unnamed}`,
        fix: `wait for ${h.vm} to finish starting, or stop it with its manager; its instance is in use, so do not destroy it`,
      };
    case "left-behind":
      return {
        status: h.names ? "fail" : "warn",
        text: `${h.vm}'s instance, left behind in /dev/vmm with no process naming it, ${verb} ${b}${unnamed}`,
        fix: destroyCommand(h.vm),
      };
    case "unknown":
    case "stopped":
      return {
        status: "unknown",
        text: `${h.vm} ${h.names ? "names" : "may hold"} ${b} and whether its instance holds it is unknown: ${s.kind === "unknown" ? s.reason : "stopped"}${unnamed}`,
        fix: `find what runs ${h.vm} ('ps -axww | grep ${h.vm}', and 'vm list' under vm-bhyve) before you change anything`,
      };
  }
}

/** Short words for a table cell: `win11 left behind`, `lab starting`. */
export function stateWord(s: VmState): string {
  return s.kind === "left-behind" ? "left behind" : s.kind;
}
