import { expect, test } from "bun:test";
import { boundCheck, bridgeCheck, listSome, msiCheck, siblingsCheck, syntaxCheck } from "../src/core/doctor/pptdevs.ts";
import type { HostModel } from "../src/core/model/model.ts";
import { MSIX, NO_MSI, cfgOf, dev, host, kv, line, loader, no, ok, pci, checkTable } from "./doctor-model.ts";

/**
 * The pptdevs checks case by case (issue 36): the loader lines, the bus and the running kernel's
 * environment as doctor may meet them. Statuses are asserted here, the whole lines by the snapshot.
 */
const table = checkTable;

const conf = (text: string, over: Partial<HostModel> = {}) => host({ loader: loader(`vmm_load="YES"\n${text}`), ...over });

test("listSome names four items, then counts the rest", () => {
  expect(listSome(["a", "b", "c", "d"])).toBe("a, b, c, d");
  expect(listSome(["a", "b", "c", "d", "e"])).toBe("a, b, c, d and 1 more");
  expect(listSome(["a", "b", "c"], 2)).toBe("a, b and 1 more");
  expect(listSome([])).toBe("");
});

table("pptdevs syntax", (m) => syntaxCheck(cfgOf(m), m.loaderUnknown), [
  ["nothing configured", conf(""), "skip"],
  ["one entry", conf('pptdevs="1/0/0"\n'), "pass"],
  ["three records", conf('pptdevs="1/0/0"\npptdevs2="2/0/0 2/0/1"\npptdevs3="3/0/0"\n'), "pass"],
  ["a loader file unreadable, nothing configured in the rest", conf("", { loaderUnknown: ["/boot/loader.conf.local (permission denied)"] }), "unknown"],
  ["a loader file unreadable beside one entry", conf('pptdevs="1/0/0"\n', { loaderUnknown: ["/boot/loader.conf.local (permission denied)"] }), "unknown"],
  ["a loader file unreadable beside two records", conf('pptdevs="1/0/0"\npptdevs2="2/0/0"\n', { loaderUnknown: ["/boot/loader.conf.local (permission denied)", "/boot/loader.conf.d (permission denied)"] }), "unknown"],
  ["an entry that is no B/S/F", conf('pptdevs="1/0/x"\n'), "fail"],
  ["a pptdevs line the loader refuses", conf('pptdevs="1/0/0 2/0/0" junk\n'), "fail"],
  ["a pptdevs value with $NAME", conf('pptdevs="$DEVS 1/0/0"\n'), "fail"],
  ["one pptdevs4 line", conf('pptdevs="1/0/0"\npptdevs4="4/0/0"\n'), "fail"],
  ["two lines the kernel never reads", conf('pptdevs4="4/0/0"\npptdevs5="5/0/0"\n'), "fail"],
  ["a bad value and a pptdevs4 line", conf('pptdevs="1/0/x"\npptdevs4="4/0/0"\n'), "fail"],
  ["hw.vmm.amdvi.enable with $NAME: only the line can be named", conf('hw.vmm.amdvi.enable="${X}"\n'), "fail"],
  ["pptdevs set twice", conf('pptdevs="1/0/0"\npptdevs="2/0/0"\n'), "warn"],
  ["one duplicate across records", conf('pptdevs="1/0/0"\npptdevs2="1/0/0"\n'), "warn"],
  ["set twice and a duplicate: both said", conf('pptdevs="1/0/0"\npptdevs="2/0/0"\npptdevs2="2/0/0"\n'), "warn"],
]);

const gpu = dev("ppt0", "1:0:0", { caps: [MSIX] });
const audio = dev("ppt1", "1:0:1", { cls: "0x040300", label: "GP107GL High Definition Audio" });
const bridge = (name: string, bsf: string, hdr = 1) => dev(name, bsf, { hdr, cls: "0x060400" });
const bound = (m: HostModel) => boundCheck(m, cfgOf(m));

table("ppt binding", bound, [
  ["no entries", conf(""), "skip"],
  ["no entries known: a loader file unreadable", conf("", { loaderUnknown: ["/boot/loader.conf.local (permission denied)"] }), "unknown"],
  ["entries known although a loader file is unreadable", conf('pptdevs="1/0/0"\n', { loaderUnknown: ["/boot/loader.conf.local (permission denied)"] }), "pass"],
  ["pciconf could not run", conf('pptdevs="1/0/0"\n', { pci: no("pciconf: not found") }), "unknown"],
  ["one entry attached", conf('pptdevs="1/0/0"\n'), "pass"],
  ["two entries attached", conf('pptdevs="1/0/0 1/0/1"\n', { pci: pci(gpu, audio), vmm: ok(kv({ "hw.vmm.ppt.devices": "2" })), kenv: ok(kv({ vmm_load: "YES", pptdevs: "1/0/0 1/0/1" })) }), "pass"],
  ["one attached beside a bridge", conf('pptdevs="1/0/0 0/1/0"\n', { pci: pci(gpu, bridge("pcib1", "0:1:0")) }), "pass"],
  ["two attached beside two bridges", conf('pptdevs="1/0/0 1/0/1 0/1/0 0/1/1"\n', { pci: pci(gpu, audio, bridge("pcib1", "0:1:0"), bridge("pcib2", "0:1:1", 0x81)), vmm: ok(kv({ "hw.vmm.ppt.devices": "2" })) }), "pass"],
  ["only a bridge", conf('pptdevs="0/1/0"\n', { pci: pci(bridge("pcib1", "0:1:0")), vmm: ok(kv({})) }), "skip"],
  ["only two bridges", conf('pptdevs="0/1/0 0/1/1"\n', { pci: pci(bridge("pcib1", "0:1:0"), bridge("pcib2", "0:1:1")), vmm: ok(kv({})) }), "skip"],
  ["hw.vmm.ppt.devices disagrees with pciconf", conf('pptdevs="1/0/0"\n', { vmm: ok(kv({ "hw.vmm.ppt.devices": "2" })) }), "warn"],
  ["two in pciconf, hw.vmm.ppt.devices says one", conf('pptdevs="1/0/0 1/0/1"\n', { pci: pci(gpu, audio), vmm: ok(kv({ "hw.vmm.ppt.devices": "1" })), kenv: ok(kv({ pptdevs: "1/0/0 1/0/1" })) }), "warn"],
  ["no hw.vmm sysctl tree to compare", conf('pptdevs="1/0/0"\n', { vmm: no("sysctl timed out") }), "pass"],
  ["still on its host driver although the kernel was given it", conf('pptdevs="1/0/0"\n', { pci: pci(dev("nvme0", "1:0:0")) }), "fail"],
  ["two on host drivers", conf('pptdevs="1/0/0 1/0/1"\n', { pci: pci(dev("vgapci0", "1:0:0"), dev("none0", "1:0:1")), kenv: ok(kv({ pptdevs: "1/0/0 1/0/1" })) }), "fail"],
  ["not on the bus", conf('pptdevs="1/0/0 7/0/0"\n'), "fail"],
  ["one on a host driver, one not on the bus", conf('pptdevs="1/0/0 7/0/0"\n', { pci: pci(dev("em0", "1:0:0")), kenv: ok(kv({ pptdevs: "1/0/0 7/0/0" })) }), "fail"],
  ["added since boot: not yet applied", conf('pptdevs="1/0/0 2/0/0"\n', { pci: pci(gpu, dev("em0", "2:0:0")) }), "warn"],
  ["added since boot, no driver", conf('pptdevs="2/0/0"\n', { pci: pci(dev("none0", "2:0:0")) }), "warn"],
  ["added since boot and not on the bus: pending says nothing of a device that is not there", conf('pptdevs="1/0/0 7/0/0"\n', { kenv: ok(kv({ pptdevs: "1/0/0" })) }), "fail"],
  ["kenv unreadable: a host driver is a fault", conf('pptdevs="2/0/0"\n', { pci: pci(dev("em0", "2:0:0")), kenv: no("kenv: not found") }), "fail"],
  ["released at run time, one", conf('pptdevs="2/0/0"\n', { pci: pci(dev("em0", "2:0:0")), kenv: ok(kv({ "pptctl.released": "2/0/0" })) }), "warn"],
  ["released at run time, two, one of them without a driver", conf('pptdevs="2/0/0 2/0/1"\n', { pci: pci(dev("em0", "2:0:0"), dev("none0", "2:0:1")), kenv: ok(kv({ "pptctl.released": "2/0/0 2/0/1" })) }), "warn"],
  ["released, but ppt holds it again", conf('pptdevs="1/0/0"\n', { kenv: ok(kv({ pptdevs: "1/0/0", "pptctl.released": "1/0/0" })) }), "pass"],
  ["six on host drivers: four named, two counted", conf('pptdevs="2/0/0 2/0/1 2/0/2 2/0/3 2/0/4 2/0/5"\n', { pci: pci(...[0, 1, 2, 3, 4, 5].map((f) => dev(`em${f}`, `2:0:${f}`))), kenv: ok(kv({ pptdevs: "2/0/0 2/0/1 2/0/2 2/0/3 2/0/4 2/0/5" })) }), "fail"],
]);

const withCaps = dev("em0", "3:0:0", { caps: [MSIX] });
table("MSI/MSI-X", msiCheck, [
  ["pciconf could not run", host({ pci: no("pciconf: not found") }), "unknown"],
  ["no ppt devices", host({ pci: pci(dev("em0", "1:0:0")) }), "skip"],
  ["MSI and MSI-X", host({ pci: pci(gpu, audio) }), "pass"],
  ["one without any capability list", host({ pci: pci(dev("ppt0", "1:0:0", { caps: [] }), withCaps) }), "fail"],
  ["two without any capability list", host({ pci: pci(dev("ppt0", "1:0:0", { caps: [] }), dev("ppt1", "1:0:1", { caps: [] }), withCaps) }), "fail"],
  ["no list beats a wedged one", host({ pci: pci(dev("ppt0", "1:0:0", { caps: [] }), dev("ppt1", "2:0:0", { vendor: 0xffff }), withCaps) }), "fail"],
  ["a wedged device", host({ pci: pci(dev("ppt1", "2:0:0", { vendor: 0xffff, caps: [] }), withCaps) }), "warn"],
  ["wedged beats INTx", host({ pci: pci(dev("ppt0", "1:0:0", { caps: [NO_MSI] }), dev("ppt1", "2:0:0", { vendor: 0xffff })) }), "warn"],
  ["one with INTx only", host({ pci: pci(dev("ppt0", "1:0:0", { caps: [NO_MSI] }), gpu) }), "warn"],
  ["two with INTx only", host({ pci: pci(dev("ppt0", "1:0:0", { caps: [NO_MSI] }), dev("ppt1", "1:0:1", { caps: [NO_MSI] })) }), "warn"],
  ["a listing made without -c", host({ pci: pci(dev("ppt0", "1:0:0", { caps: [] })) }), "unknown"],
]);

const bridges = (m: HostModel) => bridgeCheck(m, cfgOf(m));
table("bridges", bridges, [
  ["no entries", conf(""), "skip"],
  ["no entries known", conf("", { loaderUnknown: ["/boot/loader.conf.local (permission denied)"] }), "unknown"],
  ["pciconf could not run", conf('pptdevs="1/0/0"\n', { pci: no("pciconf: not found") }), "unknown"],
  ["no bridge, and an entry not on the bus", conf('pptdevs="1/0/0 7/0/0"\n'), "pass"],
  ["a bridge", conf('pptdevs="0/1/0"\n', { pci: pci(bridge("pcib1", "0:1:0")) }), "fail"],
  ["two bridges, one multi-function", conf('pptdevs="0/1/0 0/1/1 1/0/0"\n', { pci: pci(gpu, bridge("pcib1", "0:1:0"), bridge("pcib2", "0:1:1", 0x81)) }), "fail"],
  ["a multi-function endpoint is no bridge", conf('pptdevs="1/0/0"\n', { pci: pci(dev("ppt0", "1:0:0", { hdr: 0x80 })) }), "pass"],
  // The chipset's own functions have type 0 headers, so ppt claims them: plan and attach refuse them.
  ["the host bridge on ppt", conf('pptdevs="0/0/0"\n', { pci: pci(dev("ppt0", "0:0:0", { cls: "0x060000", vendor: 0x8086 })) }), "fail"],
  ["the SMBus and the LPC bridge, still on their drivers", conf('pptdevs="0/31/0 0/31/4"\n', { pci: pci(dev("isab0", "0:31:0", { cls: "0x060100" }), dev("ichsmb0", "0:31:4", { cls: "0x0c0500" })) }), "fail"],
]);
test("bridges: the platform's own functions, each with why, and the command that takes them out", () => {
  const text = (m: HostModel) => {
    const c = bridges(m);
    return `${c.summary} | ${c.fix}`;
  };
  expect(text(conf('pptdevs="0/0/0"\n', { pci: pci(dev("ppt0", "0:0:0", { cls: "0x060000", vendor: 0x8086 })) }))).toBe(
    "0/0/0 is the host bridge (ppt0): the host bridge is the CPU's own root complex, not a device to give away | give it back to the host for good with 'pptctl release 0/0/0 --persist'",
  );
  expect(text(conf('pptdevs="0/31/0 0/31/4"\n', { pci: pci(dev("isab0", "0:31:0", { cls: "0x060100" }), dev("ichsmb0", "0:31:4", { cls: "0x0c0500" })) }))).toBe(
    "0/31/0 is the ISA/LPC bridge (isab0): the ISA/LPC bridge carries the host's legacy devices (timers, keyboard controller, TPM); 0/31/4 is the SMBus (ichsmb0): the SMBus controller is the chipset's sensor and memory-SPD bus | take them out of pptdevs with 'pptctl plan --remove 0/31/0 --remove 0/31/4 --write'",
  );
  // release --persist also takes a device not on ppt out of loader.conf, so one command serves both.
  const fixOf = (conf_: string, ...blocks: string[]) => bridges(conf(conf_, { pci: pci(...blocks) })).fix;
  expect(fixOf('pptdevs="0/31/0 0/31/4"\n', dev("ppt0", "0:31:0", { cls: "0x060100" }), dev("ichsmb0", "0:31:4", { cls: "0x0c0500" }))).toBe("give them back to the host for good with 'pptctl release 0/31/0 0/31/4 --persist'");
  expect(fixOf('pptdevs="0/31/4"\n', dev("ichsmb0", "0:31:4", { cls: "0x0c0500" }))).toBe("take it out of pptdevs with 'pptctl plan --remove 0/31/4 --write'");
});
test("bridges: a bridge and a platform function in one pptdevs are named in one run, each with its command", () => {
  const c = bridges(conf('pptdevs="0/1/0 0/31/4 1/0/0"\n', { pci: pci(gpu, bridge("pcib1", "0:1:0"), dev("ichsmb0", "0:31:4", { cls: "0x0c0500" })) }));
  expect(c.status).toBe("fail");
  expect(`${c.summary} | ${c.fix}`).toBe(
    "0/1/0 is a bridge (pcib1, header type 0x01): ppt never claims bridges; 0/31/4 is the SMBus (ichsmb0): the SMBus controller is the chipset's sensor and memory-SPD bus | take them out of pptdevs with 'pptctl plan --remove 0/1/0 --remove 0/31/4 --write', and reserve the devices behind the bridge instead",
  );
  const two = bridges(conf('pptdevs="0/1/0 0/1/1 0/31/4"\n', { pci: pci(bridge("pcib1", "0:1:0"), bridge("pcib2", "0:1:1", 0x81), dev("ichsmb0", "0:31:4", { cls: "0x0c0500" })) }));
  expect(two.fix).toBe("take them out of pptdevs with 'pptctl plan --remove 0/1/0 --remove 0/1/1 --remove 0/31/4 --write', and reserve the devices behind the bridges instead");
  // The function on ppt goes back with release, which also takes it out of loader.conf.
  const onPpt = bridges(conf('pptdevs="0/1/0 0/31/4"\n', { pci: pci(bridge("pcib1", "0:1:0"), dev("ppt0", "0:31:4", { cls: "0x0c0500" })) }));
  expect(onPpt.fix).toBe("take it out of pptdevs with 'pptctl plan --remove 0/1/0 --write', and reserve the devices behind it instead; give it back to the host for good with 'pptctl release 0/31/4 --persist'");
});

const siblings = (m: HostModel) => siblingsCheck(m, cfgOf(m));
table("functions", siblings, [
  ["no entries", conf(""), "skip"],
  ["no entries known", conf("", { loaderUnknown: ["/boot/loader.conf.local (permission denied)"] }), "unknown"],
  ["pciconf could not run", conf('pptdevs="1/0/0"\n', { pci: no("pciconf: not found") }), "unknown"],
  ["the whole card", conf('pptdevs="1/0/0 1/0/1"\n', { pci: pci(gpu, audio) }), "pass"],
  ["the audio function left on the host", conf('pptdevs="1/0/0"\n', { pci: pci(gpu, dev("hdac0", "1:0:1")) }), "warn"],
  ["two functions left, one without a driver", conf('pptdevs="1/0/0"\n', { pci: pci(gpu, dev("hdac0", "1:0:1"), dev("none0", "1:0:2")) }), "warn"],
  ["functions on bus 0 are separate chipset devices", conf('pptdevs="0/20/0"\n', { pci: pci(dev("ppt0", "0:20:0"), dev("ichsmb0", "0:20:3")) }), "pass"],
]);
