import { type Assignments } from "../vm/assignments.ts";
import type { HostModel } from "../model/model.ts";
import { type PciAddress, formatBhyve, sameAddr } from "../pci/address.ts";
import { releasedAtRuntime } from "../runtime/kenv.ts";
import { kenvPptdevs, readPptdevsConfig } from "../loader/pptdevs-config.ts";
import { type Check, check } from "./types.ts";

/**
 * Compares what the loader.conf family says now with what the running kernel got (kenv). The
 * pptdevs records count as one list: vmm_is_pptdev() reads all three (sys/amd64/vmm/vmm.c). A
 * device pptctl released at run time differs on purpose, and is said as such.
 */
export function rebootCheck(m: HostModel): Check {
  const area = "reboot";
  if (!m.kenv.ok) return check("reboot-pending", area, "unknown", `cannot read kenv: ${m.kenv.reason}`, "run 'kenv' by hand");
  if (m.loaderUnknown.length > 0) return check("reboot-pending", area, "unknown", `cannot read ${m.loaderUnknown.join(", ")}`, "run pptctl doctor as root");
  const kenv = m.kenv.value;
  const conf = readPptdevsConfig(m.loader).entries;
  const kern = kenvPptdevs(kenv);
  const released = releasedAtRuntime(kenv).filter((a) => conf.some((c) => sameAddr(c, a)) && !kern.some((k) => sameAddr(k, a)));
  const added = conf.filter((c) => !kern.some((k) => sameAddr(k, c)) && !released.some((r) => sameAddr(r, c)));
  const dropped = kern.filter((k) => !conf.some((c) => sameAddr(c, k)));
  const diffs: string[] = [];
  if (added.length > 0) diffs.push(`pptdevs: loader.conf reserves ${list(added)}, which the running kernel does not`);
  if (dropped.length > 0) diffs.push(`pptdevs: the running kernel reserves ${list(dropped)}, which loader.conf no longer does`);
  for (const name of OTHERS) {
    const a = m.loader.effective.get(name)?.value;
    const b = kenv.get(name);
    if ((a ?? "").trim().toLowerCase() !== (b ?? "").trim().toLowerCase()) diffs.push(`${name}: loader.conf says ${show(a)}, running kernel has ${show(b)}`);
  }
  if (diffs.length > 0) return check("reboot-pending", area, "warn", `reboot pending: ${diffs.join("; ")}`, "reboot to apply the loader.conf changes");
  if (released.length > 0) {
    const sels = released.map(formatBhyve);
    return check(
      "reboot-pending",
      area,
      "warn",
      `loader.conf reserves ${sels.join(" ")}, which ${released.length === 1 ? "was" : "were"} released at run time with 'pptctl release': the next boot gives ${released.length === 1 ? "it" : "them"} to ppt again`,
      `back to ppt now: 'pptctl attach ${sels.join(" ")} --persist'; to keep ${released.length === 1 ? "it" : "them"} on the host for good: 'pptctl release ${sels.join(" ")} --persist'`,
    );
  }
  return check("reboot-pending", area, "pass", "the running kernel has what loader.conf says");
}

const OTHERS = ["vmm_load", "hw.vmm.amdvi.enable", "hw.vmm.iommu.enable"];

function list(addrs: readonly PciAddress[]): string {
  return addrs.map(formatBhyve).join(" ");
}

function show(v: string | undefined): string {
  return v === undefined ? "nothing" : `"${v}"`;
}

export function conflictsCheck(m: HostModel, assignments: Assignments): Check {
  const area = "VM configs";
  const conflicts = [...assignments.byDevice.values()].filter((d) => d.uses.length > 1);
  const problems = [...m.vms.problems.map((p) => `${p.path}: ${p.problem}`), ...assignments.badEntries.map((b) => `${b.path}: ${b.problem}`)];
  if (conflicts.length > 0) {
    const parts = conflicts.map((c) => `${formatBhyve(c.addr)} is in ${c.uses.map((u) => u.vm).join(" and ")}`);
    const also = problems.length > 0 ? `; also cannot read ${problems.join("; ")}` : "";
    return check("conflicts", area, "warn", `${parts.join("; ")}${also}`, "give each device to one VM; two VMs started together will fight over it");
  }
  if (problems.length > 0) return check("conflicts", area, "unknown", `cannot read every VM config: ${problems.join("; ")}`, "fix or remove the configs named above");
  if (m.vms.configs.length === 0) return check("conflicts", area, "skip", "no Hoster or vm-bhyve VM configs found");
  return check("conflicts", area, "pass", `no device is in two of ${m.vms.configs.length} VM configs`);
}
