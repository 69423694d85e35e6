import { assignmentsOf } from "../vm/assignments.ts";
import type { HostModel } from "../model/model.ts";
import { pciNotes, unparsedLines } from "../parse/pciconf.ts";
import { readPptdevsConfig } from "../loader/pptdevs-config.ts";
import { cpuVirtCheck, iommuCheck, platformCheck, vmmCheck } from "./platform.ts";
import { boundCheck, bridgeCheck, msiCheck, siblingsCheck, syntaxCheck } from "./pptdevs.ts";
import { quirksCheck, resetCheck } from "./knowledge.ts";
import { instancesCheck } from "./instances.ts";
import { runtimeOnlyCheck } from "./runtime.ts";
import { conflictsCheck, rebootCheck } from "./state.ts";
import { type Check, type Overall, overall, withRecordingFix } from "./types.ts";

export interface DoctorReport {
  readonly status: Overall;
  readonly checks: readonly Check[];
  /** Devices attached to ppt now, null when pciconf could not be read. */
  readonly pptDevices: number | null;
  /** Lines of pciconf output no pattern understood (0 when it could not be read). */
  readonly pciUnparsed: number;
  /** Said on stderr, apart from the checks: what pptctl could not read as it expected. */
  readonly notes: readonly string[];
}

/** Every readiness check, in the order an admin fixes things. Pure. */
export function runDoctor(m: HostModel): DoctorReport {
  const cfg = readPptdevsConfig(m.loader);
  const unparsed = m.pci.ok ? unparsedLines(m.pci.value) : { count: 0, first: null };
  const checks = [
    platformCheck(m),
    cpuVirtCheck(m),
    iommuCheck(m),
    vmmCheck(m, cfg.records.length > 0),
    syntaxCheck(cfg, m.loaderUnknown),
    boundCheck(m, cfg),
    bridgeCheck(m, cfg),
    msiCheck(m),
    siblingsCheck(m, cfg),
    resetCheck(m, cfg),
    quirksCheck(m, cfg),
    runtimeOnlyCheck(m, cfg),
    rebootCheck(m),
    conflictsCheck(m, assignmentsOf(m.vms)),
    instancesCheck(m),
  ].map(withRecordingFix);
  return {
    status: overall(checks),
    checks,
    pptDevices: m.pci.ok ? m.pci.value.devices.filter((d) => d.driver === "ppt").length : null,
    pciUnparsed: unparsed.count,
    notes: pciNotes(unparsed),
  };
}
