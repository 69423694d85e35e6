import { formatBhyve } from "../pci/address.ts";
import { type PciDevice, baseClass, subClass } from "../pci/device.ts";
import { type QuirkCondition, QUIRKS, type QuirkData } from "./quirks-data.ts";
import type { ResetMethod } from "./reset.ts";

export interface Quirk {
  readonly id: string;
  readonly title: string;
  readonly advice: string;
  readonly source: string;
  readonly risk: boolean;
  /** The card's functions go to one guest together. */
  readonly wholeCard: boolean;
}

/**
 * The listing indexed once by card (domain/bus/slot) and by bus, so matching every device of a
 * 10,000-device host stays linear. Build it once per listing and pass it to quirksFor.
 */
export interface QuirkIndex {
  readonly bySlot: ReadonlyMap<number, readonly PciDevice[]>;
  /** SR-IOV physical functions (`ecap 0010[…] = SR-IOV`) per domain/bus. */
  readonly pfsByBus: ReadonlyMap<number, readonly PciDevice[]>;
  /** The same functions as a set: whether a device is one is asked per device, once its caps were read. */
  readonly pfs: ReadonlySet<PciDevice>;
}

const VF_NAME = /virtual function|\bVF\b/i;

function isPf(p: PciDevice): boolean {
  for (const c of p.caps) if (c.kind === "ecap" && c.id === "0010") return true;
  return false;
}

// Numbers, not strings: 10,000 devices would make 20,000 key strings per listing.
const busKey = (d: PciDevice) => d.addr.domain * 256 + d.addr.bus;
const slotKey = (d: PciDevice) => busKey(d) * 32 + d.addr.slot;

export function indexListing(devices: readonly PciDevice[]): QuirkIndex {
  const bySlot = new Map<number, PciDevice[]>();
  const pfsByBus = new Map<number, PciDevice[]>();
  const pfs = new Set<PciDevice>();
  for (const d of devices) {
    const s = slotKey(d);
    const list = bySlot.get(s);
    if (list) list.push(d);
    else bySlot.set(s, [d]);
    if (isPf(d)) {
      pfs.add(d);
      const b = busKey(d);
      const onBus = pfsByBus.get(b);
      if (onBus) onBus.push(d);
      else pfsByBus.set(b, [d]);
    }
  }
  return { bySlot, pfsByBus, pfs };
}

/**
 * A function that is probably a VF of an SR-IOV physical function: same vendor and class as the
 * PF, on the PF's bus — and on bus 0 in the PF's own slot, since the chipset puts unrelated
 * devices there (an iGPU PF beside a Thunderbolt controller). VFs sit at ARI function numbers
 * above 7, or say so in their name: other functions of a card that offers SR-IOV (a Chelsio T4's
 * nexus at function 4) are not VFs. A heuristic from the corpus (82599 VFs at functions
 * 128–134), not a register read.
 */
export function looksLikeVf(d: PciDevice, index: QuirkIndex): boolean {
  const pfs = index.pfsByBus.get(busKey(d));
  if (!pfs || index.pfs.has(d)) return false;
  if (d.addr.func <= 7 && !VF_NAME.test(d.deviceName ?? "")) return false;
  return pfs.some((p) => p !== d && p.vendorId === d.vendorId && baseClass(p) === baseClass(d) && (d.addr.bus !== 0 || p.addr.slot === d.addr.slot));
}

/**
 * The functions in d's slot, d among them, when it has others. Bus 0 is the chipset: functions
 * sharing a slot there are separate devices. No copy without d: this is asked for every device.
 */
function slotOf(d: PciDevice, index: QuirkIndex): readonly PciDevice[] | null {
  if (d.addr.bus === 0) return null;
  const slot = index.bySlot.get(slotKey(d));
  return slot === undefined || slot.length < 2 ? null : slot;
}

function hasAudioSibling(d: PciDevice, index: QuirkIndex): boolean {
  const slot = slotOf(d, index);
  if (slot === null) return false;
  for (const o of slot) if (o !== d && baseClass(o) === 0x04 && subClass(o) === 0x03) return true;
  return false;
}

function holds(when: QuirkCondition, d: PciDevice, index: QuirkIndex, reset: ResetMethod): boolean {
  switch (when) {
    case "no-flr":
      return reset !== "flr";
    case "audio-sibling":
      return hasAudioSibling(d, index);
    case "multifunction":
      // Two or more functions in the slot, so at least one besides d.
      return slotOf(d, index) !== null;
    case "sriov-vf":
      return looksLikeVf(d, index);
  }
}

function matches(q: QuirkData, d: PciDevice, index: QuirkIndex, reset: ResetMethod): boolean {
  const m = q.match;
  if (m.vendor !== undefined && d.vendorId !== m.vendor) return false;
  if (m.cls !== undefined && baseClass(d) !== m.cls) return false;
  if (m.sub !== undefined && subClass(d) !== m.sub) return false;
  if (m.addr !== undefined && (d.addr.domain !== 0 || formatBhyve(d.addr) !== m.addr)) return false;
  if (m.when !== undefined && !holds(m.when, d, index, reset)) return false;
  return true;
}

/** Every known behaviour that applies to `d`, in the data file's order. Pure. */
export function quirksFor(d: PciDevice, index: QuirkIndex, reset: ResetMethod): Quirk[] {
  const out: Quirk[] = [];
  for (const q of QUIRKS) if (matches(q, d, index, reset)) out.push(QUIRK_OF.get(q)!);
  return out;
}

/** One frozen Quirk per entry of the data, shared by every device it applies to. */
const QUIRK_OF = new Map<QuirkData, Quirk>(QUIRKS.map((q) => [q, Object.freeze({ id: q.id, title: q.title, advice: q.advice, source: q.source, risk: q.risk, wholeCard: q.wholeCard === true })]));
