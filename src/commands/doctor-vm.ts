import { iommuCheck, vmmCheck } from "../core/doctor/platform.ts";
import type { DoctorReport } from "../core/doctor/doctor.ts";
import { type Check, overall, withRecordingFix } from "../core/doctor/types.ts";
import { PptError } from "../core/errors.ts";
import { readPptdevsConfig } from "../core/loader/pptdevs-config.ts";
import type { HostModel } from "../core/model/model.ts";
import { shippedReports } from "../core/compat/known.ts";
import { preflight } from "../core/preflight/checks.ts";
import { type VmSpec, specOfConfig, specOfVm } from "../core/preflight/spec.ts";
import type { MemoHost } from "../host/host.ts";
import { LiveHost } from "../host/live.ts";
import { realOps } from "../host/safe-write.ts";

export interface VmTargets {
  readonly vms: readonly string[];
  readonly all: boolean;
  readonly config: string | undefined;
}

/** doctor --vm / --all-vms / --config: the host's IOMMU and vmm, then each VM's own checks. */
export async function preflightReport(host: MemoHost, model: HostModel, t: VmTargets): Promise<DoctorReport> {
  const specs: VmSpec[] = [];
  // Each VM once: the same check twice would be two Prometheus series with one name.
  const names = [...new Set(t.all ? [...model.vms.configs.map((c) => c.vm), ...model.vms.problems.flatMap((p) => (p.vm ? [p.vm] : [])), ...t.vms] : t.vms)];
  for (const name of names) {
    const spec = specOfVm(model, name);
    if (!spec && model.vms.cbsd?.names.includes(name)) {
      throw new PptError(`doctor: ${name} is a CBSD environment: CBSD keeps its passthrough devices in its own database, which pptctl does not read; 'cbsd bhyve-ppt mode=list' shows them, and 'pptctl doctor' checks the host`, 3);
    }
    if (!spec) {
      const known = [...new Set(model.vms.configs.map((c) => c.vm))];
      throw new PptError(`doctor: no VM named '${name}': ${known.length > 0 ? `the VMs pptctl found are ${known.join(", ")}` : "pptctl found no Hoster or vm-bhyve VMs; point it at them with --vms PATH, or check a bhyve config file with --config FILE"}`, 3);
    }
    specs.push(spec);
  }
  if (t.config !== undefined) {
    const live = host.inner instanceof LiveHost ? host.inner : null;
    let text: string | null = null;
    let why = "";
    try {
      text = await realOps.read(live ? live.localPath(t.config) : t.config);
      if (text === null) why = "does not exist";
    } catch (e) {
      why = (e as Error).message;
    }
    specs.push(specOfConfig(t.config, text, why, model));
  }
  if (specs.length === 0) throw new PptError("doctor: --all-vms found no VM configs; point pptctl at them with --vms PATH", 3);

  const wanted = [...new Set(specs.flatMap((s) => s.devices.flatMap((d) => (d.rom ? [d.rom] : []))))];
  const roms = new Map(await Promise.all(wanted.map(async (p) => [p, await host.statFile(p)] as const)));
  const cfg = readPptdevsConfig(model.loader);
  const checks: Check[] = [iommuCheck(model), vmmCheck(model, cfg.records.length > 0)];
  for (const spec of specs) {
    const label = spec.manager === "bhyve-config" ? spec.path : spec.vm;
    for (const c of preflight(model, spec, roms, shippedReports())) checks.push({ ...c, id: `${c.id}.${label}`, area: `${label}: ${c.area}` });
  }
  const mended = checks.map(withRecordingFix);
  return { status: overall(mended), checks: mended, pptDevices: model.pci.ok ? model.pci.value.devices.filter((d) => d.driver === "ppt").length : null, pciUnparsed: 0, notes: [] };
}
