/**
 * Guest slots as the VM's manager hands them out. A guest scans a PCI slot only when function 0
 * answers (as args renumbers for); slot 0 is the hostbridge and 31 the LPC bridge; Intel
 * integrated graphics belongs at slot 2 with the LPC at 31 (quirk intel-igd).
 */
import { type Check, check } from "../doctor/types.ts";
import { listSome } from "../doctor/pptdevs.ts";
import { type QuirkIndex, quirksFor } from "../knowledge/quirks.ts";
import { resetMethod } from "../knowledge/reset.ts";
import { formatBhyve } from "../pci/address.ts";
import type { PciDevice } from "../pci/device.ts";
import type { VmDevice, VmSpec } from "./spec.ts";

type On = { readonly v: VmDevice; readonly d: PciDevice | null };

export function slotsCheck(spec: VmSpec, on: readonly On[], index: QuirkIndex, listed: boolean): Check {
  const problems: string[] = [];
  const warnings: string[] = [];
  const placed = placement(spec, problems);
  for (const { v, d } of on) {
    if (!d || !quirksFor(d, index, resetMethod(d, listed)).some((q) => q.id === "intel-igd")) continue;
    const at = placed.get(v);
    if (at === undefined || at.slot !== 2) {
      const how = spec.manager === "hoster" ? "Hoster cannot pin a slot (its NIC is at 2)" : spec.manager === "vm-bhyve" ? `pin it: passthruN="${formatBhyve(v.addr)}=2:0"` : `put it at pci.0.2.0`;
      warnings.push(`${formatBhyve(v.addr)} is Intel integrated graphics, expected at guest slot 2 but ${at ? `at ${at.slot}` : "not pinned there"}: ${how}`);
    }
  }
  if (spec.config && on.some(({ d }) => d && quirksFor(d, index, resetMethod(d, listed)).some((q) => q.id === "intel-igd"))) {
    if (spec.config.settings.get("pci.0.31.0.device")?.value !== "lpc") warnings.push("GVT-d wants the LPC bridge at guest slot 31: pci.0.31.0.device=lpc");
  }
  if (problems.length > 0) return check("vm.slots", "slots", "fail", listSome(problems), "correct the guest slots ('pptctl args' shows a layout that works)");
  if (warnings.length > 0) return check("vm.slots", "slots", "warn", listSome(warnings), "see quirk intel-igd in 'pptctl list --all --json'");
  const shown = [...placed.values()].map((p) => `${p.slot}:${p.func}`);
  return check("vm.slots", "slots", "pass", shown.length > 0 ? `guest slots ${shown.join(" ")}: function 0 in each, none on 0 or 31` : `${spec.manager} places the entries itself; no pins to check`);
}

/** Where each device lands, as far as the manager's layout is known; problems on the way. */
function placement(spec: VmSpec, problems: string[]): Map<VmDevice, { slot: number; func: number }> {
  const at = new Map<VmDevice, { slot: number; func: number }>();
  if (spec.hoster) {
    // generate_bhyve_command.go, passthruPciSplitter: entries of one host bus/slot share a guest
    // slot with their host function numbers; a '-' entry gets a slot of its own as function 0.
    let slot = spec.hoster.firstSlot;
    const groups = new Map<string, VmDevice[]>();
    const order: VmDevice[][] = [];
    for (const v of spec.devices) {
      // Stryker disable next-line OptionalChaining: a Hoster VM's devices all come from passthru entries; only a -k file's have none
      if (v.entry?.ownSlot) {
        order.push([v]);
        continue;
      }
      const key = `${v.addr.bus}/${v.addr.slot}`;
      const g = groups.get(key);
      if (g) g.push(v);
      else {
        const ng = [v];
        groups.set(key, ng);
        order.push(ng);
      }
    }
    for (const g of order) {
      // Stryker disable next-line OptionalChaining: a Hoster VM's devices all come from passthru entries; only a -k file's have none
      for (const v of g) at.set(v, { slot, func: v.entry?.ownSlot ? 0 : v.addr.func });
      slot++;
    }
    const last = slot - 1 + (spec.hoster.xhci ? 1 : 0);
    if (last >= 31) problems.push(`Hoster's layout runs to guest slot ${last}, past 30 (31 is the LPC bridge): fewer devices, or entries that share a slot`);
  } else {
    for (const v of spec.devices) if (v.guest) at.set(v, v.guest);
  }
  const bySlot = new Map<number, { v: VmDevice; func: number }[]>();
  for (const [v, p] of at) bySlot.set(p.slot, [...(bySlot.get(p.slot) ?? []), { v, func: p.func }]);
  for (const [slot, members] of bySlot) {
    const names = members.map((x) => formatBhyve(x.v.addr)).join(" ");
    if (slot === 0 || slot === 31) problems.push(`${names} at guest slot ${slot}, which is the ${slot === 0 ? "hostbridge" : "LPC bridge"}`);
    const high = members.filter((x) => x.func > 7);
    if (high.length > 0) problems.push(`${high.map((x) => formatBhyve(x.v.addr)).join(" ")} at guest function ${high[0]!.func} of slot ${slot}; functions are 0-7`);
    const zero = members.some((x) => x.func === 0) || otherDeviceAt(spec, slot);
    if (!zero) problems.push(`guest slot ${slot} (${names}) has no function 0, so the guest does not see it${spec.manager === "hoster" ? " (Hoster keeps host function numbers): list function 0 of the card too, or start the entry with '-'" : ""}`);
  }
  return at;
}

/** A bhyve config may put another device at function 0 of the slot. */
function otherDeviceAt(spec: VmSpec, slot: number): boolean {
  return spec.config?.settings.has(`pci.0.${slot}.0.device`) ?? false;
}
