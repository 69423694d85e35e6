import { unifiedDiff } from "../core/text/diff.ts";
import { PptError } from "../core/errors.ts";
import { buildModel } from "../core/model/model.ts";
import { formatBhyve, formatSelector, sameAddr } from "../core/pci/address.ts";
import type { PciDevice } from "../core/pci/device.ts";
import { parsePciconf } from "../core/parse/pciconf.ts";
import { makePlan } from "../core/loader/plan.ts";
import { readPptdevsConfig } from "../core/loader/pptdevs-config.ts";
import { type KenvChange, kenvArgv } from "../core/runtime/kenv.ts";
import { type Action, type DevctlRun, type Outcome, type Step, devctlArgv, judge, outcomeLine, planRuntime } from "../core/runtime/devctl.ts";
import { parseSelectorOrThrow } from "../core/pci/selector.ts";
import { CMD } from "../core/snapshot.ts";
import type { Ctx } from "./_context.ts";
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

/** One command run on the host for a device (kenv or devctl), for --json. */
interface Call extends DevctlRun {
  readonly argv: readonly string[];
}

interface Result {
  readonly step: Step;
  readonly outcome: Outcome;
  readonly devctl: DevctlRun;
  readonly restored: string | null;
  readonly calls: readonly Call[];
}

/** attach and release: refuse first, then one devctl call per device, each judged by pciconf. */
export async function runRuntime(action: Action, args: RuntimeArgs, ctx: Ctx): Promise<number> {
  // A recording is never changed; --dry-run only reads, so it may replay one.
  if (args.from !== undefined && !args["dry-run"]) {
    throw new PptError(`${action}: --from replays a recording, which pptctl never changes; run ${action} on the host itself (or add --dry-run)`);
  }
  if (args.file !== undefined && args.file.trim() === "") throw new PptError(`${action}: --file needs a path, e.g. --file /boot/loader.conf`);
  const selectors = splitList(ctx.positionals).map(parseSelectorOrThrow);
  const host = await ctx.openHost(args.from);
  const model = await loadModelWithVms(host, []);
  const plan = planRuntime(model, action, selectors, args.force === true);
  for (const w of plan.warnings) ctx.log.warn(w);

  if (args["dry-run"]) {
    const calls = (st: Step) => [...st.kenv.map(kenvArgv), st.argv, ...st.fallback, ...st.kenvAfter.map(kenvArgv)];
    if (args.json) {
      ctx.io.out(`${JSON.stringify({ format: "pptctl-runtime/1", action, dryRun: true, devices: plan.steps.map((st) => ({ bhyve: formatBhyve(st.addr), selector: formatSelector(st.addr), before: st.before.name, command: st.argv, commands: calls(st) })) }, null, 2)}\n`);
    } else ctx.io.out(plan.steps.map((st) => calls(st).map((c) => `${c.join(" ")}\n`).join("")).join(""));
    if (plan.steps.some((st) => st.fallback.length > 0)) {
      ctx.log.info("detach and attach run only when clear driver leaves the device on ppt (ppt took it at boot, not devctl)");
    }
    return 0;
  }

  // --persist problems (a later loader file that would win, a read-only file) are found before
  // any device moves, not after.
  if (args.persist) await checkEdit(await persistEdit(action, host, plan.steps.map((st) => st.addr), args));

  const timeoutMs = positive(ctx.io.env.PPTCTL_DEVCTL_TIMEOUT_MS) ?? DEVCTL_TIMEOUT_MS;
  let before: readonly PciDevice[] = model.pci.ok ? model.pci.value.devices : [];
  const results: Result[] = [];
  let failed = false;
  for (const step of plan.steps) {
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
      devctl = await call(step.argv);
      after = await rereadPci(host, action);
      let last = devctl;
      // ppt took it by probing (pptdevs at boot): clear driver changed nothing, detach + attach re-probes.
      if (step.fallback.length > 0 && after.find((d) => sameAddr(d.addr, step.addr))?.driver === "ppt") {
        for (const argv of step.fallback) {
          last = await call(argv);
          if (last.exit !== 0) break;
        }
        after = await rereadPci(host, action);
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
      restored = `${undo.join(" ")}: ${back ? "every device is back" : `still missing: ${before.filter((b) => !again.some((a) => sameAddr(a.addr, b.addr))).map((d) => formatBhyve(d.addr)).join(", ")}`}${r.exit !== 0 && r.exit !== null ? ` (devctl exit ${r.exit})` : ""}`;
      before = again;
    } else {
      before = after;
    }
    if (outcome.kind === "done") await applyKenv(step.kenvAfter, call);
    results.push({ step, outcome, devctl, restored, calls });
    const line = outcomeLine(action, step, outcome);
    // Results on stdout; a failure is an error, on stderr (a script's $(…) keeps only results).
    if (outcome.kind === "done") {
      if (!args.json) ctx.io.out(`${line}\n`);
    } else ctx.io.err(`pptctl: ${action}: ${line}\n`);
    if (outcome.kind === "done" && outcome.note) ctx.log.warn(`${formatBhyve(step.addr)}: ${outcome.note}`);
    if (restored) ctx.log.warn(`${formatBhyve(step.addr)}: restored with ${restored}`);
    if (outcome.kind === "failed") {
      failed = true;
      break;
    }
  }
  const untried = plan.steps.slice(results.length);
  if (untried.length > 0) ctx.log.warn(`not tried after the failure: ${untried.map((st) => formatBhyve(st.addr)).join(" ")}`);
  const done = results.filter((r) => r.outcome.kind === "done").map((r) => r.step.addr);

  let persisted: { path: string; backup: string | null } | null = null;
  if (args.persist && done.length > 0) persisted = await persist(action, host, done, args, ctx);
  else if (done.length > 0) {
    const reserved = readPptdevsConfig(model.loader).entries;
    const inLoader = done.filter((a) => reserved.some((r) => sameAddr(r, a)));
    const them = (xs: readonly unknown[]) => (xs.length === 1 ? "it" : "them");
    if (action === "attach") {
      const loose = done.filter((a) => !reserved.some((r) => sameAddr(r, a))).map(formatBhyve).join(" ");
      if (loose) ctx.log.info(`this lasts until the next boot; keep ${them(loose.split(" "))} with 'pptctl attach ${loose} --persist' (or 'pptctl plan ${loose} --write')`);
    } else if (inLoader.length > 0) {
      const sels = inLoader.map(formatBhyve);
      ctx.log.info(
        `loader.conf still reserves ${sels.join(" ")}: ${inLoader.length === 1 ? "it goes" : "they go"} back to ppt at the next boot; drop ${them(inLoader)} there with 'pptctl plan --remove ${sels.join(" --remove ")} --write' (release --persist does both at once)`,
      );
    }
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
              commands: r.calls,
              restored: r.restored,
            })),
            ...untried.map((st) => ({ bhyve: formatBhyve(st.addr), selector: formatSelector(st.addr), before: st.before.name, after: st.before.name, ok: false, note: "not tried after an earlier failure", command: st.argv, devctl: null, commands: [], restored: null })),
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

/** Runs kenv calls in order; the reason when one fails, else null. */
async function applyKenv(changes: readonly KenvChange[], call: (argv: readonly string[]) => Promise<DevctlRun>): Promise<string | null> {
  for (const c of changes) {
    const r = await call(kenvArgv(c));
    if (r.exit !== 0) return `${kenvArgv(c).join(" ")} failed (${r.timedOut !== null ? `no answer within ${r.timedOut} s` : `exit ${r.exit}${r.stderr.trim() ? `: ${r.stderr.trim().split("\n")[0]}` : ""}`})`;
  }
  return null;
}

async function runHostCommand(host: MemoHost, action: Action, argv: readonly string[], timeoutMs: number): Promise<DevctlRun> {
  const r = await host.runFresh(argv, { timeoutMs });
  if (r.kind === "missing") throw new PptError(`${action}: ${r.reason}; nothing was changed`, 1);
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
