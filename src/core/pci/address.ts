/** A PCI function address as FreeBSD prints it: pci<domain>:<bus>:<slot>:<function>. */
export interface PciAddress {
  readonly domain: number;
  readonly bus: number;
  readonly slot: number;
  readonly func: number;
}

export const LIMITS = {
  domain: 65535,
  bus: 255,
  slot: 31,
  /** ARI and SR-IOV virtual functions carry function numbers up to 255. */
  func: 255,
} as const;

export function addr(bus: number, slot: number, func: number, domain = 0): PciAddress {
  return { domain, bus, slot, func };
}

/** `pci0:1:0:0` — the selector pciconf and devctl accept. */
export function formatSelector(a: PciAddress): string {
  return `pci${a.domain}:${a.bus}:${a.slot}:${a.func}`;
}

/** `1/0/0` — the form bhyve and pptdevs use (domain 0 only). */
export function formatBhyve(a: PciAddress): string {
  return `${a.bus}/${a.slot}/${a.func}`;
}

/** A total order: domain, bus, slot, function. */
export function addrKey(a: PciAddress): number {
  return ((a.domain * 256 + a.bus) * 32 + a.slot) * 256 + a.func;
}

export function compareAddr(a: PciAddress, b: PciAddress): number {
  return addrKey(a) - addrKey(b);
}

export function sameAddr(a: PciAddress, b: PciAddress): boolean {
  return addrKey(a) === addrKey(b);
}

/** Same physical device (domain, bus, slot) — the functions of one card. */
export function sameDevice(a: PciAddress, b: PciAddress): boolean {
  return a.domain === b.domain && a.bus === b.bus && a.slot === b.slot;
}

/** Returns a reason when a field is out of range, otherwise null. */
export function rangeProblem(a: PciAddress): string | null {
  if (a.domain > LIMITS.domain) return `domain ${a.domain} is above ${LIMITS.domain}`;
  if (a.bus > LIMITS.bus) return `bus ${a.bus} is above ${LIMITS.bus}`;
  if (a.slot > LIMITS.slot) return `slot ${a.slot} is above ${LIMITS.slot}`;
  if (a.func > LIMITS.func) return `function ${a.func} is above ${LIMITS.func}`;
  return null;
}
