import type { PciDevice } from "../pci/device.ts";

/**
 * How ppt resets a device when it is attached and detached (ppt_pci_reset() in
 * sys/amd64/vmm/io/ppt.c): a PCIe Function Level Reset via pcie_flr() when the PCI-Express
 * capability's Device Capabilities advertise FLR, otherwise pci_power_reset() — D3hot, then D0 —
 * which needs the power-management capability (pciconf's `powerspec … supports … D3`).
 * `cap 13 = PCI Advanced Features: FLR` is not used by pcie_flr(), so it does not count.
 * https://github.com/freebsd/freebsd-src/blob/main/sys/amd64/vmm/io/ppt.c (ppt_pci_reset)
 * https://github.com/freebsd/freebsd-src/blob/main/sys/dev/pci/pci.c (pcie_flr, pci_power_reset)
 */
export type ResetMethod = "flr" | "power" | "none" | "unknown";

export function resetMethod(d: PciDevice, capsListed: boolean): ResetMethod {
  if (!d.hasCapInfo && !capsListed) return "unknown";
  if (d.pcie?.flr) return "flr";
  if (d.caps.some((c) => c.kind === "cap" && c.text.startsWith("powerspec") && /\bD3\b/.test(c.text))) return "power";
  return "none";
}

export const RESET_TEXT: Record<ResetMethod, string> = {
  flr: "FLR",
  power: "D3→D0",
  none: "none",
  unknown: "?",
};
