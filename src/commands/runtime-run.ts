import { shellLine } from "../core/text/shell.ts";
import { unifiedDiff } from "../core/text/diff.ts";
import { PptError } from "../core/errors.ts";
import { buildModel } from "../core/model/model.ts";
import { type PciAddress, formatBhyve, formatSelector, sameAddr } from "../core/pci/address.ts";
import { makePlan } from "../core/loader/plan.ts";
import { readPptdevsConfig } from "../core/loader/pptdevs-config.ts";
import { type KenvChange, applied, kenvArgv, persistChanges } from "../core/runtime/kenv.ts";
import { type Action, type Step, planRuntime } from "../core/runtime/devctl.ts";
import { parseSelectorOrThrow } from "../core/pci/selector.ts";
import { parseKenv } from "../core/parse/kenv.ts";
import { CMD } from "../core/snapshot.ts";
import type { Ctx } from "./_context.ts";
import { gather } from "../host/gather.ts";
import type { MemoHost } from "../host/host.ts";
import { splitList } from "./_shared.ts";
import { loadModelWithVms } from "./_model.ts";
import { runSteps } from "./runtime-steps.ts";
import { type Edit, checkEdit, prepareEdit, writeEdit } from "./plan-write.ts";
import { runtimeJson } from "./runtime-json.ts";

export interface RuntimeArgs {
  readonly from?: string;
  readonly "dry-run"?: boolean;
  readonly persist?: boolean;
  readonly force?: boolean;
  readonly json?: boolean;
  readonly file?: string;
}

/** attach and release: refuse first, then one devctl call per device, each judged by pciconf. */
export async function runRuntime(action: Action, args: RuntimeArgs, ctx: Ctx): Promise<number> {
  // A recording is never changed; --dry-run only reads, so it may replay one.
  if (args.from !== undefined && !args["dry-run"]) {
    throw new PptError(`${action}: --from replays a recording, which pptctl never changes; run ${action} on the host itself (or add --dry-run)`);
  }
  if (args.file !== undefined && args.file.trim() === "") throw new PptError(`${action}: --file needs a path, e.g. --file /boot/loader.conf`);
  if (args.file !== undefined && !args.persist) throw new PptError(`${action}: --file names the loader file --persist edits; add --persist, or leave --file out`);
  const selectors = splitList(ctx.positionals).map(parseSelectorOrThrow);
  const host = await ctx.openHost(args.from);
  const model = await loadModelWithVms(host, []);
  const plan = planRuntime(model, action, selectors, args.force === true, { command: action, flag: "--force", persist: args.persist === true });
  for (const w of plan.warnings) ctx.log.warn(w);
  for (const d of plan.already) {
    const where = action === "attach" ? `already on ppt (${d.name})` : `not on ppt (${d.driver === "none" ? "no driver" : d.name})`;
    const reserved = readPptdevsConfig(model.loader).entries.some((r) => sameAddr(r, d.addr));
    const hint = reserved === (action === "attach") ? "" : `; add --persist to ${action === "attach" ? "keep it there after a reboot" : "take it out of loader.conf too"}`;
    ctx.log.info(`${formatBhyve(d.addr)}: ${where}; ${args.persist ? "only loader.conf changes for it" : `nothing to do${hint}`}`);
  }

  // --persist problems (a later loader file that would win, a read-only file) are found before
  // any device moves, not after.
  const loader = args.persist ? await persistEdit(action, host, [...plan.already.map((d) => d.addr), ...plan.steps.map((st) => st.addr)], args) : null;
  if (args["dry-run"]) return dryRun(action, plan.steps, model.kenv.ok ? model.kenv.value : new Map(), loader, args, ctx);
  if (loader) await checkEdit(loader.edit);

  const { results, failed, interrupted } = await runSteps(host, action, plan.steps, model.pci.ok ? model.pci.value.devices : [], ctx, args.json === true);
  const untried = plan.steps.slice(results.length);
  if (untried.length > 0) ctx.log.warn(`not tried after the ${interrupted ? interrupted.signal : "failure"}: ${untried.map((st) => formatBhyve(st.addr)).join(" ")}`);
  const done = results.filter((r) => r.outcome.kind === "done").map((r) => r.step.addr);
  const keep = [...plan.already.map((d) => d.addr), ...done];

  let persisted: { path: string; backup: string | null; kenv: readonly KenvChange[] } | null = null;
  if (interrupted) {
    // Stopped on request: loader.conf is not touched, and what to run to keep what moved is said.
    if (args.persist && done.length > 0) ctx.log.info(`loader.conf was not changed; to keep what moved: pptctl ${action} ${done.map(formatBhyve).join(" ")} --persist`);
  } else if (args.persist && keep.length > 0) persisted = await persist(action, host, keep, args, ctx);
  else if (done.length > 0) sayWhatLasts(action, done, readPptdevsConfig(model.loader).entries, ctx);
  if (args.json) ctx.io.out(runtimeJson(action, results, untried, persisted, interrupted?.signal ?? null));
  if (interrupted) return interrupted.exitCode;
  return failed ? 1 : 0;
}

function sayWhatLasts(action: Action, done: readonly PciAddress[], reserved: readonly PciAddress[], ctx: Ctx): void {
  const them = (n: number) => (n === 1 ? "it" : "them");
  if (action === "attach") {
    const loose = done.filter((a) => !reserved.some((r) => sameAddr(r, a))).map(formatBhyve);
    if (loose.length > 0) ctx.log.info(`this lasts until the next boot; keep ${them(loose.length)} with 'pptctl attach ${loose.join(" ")} --persist'`);
    return;
  }
  const inLoader = done.filter((a) => reserved.some((r) => sameAddr(r, a))).map(formatBhyve);
  if (inLoader.length > 0) {
    ctx.log.info(`loader.conf still reserves ${inLoader.join(" ")}: ${inLoader.length === 1 ? "it goes" : "they go"} back to ppt at the next boot; keep ${them(inLoader.length)} on the host for good with 'pptctl release ${inLoader.join(" ")} --persist'`);
  }
}

/** Every change a real run would make, in order: kenv and devctl per device, the loader.conf diff, the kenv calls after it. */
function dryRun(action: Action, steps: readonly Step[], kenv: ReadonlyMap<string, string>, loader: LoaderEdit | null, args: RuntimeArgs, ctx: Ctx): number {
  const calls = (st: Step) => [...st.kenv.map(kenvArgv), st.argv, ...st.fallback, ...st.kenvAfter.map(kenvArgv)];
  const after = applied(kenv, steps.flatMap((st) => [...st.kenv, ...st.kenvAfter]));
  const late = loader ? persistChanges(action, after, steps.map((st) => st.addr), loader.records).map(kenvArgv) : [];
  const diff = loader ? unifiedDiff(loader.edit.before ?? "", loader.edit.after, loader.edit.path, loader.edit.path) : "";
  if (args.json) {
    // The shape of a real run's devices, without what only running tells (after, ok, exit codes).
    const devices = steps.map((st) => ({ bhyve: formatBhyve(st.addr), selector: formatSelector(st.addr), before: st.before.name, commands: calls(st).map((argv) => ({ argv })) }));
    ctx.io.out(`${JSON.stringify({ format: "pptctl-runtime/1", action, dryRun: true, devices, loaderDiff: loader ? diff : null, after: late }, null, 2)}\n`);
  } else ctx.io.out([...steps.flatMap(calls), ...late].map((c) => `${shellLine(c)}\n`).join("") + diff);
  if (steps.some((st) => st.fallback.length > 0)) ctx.log.info("detach and attach run only when clear driver leaves the device on ppt (ppt took it at boot, not devctl)");
  if (loader && diff === "") ctx.log.info(`${loader.edit.path} already says this; nothing to change there`);
  return 0;
}

export interface LoaderEdit {
  readonly edit: Edit;
  /** The pptdevs records loader.conf will hold: where the running kernel's environment should have each device. */
  readonly records: ReadonlyMap<string, string>;
}

/** The loader.conf edit for these devices; throws (one line) when the family cannot take it. */
export async function persistEdit(action: Action, host: MemoHost, addrs: readonly PciAddress[], args: RuntimeArgs, command = `${action} --persist`): Promise<LoaderEdit> {
  const snap = await gather(host);
  const model = buildModel(snap);
  const sel = addrs.map((a) => ({ kind: "addr" as const, addr: a, text: formatBhyve(a) }));
  const plan = makePlan(model, { select: action === "attach" ? sel : [], classes: [], remove: action === "release" ? sel : [], replace: false, withFunctions: false, force: true });
  const edit = await prepareEdit(host, snap, model, plan, args.file, false, true, command);
  return { edit, records: new Map(plan.records.map((r) => [r.name, r.value])) };
}

/**
 * The loader.conf side, through plan's safe writer (diff on stdout, backup, atomic replace),
 * then the running kernel's environment brought in line with it (kenv.ts persistChanges).
 */
export async function persist(action: Action, host: MemoHost, done: readonly PciAddress[], args: RuntimeArgs, ctx: Ctx, command?: string) {
  const { edit, records } = await persistEdit(action, host, done, args, command);
  const diff = unifiedDiff(edit.before ?? "", edit.after, edit.path, edit.path);
  let backup: string | null = null;
  if (diff === "") ctx.log.info(`${edit.path} already says this; nothing to change`);
  else {
    if (!args.json) ctx.io.out(diff);
    ({ backup } = await writeEdit(edit, ctx.io.now()));
    ctx.log.info(`wrote ${edit.path}${backup ? ` (previous version kept as ${backup})` : ""}: the change survives a reboot`);
  }
  const now = await host.runFresh(CMD.kenv);
  const kenv = now.kind === "ran" && now.exit === 0 ? new Map(parseKenv(now.stdout).values) : null;
  const changes = kenv ? persistChanges(action, kenv, done, records) : [];
  for (const c of changes) {
    const r = await host.runFresh(kenvArgv(c));
    if (r.kind !== "ran" || r.exit !== 0) ctx.log.warn(`${shellLine(kenvArgv(c))} failed; doctor will say a reboot is pending until the next boot, which applies loader.conf`);
  }
  if (!kenv) ctx.log.warn("kenv could not be read after the write; doctor may say a reboot is pending until the next boot");
  return { path: edit.path, backup, kenv: changes };
}
