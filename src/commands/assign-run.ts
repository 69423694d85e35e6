import { type AssignPlan, planAssign } from "../core/assign/plan.ts";
import { type Action, type Target, configTarget, findTarget } from "../core/assign/target.ts";
import { PptError } from "../core/errors.ts";
import type { HostModel } from "../core/model/model.ts";
import { formatBhyve } from "../core/pci/address.ts";
import { type Selector, parseSelectorOrThrow } from "../core/pci/selector.ts";
import { type Step, planRuntime } from "../core/runtime/devctl.ts";
import { fileResult } from "../core/snapshot.ts";
import { displayText } from "../core/text/bytes.ts";
import { unifiedDiff } from "../core/text/diff.ts";
import { snapshotOf } from "../host/gather.ts";
import type { MemoHost } from "../host/host.ts";
import { shellLine } from "../core/text/shell.ts";
import { lockVmConfigs } from "../host/config-lock.ts";
import { LiveHost } from "../host/live.ts";
import { checkWritable, realOps, replaceFile } from "../host/safe-write.ts";
import type { Ctx } from "./_context.ts";
import { loadModelWithVms } from "./_model.ts";
import { splitList } from "./_shared.ts";
import { assignJson, hostSideLines, summaryLine } from "./assign-report.ts";
import { checkEdit } from "./plan-write.ts";
import { persist, persistEdit } from "./runtime-run.ts";
import { runSteps } from "./runtime-steps.ts";
import { undoConfig, undoMoves } from "./assign-undo.ts";

export interface AssignArgs {
  readonly from?: string;
  readonly vm?: string;
  readonly config?: string;
  readonly force?: boolean;
  readonly attach?: boolean;
  readonly "allow-host-device"?: boolean;
  readonly file?: string;
  readonly "dry-run"?: boolean;
  readonly json?: boolean;
}

/** The file as pptctl will write it: where it is on this machine, and its bytes now. */
interface Where {
  readonly local: string | null;
  readonly before: string | null;
}

/** assign / unassign: every check first, then the VM's config, then (--attach) devctl, then loader.conf. */
export async function runAssign(action: Action, args: AssignArgs, ctx: Ctx): Promise<number> {
  if ((args.vm === undefined) === (args.config === undefined)) {
    throw new PptError(`${action}: say which VM: --vm NAME (its Hoster, vm-bhyve or CBSD config), or --config FILE (a bhyve -k config file)`);
  }
  if (args.vm?.trim() === "" || args.config?.trim() === "") throw new PptError(`${action}: ${args.vm !== undefined ? "--vm needs a VM name" : "--config needs a file path"}`);
  const dry = args["dry-run"] === true;
  const selectors = splitList(ctx.positionals).map(parseSelectorOrThrow);
  const host = await ctx.openHost(args.from);
  const live = host.inner instanceof LiveHost ? host.inner : null;
  // Held from reading every VM's config to the last write: two assigns must not both see a device free.
  const lock = live && !dry ? await lockVmConfigs(live, action, (pid) => {
    if (!args.json) ctx.log.info(`waiting for another pptctl assign or unassign${pid ? ` (pid ${pid})` : ""} to finish`);
  }) : null;
  try {
    return await locked(action, args, ctx, host, live, selectors, dry);
  } finally {
    await lock?.release();
  }
}

async function locked(action: Action, args: AssignArgs, ctx: Ctx, host: MemoHost, live: LiveHost | null, selectors: readonly Selector[], dry: boolean): Promise<number> {
  const model = await loadModelWithVms(host, ctx.lists.vms ?? []);
  const devices = model.pci.ok ? model.pci.value.devices : [];

  let target: Target;
  let where: Where;
  if (args.vm !== undefined) {
    target = findTarget(model, action, args.vm, args.force === true);
    where = await vmFile(host, live, target, action);
    if (args.from !== undefined && !dry && target.path !== null) {
      throw new PptError(`${action}: --from replays a recording, which pptctl never edits; add --dry-run to see the change`);
    }
  } else {
    const path = args.config!;
    const local = live ? live.localPath(path) : path;
    where = { local, before: await readLocal(local, action) };
    target = configTarget(action, path, where.before, devices, model.vms);
  }
  if (args.file !== undefined && !args.attach) throw new PptError(`${action}: --file names the loader file --attach edits; add --attach, or leave --file out`);
  if (args.attach && args.from !== undefined && !dry) throw new PptError(`${action}: --attach moves devices on this host; --from replays a recording (add --dry-run)`);

  const plan = planAssign(model, { action, selectors, target, before: where.before, attach: args.attach === true });
  const changed = plan.after !== null && plan.after !== where.before;
  const shown = target.path ?? "";
  const diff = changed ? unifiedDiff(where.before ?? "", plan.after ?? "", shown, shown) : "";

  // --attach: the checks of attach --persist, all before anything is written.
  const attach = args.attach ? await attachChecks(host, model, plan, args, dry, action) : null;
  // A VM's manager reads its own file and no other: no "--file" way out for it. Checked dry too.
  const writeOpts = { command: action, elsewhere: target.manager === "bhyve-config" ? "give another file with --config" : null };
  if (changed && where.local !== null && live) await checkWritable(where.local, writeOpts);
  // A refusal is one line: what pptctl has to say besides comes once every check has passed.
  for (const w of new Set([...plan.warnings, ...(attach?.warnings ?? [])])) ctx.log.warn(w);
  if (target.running) ctx.log.info(`${target.vm} is running: the change applies at its next start`);

  if (dry) {
    if (args.json) ctx.io.out(assignJson(plan, { dryRun: true, changed, diff, backup: null, attach: attach?.steps ?? [], attachResults: null, persisted: null, loaderDiff: attach?.loaderDiff ?? null }));
    else {
      ctx.io.out(displayText(diff));
      for (const c of plan.commands) ctx.io.out(`${shellLine(c)}\n`);
      for (const st of attach?.steps ?? []) ctx.io.out(`${shellLine(st.argv)}\n`);
      if (attach?.loaderDiff) ctx.io.out(displayText(attach.loaderDiff));
      report(ctx, plan, changed, attach !== null, true);
    }
    return 0;
  }

  let backup: string | null = null;
  if (changed && where.local !== null) {
    if (!args.json) ctx.io.out(displayText(diff));
    backup = (await replaceFile(where.local, where.before, plan.after ?? "", ctx.io.now(), writeOpts)).backup;
    ctx.log.info(`wrote ${shown}${backup ? ` (previous version kept as ${backup})` : ""}`);
  }
  if (!args.json) for (const c of plan.commands) ctx.io.out(`${shellLine(c)}\n`);

  let attachResults = null;
  let persisted = null;
  if (attach) {
    const run = attach.steps.length > 0 ? await runSteps(host, "attach", attach.steps, devices, ctx, args.json === true) : { results: [], failed: false, interrupted: null };
    attachResults = run.results;
    // All or nothing: a device that did not move, or a loader.conf that cannot be written, undoes the rest.
    let failure: string | null = run.interrupted ? `${run.interrupted.signal} stopped it` : run.failed ? "a device did not move to ppt" : null;
    if (!failure && attach.reserve.length > 0) {
      try {
        persisted = await persist("attach", host, attach.reserve, { file: args.file, json: args.json }, ctx, `${action} --attach`);
      } catch (e) {
        if (!(e instanceof PptError)) throw e;
        ctx.io.err(`pptctl: ${e.message}\n`);
        failure = "loader.conf could not be written";
      }
    }
    if (failure) {
      const kenvBefore = model.kenv.ok ? model.kenv.value : new Map<string, string>();
      const devicesBack = await undoMoves(host, action, run.results, kenvBefore, ctx, args.json === true);
      const configBack = changed && where.local !== null ? await undoConfig(where.local, where.before, plan.after ?? "", shown, ctx, action, failure) : true;
      if (args.json) ctx.io.out(assignJson(plan, { dryRun: false, changed: !configBack, diff, backup, attach: attach.steps, attachResults, persisted: null, loaderDiff: null }));
      if (devicesBack && configBack) ctx.io.err(`pptctl: ${action}: nothing is left changed\n`);
      return run.interrupted?.exitCode ?? 1;
    }
  }
  if (args.json) ctx.io.out(assignJson(plan, { dryRun: false, changed, diff, backup, attach: attach?.steps ?? [], attachResults, persisted, loaderDiff: null }));
  else report(ctx, plan, changed, attach !== null);
  return 0;
}

function report(ctx: Ctx, plan: AssignPlan, changed: boolean, attached: boolean, dry = false): void {
  const summary = summaryLine(plan, changed, dry);
  if (summary) ctx.log.info(summary);
  if (!attached) for (const l of hostSideLines(plan)) (l.ok ? ctx.log.info : ctx.log.warn)(l.text);
}

/** The VM's config as it is on disk now, which must still be what discovery read. */
async function vmFile(host: MemoHost, live: LiveHost | null, target: Target, action: Action): Promise<Where> {
  if (target.path === null) return { local: null, before: null };
  const seen = fileResult(await snapshotOf(host), target.path);
  const read = seen.kind === "file" ? seen.text : null;
  if (!live) return { local: null, before: read };
  const local = live.localPath(target.path);
  const before = await readLocal(local, action);
  if (before !== read) throw new PptError(`${action}: ${target.path} changed since pptctl read it; nothing was written: run the command again`, 1);
  return { local, before };
}

async function readLocal(path: string, action: Action): Promise<string | null> {
  return realOps.read(path).catch((e) => {
    throw new PptError(`${action}: cannot read ${path}: ${(e as Error).message}`, 1);
  });
}

interface AttachWork {
  readonly warnings: readonly string[];
  readonly steps: readonly Step[];
  readonly reserve: readonly { domain: number; bus: number; slot: number; func: number }[];
  readonly loaderDiff: string | null;
}

async function attachChecks(host: MemoHost, model: HostModel, plan: AssignPlan, args: AssignArgs, dry: boolean, action: Action): Promise<AttachWork> {
  if (action !== "assign") throw new PptError(`${action}: --attach goes with assign; to give devices back use 'pptctl release SEL --persist'`);
  const move = plan.picks.filter((p) => !p.onPpt && p.device !== null);
  const run = move.length > 0 ? planRuntime(model, "attach", move.map((p) => ({ kind: "addr" as const, addr: p.addr, text: formatBhyve(p.addr) })), args["allow-host-device"] === true, { command: `${action} --attach`, flag: "--allow-host-device" }) : null;
  const reserve = plan.picks.filter((p) => !p.reserved).map((p) => p.addr);
  let loaderDiff: string | null = null;
  if (reserve.length > 0) {
    const { edit } = await persistEdit("attach", host, reserve, { file: args.file }, `${action} --attach`);
    await checkEdit(edit);
    loaderDiff = unifiedDiff(edit.before ?? "", edit.after, edit.path, edit.path);
  }
  return { steps: run?.steps ?? [], warnings: run?.warnings ?? [], reserve, loaderDiff };
}
