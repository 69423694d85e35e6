import { expect, test } from "bun:test";
import { quirksCheck, resetCheck } from "../src/core/doctor/knowledge.ts";
import type { HostModel } from "../src/core/model/model.ts";
import type { VmConfig } from "../src/core/vm/configs.ts";
import { cfgOf, dev, host, loader, no, pci, checkTable } from "./doctor-model.ts";

/**
 * The reset and quirks checks case by case (issue 36): what the listing says of each reserved
 * device, and where the VM configs put an Intel IGD. Statuses here, whole lines in the snapshot.
 */
const table = checkTable;

const FLR = "    cap 10[ac] = PCI-Express 2 endpoint max data 128(256) FLR RO NS";
const PM = "    cap 01[60] = powerspec 3  supports D0 D3  current D0";
const PM_D0 = "    cap 01[60] = powerspec 2  supports D0  current D0";
const MSI = "    cap 05[68] = MSI supports 1 message, 64 bit";

const on = (text: string, ...blocks: string[]) => host({ loader: loader(`vmm_load="YES"\n${text}`), pci: pci(...blocks) });
const reset = (m: HostModel) => resetCheck(m, cfgOf(m));
const quirks = (m: HostModel) => quirksCheck(m, cfgOf(m));

table("reset", reset, [
  ["pciconf unreadable", host({ pci: no("pciconf: permission denied") }), "unknown"],
  ["nothing reserved", on("", dev("vgapci0", "1:0:0", { caps: [FLR, MSI] })), "skip"],
  ["reserved but not on the bus", on('pptdevs="9/0/0"\n', dev("vgapci0", "1:0:0", { caps: [FLR, MSI] })), "skip"],
  ["listing without capability lines", on('pptdevs="1/0/0"\n', dev("ppt0", "1:0:0", { caps: [] })), "unknown"],
  ["one FLR", on('pptdevs="1/0/0"\n', dev("ppt0", "1:0:0", { caps: [FLR, MSI] })), "pass"],
  ["one FLR, one D3", on('pptdevs="1/0/0 2/0/0"\n', dev("ppt0", "1:0:0", { caps: [FLR, MSI] }), dev("ppt1", "2:0:0", { caps: [PM, MSI] })), "pass"],
  ["on ppt without a pptdevs entry counts too", on("", dev("ppt0", "1:0:0", { caps: [MSI] })), "warn"],
  ["reserved and still on its driver counts too", on('pptdevs="1/0/0"\n', dev("vgapci0", "1:0:0", { caps: [MSI] })), "warn"],
  ["one with neither", on('pptdevs="1/0/0 2/0/0"\n', dev("ppt0", "1:0:0", { caps: [FLR, MSI] }), dev("ppt1", "2:0:0", { caps: [PM_D0, MSI] })), "warn"],
  ["two with neither", on('pptdevs="1/0/0 2/0/0"\n', dev("ppt0", "1:0:0", { caps: [MSI] }), dev("ppt1", "2:0:0", { caps: [MSI] })), "warn"],
  ["a device not reserved is not judged", on('pptdevs="1/0/0"\n', dev("ppt0", "1:0:0", { caps: [FLR, MSI] }), dev("em0", "2:0:0", { caps: [MSI] })), "pass"],
  // ppt never claims a bridge, so no guest gets it: the bridges check names it, not this one.
  ["a bridge in pptdevs is not judged", on('pptdevs="0/28/0"\n', dev("pcib1", "0:28:0", { hdr: 1, cls: "0x060400", caps: [MSI] })), "skip"],
  ["a bridge beside a device that resets", on('pptdevs="0/28/0 1/0/0"\n', dev("pcib1", "0:28:0", { hdr: 1, cls: "0x060400", caps: [MSI] }), dev("ppt0", "1:0:0", { caps: [FLR, MSI] })), "pass"],
]);

/** Intel integrated graphics at 0/2/0, the one device bhyve's GVT-d passes. */
const IGD = dev("ppt0", "0:2:0", { vendor: 0x8086, cls: "0x030000", caps: [PM, MSI], label: "UHD Graphics 630" });
const AMD_GPU = dev("ppt1", "3:0:0", { vendor: 0x1002, cls: "0x030000", caps: [PM, MSI], label: "Navi 10" });

function vm(name: string, entries: string[], manager: "vm-bhyve" | "hoster" = "vm-bhyve"): VmConfig {
  return { vm: name, manager, path: `/vm/${name}/${name}.conf`, layout: manager, entries, memory: null, missing: null, guest: null, firmware: null, hoster: null };
}
const withVms = (m: HostModel, ...configs: VmConfig[]) => ({ ...m, vms: { ...m.vms, configs } });
const igdHost = on('pptdevs="0/2/0"\n', IGD);

table("quirks", quirks, [
  ["pciconf unreadable", host({ pci: no("pciconf: permission denied") }), "unknown"],
  ["nothing reserved", on("", dev("vgapci0", "1:0:0")), "skip"],
  ["a device nothing is known of", on('pptdevs="1/0/0"\n', dev("ppt0", "1:0:0", { caps: [FLR, MSI] })), "pass"],
  ["a bridge in pptdevs is not judged", on('pptdevs="0/28/0"\n', dev("pcib1", "0:28:0", { hdr: 1, cls: "0x060400", caps: [MSI] })), "skip"],
  ["an AMD GPU without FLR", on('pptdevs="3/0/0"\n', AMD_GPU), "warn"],
  ["an IGD in no VM config: a note", igdHost, "pass"],
  ["an IGD pinned at slot 2", withVms(igdHost, vm("desk", ["0/2/0=2:0"])), "pass"],
  ["an IGD at the first free slot in vm-bhyve", withVms(igdHost, vm("desk", ["0/2/0"])), "warn"],
  ["an IGD under Hoster", withVms(igdHost, vm("desk", ["0/2/0"], "hoster")), "warn"],
  ["an IGD in two VMs, one pinned", withVms(igdHost, vm("desk", ["0/2/0=2:0"]), vm("lab", ["0/2/0"])), "warn"],
  ["an IGD in a config with a broken entry: cannot tell, so no warning", withVms(igdHost, vm("desk", ["0/2/0", "9/9"])), "pass"],
  ["an IGD and a config of another device", withVms(igdHost, vm("desk", ["1/0/0"])), "pass"],
  ["an IGD in a config whose pins clash: cannot tell", withVms(igdHost, vm("desk", ["0/2/0=2:0", "1/0/0=2:0"])), "pass"],
  ["an IGD and an AMD GPU: the risk is said, one fix each", withVms(on('pptdevs="0/2/0 3/0/0"\n', IGD, AMD_GPU), vm("desk", ["0/2/0"]), vm("lab", ["0/2/0"])), "warn"],
]);

test("one piece of advice per quirk, however many devices or VMs hit it", () => {
  const c = quirks(withVms(igdHost, vm("desk", ["0/2/0"]), vm("lab", ["0/2/0"])));
  expect(c.fix!.match(/GVT-d/g)).toHaveLength(1);
  expect(c.summary).toContain("in desk");
  expect(c.summary).toContain("in lab");
});
