/**
 * assign / unassign: from selectors and a target to the new bytes of the VM's config. Pure:
 * every refusal is a one-line PptError thrown before anything is written, and the edit keeps
 * every byte the manager's own list does not need changed (core/vm/*-edit.ts).
 */
import { PptError } from "../errors.ts";
import { indexListing, quirksFor } from "../knowledge/quirks.ts";
import { NO_CAPS_WORDS, interruptsOf, intxWords } from "../knowledge/interrupts.ts";
import { resetMethod } from "../knowledge/reset.ts";
import { readPptdevsConfig } from "../loader/pptdevs-config.ts";
import type { HostModel } from "../model/model.ts";
import { ARM64_NO_PASSTHROUGH, isArm64 } from "../model/virt.ts";
import { type PciAddress, addrKey, compareAddr, formatBhyve, sameAddr, sameDevice } from "../pci/address.ts";
import { type PciDevice, capsListed, isBridgeHeader } from "../pci/device.ts";
import { type Selector, describe, resolveOne } from "../pci/selector.ts";
import { isActive } from "../vm/instances.ts";
import { dangersOf } from "../model/guards.ts";
import { wholeCardCompanions } from "../knowledge/whole-card.ts";
import { platformFunction } from "../pci/platform.ts";
import { assignmentsOf } from "../vm/assignments.ts";
import { parsePassthruEntry } from "../vm/passthru-entry.ts";
import { type Edit, editFor } from "./edit.ts";
import { type Action, type Target, runningWords } from "./target.ts";
import { shellWord } from "../text/shell.ts";

/** Quirks whose functions must go to a guest together (quirks-data.ts). */

export interface Pick {
  readonly addr: PciAddress;
  readonly device: PciDevice | null;
  /** Null when asked for; else why it comes along (the quirk's title). */
  readonly along: string | null;
  /** assign: already in the config; unassign: not in it. Nothing to do for it. */
  readonly unchanged: boolean;
  /** On ppt now, and reserved in pptdevs: the host side of the same device. */
  readonly onPpt: boolean;
  readonly reserved: boolean;
}

export interface AssignPlan extends Edit {
  readonly action: Action;
  readonly target: Target;
  readonly picks: readonly Pick[];
  readonly warnings: readonly string[];
}

export interface AssignRequest {
  readonly action: Action;
  readonly selectors: readonly Selector[];
  readonly target: Target;
  /** The file's bytes now; null when it does not exist (a new --config file) or for CBSD. */
  readonly before: string | null;
  /** --attach moves the devices too, and refuses a device the host needs itself (runtime/devctl.ts). */
  readonly attach?: boolean;
}

export function planAssign(m: HostModel, req: AssignRequest): AssignPlan {
  const { action, target } = req;
  if (req.selectors.length === 0) throw new PptError(`${action}: name at least one device, e.g. 'pptctl ${action} 1/0/0 --vm NAME'`);
  // unassign still works there: an old entry may be cleaned up.
  if (action === "assign" && isArm64(m)) throw new PptError(`assign: ${ARM64_NO_PASSTHROUGH}, so the VM could not start with the device; nothing was changed`, 1);
  if (!m.pci.ok) throw new PptError(`${action}: cannot list PCI devices: ${m.pci.reason}`, 1);
  const devices = m.pci.value.devices;
  const index = indexListing(devices);
  const listed = capsListed(devices);
  const warnings: string[] = [];

  const asked: { addr: PciAddress; device: PciDevice | null }[] = [];
  for (const s of req.selectors) {
    // unassign may name a device no longer on the bus (a card taken out).
    const mayBeGone = action === "unassign" && s.kind === "addr";
    const d = mayBeGone ? (devices.find((x) => sameAddr(x.addr, s.addr)) ?? null) : resolveOne(s, devices);
    const a = mayBeGone ? s.addr : d!.addr;
    if (!asked.some((x) => sameAddr(x.addr, a))) asked.push({ addr: a, device: d });
  }
  const picked: { addr: PciAddress; device: PciDevice | null; along: string | null }[] = asked.map((x) => ({ ...x, along: null }));
  const present = asked.filter((x) => x.device !== null).map((x) => x.addr);
  for (const c of wholeCardCompanions(devices, present)) picked.push({ addr: c.device.addr, device: c.device, along: c.why });
  picked.sort((a, b) => compareAddr(a.addr, b.addr));

  if (action === "assign") for (const p of picked) refuseDevice(p.device!, listed, warnings);

  const inConfig = configAddrs(target.entries, m.vms.pptNames);
  const uses = assignmentsOf(m.vms).byDevice;
  if (action === "assign") {
    for (const p of picked) {
      const others = (uses.get(addrKey(p.addr))?.uses ?? []).filter((u) => u.vm !== target.vm);
      const o = others[0];
      if (o) {
        const busy = isActive(o.state) ? `, and ${o.vm} ${runningWords(o.state, o.vm)} and holds it now` : "";
        throw new PptError(`assign: ${formatBhyve(p.addr)} is already in ${o.vm}'s config (${o.config.path})${busy}; a device goes to one VM: 'pptctl unassign ${formatBhyve(p.addr)} --vm ${shellWord(o.vm)}' first`, 1);
      }
    }
    warnings.push(...unreadableOthers(m, target, picked));
    // Not refused: the config alone moves nothing. But the host loses the device once it goes to ppt.
    const loose = picked.filter((p) => p.device && p.device.driver !== "ppt").map((p) => p.addr);
    if (!req.attach) warnings.push(...dangersOf(m, devices, loose, { display: true, when: "once it moves to ppt for this VM" }));
  }

  const reservedList = readPptdevsConfig(m.loader).entries;
  const picks: Pick[] = picked.map((p) => {
    const present = inConfig.some((a) => sameAddr(a, p.addr));
    return {
      ...p,
      // CBSD's list is in its database, which pptctl does not read.
      unchanged: target.manager === "cbsd" ? false : action === "assign" ? present : !present,
      onPpt: p.device?.driver === "ppt",
      reserved: reservedList.some((r) => sameAddr(r, p.addr)),
    };
  });

  for (const p of picks) {
    // A companion is found on the bus, so it has a device.
    if (p.along !== null && !p.unchanged) warnings.push(`${formatBhyve(p.addr)} (${p.device!.name}) ${action === "assign" ? "comes along" : "goes too"}: ${p.along}`);
  }
  if (action === "assign") {
    const after = [...inConfig, ...picks.map((p) => p.addr)];
    const left = devices.filter((d) => !isBridgeHeader(d) && d.addr.bus !== 0 && picks.some((p) => sameDevice(p.addr, d.addr)) && !after.some((a) => sameAddr(a, d.addr)));
    if (left.length > 0) {
      warnings.push(`${left.map((d) => `${d.name} (${formatBhyve(d.addr)})`).join(", ")} on the same card stay${left.length === 1 ? "s" : ""} out of ${target.vm ?? "the config"}; assign ${left.length === 1 ? "it" : "them"} too if the guest needs the whole card`);
    }
  }

  const todo = picks.filter((p) => !p.unchanged);
  const igd = new Set(todo.filter((p) => p.device && quirksFor(p.device, index, resetMethod(p.device, listed)).some((q) => q.id === "intel-igd")).map((p) => addrKey(p.addr)));
  const edit = editFor(action, target, req.before, todo.map((p) => p.addr), igd, devices);
  return { ...edit, action, target, picks, warnings: [...warnings, ...edit.warnings] };
}

/** A device bhyve cannot take, refused before anything is written; one it takes with limits, said. */
function refuseDevice(d: PciDevice, listed: boolean, warnings: string[]): void {
  if (d.addr.domain !== 0) throw new PptError(`assign: ${describe(d)} is in PCI domain ${d.addr.domain}; bhyve passthru reaches only domain 0`, 1);
  if (isBridgeHeader(d)) throw new PptError(`assign: ${describe(d)} is a bridge; bhyve cannot pass a bridge: assign the devices behind it`, 1);
  const platform = platformFunction(d);
  if (platform) throw new PptError(`assign: ${describe(d)} is the ${platform[0]}: ${platform[1]}`, 1);
  const irq = interruptsOf(d, listed);
  if (irq === "none") throw new PptError(`assign: ${describe(d)} ${NO_CAPS_WORDS}; it cannot go to a guest`, 1);
  if (irq === "intx") warnings.push(`${describe(d)} ${intxWords()}`);
}

/**
 * Another VM's config pptctl cannot read may still be read by its manager (vm-bhyve keeps a CR in
 * a CRLF file's values, and bhyve's B/S/F scan stops before it): a device written there is refused.
 */
function unreadableOthers(m: HostModel, target: Target, picked: readonly { addr: PciAddress; device: PciDevice | null }[]): string[] {
  const warnings: string[] = [];
  for (const p of m.vms.problems) {
    if (p.vm === null || p.vm === target.vm) continue;
    // Stryker disable next-line ConditionalExpression,OptionalChaining: no text mentions nothing either way, and assign's picks are all on the bus
    const named = p.text === undefined ? [] : picked.filter((x) => mentions(p.text!, formatBhyve(x.addr)) || (x.device?.driver === "ppt" && mentions(p.text!, x.device.name)));
    const first = named[0];
    if (first) {
      throw new PptError(`assign: ${formatBhyve(first.addr)} is written in ${p.vm}'s config (${p.path}), which pptctl cannot read (${p.problem}) but its manager may; a device goes to one VM: fix or edit that config first`, 1);
    }
    warnings.push(`pptctl cannot read ${p.vm}'s config (${p.path}: ${p.problem}), so whether ${p.vm} names these devices too is not known`);
  }
  return warnings;
}

/** The word (a B/S/F or a pptN: nothing a regular expression reads specially) as a whole token: 1/0/1 not inside 11/0/10, ppt1 not inside ppt10. */
function mentions(text: string, word: string): boolean {
  return new RegExp(`(^|[^0-9A-Za-z/])${word}($|[^0-9A-Za-z/])`).test(text);
}

function configAddrs(entries: readonly string[], pptNames: ReadonlyMap<string, PciAddress>): PciAddress[] {
  return entries.flatMap((e) => {
    const p = parsePassthruEntry(e, pptNames);
    // Stryker disable next-line ArrayDeclaration: what stands in for an unreadable entry is only compared with addresses, and a string equals none (its key is NaN)
    return "error" in p ? [] : [p.addr];
  });
}
