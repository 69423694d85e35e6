import { unifiedDiff } from "../core/text/diff.ts";
import { PptError } from "../core/errors.ts";
import { buildModel } from "../core/model/model.ts";
import { formatBhyve, formatSelector, sameAddr } from "../core/pci/address.ts";
import { makePlan } from "../core/loader/plan.ts";
import { readPptdevsConfig } from "../core/loader/pptdevs-config.ts";
import { kenvArgv } from "../core/runtime/kenv.ts";
import { type Action, type Step, planRuntime } from "../core/runtime/devctl.ts";
import { parseSelectorOrThrow } from "../core/pci/selector.ts";
import type { Ctx } from "./_context.ts";
import { gather } from "../host/gather.ts";
import type { MemoHost } from "../host/host.ts";
import { splitList } from "./_shared.ts";
import { loadModelWithVms } from "./_model.ts";
import { runSteps } from "./runtime-steps.ts";
import { checkEdit, prepareEdit, writeEdit } from "./plan-write.ts";

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

  const { results, failed } = await runSteps(host, action, plan.steps, model.pci.ok ? model.pci.value.devices : [], ctx, args.json === true);
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

type Addr = { domain: number; bus: number; slot: number; func: number };

/** The loader.conf edit for these devices; throws (one line) when the family cannot take it. */
export async function persistEdit(action: Action, host: MemoHost, addrs: readonly Addr[], args: RuntimeArgs, command = `${action} --persist`) {
  const snap = await gather(host);
  const model = buildModel(snap);
  const sel = addrs.map((a) => ({ kind: "addr" as const, addr: a, text: formatBhyve(a) }));
  const plan = makePlan(model, { select: action === "attach" ? sel : [], classes: [], remove: action === "release" ? sel : [], replace: false, withFunctions: false, force: true });
  return prepareEdit(host, snap, model, plan, args.file, false, true, command);
}

/** The loader.conf side, through plan's safe writer: diff on stdout, backup, atomic replace. */
export async function persist(action: Action, host: MemoHost, done: readonly Addr[], args: RuntimeArgs, ctx: Ctx, command?: string) {
  const edit = await persistEdit(action, host, done, args, command);
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
