import { describe, expect, test } from "bun:test";
import { configTarget, findTarget } from "../src/core/assign/target.ts";
import { planAssign } from "../src/core/assign/plan.ts";
import { editFor } from "../src/core/assign/edit.ts";
import { addr, addrKey } from "../src/core/pci/address.ts";
import { parseSelectorOrThrow } from "../src/core/pci/selector.ts";
import { PptError } from "../src/core/errors.ts";
import type { PciDevice } from "../src/core/pci/device.ts";
import type { VmInventory } from "../src/core/vm/configs.ts";
import { vmProcesses } from "../src/core/vm/instances.ts";
import { dev, host, pci } from "./doctor-model.ts";

/**
 * Which file assign and unassign write, case by case (issue 36): a bhyve -k file given with
 * --config, told apart from the managers' own configs, and CBSD's VMs, which CBSD changes itself.
 */
const M = host({ pci: pci(dev("ppt0", "1:0:0"), dev("ppt1", "2:0:0")) });
const DEVICES = (M.pci.ok ? M.pci.value.devices : []) as PciDevice[];
const INV: VmInventory = { ...M.vms, configs: [], problems: [], instances: [], processes: [] };

function refusal(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof PptError) return e.message;
    throw e;
  }
  return "no refusal";
}

describe("--config FILE", () => {
  const target = (before: string | null, inv: VmInventory = INV, path = "/vm/w.conf") => configTarget("assign", path, before, DEVICES, inv);
  test("a new file: no entries, nothing running", () => {
    expect(target(null)).toEqual({ manager: "bhyve-config", vm: null, path: "/vm/w.conf", entries: [], running: false });
  });
  test("its passthru nodes, by address or by a ppt name this host knows", () => {
    const text = "pci.0.6.0.device=passthru\npci.0.6.0.bus=1\npci.0.6.0.slot=0\npci.0.6.0.func=0\npci.0.7.0.device=passthru\npci.0.7.0.pptdev=ppt1\npci.0.8.0.device=passthru\npci.0.8.0.pptdev=ppt9\n";
    expect(target(text)).toEqual({ manager: "bhyve-config", vm: null, path: "/vm/w.conf", entries: ["1/0/0", "2/0/0"], running: false });
  });
  test("a file bhyve would stop at: its words", () => {
    expect(refusal(() => target("pci.0.6.0.device=passthru\r\n"))).toBe("assign: /vm/w.conf: line 1 ends in a carriage return (a DOS line ending), which bhyve keeps in the value: save the file with Unix line endings; nothing was changed");
  });
  test.each([
    ["memory.size=2G\nname=vm[1]\n", null],
    ["x.cpu=2\n", null],
    ['{"passthru": []}', "JSON (a Hoster vm_config.json?)"],
    ["  [1]", "JSON (a Hoster vm_config.json?)"],
    ["passthru10=1/0/0\n", "a vm-bhyve config"],
    ["network10_type=virtio-net\n", "a vm-bhyve config"],
    ["disk10_name=disk0.img\n", "a vm-bhyve config"],
    ["memory.size=2G\ncpu=2\n", "a vm-bhyve config"],
  ])("%p looks like %p", (text, look) => {
    const r = refusal(() => target(text));
    expect(r).toBe(look === null ? "no refusal" : `assign: /vm/w.conf looks like ${look}, not a bhyve_config(5) file, and its manager would never read pci.0.S.F lines: give the VM with --vm NAME (and its directory with --vms PATH)`);
  });
  test("a config a manager owns is named as that VM's", () => {
    const hoster = { ...INV, configs: [{ vm: "my vm", manager: "hoster" as const, path: "/vm/w.conf", layout: "hoster" as const, entries: [], memory: null, missing: null, guest: null, firmware: null, hoster: null }] };
    expect(refusal(() => target("", hoster))).toBe("assign: /vm/w.conf is my vm's Hoster config, not a bhyve_config(5) file: use --vm 'my vm'");
    const broken = { ...INV, problems: [{ path: "/vm/w.conf", vm: "lab", layout: "vm-bhyve" as const, problem: "CRLF" }] };
    expect(refusal(() => target("", broken))).toBe("assign: /vm/w.conf is lab's vm-bhyve config, not a bhyve_config(5) file: use --vm lab");
    const nobodys = { ...INV, problems: [{ path: "/vm/w.conf", vm: null, problem: "permission denied" }] };
    expect(target(null, nobodys).manager).toBe("bhyve-config");
  });
});

describe("--vm NAME", () => {
  test("no VM of that name, and no VMs at all: why, from the first problem met", () => {
    const inv = { ...INV, problems: [{ path: "/zroot/vm", vm: null, problem: "permission denied" }] };
    expect(refusal(() => findTarget({ ...M, vms: inv }, "assign", "nope", false))).toBe(
      "assign: no VM named 'nope': pptctl found no Hoster, vm-bhyve or CBSD VMs (/zroot/vm: permission denied); point it at the VM directory with --vms PATH, or edit a bhyve config with --config FILE",
    );
  });
  test("a CBSD environment is CBSD's to change: running, or in a state pptctl cannot tell, is no refusal", () => {
    const cbsd = { workdir: "/usr/jails", names: ["cb1"] };
    const running = findTarget({ ...M, vms: { ...INV, cbsd, instances: ["cb1"], processes: vmProcesses("1 bhyve: cb1") } }, "assign", "cb1", false);
    expect(running).toMatchObject({ manager: "cbsd", vm: "cb1", running: true });
    const unknown = findTarget({ ...M, vms: { ...INV, cbsd, instances: ["cb1"], processes: null } }, "assign", "cb1", false);
    expect(unknown).toMatchObject({ manager: "cbsd", vm: "cb1" });
  });
});

describe("planAssign: another VM's config pptctl cannot read (issue 32, finding 1)", () => {
  const MSI = "    cap 05[68] = MSI supports 1 message, 64 bit";
  const m0 = host({ pci: pci(dev("ppt0", "1:0:0", { caps: [MSI] }), dev("ppt1", "2:0:0", { caps: [MSI] }), dev("em1", "3:0:0", { caps: [MSI], cls: "0x020000" })) });
  const target = { manager: "vm-bhyve" as const, vm: "desk", path: "/vm/desk/desk.conf", entries: [], running: false };
  const plan = (problems: VmInventory["problems"], sel = "1/0/0") => {
    const m = { ...m0, vms: { ...m0.vms, problems } };
    try {
      return planAssign(m, { action: "assign", selectors: [parseSelectorOrThrow(sel)], target, before: 'loader="uefi"\ncpu=2\nmemory=2G\n' }).warnings;
    } catch (e) {
      if (e instanceof PptError) return e.message;
      throw e;
    }
  };
  const crlf = (text: string) => ({ path: "/vm/lab/lab.conf", vm: "lab", layout: "vm-bhyve" as const, problem: "CRLF line ends", text });
  test("a device written there: refused, by address or by its ppt name", () => {
    const refused = "assign: 1/0/0 is written in lab's config (/vm/lab/lab.conf), which pptctl cannot read (CRLF line ends) but its manager may; a device goes to one VM: fix or edit that config first";
    expect(plan([crlf('passthru0="1/0/0"\r\n')])).toBe(refused);
    expect(plan([crlf('passthru0="ppt0"\r\n')])).toBe(refused);
  });
  test("other devices there, or none: a warning that says what is not known", () => {
    const warn = "pptctl cannot read lab's config (/vm/lab/lab.conf: CRLF line ends), so whether lab names these devices too is not known";
    expect(plan([crlf('passthru0="11/0/10"\r\npassthru1="ppt10"\r\n')])).toContain(warn);
    expect(plan([{ path: "/vm/lab/lab.conf", vm: "lab", problem: "permission denied" }])).toContain(warn.replace("CRLF line ends", "permission denied"));
  });
  test("a ppt name counts only for a device on ppt: em1 is no ppt unit", () => {
    expect(plan([crlf('passthru0="em1"\r\n')], "3/0/0")).toEqual(expect.arrayContaining([expect.stringContaining("whether lab names these devices too is not known")]));
  });
  test("a problem of no VM, or of the VM being assigned to, says nothing here", () => {
    expect(plan([{ path: "/vm", vm: null, problem: "permission denied" }])).toEqual([]);
    expect(plan([{ ...crlf('passthru0="1/0/0"\r\n'), vm: "desk" }])).toEqual([]);
  });
});

describe("editFor, the edge of each config kind", () => {
  const A = addr(1, 0, 0);
  const B = addr(2, 0, 0);
  const IGD = new Set([addrKey(A)]);
  const t = (manager: "hoster" | "bhyve-config") => ({ manager, vm: manager === "hoster" ? "desk" : null, path: "/vm/desk.json", entries: [], running: false });
  test("Hoster: unassign takes only the devices named, and says nothing of an IGD it takes out", () => {
    const e = editFor("unassign", t("hoster"), '{"passthru": ["1/0/0", "2/0/0"]}', [A], IGD, DEVICES);
    expect(e.after).toBe('{"passthru": ["2/0/0"]}');
    expect(e.warnings).toEqual([]);
  });
  test("Hoster: assign of an IGD beside another device warns of the IGD", () => {
    const e = editFor("assign", t("hoster"), '{"passthru": []}', [B, A], IGD, DEVICES);
    expect(e.warnings).toHaveLength(1);
    expect(e.warnings[0]).toStartWith("1/0/0 is Intel integrated graphics");
  });
  test("bhyve -k: unassign past a node whose ppt name this host does not know; no warnings", () => {
    const text = "pci.0.6.0.device=passthru\npci.0.6.0.bus=1\npci.0.6.0.slot=0\npci.0.6.0.func=0\npci.0.7.0.device=passthru\npci.0.7.0.pptdev=ppt9\n";
    const e = editFor("unassign", t("bhyve-config"), text, [A], new Set(), DEVICES);
    expect(e.after).toBe("pci.0.7.0.device=passthru\npci.0.7.0.pptdev=ppt9\n");
    expect(e.warnings).toEqual([]);
  });
  test("bhyve -k: no free guest slot, with the slots in use in order", () => {
    const used = [30, ...Array.from({ length: 29 }, (_, i) => i + 1)].map((s) => `pci.0.${s}.0.device=virtio-blk\n`).join("");
    expect(refusal(() => editFor("assign", t("bhyve-config"), used, [A], new Set(), DEVICES))).toBe(
      `assign: /vm/desk.json: no free guest slot left for these devices (used: ${Array.from({ length: 30 }, (_, i) => i + 1).join(", ")}); nothing was changed`,
    );
  });
});

describe("planAssign: what comes along, what stays, what the host loses", () => {
  const MSI = "    cap 05[68] = MSI supports 1 message, 64 bit";
  const GPU = dev("vgapci0", "1:0:0", { caps: [MSI] });
  const AUDIO = dev("hdac0", "1:0:1", { cls: "0x040300", caps: [MSI] });
  const NIC0 = dev("igb0", "2:0:0", { cls: "0x020000", vendor: 0x8086, caps: [MSI] });
  const NIC1 = dev("igb1", "2:0:1", { cls: "0x020000", vendor: 0x8086, caps: [MSI] });
  const m = host({ pci: pci(GPU, AUDIO, NIC0, NIC1, dev("ppt0", "3:0:0", { caps: [MSI] })) });
  const vmT = { manager: "vm-bhyve" as const, vm: "desk", path: "/vm/desk/desk.conf", entries: [] as string[], running: false };
  const run = (action: "assign" | "unassign", sel: string, target: typeof vmT | { manager: "bhyve-config"; vm: null; path: string; entries: string[]; running: boolean } = vmT, model = m) =>
    planAssign(model, { action, selectors: [parseSelectorOrThrow(sel)], target, before: "" });
  test("a GPU's audio comes along on assign and goes too on unassign, named", () => {
    expect(run("assign", "1/0/0").warnings.find((w) => w.includes("comes along"))).toStartWith("1/0/1 (hdac0) comes along: ");
    expect(run("unassign", "1/0/0", { ...vmT, entries: ["1/0/0", "1/0/1"] }).warnings.find((w) => w.includes("goes too"))).toStartWith("1/0/1 (hdac0) goes too: ");
  });
  test("a function of the same card left out is named, with the VM or 'the config'; not on unassign", () => {
    expect(run("assign", "2/0/0").warnings).toContain("igb1 (2/0/1) on the same card stays out of desk; assign it too if the guest needs the whole card");
    expect(run("assign", "2/0/0", { manager: "bhyve-config", vm: null, path: "/vm/w.conf", entries: [], running: false }).warnings).toContain("igb1 (2/0/1) on the same card stays out of the config; assign it too if the guest needs the whole card");
    expect(run("unassign", "2/0/0", { ...vmT, entries: ["2/0/0"] }).warnings.filter((w) => w.includes("stays out"))).toEqual([]);
  });
  test("a GPU already on ppt is no display the host loses", () => {
    const onPpt = host({ pci: pci(dev("ppt0", "1:0:0", { caps: [MSI] })) });
    expect(run("assign", "1/0/0", vmT, onPpt).warnings.filter((w) => /display/.test(w))).toEqual([]);
    const onHost = host({ pci: pci(dev("vgapci0", "1:0:0", { caps: [MSI] })) });
    expect(run("assign", "1/0/0", vmT, onHost).warnings.filter((w) => /display/.test(w))).toHaveLength(1);
  });
  test("unassign by a device's name, and a config entry that does not parse is no device of it", () => {
    expect(run("unassign", "ppt0", { ...vmT, entries: ["3/0/0"] }).picks.filter((p) => !p.unchanged).map((p) => p.addr)).toEqual([addr(3, 0, 0)]);
    expect(run("assign", "3/0/0", { ...vmT, entries: ["ppt9"] }).picks.filter((p) => !p.unchanged).map((p) => p.addr)).toEqual([addr(3, 0, 0)]);
  });
});
