import { formatBhyve, sameDevice } from "../pci-address.ts";
import { type PciDevice, baseClass, subClass } from "../pci-device.ts";
import { type QuirkCondition, QUIRKS, type QuirkData } from "./quirks-data.ts";
import type { ResetMethod } from "./reset.ts";

export interface Quirk {
  readonly id: string;
  readonly title: string;
  readonly advice: string;
  readonly source: string;
  readonly risk: boolean;
}

function holds(when: QuirkCondition, d: PciDevice, devices: readonly PciDevice[], reset: ResetMethod): boolean {
  const siblings = devices.filter((o) => o !== d && d.addr.bus !== 0 && sameDevice(o.addr, d.addr));
  switch (when) {
    case "no-flr":
      return reset !== "flr";
    case "audio-sibling":
      return siblings.some((o) => baseClass(o) === 0x04 && subClass(o) === 0x03);
    case "multifunction":
      return siblings.length > 0;
    case "sriov-vf":
      return looksLikeVf(d, devices);
  }
}

const isPf = (p: PciDevice) => p.caps.some((c) => c.kind === "ecap" && c.id === "0010");

/**
 * A function that is probably a VF of an SR-IOV physical function (`ecap 0010[…] = SR-IOV`): same
 * vendor and class as the PF, on the PF's bus — and on bus 0 in the PF's own slot, since the
 * chipset puts unrelated devices there (an iGPU PF beside a Thunderbolt controller). A heuristic
 * from the corpus (82599 VFs at functions 128–134), not a register read.
 */
export function looksLikeVf(d: PciDevice, devices: readonly PciDevice[]): boolean {
  if (isPf(d)) return false;
  // VFs sit at ARI function numbers above 7, or say so in their name: other functions of a card
  // that offers SR-IOV (a Chelsio T4's nexus at function 4) are not VFs.
  if (d.addr.func <= 7 && !/virtual function|\bVF\b/i.test(d.deviceName ?? "")) return false;
  return devices.some(
    (p) =>
      p !== d &&
      isPf(p) &&
      p.vendorId === d.vendorId &&
      baseClass(p) === baseClass(d) &&
      p.addr.domain === d.addr.domain &&
      p.addr.bus === d.addr.bus &&
      (d.addr.bus !== 0 || p.addr.slot === d.addr.slot),
  );
}

function matches(q: QuirkData, d: PciDevice, devices: readonly PciDevice[], reset: ResetMethod): boolean {
  const m = q.match;
  if (m.vendor !== undefined && d.vendorId !== m.vendor) return false;
  if (m.cls !== undefined && baseClass(d) !== m.cls) return false;
  if (m.sub !== undefined && subClass(d) !== m.sub) return false;
  if (m.addr !== undefined && (d.addr.domain !== 0 || formatBhyve(d.addr) !== m.addr)) return false;
  if (m.when !== undefined && !holds(m.when, d, devices, reset)) return false;
  return true;
}

/** Every known behaviour that applies to `d`, in the data file's order. Pure. */
export function quirksFor(d: PciDevice, devices: readonly PciDevice[], reset: ResetMethod): Quirk[] {
  return QUIRKS.filter((q) => matches(q, d, devices, reset)).map(({ id, title, advice, source, risk }) => ({ id, title, advice, source, risk }));
}
