import type { HostModel } from "./model.ts";
import { type PciAddress, addrKey, sameAddr } from "../pci/address.ts";
import { type PciDevice, baseClass } from "../pci/device.ts";
import { describe } from "../pci/selector.ts";

/**
 * Devices whose loss can take the host down or off the network: a storage controller (it may
 * hold the root pool), the NIC of the default route, and — when `display` — the host's only
 * display device. plan and attach refuse them without --force. Pure.
 */
export function dangersOf(m: HostModel, devices: readonly PciDevice[], taken: readonly PciAddress[], opts: { display: boolean; when: string }): string[] {
  const dangers: string[] = [];
  const route = m.defaultRouteInterface.ok ? m.defaultRouteInterface.value : null;
  for (const a of taken) {
    const d = devices.find((x) => sameAddr(x.addr, a));
    if (!d) continue;
    if (baseClass(d) === 0x01) dangers.push(`${describe(d)} is a storage controller: if the host boots from it, it will not come back`);
    if (route !== null && d.name === route) dangers.push(`${describe(d)} carries the default route: the host loses its network ${opts.when}`);
  }
  if (opts.display) {
    const displays = devices.filter((d) => baseClass(d) === 0x03 && d.driver !== "ppt");
    const keys = new Set(taken.map(addrKey));
    if (displays.length > 0 && displays.every((d) => keys.has(addrKey(d.addr)))) {
      dangers.push(`${displays.map(describe).join(", ")} ${displays.length === 1 ? "is" : "are"} the host's only display device: the local console goes away ${opts.when}`);
    }
  }
  return dangers;
}
