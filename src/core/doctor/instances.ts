import type { HostModel } from "../model/model.ts";
import { vmState } from "../vm/instances.ts";
import { listSome } from "./pptdevs.ts";
import { type Check, check } from "./types.ts";
import { destroyCommand } from "../text/shell.ts";

/**
 * VM instances in /dev/vmm that nothing runs any more: each holds its guest's wired memory and
 * passthru devices until destroyed, and that VM's next start fails. The daily check says so.
 * An instance a process still names is never called left behind (vm/instances.ts).
 */
export function instancesCheck(m: HostModel): Check {
  const area = "VM instances";
  const inv = m.vms;
  if (inv.instances === null) return check("instances", area, "unknown", "/dev/vmm cannot be read", "run pptctl doctor as root");
  if (inv.instances.length === 0) return check("instances", area, "skip", "no VM instance in /dev/vmm");
  const states = inv.instances.map((vm) => ({ vm, s: vmState(inv, vm) }));
  const left = states.filter((x) => x.s.kind === "left-behind").map((x) => x.vm);
  if (left.length > 0) {
    const them = left.length === 1 ? "it" : "them";
    return check(
      "instances",
      area,
      "warn",
      `${listSome(left.map((vm) => `/dev/vmm/${vm}`))} ${left.length === 1 ? "is" : "are"} left behind: no process runs, starts or supervises ${them}, and ${left.length === 1 ? "it holds" : "each holds"} its guest's memory and passthru devices`,
      left.map((vm) => destroyCommand(vm)).join("; "),
    );
  }
  const unsure = states.flatMap((x) => (x.s.kind === "unknown" ? [x.s.reason] : []));
  if (unsure.length > 0) return check("instances", area, "unknown", listSome(unsure), "run pptctl doctor as root, and find what runs each VM ('ps -axww | grep NAME') before you change anything");
  const n = states.length;
  return check("instances", area, "pass", `${n} instance${n === 1 ? "" : "s"}, each run or started by a process (${listSome(states.map((x) => `${x.vm} ${x.s.kind}`))})`);
}
