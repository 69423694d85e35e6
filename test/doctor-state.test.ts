import { describe, expect, test } from "bun:test";
import { runDoctor } from "../src/core/doctor/doctor.ts";
import { instancesCheck } from "../src/core/doctor/instances.ts";
import { runtimeOnlyCheck } from "../src/core/doctor/runtime.ts";
import { conflictsCheck, rebootCheck } from "../src/core/doctor/state.ts";
import { type CheckStatus, EXIT_CODE, check, overall } from "../src/core/doctor/types.ts";
import type { HostModel } from "../src/core/model/model.ts";
import { assignmentsOf } from "../src/core/vm/assignments.ts";
import type { VmConfig, VmInventory } from "../src/core/vm/configs.ts";
import { vmProcesses } from "../src/core/vm/instances.ts";
import { cfgOf, dev, host, kv, line, loader, no, ok, pci, checkTable } from "./doctor-model.ts";

/**
 * The doctor checks of what changed since boot, of the VM configs and of /dev/vmm, case by case
 * (issue 36). Statuses are asserted here, the whole lines by the snapshot.
 */
const table = checkTable;

/** A host whose loader.conf and kernel environment are the ones given. */
const boot = (conf: string, env: Record<string, string>, over: Partial<HostModel> = {}) => host({ loader: loader(conf), kenv: ok(kv(env)), ...over });

table("reboot pending", rebootCheck, [
  ["kenv unreadable", host({ kenv: no("kenv: permission denied") }), "unknown"],
  ["a loader file unreadable", host({ loaderUnknown: ["/boot/loader.conf.local (permission denied)"] }), "unknown"],
  ["in sync", boot('vmm_load="YES"\npptdevs="1/0/0"\n', { vmm_load: "YES", pptdevs: "1/0/0" }), "pass"],
  ["in sync, the kernel's records split differently", boot('vmm_load="YES"\npptdevs="1/0/0 2/0/0"\n', { vmm_load: "YES", pptdevs: "2/0/0", pptdevs2: "1/0/0" }), "pass"],
  ["nothing anywhere", boot("", {}), "pass"],
  ["one added since boot", boot('vmm_load="YES"\npptdevs="1/0/0 2/0/0"\n', { vmm_load: "YES", pptdevs: "1/0/0" }), "warn"],
  ["one dropped since boot", boot('vmm_load="YES"\npptdevs="1/0/0"\n', { vmm_load: "YES", pptdevs: "1/0/0 3/0/0" }), "warn"],
  ["added and dropped", boot('vmm_load="YES"\npptdevs="2/0/0"\n', { vmm_load: "YES", pptdevs: "3/0/0" }), "warn"],
  ["all of pptdevs2 dropped", boot('vmm_load="YES"\npptdevs="1/0/0"\n', { vmm_load: "YES", pptdevs: "1/0/0", pptdevs2: "4/0/0" }), "warn"],
  ["vmm_load written since boot", boot('vmm_load="YES"\n', {}), "warn"],
  ["vmm_load only in the kernel", boot("", { vmm_load: "YES" }), "warn"],
  ["vmm_load differs only in case and blanks", boot('vmm_load=" yes"\n', { vmm_load: "YES" }), "pass"],
  ["the kernel's vmm_load has a blank after it", boot('vmm_load="YES"\n', { vmm_load: "YES " }), "pass"],
  ["two added since boot, one line naming both", boot('vmm_load="YES"\npptdevs="1/0/0 2/0/0 4/0/0"\n', { vmm_load: "YES", pptdevs: "1/0/0" }), "warn"],
  ["amdvi enabled since boot", boot('hw.vmm.amdvi.enable="1"\n', { "hw.vmm.amdvi.enable": "0" }), "warn"],
  ["iommu setting changed", boot('hw.vmm.iommu.enable="0"\n', {}), "warn"],
  [
    "one released at run time",
    boot('vmm_load="YES"\npptdevs="1/0/0 2/0/0"\n', { vmm_load: "YES", pptdevs: "1/0/0", "pptctl.released": "2/0/0" }),
    "warn",
  ],
  [
    "two released at run time",
    boot('vmm_load="YES"\npptdevs="1/0/0 2/0/0 3/0/0"\n', { vmm_load: "YES", pptdevs: "1/0/0", "pptctl.released": "2/0/0 3/0/0" }),
    "warn",
  ],
  [
    "released, and loader.conf no longer reserves it",
    boot('vmm_load="YES"\npptdevs="1/0/0"\n', { vmm_load: "YES", pptdevs: "1/0/0", "pptctl.released": "2/0/0" }),
    "pass",
  ],
  [
    "released, yet the kernel's record still names it",
    boot('vmm_load="YES"\npptdevs="1/0/0 2/0/0"\n', { vmm_load: "YES", pptdevs: "1/0/0 2/0/0", "pptctl.released": "2/0/0" }),
    "pass",
  ],
  [
    "released beside a real change: the change is said",
    boot('vmm_load="YES"\npptdevs="1/0/0 2/0/0 5/0/0"\n', { vmm_load: "YES", pptdevs: "1/0/0", "pptctl.released": "2/0/0" }),
    "warn",
  ],
]);

test("a device released at run time is not also called added", () => {
  const c = rebootCheck(boot('vmm_load="YES"\npptdevs="1/0/0 2/0/0"\n', { vmm_load: "YES", pptdevs: "1/0/0", "pptctl.released": "2/0/0" }));
  expect(c.summary).not.toContain("reboot pending");
  expect(c.fix).toBe("back to ppt now: 'pptctl attach 2/0/0 --persist'; to keep it on the host for good: 'pptctl release 2/0/0 --persist'");
});

function vm(name: string, entries: string[], path = `/vm/${name}/${name}.conf`): VmConfig {
  return { vm: name, manager: "vm-bhyve", path, layout: "vm-bhyve", entries, memory: null, missing: null, guest: null, firmware: null, hoster: null };
}

function vms(over: Partial<VmInventory>): HostModel["vms"] {
  return { ...host().vms, ...over };
}

const conflicts = (m: HostModel) => conflictsCheck(m, assignmentsOf(m.vms));

table("VM configs", conflicts, [
  ["no configs", host(), "skip"],
  ["one VM", host({ vms: vms({ configs: [vm("win", ["1/0/0"])] }) }), "pass"],
  ["two VMs, different devices", host({ vms: vms({ configs: [vm("win", ["1/0/0"]), vm("bsd", ["2/0/0"])] }) }), "pass"],
  ["one VM names a device twice", host({ vms: vms({ configs: [vm("win", ["1/0/0", "-1/0/0"])] }) }), "pass"],
  ["one device in two VMs", host({ vms: vms({ configs: [vm("win", ["1/0/0"]), vm("bsd", ["1/0/0"])] }) }), "warn"],
  [
    "two devices, each in two VMs",
    host({ vms: vms({ configs: [vm("win", ["1/0/0", "2/0/0"]), vm("bsd", ["1/0/0"]), vm("lnx", ["2/0/0"])] }) }),
    "warn",
  ],
  [
    "a conflict and a config that cannot be read",
    host({ vms: vms({ configs: [vm("win", ["1/0/0"]), vm("bsd", ["1/0/0"])], problems: [{ path: "/vm/lab/lab.conf", vm: "lab", problem: "CRLF line ends" }] }) }),
    "warn",
  ],
  ["a config that cannot be read", host({ vms: vms({ configs: [vm("win", ["1/0/0"])], problems: [{ path: "/vm/lab/lab.conf", vm: "lab", problem: "CRLF line ends" }] }) }), "unknown"],
  ["an entry that is not a device", host({ vms: vms({ configs: [vm("win", ["1/0"])] }) }), "unknown"],
  [
    "a conflict and an entry that is not a device",
    host({ vms: vms({ configs: [vm("win", ["1/0/0", "ppt9"]), vm("bsd", ["1/0/0"])] }) }),
    "warn",
  ],
  ["only a problem, no config", host({ vms: vms({ problems: [{ path: "/vm", vm: null, problem: "permission denied" }] }) }), "unknown"],
]);

const ppt = (cfgText: string, blocks: string[], over: Partial<HostModel> = {}) => host({ loader: loader(`vmm_load="YES"\n${cfgText}`), pci: pci(...blocks), ...over });
const runtime = (m: HostModel) => runtimeOnlyCheck(m, cfgOf(m));
/** An Intel X710 PF on its driver and one of its VFs (a PCI Express device above function 0). */
const PF = dev("ixl0", "3:0:0", {
  vendor: 0x8086,
  cls: "0x020000",
  label: "Ethernet Controller X710",
  caps: ["    cap 11[70] = MSI-X supports 129 messages", "    ecap 0010[1a0] = SR-IOV 1 IOV enabled, Memory Space enabled, ARI enabled"],
});
const VF = (name: string, f: number) => dev(name, `3:0:${f}`, { vendor: 0x8086, cls: "0x020000", label: "Ethernet Virtual Function 700 Series" });

table("on ppt at run time only", runtime, [
  ["pciconf unreadable", host({ pci: no("pciconf: permission denied") }), "unknown"],
  ["no ppt device", ppt('pptdevs="1/0/0"\n', [dev("vgapci0", "1:0:0")]), "skip"],
  ["a loader file unreadable", ppt('pptdevs="1/0/0"\n', [dev("ppt0", "1:0:0")], { loaderUnknown: ["/boot/loader.conf.local (permission denied)"] }), "unknown"],
  ["every ppt device reserved", ppt('pptdevs="1/0/0 2/0/0"\n', [dev("ppt0", "1:0:0"), dev("ppt1", "2:0:0")]), "pass"],
  ["one loose", ppt('pptdevs="1/0/0"\n', [dev("ppt0", "1:0:0"), dev("ppt1", "2:0:0")]), "warn"],
  ["two loose", ppt("", [dev("ppt0", "1:0:0"), dev("ppt1", "2:0:0")]), "warn"],
  ["a VF on ppt with iovctl_files set", ppt("", [PF, VF("ppt0", 1)], { rc: new Map([["iovctl_files", "/etc/iov/ixl0.conf"]]) }), "pass"],
  ["two VFs on ppt with iovctl_files set", ppt("", [PF, VF("ppt0", 1), VF("ppt1", 2)], { rc: new Map([["iovctl_files", "/etc/iov/ixl0.conf"]]) }), "pass"],
  ["a VF on ppt, iovctl_files blank", ppt("", [PF, VF("ppt0", 1)], { rc: new Map([["iovctl_files", " "]]) }), "warn"],
  ["a VF on ppt, iovctl_files not set", ppt("", [PF, VF("ppt0", 1)]), "warn"],
  ["two VFs and a loose card with iovctl_files set", ppt("", [PF, VF("ppt0", 1), VF("ppt1", 2), dev("ppt2", "5:0:0")], { rc: new Map([["iovctl_files", "/etc/iov/ixl0.conf"]]) }), "warn"],
  ["a VF and a loose card with iovctl_files set", ppt("", [PF, VF("ppt0", 1), dev("ppt1", "5:0:0")], { rc: new Map([["iovctl_files", "/etc/iov/ixl0.conf"]]) }), "warn"],
]);

const ps = (...lines: string[]) => vmProcesses(lines.join("\n"));
const inst = (instances: string[] | null, procs: string[] | null, locks: [string, boolean | null][] = []) =>
  host({ vms: vms({ instances, processes: procs === null ? null : ps(...procs), locks: new Map(locks) }) });

table("VM instances", instancesCheck, [
  ["/dev/vmm unreadable", inst(null, []), "unknown"],
  ["no instance", inst([], []), "skip"],
  ["one running", inst(["win"], ["4242 bhyve: win (bhyve)"]), "pass"],
  ["one running, one loading", inst(["win", "bsd"], ["4242 bhyve: win (bhyve)", "77 /usr/sbin/bhyveload -m 1G -d /vm/bsd/disk0.img bsd"]), "pass"],
  ["bhyve before its title", inst(["win"], ["4242 /usr/sbin/bhyve -c 2 -m 8G -s 6:0,passthru,1/0/0 win"]), "pass"],
  ["one left behind", inst(["win"], []), "warn"],
  ["two left behind", inst(["win", "old lab"], []), "warn"],
  ["left behind beside a running one", inst(["win", "bsd"], ["4242 bhyve: bsd"]), "warn"],
  ["ps unreadable", inst(["win"], null), "unknown"],
  ["vm-bhyve's run.lock, no process", inst(["win"], [], [["win", true]]), "unknown"],
  ["run.lock unreadable", inst(["win"], [], [["win", null]]), "unknown"],
  ["run.lock absent", inst(["win"], [], [["win", false]]), "warn"],
]);

test("a left-behind instance gets one destroy command each, quoted for the shell", () => {
  const c = instancesCheck(inst(["win", "old lab"], []));
  expect(c.fix).toBe("bhyvectl --destroy --vm=win; bhyvectl --destroy '--vm=old lab'");
});

test("a VM any process names never gets a destroy command", () => {
  for (const p of ["77 grub-bhyve -r hd0,msdos1 win", "70 /bin/sh /usr/local/sbin/vm _run win", "90 /opt/hoster/vm_supervisor_service for win", "91 bhyvectl --vm=win --get-stats"]) {
    const c = instancesCheck(inst(["win"], [p]));
    expect(c.status).toBe("pass");
    expect(`${c.summary} ${c.fix}`).not.toContain("destroy");
  }
});

describe("overall status and exit codes", () => {
  const c = (status: CheckStatus) => check("x", "x", status, "s", "f");
  test.each([
    [[], "ok"],
    [["pass", "skip"], "ok"],
    [["pass", "unknown"], "unknown"],
    [["unknown", "warn"], "warning"],
    [["warn", "fail", "unknown"], "critical"],
    [["fail"], "critical"],
  ] as [CheckStatus[], string][])("%p is %s", (statuses, want) => {
    expect(overall(statuses.map(c))).toBe(want as never);
  });
  test("monitoring-plugin exit codes", () => {
    expect(EXIT_CODE).toEqual({ ok: 0, warning: 1, critical: 2, unknown: 3 });
  });
  test("a passing or skipped check carries no fix; the others keep theirs", () => {
    expect(c("pass").fix).toBeNull();
    expect(c("skip").fix).toBeNull();
    for (const s of ["warn", "fail", "unknown"] as const) expect(c(s).fix).toBe("f");
    expect(check("x", "x", "warn", "s").fix).toBeNull();
  });
});

describe("runDoctor", () => {
  test("every check once, in the order an admin fixes things, over the healthy model", () => {
    const r = runDoctor(host());
    expect(r.checks.map((c) => c.id)).toMatchSnapshot();
    expect(new Set(r.checks.map((c) => c.id)).size).toBe(r.checks.length);
    expect(r.pptDevices).toBe(1);
    expect(r.pciUnparsed).toBe(0);
    expect(r.notes).toEqual([]);
  });
  test("the ppt count and unparsed pciconf lines", () => {
    const r = runDoctor(host({ pci: pci(dev("ppt0", "1:0:0"), dev("ppt1", "2:0:0"), dev("vgapci0", "3:0:0"), "garbage line one\ngarbage line two") }));
    expect(r.pptDevices).toBe(2);
    expect(r.pciUnparsed).toBe(2);
    expect(r.notes.length).toBeGreaterThan(0);
  });
  test("pciconf unreadable: no count, nothing unparsed", () => {
    const r = runDoctor(host({ pci: no("pciconf: permission denied") }));
    expect(r.pptDevices).toBeNull();
    expect(r.pciUnparsed).toBe(0);
    expect(r.status).not.toBe("ok");
  });
  test("the status is the overall of the checks", () => {
    const r = runDoctor(host({ kenv: ok(kv({ vmm_load: "YES" })) }));
    expect(r.status).toBe(overall(r.checks));
    expect(r.status).toBe("warning");
  });
});
