import { describe, expect, test } from "bun:test";
import { shippedReports } from "../src/core/compat/known.ts";
import { preflight } from "../src/core/preflight/checks.ts";
import { explainLine } from "../src/core/preflight/explain.ts";
import { parseMemSize } from "../src/core/preflight/memory.ts";
import { specOfConfig, specOfVm } from "../src/core/preflight/spec.ts";
import { REAL, VARIANTS } from "./bhyve-lines.ts";
import { modelOf } from "./model-of.ts";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CMD, commandKey } from "../src/core/snapshot.ts";
import { recordedHosts } from "./recorded-hosts.ts";

/**
 * doctor --vm and explain on every recorded host, whole, against reviewed snapshots (issue 36):
 * each VM's checks, and every catalogue line explained on each host, for no VM and for its VMs.
 */
const line = (c: { status: string; id: string; area: string; summary: string; fix: string | null }) => `${c.status.toUpperCase()} ${c.id} [${c.area}] ${c.summary}${c.fix ? ` | fix: ${c.fix}` : ""}`;

describe("doctor --vm on every VM of every recorded host", () => {
  for (const h of recordedHosts()) {
    test(h.name, async () => {
      const m = await modelOf(h.dir);
      const vms = [...new Set(m.vms.configs.map((c) => c.vm))];
      const out: Record<string, string[]> = {};
      for (const vm of vms) {
        const spec = specOfVm(m, vm);
        out[vm] = spec ? preflight(m, spec, new Map(), shippedReports()).map(line) : ["no spec"];
      }
      expect(out).toMatchSnapshot();
    });
  }
  test("a bhyve config file: read, wired, slots, ROMs", async () => {
    const m = await modelOf(recordedHosts().find((h) => h.name === "vm-preflight")!.dir);
    const text = "pci.0.6.0.device=passthru\npci.0.6.0.bus=0\npci.0.6.0.slot=20\npci.0.6.0.func=0\npci.0.6.0.rom=/gop.rom\npci.0.7.1.device=passthru\npci.0.7.1.pptdev=ppt3\nmemory.size=2G\n";
    const roms = new Map([["/gop.rom", { kind: "file" as const, size: 0 }]]);
    expect(preflight(m, specOfConfig("/vm/x.conf", text, "", m), roms, shippedReports()).map(line)).toMatchSnapshot();
    expect(preflight(m, specOfConfig("/vm/y.conf", null, "no such file", m), new Map(), shippedReports()).map(line)).toMatchSnapshot();
  });
});

describe("doctor --vm, case by case on the vm-preflight host (a bhyve -k file names the devices)", () => {
  const PF = () => recordedHosts().find((h) => h.name === "vm-preflight")!.dir;
  const node = (slot: number, func: number, b: number, s2: number, f: number, extra = "") => `pci.0.${slot}.${func}.device=passthru\npci.0.${slot}.${func}.bus=${b}\npci.0.${slot}.${func}.slot=${s2}\npci.0.${slot}.${func}.func=${f}\n${extra}`;
  const run = async (text: string, change: Parameters<typeof modelOf>[1] = {}, roms: [string, import("../src/core/snapshot.ts").StatResult][] = []) => {
    const m = await modelOf(PF(), change);
    return preflight(m, specOfConfig("/vm/x.conf", text, "", m), new Map(roms), shippedReports()).map(line);
  };
  const rows: [string, () => Promise<string[]>][] = [
    ["no PCI listing", () => run(node(6, 0, 1, 0, 0), { commands: { [commandKey(CMD.pciconf)]: { kind: "ran", exit: 1, stdout: "", stderr: "pciconf: /dev/pci: Permission denied\n" } } })],
    ["not on the bus, a bridge, INTx only", () => run(node(6, 0, 9, 9, 0) + node(7, 0, 0, 6, 0) + node(8, 0, 0, 10, 0))],
    ["two devices on ppt and not in pptdevs", () => run(node(6, 0, 0, 13, 2) + node(7, 0, 0, 13, 0), { files: { "/boot/loader.conf": 'vmm_load="YES"\n' } })],
    ["one device on ppt and not in pptdevs", () => run(node(6, 0, 0, 13, 2), { files: { "/boot/loader.conf": 'vmm_load="YES"\n' } })],
    ["devices not on ppt: one with a driver, one without", () => run(node(6, 0, 47, 0, 0) + node(7, 0, 0, 20, 2))],
    ["half a GPU card in a bhyve -k file", () => run(node(6, 0, 1, 0, 0))],
    ["/dev/vmm cannot be read", () => run(node(6, 0, 1, 0, 1), { dirs: { "/dev/vmm": { kind: "unknown", reason: "permission denied" } } })],
    ["ROM files: one good, one a directory, one unknown", () => run(node(6, 0, 1, 0, 0, "pci.0.6.0.rom=/a.rom\n") + node(6, 1, 1, 0, 1, "pci.0.6.1.rom=/b.rom\n") + node(7, 0, 0, 13, 0, "pci.0.7.0.rom=/c.rom\n"), {}, [["/a.rom", { kind: "file", size: 65536 }], ["/b.rom", { kind: "other", what: "a directory" }], ["/c.rom", { kind: "unknown", reason: "permission denied" }]])],
    ["two good ROM files", () => run(node(6, 0, 1, 0, 0, "pci.0.6.0.rom=/a.rom\n") + node(6, 1, 1, 0, 1, "pci.0.6.1.rom=/b.rom\n"), {}, [["/a.rom", { kind: "file", size: 65536 }], ["/b.rom", { kind: "file", size: 1 }]])],
    ["one good ROM file", () => run(node(6, 0, 1, 0, 0, "pci.0.6.0.rom=/a.rom\n") + node(6, 1, 1, 0, 1), {}, [["/a.rom", { kind: "file", size: 65536 }]])],
    ["memory that is not a size", () => run(`memory.size=lots\nmemory.wired=true\n${node(6, 0, 1, 0, 0)}`)],
    ["memory that fits to the page", () => run(`memory.size=7200000K\nmemory.wired=true\n${node(6, 0, 1, 0, 0)}`)],
    ["memory one page over", () => run(`memory.size=7200004K\nmemory.wired=true\n${node(6, 0, 1, 0, 0)}`)],
    ["no memory size", () => run(`memory.wired=true\n${node(6, 0, 1, 0, 0)}`)],
    ["the wiring limit unknown", () => run(`memory.size=2G\nmemory.wired=true\n${node(6, 0, 1, 0, 0)}`, { commands: { [commandKey(CMD.sysctlWired)]: { kind: "ran", exit: 1, stdout: "", stderr: "sysctl: unknown oid\n" } } })],
    ["a listing without pciconf -c", async () => {
      const plain = readFileSync(join(PF(), "pciconf-lvc.txt"), "utf8").replace(/^ {4}e?cap .*\n(?: {10,}.*\n)*/gm, "");
      return run(node(6, 0, 1, 0, 0) + node(6, 1, 1, 0, 1), { pciconf: plain });
    }],
  ];
  for (const [name, go] of rows) test(name, async () => expect(await go()).toMatchSnapshot());

  // Slots as each manager lays them out: vm-bhyve's pins, Hoster's fixed layout, a -k file's nodes.
  const HOSTER = "/zroot/vm-encrypted/test-vm-2/vm_config.json";
  const VMB = "/zroot/vm/win11/win11.conf";
  const hoster = (passthru: string[], extra = "") => `{"memory": "4G", "networks": [{}], "disks": [{}]${extra}, "passthru": ${JSON.stringify(passthru)}}`;
  const vmb = (lines: string) => `loader="uefi"\ncpu=2\nmemory=2G\n${lines}`;
  const slotsOf = async (vm: string, files: Record<string, string>) => {
    const m = await modelOf(PF(), { files });
    return preflight(m, specOfVm(m, vm)!, new Map(), shippedReports()).map(line).filter((l) => / vm\.(slots|config|card) /.test(l));
  };
  const kslots = async (text: string) => (await run(text)).filter((l) => / vm\.slots /.test(l));
  const slotRows: [string, () => Promise<string[]>][] = [
    ["IGD in a -k file at slot 2 with the LPC at 31", () => kslots(`${node(2, 0, 0, 2, 0)}pci.0.31.0.device=lpc\n`)],
    ["IGD in a -k file at slot 2, no LPC node", () => kslots(node(2, 0, 0, 2, 0))],
    ["IGD in a -k file at slot 5", () => kslots(node(5, 0, 0, 2, 0))],
    ["a -k file device at slot 0 and one at 31", () => kslots(node(0, 0, 0, 13, 0) + node(31, 0, 0, 20, 0))],
    ["a -k slot with function 1 only", () => kslots(node(6, 1, 0, 13, 0))],
    ["IGD unpinned in vm-bhyve", () => slotsOf("win11", { [VMB]: vmb('passthru0="0/2/0"\n') })],
    ["IGD pinned to slot 2 in vm-bhyve", () => slotsOf("win11", { [VMB]: vmb('passthru0="0/2/0=2:0"\n') })],
    ["vm-bhyve pins: a slot without function 0", () => slotsOf("win11", { [VMB]: vmb('passthru0="0/13/0=7:1"\n') })],
    ["IGD in Hoster", () => slotsOf("test-vm-2", { [HOSTER]: hoster(["0/2/0"]) })],
    ["Hoster: own slots with '-', functions kept", () => slotsOf("test-vm-2", { [HOSTER]: hoster(["1/0/0", "1/0/1", "-0/13/0", "-0/13/2"]) })],
    ["Hoster: a group without function 0", () => slotsOf("test-vm-2", { [HOSTER]: hoster(["0/13/2"]) })],
    ["Hoster: the layout past slot 30", () => slotsOf("test-vm-2", { [HOSTER]: hoster(["-0/13/0", "-0/13/2", "-0/20/0", "-0/20/2", "-0/20/3", "-47/0/0"], `, "disks": [${Array(22).fill("{}").join(",")}]`) })],
    ["Hoster: the xHCI tablet after the last device would be at 31", () => slotsOf("test-vm-2", { [HOSTER]: hoster(["-0/13/0", "-0/13/2", "-0/20/0", "-0/20/2", "-0/20/3", "-47/0/0"], `, "disks": [${Array(21).fill("{}").join(",")}]`) })],
    ["Hoster: the layout just fits (last device at 30, no xHCI)", () => slotsOf("test-vm-2", { [HOSTER]: hoster(["-0/13/0", "-0/13/2", "-0/20/0", "-0/20/2", "-0/20/3", "-47/0/0"], `, "disks": [${Array(21).fill("{}").join(",")}], "disable_xhci": true`) })],
  ];
  for (const [name, go] of slotRows) test(name, async () => expect(await go()).toMatchSnapshot());
});

describe("explain: every catalogue line on every recorded host", () => {
  for (const h of recordedHosts()) {
    test(h.name, async () => {
      const m = await modelOf(h.dir);
      const vm = m.vms.configs[0]?.vm ?? null;
      const out = Object.entries({ ...REAL, ...VARIANTS }).map(([id, l]) => {
        const a = explainLine(m, l, { vm: null, roms: new Map() });
        const b = vm ? explainLine(m, l, { vm, roms: new Map() }) : null;
        return `${id}: ${a.cause} | ${a.fix}${b && (b.cause !== a.cause || b.fix !== a.fix) ? ` || --vm ${vm}: ${b.cause} | ${b.fix}` : ""}`;
      });
      expect(out).toMatchSnapshot();
    });
  }
});

describe("the VM as its manager will start it (specOfVm, specOfConfig)", () => {
  const PF = () => recordedHosts().find((h) => h.name === "vm-preflight")!.dir;
  const shape = (sp: ReturnType<typeof specOfVm>) =>
    sp && { vm: sp.vm, manager: sp.manager, path: sp.path, problem: sp.problem, devices: sp.devices.map((d) => `${d.text} -> ${d.addr.bus}/${d.addr.slot}/${d.addr.func}${d.guest ? ` @${d.guest.slot}:${d.guest.func}` : ""}${d.rom ? ` rom ${d.rom}` : ""}`), memory: sp.memory, wired: sp.wired, guest: sp.guest, firmware: sp.firmware, missing: sp.missing };
  test("configs as discovered: broken, claimed twice, an entry naming a ppt unit that is not there", async () => {
    const list = await modelOf(recordedHosts().find((h) => h.name === "list-vms")!.dir);
    const twice = await modelOf(PF(), {
      dirs: { "/zroot/vm": { kind: "dir", entries: ["win11", "gw", "test-vm-2"] } },
      files: { "/zroot/vm/test-vm-2/test-vm-2.conf": 'loader="uefi"\ncpu=1\nmemory=1G\npassthru0="0/13/0"\n', "/zroot/vm/gw/gw.conf": 'loader="grub"\ncpu=1\nmemory=1G\npassthru0="ppt9"\n' },
    });
    expect({ broken: shape(specOfVm(list, "test-vm-3")), twice: shape(specOfVm(twice, "test-vm-2")), ppt9: shape(specOfVm(twice, "gw")), none: specOfVm(twice, "nosuchvm") }).toMatchSnapshot();
  });
  test("bhyve -k files: unreadable, not a config, a pptdev not on the bus, devices on guest bus 1, each memory.wired", async () => {
    const m = await modelOf(PF());
    const k = (text: string | null) => shape(specOfConfig("/vm/x.conf", text, "no such file", m));
    expect({
      unreadable: k(null),
      notConfig: k("just words\n"),
      noSuchUnit: k("pci.0.6.0.device=passthru\npci.0.6.0.pptdev=ppt9\n"),
      units: k("pci.0.6.0.device=passthru\npci.0.6.0.pptdev=ppt0\npci.0.6.0.rom=/gop.rom\npci.1.2.0.device=passthru\npci.1.2.0.bus=1\npci.1.2.0.slot=0\npci.1.2.0.func=1\nmemory.size=4G\nmemory.wired=true\n"),
      wiredFalse: k("memory.wired=false\n"),
    }).toMatchSnapshot();
  });
});

describe("explain: the memory lines for each VM and each state of its instance", () => {
  const ps = (text: string) => ({ commands: { [commandKey(CMD.ps)]: { kind: "ran" as const, exit: 0, stdout: text, stderr: "" } } });
  const states: [string, Parameters<typeof modelOf>[1]][] = [
    ["as recorded", {}],
    ["win11 starting", ps(" 4242 bhyve: test-vm-1 (bhyve)\n 5133 /usr/sbin/bhyve -c 4 -m 8G -s 6:0,passthru,0/20/0 win11\n")],
    ["process list unreadable", { commands: { [commandKey(CMD.ps)]: { kind: "ran" as const, exit: 1, stdout: "", stderr: "ps: permission denied\n" } } }],
    ["no instance at all", { dirs: { "/dev/vmm": { kind: "dir" as const, entries: [] } } }],
  ];
  for (const [name, change] of states) {
    test(name, async () => {
      const m = await modelOf(recordedHosts().find((h) => h.name === "vm-preflight")!.dir, change);
      const out: string[] = [];
      for (const vm of [null, "test-vm-1", "win11", "gw", "test-vm-2", "nosuchvm"]) {
        for (const l of ["Unable to setup memory (17)", "Unable to setup memory (12)", "vm_setup_memory: Invalid argument"]) {
          const e = explainLine(m, l, { vm, roms: new Map() });
          out.push(`${vm ?? "-"} | ${l} | ${e.cause} | ${e.fix}`);
        }
      }
      expect(out).toMatchSnapshot();
    });
  }
});

describe("explain: which form each line is, and where it comes from", () => {
  test("every line's id, whether it is about passthrough, and its source", async () => {
    const m = await modelOf(recordedHosts().find((h) => h.name === "vm-preflight")!.dir);
    const out = Object.entries({ ...REAL, ...VARIANTS }).map(([name, l]) => {
      const e = explainLine(m, l, { vm: null, roms: new Map() });
      return `${name}: ${e.id ?? "-"} ${e.passthrough ? "passthrough" : "other"}${e.source ? ` | ${e.source.file} ${e.source.func} | ${e.source.seen} | ${e.source.url}` : ""}`;
    });
    expect(out).toMatchSnapshot();
  });
});

describe("parseMemSize reads -m as bhyve does", () => {
  const rows: [string, number | null][] = [["512M", 512 * 2 ** 20], ["8G", 8 * 2 ** 30], ["8g", 8 * 2 ** 30], ["1T", 2 ** 40], ["4096", 4096 * 2 ** 20], ["2048K", 2048 * 2 ** 10], ["0x100M", null], ["", null], ["G", null], ["1.5G", null], [" 8G ", 8 * 2 ** 30], ["x4096", null], ["1048575", 1048575 * 2 ** 20], ["1048576", 1048576], ["8Gx", null], ["8GB", 8 * 2 ** 30], ["x8G", null]];
  for (const [text, want] of rows) test(JSON.stringify(text), () => expect(parseMemSize(text)).toBe(want));
});
