import { type PciAddress, sameAddr, sameDevice } from "./address.ts";

export interface MsiCap {
  readonly count: number;
  readonly bits64: boolean;
  readonly vectorMasks: boolean;
  /** Messages in use when enabled, null when disabled. */
  readonly enabledWith: number | null;
}

export interface MsixCap {
  readonly count: number;
  readonly enabled: boolean;
  readonly masked: boolean;
}

export interface PcieCap {
  readonly version: number;
  /** "endpoint", "root port", "legacy endpoint", … as pciconf prints it. */
  readonly portType: string;
  readonly flr: boolean;
}

export interface Capability {
  readonly kind: "cap" | "ecap";
  /** Capability id as printed (`05`, `0010`), lower case. */
  readonly id: string;
  readonly offset: string;
  readonly text: string;
  /** Continuation lines printed under the capability. */
  readonly more: readonly string[];
}

export interface PciDevice {
  /** Full name as printed: `vgapci0`, `ppt1`, `none3`, or `none` without unit. */
  readonly name: string;
  /** Driver part of the name: `vgapci`, `ppt`, `none` (no driver attached). */
  readonly driver: string;
  readonly unit: number | null;
  readonly addr: PciAddress;
  /** 24-bit class code (class, subclass, prog-if), null when the header lacked it. */
  readonly classCode: number | null;
  readonly rev: number | null;
  readonly hdr: number | null;
  readonly vendorId: number | null;
  readonly deviceId: number | null;
  readonly subvendorId: number | null;
  readonly subdeviceId: number | null;
  readonly vendorName: string | null;
  readonly deviceName: string | null;
  readonly className: string | null;
  readonly subclassName: string | null;
  readonly caps: readonly Capability[];
  readonly msi: MsiCap | null;
  readonly msix: MsixCap | null;
  readonly pcie: PcieCap | null;
  /** Function-level reset through PCIe or PCI Advanced Features. */
  readonly flr: boolean;
  /** True when any cap/ecap line was printed (pciconf -c output). */
  readonly hasCapInfo: boolean;
  readonly bars: readonly string[];
  /** Lines inside this device's block that were not understood, kept verbatim. */
  readonly unparsed: readonly string[];
  /** 1-based line of the header in the input. */
  readonly line: number;
}

export function baseClass(d: PciDevice): number | null {
  return d.classCode === null ? null : (d.classCode >> 16) & 0xff;
}

export function subClass(d: PciDevice): number | null {
  return d.classCode === null ? null : (d.classCode >> 8) & 0xff;
}

/** Bridges (header type 1 or 2) are never claimed by ppt; bit 7 only marks multi-function. */
export function isBridgeHeader(d: PciDevice): boolean {
  return d.hdr !== null && (d.hdr & 0x7f) !== 0;
}

export function isAttached(d: PciDevice): boolean {
  return d.driver !== "none";
}

/** An ID as pciconf and the reports write it (`0x10de`); null for one pciconf did not print. */
export function hexId(n: number | null, width = 4): string | null {
  return n === null ? null : `0x${n.toString(16).padStart(width, "0")}`;
}

export function hex4(n: number | null): string {
  return n === null ? "????" : n.toString(16).padStart(4, "0");
}

/** `10de:1cb2` — the vendor:device pair users copy from pciconf. */
export function idPair(d: PciDevice): string {
  return `${hex4(d.vendorId)}:${hex4(d.deviceId)}`;
}

/**
 * Whether the listing was made with `-c`: pciconf prints capabilities only for devices that have
 * a capability list, so in such a listing a device without cap lines has no MSI or MSI-X at all.
 */
export function capsListed(devices: readonly PciDevice[]): boolean {
  return devices.some((d) => d.hasCapInfo);
}

/** A config header that reads all ones: the device does not answer (wedged or gone). */
export function looksWedged(d: PciDevice): boolean {
  return d.vendorId === 0xffff;
}

/**
 * Host-driver functions beside reserved functions of the same card. Bus 0 is skipped: there
 * functions sharing a slot are separate chipset devices (xHCI, Wi-Fi, SMBus…), not one card.
 */
// A function without a driver is left behind too: the guest still gets only part of the card.
export function leftBehind(devices: readonly PciDevice[], reserved: readonly PciAddress[]): PciDevice[] {
  const cards = reserved.filter((a) => a.bus !== 0 && !devices.some((d) => sameAddr(d.addr, a) && isBridgeHeader(d)));
  return devices.filter((d) => d.driver !== "ppt" && !isBridgeHeader(d) && cards.some((a) => sameDevice(a, d.addr)) && !reserved.some((a) => sameAddr(a, d.addr)));
}
