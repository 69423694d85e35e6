import { PptError } from "../errors.ts";
import { addrKey, formatBhyve } from "../pci/address.ts";
import type { PassthruEntry } from "./passthru-entry.ts";

export const MAX_SLOT = 31;
export const MAX_FUNC = 7;
/** bhyve puts the LPC bridge at 31 by convention; never hand it out. */
export const LPC_SLOT = 31;
/** Hoster's layout: 0 hostbridge, 2 NIC, 3 disk, 4 seed, 5 VNC. */
export const DEFAULT_FIRST_SLOT = 6;

export interface SlotAssignment {
  readonly slot: number;
  readonly func: number;
  readonly entry: PassthruEntry;
  /** The guest function differs from the host function. */
  readonly renumbered: boolean;
}

export interface SlotPlan {
  readonly assignments: readonly SlotAssignment[];
  /** Things the user should know (renumbering); printed on stderr. */
  readonly notes: readonly string[];
  /** First slot still free after passthrough, or null when none is left. */
  readonly nextSlot: number | null;
}

export interface SlotOptions {
  readonly firstSlot: number;
  readonly reserved: ReadonlySet<number>;
}

/**
 * Hoster-compatible slot allocation, corrected where Hoster builds guests that cannot see a
 * device: functions of one host device share a guest slot and keep their numbers; a `-` entry
 * gets a slot of its own as function 0; a group without function 0, or with host functions
 * above 7, is renumbered from 0 (a guest scans a slot only when function 0 exists).
 */
export function allocateSlots(entries: readonly PassthruEntry[], opts: SlotOptions): SlotPlan {
  const seen = new Map<number, PassthruEntry>();
  for (const e of entries) {
    const prev = seen.get(addrKey(e.addr));
    if (prev) {
      throw new PptError(`passthru entry '${e.text}': device ${formatBhyve(e.addr)} is already listed as '${prev.text}'; list each device once`);
    }
    seen.set(addrKey(e.addr), e);
  }

  // Pinned entries take exactly their slot:function; automatic allocation skips those slots.
  const pinned = entries.filter((e) => e.pin !== null);
  const taken = new Map<string, PassthruEntry>();
  for (const e of pinned) {
    const key = `${e.pin!.slot}:${e.pin!.func}`;
    const other = taken.get(key);
    if (other) throw new PptError(`passthru entry '${e.text}': guest slot ${key} is already pinned by '${other.text}'; give each entry its own slot:function`);
    if (opts.reserved.has(e.pin!.slot)) throw new PptError(`passthru entry '${e.text}': guest slot ${e.pin!.slot} is in --reserved; pin to a free slot or drop it from --reserved`);
    taken.set(key, e);
  }
  const pinnedSlots = new Set(pinned.map((e) => e.pin!.slot));
  // A slot a guest scans needs function 0.
  for (const s of pinnedSlots) {
    if (!pinned.some((e) => e.pin!.slot === s && e.pin!.func === 0)) {
      const there = pinned.filter((e) => e.pin!.slot === s).map((e) => e.text);
      throw new PptError(`passthru entry '${there[0]}': guest slot ${s} has no function 0, so a guest would not see it; pin one entry to ${s}:0`);
    }
  }

  // Groups in order of first appearance: shared (same host bus/slot) or own-slot.
  const groups: PassthruEntry[][] = [];
  const shared = new Map<string, PassthruEntry[]>();
  for (const e of entries) {
    if (e.pin !== null) continue;
    if (e.ownSlot) {
      groups.push([e]);
      continue;
    }
    const key = `${e.addr.bus}/${e.addr.slot}`;
    let g = shared.get(key);
    if (!g) {
      g = [];
      shared.set(key, g);
      groups.push(g);
    }
    g.push(e);
  }

  const notes: string[] = [];
  const guestSlots: { members: { entry: PassthruEntry; func: number }[] }[] = [];
  for (const g of groups) {
    const sorted = [...g].sort((a, b) => a.addr.func - b.addr.func);
    const funcs = sorted.map((e) => e.addr.func);
    // An own-slot entry is a group of its own (above).
    const own = g[0]!.ownSlot;
    const keep = !own && funcs.includes(0) && funcs.every((f) => f <= MAX_FUNC);
    if (keep) {
      guestSlots.push({ members: g.map((entry) => ({ entry, func: entry.addr.func })) });
      continue;
    }
    // Chunks of 8: more functions than a slot holds spill into the next slots.
    for (let i = 0; i < sorted.length; i += MAX_FUNC + 1) {
      guestSlots.push({ members: sorted.slice(i, i + MAX_FUNC + 1).map((entry, j) => ({ entry, func: j })) });
    }
    if (!own) {
      const why = funcs.some((f) => f > MAX_FUNC)
        ? `host functions above ${MAX_FUNC} (${funcs.filter((f) => f > MAX_FUNC).join(", ")})`
        : "no function 0";
      const them = sorted.length > 1 ? "them" : "it";
      notes.push(`${sorted.map((e) => formatBhyve(e.addr)).join(" ")}: ${why}, so a guest would not see ${them}; renumbered from guest function 0`);
    }
  }

  const assignments: SlotAssignment[] = [];
  let slot = opts.firstSlot;
  const free = (s: number) => s !== LPC_SLOT && !opts.reserved.has(s) && !pinnedSlots.has(s);
  for (const e of pinned) assignments.push({ slot: e.pin!.slot, func: e.pin!.func, entry: e, renumbered: e.pin!.func !== e.addr.func });
  for (const gs of guestSlots) {
    // Stryker disable next-line ConditionalExpression: past slot 31 every slot counts as free (--reserved holds 0-31 only), so the loop stops there anyway
    while (slot <= MAX_SLOT && !free(slot)) slot++;
    // Stryker disable next-line EqualityOperator: the loop never stops at 31, the LPC bridge's slot
    if (slot > MAX_SLOT) {
      throw new PptError(
        `no free guest slot left for ${formatBhyve(gs.members[0]!.entry.addr)}: ${opts.firstSlot >= MAX_SLOT - 1 ? `slot ${MAX_SLOT - 1} is` : `slots ${opts.firstSlot}-${MAX_SLOT - 1} are`} used or reserved and ${LPC_SLOT} is the LPC bridge; free some with fewer --reserved slots or a lower --first-slot`,
      );
    }
    for (const m of gs.members) {
      assignments.push({ slot, func: m.func, entry: m.entry, renumbered: m.func !== m.entry.addr.func });
    }
    slot++;
  }
  // Stryker disable next-line ConditionalExpression: past slot 31 every slot counts as free, as in the loop above
  while (slot <= MAX_SLOT && !free(slot)) slot++;
  assignments.sort((a, b) => a.slot - b.slot || a.func - b.func);
  // Stryker disable next-line EqualityOperator: the loop above never stops at 31, the LPC bridge's slot
  return { assignments, notes, nextSlot: slot <= MAX_SLOT ? slot : null };
}

/** `-s 6:0,passthru,1/0/0[,opts]` argument pairs. */
export function slotArgv(plan: SlotPlan, wired: boolean): string[] {
  const argv = wired ? ["-S"] : [];
  for (const a of plan.assignments) {
    argv.push("-s", [`${a.slot}:${a.func}`, "passthru", formatBhyve(a.entry.addr), ...a.entry.options].join(","));
  }
  return argv;
}

/** bhyve_config(5) keys for the same devices. */
export function slotConfig(plan: SlotPlan, wired: boolean): string[] {
  const lines = wired ? ["memory.wired=true"] : [];
  for (const a of plan.assignments) {
    const p = `pci.0.${a.slot}.${a.func}`;
    lines.push(`${p}.device=passthru`, `${p}.bus=${a.entry.addr.bus}`, `${p}.slot=${a.entry.addr.slot}`, `${p}.func=${a.entry.addr.func}`);
    // Every option is key=value (parsePassthruEntry refuses anything else).
    for (const o of a.entry.options) lines.push(`${p}.${o.slice(0, o.indexOf("="))}=${o.slice(o.indexOf("=") + 1)}`);
  }
  return lines;
}
