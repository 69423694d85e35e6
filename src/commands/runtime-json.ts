import { formatBhyve, formatSelector } from "../core/pci/address.ts";
import type { KenvChange } from "../core/runtime/kenv.ts";
import { kenvArgv } from "../core/runtime/kenv.ts";
import type { Action, Step } from "../core/runtime/devctl.ts";
import type { Result } from "./runtime-steps.ts";

/** `pptctl-runtime/1` of a real run: each device's before/after, every call made, what was restored. */
export function runtimeJson(
  action: Action,
  results: readonly Result[],
  untried: readonly Step[],
  persisted: { path: string; backup: string | null; kenv: readonly KenvChange[] } | null,
  signal: string | null = null,
): string {
  const devices = [
    ...results.map((r) => ({
      bhyve: formatBhyve(r.step.addr),
      selector: formatSelector(r.step.addr),
      before: r.step.before.name,
      after: r.outcome.after?.name ?? null,
      ok: r.outcome.kind === "done",
      note: r.outcome.kind === "done" ? r.outcome.note : r.outcome.why,
      devctl: r.devctl,
      commands: r.calls,
      restored: r.restored,
    })),
    ...untried.map((st) => ({ bhyve: formatBhyve(st.addr), selector: formatSelector(st.addr), before: st.before.name, after: st.before.name, ok: false, note: signal ? `not tried after ${signal}` : "not tried after an earlier failure", devctl: null, commands: [], restored: null })),
  ];
  const loader = persisted ? { path: persisted.path, backup: persisted.backup, kenv: persisted.kenv.map(kenvArgv) } : null;
  return `${JSON.stringify({ format: "pptctl-runtime/1", action, dryRun: false, interrupted: signal, devices, persisted: loader }, null, 2)}\n`;
}
