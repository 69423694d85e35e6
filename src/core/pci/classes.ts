/**
 * Names for PCI base classes and common subclasses, used when pciconf ran without -v.
 * Spelled as FreeBSD's pciconf prints them so the table looks the same either way.
 */
// Built on first use: with -v, pciconf prints the names itself and the tables are never read
// (40 µs of module start-up in an instrumented `list` run).
let tables: { base: Record<number, string>; sub: Record<number, string> } | null = null;

function classTables(): { base: Record<number, string>; sub: Record<number, string> } {
  tables ??= { base: baseNames(), sub: subNames() };
  return tables;
}

function baseNames(): Record<number, string> {
  return {
    0x00: "old",
    0x01: "mass storage",
    0x02: "network",
    0x03: "display",
    0x04: "multimedia",
    0x05: "memory",
    0x06: "bridge",
    0x07: "simple comms",
    0x08: "base peripheral",
    0x09: "input device",
    0x0a: "docking station",
    0x0b: "processor",
    0x0c: "serial bus",
    0x0d: "wireless",
    0x0e: "intelligent I/O",
    0x0f: "satellite communication",
    0x10: "encrypt/decrypt",
    0x11: "dasp",
    0x12: "processing accelerators",
    0x13: "non-essential instrumentation",
  };
}

function subNames(): Record<number, string> {
  return {
    0x0100: "SCSI",
    0x0101: "ATA",
    0x0104: "RAID",
    0x0106: "SATA",
    0x0107: "SAS",
    0x0108: "NVM",
    0x0200: "ethernet",
    0x0280: "network",
    0x0300: "VGA",
    0x0302: "3D",
    0x0401: "audio",
    0x0403: "HDA",
    0x0600: "HOST-PCI",
    0x0601: "PCI-ISA",
    0x0604: "PCI-PCI",
    0x0c03: "USB",
    0x0c05: "SMBus",
  };
}

export function baseClassName(code: number): string | null {
  return classTables().base[(code >> 16) & 0xff] ?? null;
}

export function subClassName(code: number): string | null {
  return classTables().sub[(code >> 8) & 0xffff] ?? null;
}
