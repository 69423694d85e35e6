import { describe, expect, test } from "bun:test";
import { preflight } from "../src/core/preflight/checks.ts";
import { parseMemSize } from "../src/core/preflight/memory.ts";
import { type VmSpec, specOfConfig } from "../src/core/preflight/spec.ts";
import type { HostModel } from "../src/core/model/model.ts";
import type { StatResult } from "../src/core/snapshot.ts";
import type { VmConfig, VmInventory } from "../src/core/vm/configs.ts";
import { vmProcesses } from "../src/core/vm/instances.ts";
import { parsePassthruEntry } from "../src/core/vm/passthru-entry.ts";
import { addr } from "../src/core/pci/address.ts";
import { dev, host, line, loader, no, ok, pci } from "./doctor-model.ts";

/**
 * doctor --vm's checks case by case (issue 36): one VM's config, devices, card, ppt, holders,
 * instance, ROM, memory and reset, each against the host states that decide it. The snapshot
 * holds the checks' whole lines; the statuses an admin acts on are asserted beside them.
 */
const FLR = "    cap 10[ac] = PCI-Express 2 endpoint max data 128(256) FLR RO NS";
const PM = "    cap 01[60] = powerspec 3  supports D0 D3  current D0";
const MSI = "    cap 05[68] = MSI supports 1 message, 64 bit";
const MSIX = "    cap 11[70] = MSI-X supports 4 messages";

const GPU = dev("ppt0", "1:0:0", { caps: [FLR, MSI] });
const AUDIO = dev("ppt1", "1:0:1", { cls: "0x040300", caps: [PM, MSI] });
const NIC = dev("ppt2", "2:0:0", { vendor: 0x8086, cls: "0x020000", caps: [FLR, MSIX] });
/** QLogic Fibre Channel functions, which go to a guest together (quirk qlogic-fc-functions). */
const QL = (f: number, bsf = `5:0:${f}`) => dev(`ppt${10 + f}`, bsf, { vendor: 0x1077, cls: "0x0c0400", caps: [FLR, MSIX] });
/** 32 GiB the host lets users wire, none wired yet. */
const WIRING = ok({ maxPages: 1 << 23, wiredPages: 0, pageSize: 4096 });
const BASE = { pci: pci(GPU, AUDIO, NIC), loader: loader('vmm_load="YES"\npptdevs="1/0/0 1/0/1 2/0/0"\n'), wiring: WIRING };
const M = host(BASE);

function spec(entries: string[], over: Partial<VmSpec> = {}): VmSpec {
  const devices = entries.map((text) => {
    const e = parsePassthruEntry(text, new Map());
    if ("error" in e) throw new Error(e.error);
    return { addr: e.addr, text, entry: e, guest: e.pin, rom: e.options.find((o) => o.startsWith("rom="))?.slice(4) ?? null };
  });
  return { vm: "desk", manager: "vm-bhyve", path: "/vm/desk/desk.conf", problem: null, devices, memory: "8G", wired: { ok: true, how: "vm-bhyve adds -S when passthru0 is set" }, hoster: null, config: null, missing: [], guest: null, firmware: null, ...over };
}

function vm(name: string, entries: string[]): VmConfig {
  return { vm: name, manager: "vm-bhyve", path: `/vm/${name}/${name}.conf`, layout: "vm-bhyve", entries, memory: "8G", missing: [], guest: null, firmware: null, hoster: null };
}
const withVms = (m: HostModel, over: Partial<VmInventory>): HostModel => ({ ...m, vms: { ...m.vms, ...over } });
const ps = (...lines: string[]) => vmProcesses(lines.join("\n"));
const DESK = vm("desk", ["1/0/0", "1/0/1"]);

type Row = readonly [name: string, m: HostModel, s: VmSpec, roms?: [string, StatResult][]];
const WHOLE = spec(["1/0/0", "1/0/1"]);

const ROWS: readonly Row[] = [
  // the config itself
  ["config root cannot read", M, spec([], { problem: "cannot read: permission denied" })],
  ["config denied even to root", M, spec([], { problem: "permission denied, even to root (a read-only mount, or an ACL)" })],
  ["config denied to a user", M, spec([], { problem: "permission denied (run as root)" })],
  ["config missing from a recording", M, spec([], { problem: "not in the recording" })],
  ["config over the bound pptctl reads", M, spec([], { problem: "is 5000000 bytes, over the 4194304 bytes pptctl reads of one file; not read" })],
  ["config claimed twice", M, spec([], { problem: "configs in /vm/a.conf and /vm/b.conf both claim it" })],
  ["config not a file", M, spec([], { problem: "is a directory" })],
  ["config misread, a name with a blank", M, spec([], { vm: "my desk", problem: "passthru entry '1/0': not a device address" })],
  ["vm-bhyve settings missing", M, spec(["2/0/0"], { missing: ["cpu", "memory"] })],
  ["no passthru devices", M, spec([])],
  ["pciconf unreadable", host({ ...BASE, pci: no("pciconf: permission denied") }), spec(["2/0/0"])],
  // the devices
  ["all in order", M, WHOLE],
  ["a device not on the bus", M, spec(["9/0/0"])],
  ["a bridge", host({ ...BASE, pci: pci(GPU, AUDIO, NIC, dev("pcib3", "3:0:0", { hdr: 1, cls: "0x060400" })) }), spec(["3/0/0"])],
  ["a device with no capability list", host({ ...BASE, pci: pci(GPU, dev("ppt4", "4:0:0", { caps: [] })) }), spec(["4/0/0"])],
  ["a device with INTx only", host({ ...BASE, pci: pci(GPU, dev("ppt4", "4:0:0", { caps: [PM] })) }), spec(["4/0/0"])],
  ["a device in domain 1", host({ ...BASE, pci: pci(GPU, dev("ppt4", "4:0:0").replace("@pci0:", "@pci1:")) }), spec([], { devices: [{ addr: addr(4, 0, 0, 1), text: "pci.0.6.0", entry: null, guest: null, rom: null }] })],
  ["two devices with INTx only", host({ ...BASE, pci: pci(GPU, dev("ppt4", "4:0:0", { caps: [PM] }), dev("ppt5", "5:0:0", { caps: [PM] })) }), spec(["4/0/0", "5/0/0"])],
  // the card
  ["a GPU without its audio", M, spec(["1/0/0"])],
  ["a GPU and its audio on bus 0: chipset functions, not a card", host({ ...BASE, pci: pci(dev("ppt6", "0:3:0", { caps: [FLR, MSI] }), dev("ppt7", "0:3:1", { cls: "0x040300", caps: [PM, MSI] })) }), spec(["0/3/0"])],
  ["QLogic FC functions on bus 0: chipset functions, not a card", host({ ...BASE, pci: pci(QL(0, "0:5:0"), QL(1, "0:5:1")) }), spec(["0/5/0"])],
  ["one QLogic FC function of three, bhyve -k file: both others in one fix", host({ ...BASE, pci: pci(QL(0), QL(1), QL(2)) }), spec(["5/0/0"], { manager: "bhyve-config", vm: "/vm/fc.conf", path: "/vm/fc.conf" })],
  ["a QLogic FC function not on the bus, function 0 on it", host({ ...BASE, pci: pci(GPU, QL(0)) }), spec(["5/0/1"])],
  ["two QLogic FC functions of three: the third named once", host({ ...BASE, pci: pci(QL(0), QL(1), QL(2)) }), spec(["5/0/0", "5/0/1"])],
  ["one QLogic FC function of three: both others in one fix", host({ ...BASE, pci: pci(QL(0), QL(1), QL(2)) }), spec(["5/0/0"])],
  ["a QLogic FC function listed twice, one left out: said once", host({ ...BASE, pci: pci(QL(0), QL(1)) }), spec(["5/0/0", "5/0/0"])],
  ["a GPU without its audio, bhyve -k file", M, spec(["1/0/0"], { manager: "bhyve-config", vm: "/vm/my desk.conf", path: "/vm/my desk.conf" })],
  // ppt
  ["a device on its host driver and one without a driver", host({ ...BASE, pci: pci(dev("vgapci0", "1:0:0", { caps: [FLR, MSI] }), dev("none1", "1:0:1", { cls: "0x040300", caps: [PM, MSI] })) }), WHOLE],
  ["on ppt but not in pptdevs", host({ ...BASE, loader: loader('pptdevs="1/0/0"\n') }), WHOLE],
  ["one on ppt but not in pptdevs, on its own slot", host({ ...BASE, loader: loader('pptdevs="1/0/0"\n') }), spec(["1/0/0", "-1/0/1"])],
  // holders and the VM's own instance
  ["another VM runs with the device", withVms(M, { configs: [DESK, vm("lab", ["1/0/0"])], instances: ["lab"], processes: ps("4242 bhyve: lab") }), WHOLE],
  ["another VM's config names the device", withVms(M, { configs: [DESK, vm("lab", ["1/0/0"]), vm("old", ["1/0/1"])], instances: [], processes: [] }), WHOLE],
  ["a running VM no config describes may hold the devices", withVms(M, { configs: [DESK], instances: ["ghost"], processes: ps("4242 bhyve: ghost") }), WHOLE],
  ["/dev/vmm unreadable", withVms(M, { configs: [DESK], instances: null, processes: [] }), WHOLE],
  ["running now", withVms(M, { configs: [DESK], instances: ["desk"], processes: ps("4242 bhyve: desk") }), WHOLE],
  ["starting now", withVms(M, { configs: [DESK], instances: ["desk"], processes: ps("70 /bin/sh /usr/local/sbin/vm _run desk", "77 bhyveload -m 8G desk") }), WHOLE],
  ["left behind", withVms(M, { configs: [DESK], instances: ["desk"], processes: [] }), WHOLE],
  ["instance state unknown", withVms(M, { configs: [DESK], instances: ["desk"], processes: null }), WHOLE],
  // ROMs
  ["ROM absent", M, spec(["1/0/0,rom=/vm/gpu.rom", "1/0/1"]), [["/vm/gpu.rom", { kind: "absent" }]]],
  ["ROM a directory", M, spec(["1/0/0,rom=/vm/gpu.rom", "1/0/1"]), [["/vm/gpu.rom", { kind: "other", what: "a directory" }]]],
  ["ROM empty", M, spec(["1/0/0,rom=/vm/gpu.rom", "1/0/1"]), [["/vm/gpu.rom", { kind: "file", size: 0 }]]],
  ["ROM unreadable", M, spec(["1/0/0,rom=/vm/gpu.rom", "1/0/1"]), [["/vm/gpu.rom", { kind: "unknown", reason: "permission denied" }]]],
  ["ROM not looked at", M, spec(["1/0/0,rom=/vm/gpu.rom", "1/0/1"])],
  ["one ROM", M, spec(["1/0/0,rom=/vm/gpu.rom", "1/0/1"]), [["/vm/gpu.rom", { kind: "file", size: 131072 }]]],
  [
    "two ROMs",
    M,
    spec(["1/0/0,rom=/vm/gpu.rom", "1/0/1", "2/0/0,rom=/vm/nic.rom"]),
    [
      ["/vm/gpu.rom", { kind: "file", size: 131072 }],
      ["/vm/nic.rom", { kind: "file", size: 65536 }],
    ],
  ],
  // memory
  ["memory not wired", M, spec(["2/0/0"], { wired: { ok: false, how: "memory.wired is not set" } })],
  ["no memory size", M, spec(["2/0/0"], { memory: null })],
  ["a memory size bhyve refuses", M, spec(["2/0/0"], { memory: "8 GB" })],
  ["wiring limit unknown", host({ ...BASE, wiring: no("sysctl: permission denied") }), spec(["2/0/0"])],
  ["too much memory to wire", host({ ...BASE, wiring: ok({ maxPages: 1 << 20, wiredPages: (1 << 20) - 1000, pageSize: 4096 }) }), spec(["2/0/0"])],
  ["more wired than the limit already", host({ ...BASE, wiring: ok({ maxPages: 1000, wiredPages: 2000, pageSize: 4096 }) }), spec(["2/0/0"])],
  ["exactly what is left", host({ ...BASE, wiring: ok({ maxPages: 3 * 1024 * 256, wiredPages: 1024 * 256, pageSize: 4096 }) }), spec(["2/0/0"], { memory: "2G" })],
  ["running: its memory is wired already", withVms(host({ ...BASE, wiring: ok({ maxPages: 10, wiredPages: 10, pageSize: 4096 }) }), { configs: [DESK], instances: ["desk"], processes: ps("1 bhyve: desk") }), WHOLE],
  // reset
  ["a device that cannot be reset", host({ ...BASE, pci: pci(dev("ppt4", "4:0:0", { caps: [MSI] })) }), spec(["4/0/0"])],
  ["an AMD GPU without FLR", host({ ...BASE, pci: pci(dev("ppt4", "4:0:0", { vendor: 0x1002, caps: [PM, MSI] })) }), spec(["4/0/0"])],
  ["a listing without capability lines", host({ ...BASE, pci: pci(dev("ppt4", "4:0:0", { caps: [] })) }), spec(["4/0/0"])],
];

describe("doctor --vm, case by case", () => {
  for (const [name, m, s, roms = []] of ROWS) {
    test(name, () => expect(preflight(m, s, new Map(roms), []).map(line)).toMatchSnapshot());
  }
});

const status = (name: string, id: string) => {
  const [, m, s, roms = []] = ROWS.find((r) => r[0] === name)!;
  return preflight(m, s, new Map(roms), []).find((c) => c.id === id)?.status;
};

test("vm.ppt names what it checked when a bridge or a device off the bus was left to devices", () => {
  const ppt = (m: HostModel, s: VmSpec) => line(preflight(m, s, new Map(), []).find((c) => c.id === "vm.ppt")!);
  const bridge = host({ ...BASE, pci: pci(GPU, AUDIO, NIC, dev("pcib3", "3:0:0", { hdr: 1, cls: "0x060400" })) });
  expect(ppt(bridge, spec(["1/0/0", "3/0/0"]))).toBe("PASS vm.ppt [ppt] 1/0/0 is attached to ppt now and reserved in pptdevs");
  expect(ppt(M, spec(["1/0/0", "1/0/1", "9/0/0"]))).toBe("PASS vm.ppt [ppt] 1/0/0 1/0/1 are attached to ppt now and reserved in pptdevs");
  expect(ppt(M, WHOLE)).toBe("PASS vm.ppt [ppt] every device is attached to ppt now and reserved in pptdevs");
});

test("the statuses an admin acts on", () => {
  expect(status("all in order", "vm.devices")).toBe("pass");
  expect(status("a device not on the bus", "vm.devices")).toBe("fail");
  expect(status("a device with INTx only", "vm.devices")).toBe("warn");
  expect(status("a GPU without its audio", "vm.card")).toBe("warn");
  expect(status("on ppt but not in pptdevs", "vm.ppt")).toBe("warn");
  expect(status("a device on its host driver and one without a driver", "vm.ppt")).toBe("fail");
  // attach refuses a bridge, and a device not on the bus is not attached: devices fails both.
  expect(status("a bridge", "vm.ppt")).toBe("skip");
  expect(status("a device not on the bus", "vm.ppt")).toBe("skip");
  expect(status("another VM runs with the device", "vm.holders")).toBe("fail");
  expect(status("another VM's config names the device", "vm.holders")).toBe("warn");
  expect(status("/dev/vmm unreadable", "vm.holders")).toBe("unknown");
  expect(status("a running VM no config describes may hold the devices", "vm.holders")).toBe("warn");
  expect(status("a GPU and its audio on bus 0: chipset functions, not a card", "vm.card")).toBe("pass");
  expect(status("QLogic FC functions on bus 0: chipset functions, not a card", "vm.card")).toBe("pass");
  expect(status("a QLogic FC function not on the bus, function 0 on it", "vm.card")).toBe("pass");
  expect(status("one QLogic FC function of three: both others in one fix", "vm.card")).toBe("warn");
  expect(status("left behind", "vm.instance")).toBe("fail");
  expect(status("starting now", "vm.instance")).toBe("pass");
  expect(status("ROM unreadable", "vm.rom")).toBe("unknown");
  expect(status("exactly what is left", "vm.memory")).toBe("pass");
  expect(status("too much memory to wire", "vm.memory")).toBe("fail");
  expect(status("a listing without capability lines", "vm.reset")).toBe("unknown");
});

test("a VM that starts or runs never gets a destroy command", () => {
  for (const name of ["running now", "starting now"]) {
    const [, m, s] = ROWS.find((r) => r[0] === name)!;
    for (const c of preflight(m, s, new Map(), [])) expect(`${c.summary} ${c.fix}`).not.toContain("--destroy");
  }
});

test("a bhyve -k file's VM: no instance to look at", () => {
  const s = specOfConfig("/vm/w.conf", "pci.0.6.0.device=passthru\npci.0.6.0.bus=2\npci.0.6.0.slot=0\npci.0.6.0.func=0\nmemory.wired=true\nmemory.size=2G\n", "", M);
  expect(preflight(M, s, new Map(), []).map(line)).toMatchSnapshot();
});

describe("bhyve -m sizes (vm_parse_memsize)", () => {
  test.each([
    ["8G", 8 * 2 ** 30],
    ["8g", 8 * 2 ** 30],
    ["512M", 512 * 2 ** 20],
    ["512MB", 512 * 2 ** 20],
    ["1T", 2 ** 40],
    ["2048", 2048 * 2 ** 20],
    [" 1024 ", 1024 * 2 ** 20],
    ["1048575", 1048575 * 2 ** 20],
    ["1048576", 1048576],
    ["4096k", 4096 * 1024],
    ["8 G", null],
    ["8X", null],
    ["", null],
    ["G", null],
  ] as [string, number | null][])("%p is %p bytes", (text, want) => {
    expect(parseMemSize(text)).toBe(want);
  });
});

test("holders: every instance named, the worst first whatever the order of the devices", () => {
  const m = withVms(M, {
    configs: [vm("desk", ["1/0/0", "2/0/0"]), vm("old", ["1/0/0"]), vm("lab", ["2/0/0"])],
    instances: ["old", "lab"],
    processes: ps("4242 bhyve: lab"),
    locks: new Map([["old", true]]),
  });
  const c = preflight(m, spec(["1/0/0", "2/0/0"]), new Map(), []).find((x) => x.id === "vm.holders")!;
  expect(c.status).toBe("fail");
  expect(c.summary).toStartWith("2/0/0 is in use by the running VM lab (bhyve pid 4242), ");
  expect(c.summary).toContain("old");
  expect(c.fix).toStartWith("stop lab first");
});
