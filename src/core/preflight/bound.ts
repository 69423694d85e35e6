import { eligibility } from "../inventory.ts";
import type { HostModel } from "../model/model.ts";
import { ARM64_NO_PASSTHROUGH, isArm64 } from "../model/virt.ts";
import { formatBhyve, sameAddr } from "../pci/address.ts";
import { capsListed } from "../pci/device.ts";
import type { PassthruEntry } from "../vm/passthru-entry.ts";

/**
 * `args --check`: why bhyve could not take each entry now. A device bhyve refuses whatever its
 * driver (no capability list, a bridge ppt never claims) gets that reason, not advice to attach
 * it; on arm64 nothing can be attached.
 */
export function boundProblems(m: HostModel, entries: readonly PassthruEntry[]): string[] {
  if (!m.pci.ok) return [`cannot check devices: ${m.pci.reason}`];
  if (isArm64(m)) return [`no entry can be passed through: ${ARM64_NO_PASSTHROUGH}`];
  const devices = m.pci.value.devices;
  const listed = capsListed(devices);
  return entries.flatMap((e) => {
    const d = devices.find((x) => sameAddr(x.addr, e.addr));
    const b = formatBhyve(e.addr);
    if (!d) return [`${b} is not on the PCI bus; check the address with 'pptctl list --all'`];
    const can = eligibility(d, listed);
    if (can.ok === false) return [`${b} cannot be passed through: ${can.reason ?? can.text}; pass another device`];
    if (d.driver === "ppt") return [];
    return [`${b} is ${d.driver === "none" ? "not attached to any driver" : `attached to ${d.name}`}, not ppt: move it and keep it there with 'pptctl attach ${b} --persist'`];
  });
}
