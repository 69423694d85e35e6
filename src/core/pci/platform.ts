import type { PciDevice } from "./device.ts";

/**
 * Platform functions that are never passthrough candidates, by class code, with the reason an
 * admin needs. The host bridge and LPC/ISA bridge are the chipset itself (type-0 headers, so the
 * bridge rule misses them); the SMBus controller is the chipset's sensor/SPD bus; the IOMMU is
 * what isolates passthrough devices (PCI Code and ID Assignment spec, base class 06/0C/08).
 */
const PLATFORM: Record<number, readonly [string, string]> = {
  0x0600: ["host bridge", "the host bridge is the CPU's own root complex, not a device to give away"],
  0x0601: ["ISA/LPC bridge", "the ISA/LPC bridge carries the host's legacy devices (timers, keyboard controller, TPM)"],
  0x0c05: ["SMBus", "the SMBus controller is the chipset's sensor and memory-SPD bus"],
  0x0806: ["IOMMU", "this is the IOMMU itself: the host needs it to isolate passthrough devices"],
};

/** [what it is, why it stays with the host], or null for a device that is not the platform's own. */
export function platformFunction(d: PciDevice): readonly [string, string] | null {
  return d.classCode === null ? null : (PLATFORM[(d.classCode >> 8) & 0xffff] ?? null);
}
