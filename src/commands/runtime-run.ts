import { unifiedDiff } from "../core/diff.ts";
import { PptError } from "../core/errors.ts";
import { buildModel } from "../core/model.ts";
import { formatBhyve, formatSelector } from "../core/pci-address.ts";
import type { PciDevice } from "../core/pci-device.ts";
import { parsePciconf } from "../core/pciconf.ts";
import { makePlan } from "../core/plan.ts";
import { type Action, type DevctlRun, type Outcome, type Step, devctlArgv, judge, outcomeLine, planRuntime } from "../core/runtime.ts";
import { parseSelectorOrThrow } from "../core/selector.ts";
import { CMD } from "../core/snapshot.ts";
import type { Ctx } from "../context.ts";
import { gather } from "../host/gather.ts";
import type { MemoHost } from "../host/host.ts";
import { splitList } from "./_shared.ts";
import { loadModelWithVms } from "./_model.ts";
import { checkEdit, prepareEdit, writeEdit } from "./plan-write.ts";

/** Re-attaching a host driver took 46 s under emulation on 14.0 (corpus devctl-extra/). */
const DEVCTL_TIMEOUT_MS = 120_000;

export interface RuntimeArgs {
  readonly from?: string;
  readonly "dry-run"?: boolean;
  readonly persist?: boolean;
  readonly force?: boolean;
  readonly json?: boolean;
  readonly file?: string;
}

interface Result {
  readonly step: Step;
  readonly outcome: Outcome;
  readonly devctl: DevctlRun;
  readonly restored: string | null;
}

/** attach and release: refuse first, then one devctl call per device, each judged by pciconf. */
export async function runRuntime(action: Action, args: RuntimeArgs, ctx: Ctx): Promise<number> {
  // A recording is never changed; --dry-run only reads, so it may replay one.
  if (args.from !== undefined && !args["dry-run"]) {
    throw new PptError(`${action}: --from replays a recording, which pptctl never changes; run ${action} on the host itself (or add --dry-run)`);
  }
  const selectors = splitList(ctx.positionals).map(parseSelectorOrThrow);
  const host = await ctx.openHost(args.from);
  const model = await loadModelWithVms(host, []);
  const plan = planRuntime(model, action, selectors, args.force === true);
  for (const w of plan.warnings) ctx.log.warn(w);

  if (args["dry-run"]) {
    if (args.json) ctx.io.out(`${JSON.stringify({ format: "pptctl-runtime/1", action, dryRun: true, devices: plan.steps.map((s) => ({ bhyve: formatBhyve(s.addr), selector: formatSelector(s.addr), before: s.before.name, command: s.argv })) }, null, 2)}\n`);
    else ctx.io.out(plan.steps.map((s) => `${s.argv.join(" ")}\n`).join(""));
    return 0;
  }

  // --persist problems (a later loader file that would win, a read-only file) are found before
  // any device moves, not after.
  if (args.persist) await checkEdit(await persistEdit(action, host, plan.steps.map((s) => s.addr), args));

  const timeoutMs = positive(ctx.io.env.PPTCTL_DEVCTL_TIMEOUT_MS) ?? DEVCTL_TIMEOUT_MS;
  let before: readonly PciDevice[] = model.pci.ok ? model.pci.value.devices : [];
  const results: Result[] = [];
  let failed = false;
  for (const step of plan.steps) {
    const devctl = await runDevctl(host, step.argv, timeoutMs);
    const after = await rereadPci(host, action);
    const outcome = judge(action, step, devctl, before, after);
    let restored: string | null = null;
    if (outcome.kind === "failed" && (outcome.vanished.length > 0 || outcome.after === null || (action === "attach" && outcome.after.driver !== step.before.driver))) {
      // Left worse than before: give the device back to the kernel's choice of driver.
      const undo = devctlArgv("release", step.addr);
      const r = await runDevctl(host, undo, timeoutMs);
      const again = await rereadPci(host, action);
      const back = before.every((b) => again.some((a) => formatSelector(a.addr) === formatSelector(b.addr)));
      restored = `${undo.join(" ")}: ${back ? "every device is back" : `still missing: ${before.filter((b) => !again.some((a) => formatSelector(a.addr) === formatSelector(b.addr))).map((d) => formatBhyve(d.addr)).join(", ")}`}${r.exit !== 0 && r.exit !== null ? ` (devctl exit ${r.exit})` : ""}`;
      before = again;
    } else {
      before = after;
    }
    results.push({ step, outcome, devctl, restored });
    if (!args.json) ctx.io.out(`${outcomeLine(action, step, outcome)}\n`);
    if (outcome.kind === "done" && outcome.note) ctx.log.warn(`${formatBhyve(step.addr)}: ${outcome.note}`);
    if (restored) ctx.log.warn(`${formatBhyve(step.addr)}: restored with ${restored}`);
    if (outcome.kind === "failed") {
      failed = true;
      break;
    }
  }
  const untried = plan.steps.slice(results.length);
  if (untried.length > 0) ctx.log.warn(`not tried after the failure: ${untried.map((s) => formatBhyve(s.addr)).join(" ")}`);
  const done = results.filter((r) => r.outcome.kind === "done").map((r) => r.step.addr);

  let persisted: { path: string; backup: string | null } | null = null;
  if (args.persist && done.length > 0) persisted = await persist(action, host, done, args, ctx);
  else if (done.length > 0) {
    const sels = done.map(formatBhyve).join(" ");
    ctx.log.info(
      action === "attach"
        ? `this lasts until the next boot; keep it with 'pptctl attach ${sels} --persist' (or 'pptctl plan ${sels} --write')`
        : `this lasts until the next boot if pptdevs still names ${done.length === 1 ? "it" : "them"}; drop ${done.length === 1 ? "it" : "them"} with 'pptctl plan --remove ${done.map(formatBhyve).join(" --remove ")} --write'`,
    );
  }
  if (args.json) {
    ctx.io.out(
      `${JSON.stringify(
        {
          format: "pptctl-runtime/1",
          action,
          dryRun: false,
          devices: [
            ...results.map((r) => ({
              bhyve: formatBhyve(r.step.addr),
              selector: formatSelector(r.step.addr),
              before: r.step.before.name,
              after: r.outcome.after?.name ?? null,
              ok: r.outcome.kind === "done",
              note: r.outcome.kind === "done" ? r.outcome.note : r.outcome.why,
              command: r.step.argv,
              devctl: r.devctl,
              restored: r.restored,
            })),
            ...untried.map((s) => ({ bhyve: formatBhyve(s.addr), selector: formatSelector(s.addr), before: s.before.name, after: s.before.name, ok: false, note: "not tried after an earlier failure", command: s.argv, devctl: null, restored: null })),
          ],
          persisted,
        },
        null,
        2,
      )}\n`,
    );
  }
  return failed ? 1 : 0;
}

async function runDevctl(host: MemoHost, argv: readonly string[], timeoutMs: number): Promise<DevctlRun> {
  const r = await host.runFresh(argv, { timeoutMs });
  if (r.kind === "missing") throw new PptError(`${argv[1] === "set" ? "attach" : "release"}: ${r.reason}; nothing was changed`, 1);
  if (r.kind === "timeout") return { exit: null, stderr: "", timedOut: r.seconds };
  return { exit: r.exit, stderr: r.stderr, timedOut: null };
}

async function rereadPci(host: MemoHost, action: Action): Promise<PciDevice[]> {
  const r = await host.runFresh(CMD.pciconf);
  if (r.kind !== "ran" || (r.exit !== 0 && r.stdout.trim() === "")) {
    throw new PptError(`${action}: devctl ran, but pciconf cannot be read back to see what happened; run 'pciconf -lv' by hand`, 1);
  }
  return [...parsePciconf(r.stdout).devices];
}

type Addr = { domain: number; bus: number; slot: number; func: number };

/** The loader.conf edit for these devices; throws (one line) when the family cannot take it. */
async function persistEdit(action: Action, host: MemoHost, addrs: readonly Addr[], args: RuntimeArgs) {
  const snap = await gather(host);
  const model = buildModel(snap);
  const sel = addrs.map((a) => ({ kind: "addr" as const, addr: a, text: formatBhyve(a) }));
  const plan = makePlan(model, { select: action === "attach" ? sel : [], classes: [], remove: action === "release" ? sel : [], replace: false, withFunctions: false, force: true });
  return prepareEdit(host, snap, model, plan, args.file, false, true, `${action} --persist`);
}

/** The loader.conf side, through plan's safe writer: diff on stdout, backup, atomic replace. */
async function persist(action: Action, host: MemoHost, done: readonly Addr[], args: RuntimeArgs, ctx: Ctx) {
  const edit = await persistEdit(action, host, done, args);
  const diff = unifiedDiff(edit.before ?? "", edit.after, edit.path, edit.path);
  if (diff === "") {
    ctx.log.info(`${edit.path} already says this; nothing to change`);
    return { path: edit.path, backup: null };
  }
  if (!args.json) ctx.io.out(diff);
  const { backup } = await writeEdit(edit, ctx.io.now());
  ctx.log.info(`wrote ${edit.path}${backup ? ` (previous version kept as ${backup})` : ""}: the change survives a reboot`);
  return { path: edit.path, backup };
}

function positive(v: string | undefined): number | undefined {
  const n = Number(v);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}
