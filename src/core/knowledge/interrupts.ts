/**
 * How a passed-through device gets its interrupts to the guest. bhyve reads the device's
 * capability list (usr.sbin/bhyve/pci_passthru.c cfginitmsi): MSI and MSI-X are passed on; a
 * device with a capability list but neither gets an emulated one-message MSI capability
 * (LEGACY_SUPPORT, passthru_add_msicap), and vmm then delivers the device's legacy interrupt
 * line to the guest (sys/amd64/vmm/io/ppt.c ppt_setup_msi: no MSI on the device, so rid 0,
 * shareable). Only a device with no capability list at all is refused ("failed to initialize MSI
 * for PCI B/S/F"). https://github.com/freebsd/freebsd-src/blob/main/usr.sbin/bhyve/pci_passthru.c
 * https://github.com/freebsd/freebsd-src/blob/main/sys/amd64/vmm/io/ppt.c
 */
import type { PciDevice } from "../pci/device.ts";

export type Interrupts = "msix" | "msi" | "intx" | "none" | "unknown";

/** `listed`: the listing was made with pciconf -c (capsListed). */
export function interruptsOf(d: PciDevice, listed: boolean): Interrupts {
  if (d.msix) return "msix";
  if (d.msi) return "msi";
  if (d.hasCapInfo) return "intx";
  return listed ? "none" : "unknown";
}

/** What an INTx-only device means for a guest, after the name of one device (or of `count`). */
export function intxWords(count = 1): string {
  return `${count === 1 ? "has" : "have"} neither MSI nor MSI-X: bhyve gives the guest an emulated one-message MSI capability and vmm delivers the device's legacy interrupt line (INTx, which it may share with host devices) to it, so it works with one interrupt and no more`;
}

export const NO_CAPS_WORDS = "has no PCI capability list at all, so bhyve cannot offer the guest an MSI capability for it and refuses it ('failed to initialize MSI')";
