import { type PciAddress, addrKey } from "../pci/address.ts";
import { parsePassthruEntry } from "./passthru-entry.ts";
import type { VmConfig, VmInventory } from "./configs.ts";
import { type VmState, vmState } from "./instances.ts";

export interface VmUse {
  readonly vm: string;
  readonly config: VmConfig;
  /** What runs the VM now (instances.ts). */
  readonly state: VmState;
}

export interface DeviceUses {
  readonly addr: PciAddress;
  readonly uses: readonly VmUse[];
}

export interface Assignments {
  readonly byDevice: ReadonlyMap<number, DeviceUses>;
  /** Entries in VM configs that are not device addresses. */
  readonly badEntries: readonly { vm: string; path: string; problem: string }[];
}

/** Which VM configs name which devices. */
export function assignmentsOf(inv: VmInventory): Assignments {
  const byDevice = new Map<number, { addr: PciAddress; uses: VmUse[] }>();
  const badEntries: { vm: string; path: string; problem: string }[] = [];
  for (const config of inv.configs) {
    for (const text of config.entries) {
      const e = parsePassthruEntry(text, inv.pptNames);
      if ("error" in e) {
        badEntries.push({ vm: config.vm, path: config.path, problem: e.error });
        continue;
      }
      const key = addrKey(e.addr);
      const slot = byDevice.get(key) ?? { addr: e.addr, uses: [] };
      if (!slot.uses.some((u) => u.vm === config.vm)) slot.uses.push({ vm: config.vm, config, state: vmState(inv, config.vm) });
      byDevice.set(key, slot);
    }
  }
  return { byDevice, badEntries };
}
