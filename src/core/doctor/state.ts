import { type Assignments } from "../vm/assignments.ts";
import type { HostModel } from "../model/model.ts";
import { type PciAddress, formatBhyve, sameAddr } from "../pci/address.ts";
import { releasedAtRuntime } from "../runtime/kenv.ts";
import { PPTDEVS_NAMES, checkPptdevsValue, normalizeEntries } from "../loader/pptdevs.ts";
import { type Check, check } from "./types.ts";

const WATCHED = [...PPTDEVS_NAMES, "vmm_load", "hw.vmm.amdvi.enable", "hw.vmm.iommu.enable"];

/** Compares what the loader.conf family says now with what the running kernel got (kenv). */
export function rebootCheck(m: HostModel): Check {
  const area = "reboot";
  if (!m.kenv.ok) return check("reboot-pending", area, "unknown", `cannot read kenv: ${m.kenv.reason}`, "run 'kenv' by hand");
  if (m.loaderUnknown.length > 0) return check("reboot-pending", area, "unknown", `cannot read ${m.loaderUnknown.join(", ")}`, "run pptctl doctor as root");
  const diffs: string[] = [];
  // Devices pptctl released at run time left the kernel's pptdevs on purpose, until the reboot.
  const released = releasedAtRuntime(m.kenv.value);
  for (const name of WATCHED) {
    const conf = m.loader.effective.get(name)?.value;
    const kern = m.kenv.value.get(name);
    if (same(name, conf, kern, released)) continue;
    diffs.push(`${name}: loader.conf says ${show(conf)}, running kernel has ${show(kern)}`);
  }
  if (diffs.length > 0) return check("reboot-pending", area, "warn", `reboot pending: ${diffs.join("; ")}`, "reboot to apply the loader.conf changes");
  return check("reboot-pending", area, "pass", "the running kernel has what loader.conf says");
}

function same(name: string, a: string | undefined, b: string | undefined, released: readonly PciAddress[]): boolean {
  if ((PPTDEVS_NAMES as readonly string[]).includes(name)) {
    const norm = (v: string | undefined) =>
      normalizeEntries(checkPptdevsValue(v ?? "").entries)
        .filter((e) => !released.some((r) => sameAddr(r, e)))
        .map(formatBhyve)
        .join(" ");
    return norm(a) === norm(b);
  }
  return (a ?? "").trim().toLowerCase() === (b ?? "").trim().toLowerCase();
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
