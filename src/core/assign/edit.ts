/**
 * The change each manager gets for assign / unassign: new file bytes (vm-bhyve, Hoster, a bhyve
 * config) or the command to run (CBSD, whose database pptctl never writes).
 */
import { PptError } from "../errors.ts";
import { type PciAddress, addrKey, formatBhyve, sameAddr } from "../pci/address.ts";
import type { PciDevice } from "../pci/device.ts";
import { WIRED_MARK, appendConfigLines, parseBhyveConfig, removeConfigDevices } from "../vm/bhyve-config.ts";
import { editHosterPassthru } from "../vm/hoster-edit.ts";
import { type PassthruEntry, parsePassthruEntry, pptUnits } from "../vm/passthru-entry.ts";
import { LPC_SLOT, allocateSlots, slotConfig } from "../vm/slots.ts";
import { addVmBhyveEntries, removeVmBhyveEntries } from "../vm/vm-bhyve-edit.ts";
import type { Action, Target } from "./target.ts";

/** One entry written or removed: the same shape whichever manager's file it is. */
export interface EditEntry {
  readonly addr: PciAddress;
  /** As the file has it: vm-bhyve's value, Hoster's list element, a bhyve config's node (pci.0.6.0). */
  readonly written: string;
  /** The guest slot and function the file fixes (a vm-bhyve pin, a bhyve config node); null when the manager places it. */
  readonly guest: { readonly slot: number; readonly func: number } | null;
}

export interface Edit {
  /** The file's new bytes; null when nothing is written. */
  readonly after: string | null;
  /** The entries written or removed. */
  readonly entries: readonly EditEntry[];
  /** Commands for the admin to run (CBSD). */
  readonly commands: readonly (readonly string[])[];
  readonly warnings: readonly string[];
}

/** vm-bhyve's slot syntax for GVT-d: the IGD at guest 2:0 (quirk intel-igd). */
const IGD_SLOT = 2;

export function editFor(action: Action, target: Target, before: string | null, addrs: readonly PciAddress[], igd: ReadonlySet<number>, devices: readonly PciDevice[]): Edit {
  const units = pptUnits(devices);
  // An entry as a file holds it, read back for its device and pin (pptN entries included).
  // Every entry here was written by pptctl or matched a device of this host, so it parses.
  const entryOf = (written: string): EditEntry[] => {
    const p = parsePassthruEntry(written, units) as PassthruEntry;
    return [{ addr: p.addr, written, guest: p.pin }];
  };
  const none: Edit = { after: null, entries: [], commands: [], warnings: [] };
  if (addrs.length === 0) return none;
  const what = `${target.vm ?? target.path}`;
  const fail = (why: string) => new PptError(`${action}: ${target.path}: ${why}; nothing was changed`, 1);
  switch (target.manager) {
    case "cbsd": {
      // tools/bhyve-ppt: mode=attach|detach ppt=B/S/F jname=NAME (cbsd/cbsd on GitHub).
      const mode = action === "assign" ? "attach" : "detach";
      const commands = addrs.map((a) => ["cbsd", "bhyve-ppt", `mode=${mode}`, `ppt=${formatBhyve(a)}`, `jname=${target.vm}`]);
      return { ...none, commands, entries: addrs.map((a) => ({ addr: a, written: formatBhyve(a), guest: null })) };
    }
    case "vm-bhyve": {
      if (before === null) throw fail("does not exist any more");
      if (action === "unassign") {
        const r = removeVmBhyveEntries(before, addrs, units);
        if ("error" in r) throw fail(r.error);
        return { ...none, after: r.text, entries: r.removed.flatMap((e) => entryOf(e)) };
      }
      const pinned2 = target.entries.some((e) => {
        const p = parsePassthruEntry(e, units);
        // Stryker disable next-line StringLiteral: an entry that does not parse has no pin either
        return !("error" in p) && p.pin?.slot === IGD_SLOT;
      });
      const warnings: string[] = [];
      const entries = addrs.map((a) => {
        if (!igd.has(addrKey(a))) return formatBhyve(a);
        if (pinned2) {
          warnings.push(`${formatBhyve(a)} is Intel integrated graphics, which belongs at guest slot 2, but another entry of ${what} is pinned there: move that one, then pin this as ${formatBhyve(a)}=2:0`);
          return formatBhyve(a);
        }
        return `${formatBhyve(a)}=${IGD_SLOT}:0`;
      });
      const r = addVmBhyveEntries(before, entries);
      if ("error" in r) throw fail(r.error);
      return { ...none, after: r.text, entries: entries.flatMap((e) => entryOf(e)), warnings };
    }
    case "hoster": {
      if (before === null) throw fail("does not exist any more");
      const added = action === "assign" ? addrs.map(formatBhyve) : [];
      const named = (e: string) => {
        const p = parsePassthruEntry(e, units);
        // Stryker disable next-line StringLiteral: editHosterPassthru refuses a list holding an entry that does not parse before it asks remove(), so none here fails
        return !("error" in p) && addrs.some((a) => sameAddr(a, p.addr));
      };
      // Stryker disable next-line ConditionalExpression,LogicalOperator: assign is never asked to add a device already in the list (planAssign leaves it unchanged), so none it adds is named there
      const r = editHosterPassthru(before, { remove: (e) => action === "unassign" && named(e), add: added });
      if ("error" in r) throw fail(r.error);
      const warnings = action === "assign" && addrs.some((a) => igd.has(addrKey(a)))
        ? [`${formatBhyve(addrs.find((a) => igd.has(addrKey(a)))!)} is Intel integrated graphics, which the GOP and Intel's guest drivers expect at guest slot 2; Hoster has no slot pins and keeps slot 2 for the VM's NIC, so the IGD lands at slot 5 or later and the guest may show no picture: for GVT-d, run that VM with vm-bhyve or plain bhyve (quirk intel-igd)`]
        : [];
      return { ...none, after: r.text, entries: (action === "assign" ? added : r.removed).flatMap((e) => entryOf(e)), warnings };
    }
    case "bhyve-config":
      return configEdit(action, before ?? "", addrs, igd, devices, fail);
  }
}

function configEdit(action: Action, before: string, addrs: readonly PciAddress[], igd: ReadonlySet<number>, devices: readonly PciDevice[], fail: (why: string) => PptError): Edit {
  const config = parseBhyveConfig(before);
  if ("error" in config) throw fail(config.error);
  const byPpt = (name: string) => devices.find((d) => d.name === name)?.addr ?? null;
  if (action === "unassign") {
    const r = removeConfigDevices(before, config, addrs, byPpt);
    const entries = r.nodes.map((n) => ({ addr: n.host, written: `pci.${n.guest.bus}.${n.guest.slot}.${n.guest.func}`, guest: { slot: n.guest.slot, func: n.guest.func } }));
    return { after: r.text, entries, commands: [], warnings: [] };
  }
  if (config.wired === false) throw fail(`line ${config.settings.get("memory.wired")!.line}: memory.wired is false, and bhyve refuses passthru without wired guest memory: set it to true`);
  const warnings: string[] = [];
  const slot2Free = !config.usedSlots.has(IGD_SLOT);
  const entries: PassthruEntry[] = addrs.map((a) => {
    const pin = igd.has(addrKey(a)) && slot2Free ? `=${IGD_SLOT}:0` : "";
    if (igd.has(addrKey(a)) && !slot2Free) warnings.push(`${formatBhyve(a)} is Intel integrated graphics, which belongs at guest slot 2, but slot 2 is taken in this file: move that device and put the IGD there`);
    // A B/S/F of a device on the bus, pinned to slot 2 at most: always an entry.
    return parsePassthruEntry(`${formatBhyve(a)}${pin}`) as PassthruEntry;
  });
  // Slot 0 is the hostbridge, 31 the LPC bridge; a config that leaves them out still gets them from -s.
  const reserved = new Set([0, LPC_SLOT, ...config.usedSlots]);
  let plan;
  try {
    plan = allocateSlots(entries, { firstSlot: 1, reserved });
  } catch (e) {
    // Stryker disable next-line ConditionalExpression: allocateSlots throws nothing but PptError
    if (e instanceof PptError) throw fail(`no free guest slot left for these devices (used: ${[...config.usedSlots].sort((a, b) => a - b).join(", ")})`);
    throw e;
  }
  const lines = slotConfig(plan, config.wired !== true);
  if (config.wired !== true) lines.splice(lines.indexOf("memory.wired=true"), 0, WIRED_MARK);
  const at = plan.assignments.map((a) => ({ addr: a.entry.addr, written: `pci.0.${a.slot}.${a.func}`, guest: { slot: a.slot, func: a.func } }));
  return { after: appendConfigLines(before, lines), entries: at, commands: [], warnings: [...warnings, ...plan.notes] };
}
