import { shellLine } from "../core/text/shell.ts";
import { PptError } from "../core/errors.ts";
import { formatBhyve, sameAddr } from "../core/pci/address.ts";
import type { PciDevice } from "../core/pci/device.ts";
import { parsePciconf } from "../core/parse/pciconf.ts";
import { type KenvChange, kenvArgv } from "../core/runtime/kenv.ts";
import { type Action, type DevctlRun, type Outcome, type Step, devctlArgv, judge, outcomeLine } from "../core/runtime/devctl.ts";
import { CMD } from "../core/snapshot.ts";
import type { Ctx } from "./_context.ts";
import type { MemoHost } from "../host/host.ts";
import { type Interrupts, holdInterrupts } from "../io/interrupt.ts";
import { waitLine } from "./progress.ts";

/** Re-attaching a host driver took 46 s under emulation on 14.0 (corpus devctl-extra/). */
const DEVCTL_TIMEOUT_MS = 120_000;

/** One command run on the host for a device (kenv or devctl), for --json. */
export interface Call extends DevctlRun {
  readonly argv: readonly string[];
}

export interface Result {
  readonly step: Step;
  readonly outcome: Outcome;
  readonly devctl: DevctlRun;
  readonly restored: string | null;
  readonly calls: readonly Call[];
}

/**
 * Runs the steps one device at a time, each judged by re-reading pciconf, and stops at the
 * first failure (after putting that device back where it can). Each outcome is said as it
 * happens: results on stdout (unless --json), failures on stderr.
 */
export async function runSteps(
  host: MemoHost,
  action: Action,
  steps: readonly Step[],
  devicesBefore: readonly PciDevice[],
  ctx: Ctx,
  json: boolean,
  /** Undoing a change tries every device, not only those before a failure (or a Ctrl-C). */
  keepGoing = false,
): Promise<{ results: Result[]; failed: boolean; interrupted: Interrupts | null }> {
  const timeoutMs = positive(ctx.io.env.PPTCTL_DEVCTL_TIMEOUT_MS) ?? DEVCTL_TIMEOUT_MS;
  let before = devicesBefore;
  const results: Result[] = [];
  let failed = false;
  let current: Step | null = null;
  const signals = holdInterrupts((sig) => {
    const doing = current ? `the move of ${formatBhyve(current.addr)} finishes first, so it ends on one driver` : "nothing is moving";
    ctx.io.err(`\r\x1b[Kpptctl: ${action}: ${sig}: ${doing}${keepGoing ? "; putting back what moved goes on" : ""}\n`);
  });
  try {
    for (const step of steps) {
      if (signals.signal !== null && !keepGoing) break;
      current = step;
      const r = await runStep(host, action, step, before, ctx, json, timeoutMs);
      before = r.before;
      results.push(r.result);
      if (r.result.outcome.kind === "failed") {
        failed = true;
        if (!keepGoing) break;
      }
    }
  } finally {
    signals.release();
  }
  return { results, failed, interrupted: signals.signal !== null ? signals : null };
}

/** One device: kenv, devctl (with its fallback), pciconf read back, judged, said. */
async function runStep(
  host: MemoHost,
  action: Action,
  step: Step,
  devicesBefore: readonly PciDevice[],
  ctx: Ctx,
  json: boolean,
  timeoutMs: number,
): Promise<{ result: Result; before: readonly PciDevice[] }> {
  let before = devicesBefore;
  const calls: Call[] = [];
  const call = async (argv: readonly string[]) => {
    const r = await runHostCommand(host, action, argv, timeoutMs);
    calls.push({ argv, ...r });
    return r;
  };
  const kenvFailed = await applyKenv(step.kenv, call);
  let devctl: DevctlRun = { exit: null, stderr: "", timedOut: null };
  let after = before;
  let outcome: Outcome;
  if (kenvFailed) {
    outcome = { kind: "failed", after: before.find((d) => sameAddr(d.addr, step.addr)) ?? null, why: `${kenvFailed}; the device was not touched`, vanished: [] };
  } else {
    const from = step.before.driver === "none" ? "no driver" : step.before.name;
    const done = await waitLine(ctx, json, `waiting for devctl to move ${formatBhyve(step.addr)} (${from} → ${action === "attach" ? "ppt" : "the host driver"}; a driver may take a minute, pptctl waits up to ${Math.round(timeoutMs / 1000)} s)`);
    let last: DevctlRun;
    try {
      devctl = await call(step.argv);
      after = await rereadPci(host, action);
      last = devctl;
      // ppt took it by probing (pptdevs at boot): clear driver changed nothing, detach + attach re-probes.
      if (step.fallback.length > 0 && after.find((d) => sameAddr(d.addr, step.addr))?.driver === "ppt") {
        for (const argv of step.fallback) {
          last = await call(argv);
          if (last.exit !== 0) break;
        }
        after = await rereadPci(host, action);
      }
    } finally {
      done();
    }
    outcome = judge(action, step, last, before, after);
  }
  let restored: string | null = null;
  if (outcome.kind === "failed" && step.kenvUndo.length > 0 && !kenvFailed) {
    // It stayed on ppt: the environment goes back to naming it, as it did.
    await applyKenv(step.kenvUndo, call);
  }
  if (outcome.kind === "failed" && (outcome.vanished.length > 0 || outcome.after === null || (action === "attach" && outcome.after.driver !== step.before.driver))) {
    // Left worse than before: give the device back to the kernel's choice of driver.
    const undo = devctlArgv("release", step.addr);
    const r = await call(undo);
    const again = await rereadPci(host, action);
    const back = before.every((b) => again.some((a) => sameAddr(a.addr, b.addr)));
    restored = `${shellLine(undo)}: ${back ? "every device is back" : `still missing: ${before.filter((b) => !again.some((a) => sameAddr(a.addr, b.addr))).map((d) => formatBhyve(d.addr)).join(", ")}`}${r.exit !== 0 && r.exit !== null ? ` (devctl exit ${r.exit})` : ""}`;
    before = again;
  } else {
    before = after;
  }
  if (outcome.kind === "done") await applyKenv(step.kenvAfter, call);
  const line = outcomeLine(action, step, outcome);
  // Results on stdout; a failure is an error, on stderr (a script's $(…) keeps only results).
  if (outcome.kind === "done") {
    if (!json) ctx.io.out(`${line}\n`);
  } else ctx.io.err(`pptctl: ${action}: ${line}\n`);
  if (outcome.kind === "done" && outcome.note) ctx.log.warn(`${formatBhyve(step.addr)}: ${outcome.note}`);
  if (restored) ctx.log.warn(`${formatBhyve(step.addr)}: restored with ${restored}`);
  return { result: { step, outcome, devctl, restored, calls }, before };
}

/** Runs kenv calls in order; the reason when one fails, else null. */
export async function applyKenv(changes: readonly KenvChange[], call: (argv: readonly string[]) => Promise<DevctlRun>): Promise<string | null> {
  for (const c of changes) {
    const r = await call(kenvArgv(c));
    if (r.exit !== 0) return `${shellLine(kenvArgv(c))} failed (${r.timedOut !== null ? `no answer within ${r.timedOut} s` : `exit ${r.exit}${r.stderr.trim() ? `: ${r.stderr.trim().split("\n")[0]}` : ""}`})`;
  }
  return null;
}

export async function runHostCommand(host: MemoHost, action: Action, argv: readonly string[], timeoutMs: number): Promise<DevctlRun> {
  const r = await host.runFresh(argv, { timeoutMs });
  if (r.kind === "missing") throw new PptError(`${action}: ${r.reason}; nothing was changed`, 1);
  if (r.kind === "timeout") return { exit: null, stderr: "", timedOut: r.seconds };
  return { exit: r.exit, stderr: r.stderr, timedOut: null };
}

export async function rereadPci(host: MemoHost, action: Action): Promise<PciDevice[]> {
  const r = await host.runFresh(CMD.pciconf);
  if (r.kind !== "ran" || (r.exit !== 0 && r.stdout.trim() === "")) {
    throw new PptError(`${action}: devctl ran, but pciconf cannot be read back to see what happened; run 'pciconf -lv' by hand`, 1);
  }
  return [...parsePciconf(r.stdout).devices];
}

function positive(v: string | undefined): number | undefined {
  const n = Number(v);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}
