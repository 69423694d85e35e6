import type { AssignPlan } from "../core/assign/plan.ts";
import type { EditEntry } from "../core/assign/edit.ts";
import { formatBhyve, formatSelector } from "../core/pci/address.ts";
import type { Step } from "../core/runtime/devctl.ts";
import type { Result } from "./runtime-steps.ts";

const list = (xs: readonly string[]) => xs.join(" ");

/** An entry for a person: as the file has it, and where it lands when the file fixes that. */
function shown(plan: AssignPlan, e: EditEntry): string {
  if (plan.target.manager === "bhyve-config" && e.guest) return `${formatBhyve(e.addr)} at guest ${e.guest.slot}:${e.guest.func}`;
  // A pptN entry also says which device that is now.
  return e.written.startsWith(formatBhyve(e.addr)) ? e.written : `${e.written} (${formatBhyve(e.addr)})`;
}

/** One line: what changed in which file, or why nothing did. */
export function summaryLine(plan: AssignPlan, changed: boolean, dry: boolean): string {
  const t = plan.target;
  const whose = t.vm !== null ? `${t.vm}'s config` : t.path ?? "the config";
  const unchanged = plan.picks.filter((p) => p.unchanged).map((p) => formatBhyve(p.addr));
  const done = plan.action === "assign" ? "added to" : "removed from";
  const verb = dry ? "would be" : plan.entries.length === 1 ? "is" : "are";
  const head = changed ? `${list(plan.entries.map((e) => shown(plan, e)))} ${verb} ${plan.action === "assign" ? (dry ? "added to" : "now in") : dry ? "taken out of" : "out of"} ${whose}${t.path ? ` (${t.path})` : ""}` : "";
  if (t.manager === "cbsd" && plan.commands.length > 0) {
    return `CBSD keeps passthrough in its own database, which pptctl does not write: run the command${plan.commands.length === 1 ? "" : "s"} above (CBSD's bhyve-ppt takes only a device that is on ppt when it runs)`;
  }
  if (unchanged.length === 0) return head;
  const already = plan.action === "assign" ? `already in ${whose}` : `not in ${whose}`;
  const rest = `${list(unchanged)}: ${already}${changed ? "" : `; nothing was ${done.split(" ")[0]}`}`;
  return head ? `${head}; ${rest}` : rest;
}

/**
 * Whether each device can reach the guest at the next start (on ppt now, reserved for the next
 * boot), and then one command for all that need it: the same advice doctor and args give.
 */
export function hostSideLines(plan: AssignPlan): { ok: boolean; text: string }[] {
  const lines = plan.picks.map((p) => {
    const b = formatBhyve(p.addr);
    const name = p.device?.name ?? "not on the bus";
    const now = p.onPpt ? `on ppt now (${name})` : `not on ppt (${p.device?.driver === "none" ? "no driver" : name})`;
    const boot = p.reserved ? "reserved in pptdevs" : "not reserved in pptdevs";
    const ready = plan.action === "unassign" || (p.onPpt && p.reserved);
    return { ok: ready, text: `${b}: ${now}, ${boot}${plan.action === "assign" && ready ? ": ready" : ""}` };
  });
  const sels = (ps: typeof plan.picks) => ps.map((p) => formatBhyve(p.addr)).join(" ");
  if (plan.action === "unassign") {
    const held = plan.picks.filter((p) => p.device !== null && (p.onPpt || p.reserved));
    if (held.length > 0) lines.push({ ok: true, text: `if no other VM needs ${held.length === 1 ? "it" : "them"}, give ${held.length === 1 ? "it" : "them"} back to the host for good: pptctl release ${sels(held)} --persist` });
    return lines;
  }
  const loose = plan.picks.filter((p) => p.device !== null && !(p.onPpt && p.reserved));
  if (loose.length > 0) {
    const moves = loose.some((p) => !p.onPpt);
    lines.push({ ok: false, text: `${moves ? "move them to ppt now and keep them there" : "keep them on ppt after a reboot"}: pptctl attach ${sels(loose)} --persist${moves ? " (or run assign with --attach)" : ""}`.replace(/them/g, loose.length === 1 ? "it" : "them") });
  }
  return lines;
}

interface JsonExtra {
  readonly dryRun: boolean;
  readonly changed: boolean;
  readonly diff: string;
  readonly backup: string | null;
  readonly attach: readonly Step[];
  readonly attachResults: readonly Result[] | null;
  readonly persisted: { path: string; backup: string | null } | null;
  readonly loaderDiff: string | null;
}

export function assignJson(plan: AssignPlan, x: JsonExtra): string {
  const t = plan.target;
  const doc = {
    format: "pptctl-assign/1",
    action: plan.action,
    dryRun: x.dryRun,
    vm: t.vm,
    manager: t.manager,
    config: t.path,
    running: t.running,
    changed: x.changed,
    // One shape for every manager: the device, the entry as the file has it, the guest slot it fixes.
    entries: plan.entries.map((e) => ({ bhyve: formatBhyve(e.addr), written: e.written, guest: e.guest ? `${e.guest.slot}:${e.guest.func}` : null })),
    devices: plan.picks.map((p) => ({
      bhyve: formatBhyve(p.addr),
      selector: formatSelector(p.addr),
      name: p.device?.name ?? null,
      along: p.along,
      unchanged: p.unchanged,
      onPpt: p.onPpt,
      reserved: p.reserved,
    })),
    commands: plan.commands,
    diff: x.diff === "" ? null : x.diff,
    backup: x.backup,
    warnings: plan.warnings,
    attach: x.attach.map((st) => st.argv),
    attached: x.attachResults?.map((r) => ({ bhyve: formatBhyve(r.step.addr), ok: r.outcome.kind === "done", after: r.outcome.after?.name ?? null, restored: r.restored })) ?? null,
    loaderDiff: x.loaderDiff,
    persisted: x.persisted,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
