import { describe, expect, test } from "bun:test";
import { PptError } from "../src/core/errors.ts";
import { planAssign } from "../src/core/assign/plan.ts";
import { editFor } from "../src/core/assign/edit.ts";
import { configTarget, findTarget } from "../src/core/assign/target.ts";
import { addr, addrKey, formatBhyve } from "../src/core/pci/address.ts";
import { parseSelectorOrThrow } from "../src/core/pci/selector.ts";
import { CMD, commandKey, fileResult } from "../src/core/snapshot.ts";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { modelOf, recordedSnapshot } from "./model-of.ts";
import { recordedHosts } from "./recorded-hosts.ts";

/**
 * assign and unassign's core on recorded hosts, every VM against a spread of devices, whole
 * outcomes against reviewed snapshots (issue 36): the refusal with its words and exit code, or
 * the new file bytes, the entries, the devices picked and the warnings.
 */
const HOSTS = ["list-vms", "vm-bhyve-desktop", "gpu-workstation", "vm-preflight"];

async function outcomes(name: string): Promise<string[]> {
  const dir = recordedHosts().find((h) => h.name === name)!.dir;
  const m = await modelOf(dir);
  const snap = await recordedSnapshot(dir);
  const devices = m.pci.ok ? m.pci.value.devices : [];
  // Every ppt device, a few on host drivers, a bridge, the host bridge, and an address not on the bus.
  const picks = [...devices.filter((d) => d.driver === "ppt"), ...devices.filter((d) => d.driver !== "ppt").slice(0, 6)].map((d) => formatBhyve(d.addr));
  const sels = [...new Set([...picks, "0/28/0", "0/0/0", "9/9/9"])];
  const vms = [...new Set(m.vms.configs.map((c) => c.vm)), "nope"];
  const out: string[] = [];
  for (const action of ["assign", "unassign"] as const) {
    for (const vm of vms) {
      for (const sel of sels) {
        const key = `${action} ${sel} --vm ${vm}`;
        try {
          // --force: past a running VM, into what planAssign decides (findTarget's refusals are the CLI tests').
          const target = findTarget(m, action, vm, true);
          const f = target.path ? fileResult(snap, target.path) : null;
          const before = f?.kind === "file" ? f.text : null;
          const p = planAssign(m, { action, selectors: [parseSelectorOrThrow(sel)], target, before });
          const changed = p.after !== null && p.after !== before;
          out.push(`${key}: ${changed ? "writes" : "no change"}; entries ${JSON.stringify(p.entries)}; picks ${p.picks.map((x) => `${formatBhyve(x.addr)}${x.unchanged ? "=" : "+"}${x.onPpt ? "p" : ""}${x.reserved ? "r" : ""}`).join(",")}; commands ${JSON.stringify(p.commands)}; warnings ${JSON.stringify(p.warnings)}${changed ? `; after ${JSON.stringify(p.after)}` : ""}`);
        } catch (e) {
          if (!(e instanceof PptError)) throw e;
          out.push(`${key}: exit ${e.exitCode}: ${e.message}`);
        }
      }
    }
  }
  return out;
}

describe("planAssign on recorded hosts", () => {
  for (const name of HOSTS) test(name, async () => expect(await outcomes(name)).toMatchSnapshot());

  test("--config: a bhyve config file, new or not, and the files that are not one", async () => {
    const m = await modelOf(recordedHosts().find((h) => h.name === "list-vms")!.dir);
    const devices = m.pci.ok ? m.pci.value.devices : [];
    const run = (path: string, before: string | null, sel: string, action: "assign" | "unassign" = "assign") => {
      try {
        const target = configTarget(action, path, before, devices, m.vms);
        const p = planAssign(m, { action, selectors: [parseSelectorOrThrow(sel)], target, before });
        return { after: p.after, entries: p.entries, warnings: p.warnings };
      } catch (e) {
        if (!(e instanceof PptError)) throw e;
        return { error: e.message, exit: e.exitCode };
      }
    };
    expect({
      fresh: run("/vm/new.conf", null, "47/0/0"),
      igd: run("/vm/igd.conf", "name=igd\n", "0/2/0"),
      igdSlot2Taken: run("/vm/igd.conf", "pci.0.2.0.device=virtio-net\n", "0/2/0"),
      full: run("/vm/full.conf", Array.from({ length: 29 }, (_, i) => `pci.0.${i + 1}.0.device=virtio-net`).join("\n"), "47/0/0"),
      notWired: run("/vm/nw.conf", "memory.wired=false\n", "47/0/0"),
      byPpt: run("/vm/p.conf", "pci.0.6.0.device=passthru\npci.0.6.0.pptdev=ppt4\n", "0/13/2", "unassign"),
      vmBhyve: run("/vm/v.conf", 'loader="uefi"\n', "47/0/0"),
      json: run("/vm/j.json", "{}", "47/0/0"),
      own: run("/zroot/vm/gw/gw.conf", "x=1\n", "47/0/0"),
    }).toMatchSnapshot();
  });
});

describe("findTarget: which config, and whether it may be written now", () => {
  const PF = () => recordedHosts().find((h) => h.name === "vm-preflight")!.dir;
  const ps = (text: string) => ({ commands: { [commandKey(CMD.ps)]: { kind: "ran" as const, exit: 0, stdout: text, stderr: "" } } });
  const outcome = (m: Awaited<ReturnType<typeof modelOf>>, action: "assign" | "unassign", vm: string, force: boolean) => {
    try {
      const t = findTarget(m, action, vm, force);
      return `${t.manager} ${t.vm} ${t.path} [${t.entries.join(" ")}] ${t.running ? "running" : "stopped"}`;
    } catch (e) {
      if (!(e instanceof PptError)) throw e;
      return `exit ${e.exitCode}: ${e.message}`;
    }
  };
  test("every VM of the vm-preflight host, with and without --force", async () => {
    const m = await modelOf(PF());
    const out: string[] = [];
    for (const vm of ["test-vm-1", "test-vm-2", "win11", "gw", "nope"]) for (const force of [false, true]) out.push(`${vm} force=${force}: ${outcome(m, "assign", vm, force)}`);
    expect(out).toMatchSnapshot();
  });
  test("starting, unknown, a broken config, two configs, CBSD, no VMs at all", async () => {
    const starting = await modelOf(PF(), ps(" 4242 bhyve: test-vm-1 (bhyve)\n 5133 /usr/sbin/bhyve -c 2 -m 512M gw\n"));
    const unknown = await modelOf(PF(), { commands: { [commandKey(CMD.ps)]: { kind: "ran" as const, exit: 1, stdout: "", stderr: "ps: denied\n" } } });
    const list = await modelOf(recordedHosts().find((h) => h.name === "list-vms")!.dir);
    const twice = await modelOf(PF(), { dirs: { "/zroot/vm": { kind: "dir", entries: ["win11", "gw", "test-vm-2"] } }, files: { "/zroot/vm/test-vm-2/test-vm-2.conf": 'loader="uefi"\ncpu=1\nmemory=1G\n' } });
    const rc = readFileSync(join(PF(), "files/etc/rc.conf"), "utf8");
    const cbsd = await modelOf(PF(), { files: { "/etc/rc.conf": `${rc}cbsd_workdir="/usr/jails"\n` }, dirs: { "/usr/jails/jails-system": { kind: "dir", entries: ["cb1"] } } });
    const empty = await modelOf(PF(), { files: { "/etc/rc.conf": "", "/opt/hoster-core/config_files/host_config.json": null } });
    expect({
      starting: outcome(starting, "unassign", "gw", false),
      startingForced: outcome(starting, "unassign", "gw", true),
      unknown: outcome(unknown, "assign", "test-vm-1", false),
      broken: outcome(list, "assign", "test-vm-3", true),
      twice: outcome(twice, "assign", "test-vm-2", true),
      cbsd: outcome(cbsd, "assign", "cb1", false),
      cbsdUnknownState: outcome(await modelOf(PF(), { files: { "/etc/rc.conf": `${rc}cbsd_workdir="/usr/jails"\n` }, dirs: { "/usr/jails/jails-system": { kind: "dir", entries: ["cb1"] } }, commands: { [commandKey(CMD.ps)]: { kind: "ran" as const, exit: 1, stdout: "", stderr: "x\n" } } }), "assign", "cb1", false),
      unknownName: outcome(cbsd, "assign", "nope", false),
      noVms: outcome(empty, "assign", "nope", false),
    }).toMatchSnapshot();
  });
  test("CBSD: the command to run, assign and unassign; IGD pins in vm-bhyve", async () => {
    const rc = readFileSync(join(PF(), "files/etc/rc.conf"), "utf8");
    const pinned = 'loader="uefi"\ncpu=2\nmemory=2G\npassthru0="0/2/0=2:0"\n';
    const plain = await modelOf(PF(), { files: { "/etc/rc.conf": `${rc}cbsd_workdir="/usr/jails"\n` }, dirs: { "/usr/jails/jails-system": { kind: "dir", entries: ["cb1"] } } });
    const withPin = await modelOf(PF(), { files: { "/zroot/vm/gw/gw.conf": pinned } });
    const snap = await recordedSnapshot(PF());
    const plan = (action: "assign" | "unassign", vm: string, sel: string, before: string | null = null) => {
      const m = before === pinned ? withPin : plain;
      const target = findTarget(m, action, vm, true);
      const f = target.path ? fileResult(snap, target.path) : null;
      const p = planAssign(m, { action, selectors: [parseSelectorOrThrow(sel)], target, before: before ?? (f?.kind === "file" ? f.text : null) });
      return { after: p.after, entries: p.entries, commands: p.commands, warnings: p.warnings };
    };
    expect({
      cbsdAssign: plan("assign", "cb1", "47/0/0"),
      cbsdUnassign: plan("unassign", "cb1", "47/0/0"),
      igdUnpinned: plan("assign", "win11", "0/2/0"),
      igdPinned: plan("unassign", "gw", "0/2/0", pinned),
      igdPinnedAgain: plan("assign", "gw", "0/2/0", pinned),
    }).toMatchSnapshot();
  });
});

describe("planAssign case by case", () => {
  const host = (name: string) => recordedHosts().find((h) => h.name === name)!.dir;
  const run = async (name: string, change: Parameters<typeof modelOf>[1], action: "assign" | "unassign", vm: string, sels: string[], attach = false) => {
    const m = await modelOf(host(name), change);
    try {
      const target = findTarget(m, action, vm, true);
      const snap = await recordedSnapshot(host(name));
      const f = target.path ? (change?.files?.[target.path] ?? null) : null;
      const before = typeof f === "string" ? f : target.path ? ((r) => (r.kind === "file" ? r.text : null))(fileResult(snap, target.path)) : null;
      const p = planAssign(m, { action, selectors: sels.map(parseSelectorOrThrow), target, before, attach });
      return { after: p.after === before ? "(unchanged)" : p.after, picks: p.picks.map((x) => `${formatBhyve(x.addr)}${x.unchanged ? "=" : "+"}${x.along ? " along" : ""}`), warnings: p.warnings };
    } catch (e) {
      if (!(e instanceof PptError)) throw e;
      return { error: e.message, exit: e.exitCode };
    }
  };
  const extra = (block: string) => ({ pciconf: readFileSync(join(host("vm-preflight"), "pciconf-lvc.txt"), "utf8") + block });
  const rows: [string, () => Promise<unknown>][] = [
    ["no selector", () => run("vm-preflight", {}, "assign", "test-vm-2", [])],
    ["no PCI listing", () => run("vm-preflight", { commands: { [commandKey(CMD.pciconf)]: { kind: "ran", exit: 1, stdout: "", stderr: "denied\n" } } }, "assign", "test-vm-2", ["47/0/0"])],
    ["the same device twice", () => run("vm-preflight", {}, "assign", "test-vm-2", ["47/0/0", "aq0"])],
    ["unassign a card taken out", () => run("vm-preflight", {}, "unassign", "gw", ["89/0/0", "89/0/1"])],
    ["unassign a function gone from the bus: its sibling on the bus stays", () => run("vm-preflight", {}, "unassign", "gw", ["89/0/1"])],
    // QLogic FC functions go together (quirk qlogic-fc-functions), but only those on the bus pull their card along.
    ["unassign a QLogic FC function gone from the bus: function 0 on the bus stays", () => run("vm-preflight", extra("isp0@pci0:5:0:0:\tclass=0x0c0400 rev=0x02 hdr=0x00 vendor=0x1077 device=0x2532 subvendor=0x1077 subdevice=0x015d\n    cap 11[ac] = MSI-X supports 16 messages\n"), "unassign", "test-vm-1", ["5/0/1"])],
    ["assign a storage controller already on ppt: no danger to the host", () => run("vm-preflight", { pciconf: readFileSync(join(host("vm-preflight"), "pciconf-lvc.txt"), "utf8").replace("nvme0@pci0:90:0:0:", "ppt9@pci0:90:0:0:") }, "assign", "test-vm-2", ["90/0/0"])],
    ["assign a storage controller on its host driver: the danger said", () => run("vm-preflight", {}, "assign", "test-vm-2", ["90/0/0"])],
    ["unassign a GPU: its audio goes too", () => run("vm-preflight", {}, "unassign", "test-vm-1", ["1/0/0"])],
    ["with --attach: no 'host loses it' warning", () => run("vm-preflight", {}, "assign", "test-vm-2", ["0/2/0"], true)],
    ["without --attach: the warning", () => run("vm-preflight", {}, "assign", "test-vm-2", ["0/2/0"])],
    ["INTx only: said", () => run("vm-preflight", {}, "assign", "test-vm-2", ["0/10/0"])],
    ["no capability list: refused", () => run("vm-preflight", {}, "assign", "test-vm-2", ["0/31/5"])],
    ["another PCI domain: refused", () => run("vm-preflight", extra("em9@pci1:3:0:0:\tclass=0x020000 rev=0x01 hdr=0x00 vendor=0x8086 device=0x10d3 subvendor=0x8086 subdevice=0xa01f\n    cap 05[c8] = MSI supports 1 message, 64 bit\n"), "assign", "test-vm-2", ["pci1:3:0:0"])],
    ["one function of a three-function card left", () => run("vm-preflight", extra("igb0@pci0:3:0:0:\tclass=0x020000 rev=0x01 hdr=0x00 vendor=0x8086 device=0x1521 subvendor=0x8086 subdevice=0x0001\n    cap 11[70] = MSI-X supports 10 messages\nigb1@pci0:3:0:1:\tclass=0x020000 rev=0x01 hdr=0x00 vendor=0x8086 device=0x1521 subvendor=0x8086 subdevice=0x0001\n    cap 11[70] = MSI-X supports 10 messages\nigb2@pci0:3:0:2:\tclass=0x020000 rev=0x01 hdr=0x00 vendor=0x8086 device=0x1521 subvendor=0x8086 subdevice=0x0001\n    cap 11[70] = MSI-X supports 10 messages\n"), "assign", "test-vm-2", ["3/0/0", "3/0/1"])],
    ["one function of a three-function card, and a device of another card", () => run("vm-preflight", extra("igb0@pci0:3:0:0:\tclass=0x020000 rev=0x01 hdr=0x00 vendor=0x8086 device=0x1521 subvendor=0x8086 subdevice=0x0001\n    cap 11[70] = MSI-X supports 10 messages\nigb1@pci0:3:0:1:\tclass=0x020000 rev=0x01 hdr=0x00 vendor=0x8086 device=0x1521 subvendor=0x8086 subdevice=0x0001\n    cap 11[70] = MSI-X supports 10 messages\n"), "assign", "test-vm-2", ["3/0/0", "47/0/0"])],
    ["two functions of it left", () => run("vm-preflight", extra("igb0@pci0:3:0:0:\tclass=0x020000 rev=0x01 hdr=0x00 vendor=0x8086 device=0x1521 subvendor=0x8086 subdevice=0x0001\n    cap 11[70] = MSI-X supports 10 messages\nigb1@pci0:3:0:1:\tclass=0x020000 rev=0x01 hdr=0x00 vendor=0x8086 device=0x1521 subvendor=0x8086 subdevice=0x0001\n    cap 11[70] = MSI-X supports 10 messages\nigb2@pci0:3:0:2:\tclass=0x020000 rev=0x01 hdr=0x00 vendor=0x8086 device=0x1521 subvendor=0x8086 subdevice=0x0001\n    cap 11[70] = MSI-X supports 10 messages\n"), "assign", "test-vm-2", ["3/0/0"])],
    ["a device written in a config pptctl cannot read: refused", () => run("list-vms", { files: { "/zroot/vm-encrypted/test-vm-3/vm_config.json": '{ "passthru": ["47/0/0", ' } }, "assign", "gw", ["47/0/0"])],
    ["by its ppt name in a config pptctl cannot read: refused", () => run("list-vms", { files: { "/zroot/vm-encrypted/test-vm-3/vm_config.json": '{ "passthru": ["ppt4", ' } }, "assign", "gw", ["0/13/2"])],
    ["a config that names neither, not even inside another word: a warning", () => run("list-vms", { files: { "/zroot/vm-encrypted/test-vm-3/vm_config.json": '{ "passthru": ["147/0/0", "47/0/01", "ppt44", ' } }, "assign", "gw", ["47/0/0", "0/13/2"])],
  ];
  for (const [name, go] of rows) test(name, async () => expect(await go()).toMatchSnapshot());
});

describe("editFor: each manager's edit, and what stops it", () => {
  const t = (manager: "vm-bhyve" | "hoster" | "bhyve-config", path = "/vm/x") => ({ manager, vm: manager === "bhyve-config" ? null : "x", path, entries: [], running: false });
  const go = (f: () => unknown) => {
    try {
      return f();
    } catch (e) {
      if (!(e instanceof PptError)) throw e;
      return { error: e.message, exit: e.exitCode };
    }
  };
  const A = [addr(47, 0, 0)];
  test("a file gone since it was read, a file its editor refuses, a -k file bhyve would refuse", () => {
    expect({
      vmBhyveGone: go(() => editFor("assign", t("vm-bhyve"), null, A, new Set(), [])),
      hosterGone: go(() => editFor("unassign", t("hoster"), null, A, new Set(), [])),
      vmBhyveCrlf: go(() => editFor("assign", t("vm-bhyve"), 'loader="uefi"\r\ncpu=1\r\nmemory=1G\r\n', A, new Set(), [])),
      vmBhyveRemoveBroken: go(() => editFor("unassign", t("vm-bhyve"), 'passthru1="47/0/0"\n', A, new Set(), [])),
      hosterBroken: go(() => editFor("assign", t("hoster"), "[]", A, new Set(), [])),
      configBroken: go(() => editFor("assign", t("bhyve-config"), "junk\n", A, new Set(), [])),
      configNotWired: go(() => editFor("assign", t("bhyve-config"), "name=x\nmemory.wired=false\n", A, new Set(), [])),
      configFull: go(() => editFor("assign", t("bhyve-config"), Array.from({ length: 29 }, (_, i) => `pci.0.${i + 1}.0.device=virtio-net\n`).reverse().join(""), A, new Set(), [])),
      nothing: go(() => editFor("assign", t("hoster"), "{}", [], new Set(), [])),
    }).toMatchSnapshot();
  });
  test("unassign: a Hoster list with an entry Hoster would skip is refused; a -k file's unassign has nothing to run", () => {
    expect({
      hosterBesideBroken: go(() => editFor("unassign", t("hoster"), '{ "passthru": ["9/9", "47/0/0"] }\n', A, new Set(), [])),
      config: go(() => editFor("unassign", t("bhyve-config"), "memory.wired=true\npci.0.6.0.device=passthru\npci.0.6.0.bus=47\npci.0.6.0.slot=0\npci.0.6.0.func=0\n", A, new Set(), [])),
    }).toMatchSnapshot();
  });
  test("the IGD: pinned to 2 where free, said where another entry holds 2", () => {
    const igd = new Set([addrKey(addr(0, 2, 0))]);
    expect({
      vmBhyveFree: go(() => editFor("assign", t("vm-bhyve"), 'loader="uefi"\ncpu=1\nmemory=1G\n', [addr(0, 2, 0), addr(47, 0, 0)], igd, [])),
      vmBhyveTaken: go(() => editFor("assign", { ...t("vm-bhyve"), entries: ["0/13/0=2:0"] }, 'loader="uefi"\ncpu=1\nmemory=1G\npassthru0="0/13/0=2:0"\n', [addr(0, 2, 0)], igd, [])),
      configFree: go(() => editFor("assign", t("bhyve-config"), "memory.wired=true\n", [addr(0, 2, 0)], igd, [])),
      configTaken: go(() => editFor("assign", t("bhyve-config"), "pci.0.2.0.device=virtio-net\n", [addr(0, 2, 0)], igd, [])),
      hoster: go(() => editFor("assign", t("hoster"), "{}", [addr(0, 2, 0)], igd, [])),
    }).toMatchSnapshot();
  });
});
