import type { Action } from "../core/assign/target.ts";
import { formatBhyve } from "../core/pci/address.ts";
import { undoAttach } from "../core/runtime/devctl.ts";
import type { MemoHost } from "../host/host.ts";
import { removeCreated, replaceFile } from "../host/safe-write.ts";
import type { Ctx } from "./_context.ts";
import { type Result, applyKenv, rereadPci, runHostCommand, runSteps } from "./runtime-steps.ts";

/**
 * assign --attach changes all or nothing: when a later step fails, the devices it moved go back
 * to their host drivers and the environment to what it said. True when every one is back.
 */
export async function undoMoves(host: MemoHost, action: Action, results: readonly Result[], kenvBefore: ReadonlyMap<string, string>, ctx: Ctx, json: boolean): Promise<boolean> {
  const moved = results.flatMap((r) => (r.outcome.kind === "done" ? [{ step: r.step, now: r.outcome.after }] : []));
  if (moved.length === 0) return true;
  ctx.log.warn(`putting back what moved: ${moved.map((m) => formatBhyve(m.step.addr)).join(" ")}`);
  const undo = undoAttach(moved, kenvBefore);
  const kenvFailed = await applyKenv(undo.kenv, (argv) => runHostCommand(host, "release", argv, 60_000));
  if (kenvFailed) ctx.log.warn(`${kenvFailed}: the kernel's environment still names the moved devices until the next boot`);
  const back = await runSteps(host, "release", undo.steps, await rereadPci(host, "release"), ctx, json, true);
  if (back.failed) {
    const left = back.results.filter((r) => r.outcome.kind !== "done").map((r) => formatBhyve(r.step.addr));
    ctx.io.err(`pptctl: ${action}: ${left.join(" ")} stayed on ppt, held by no VM: give ${left.length === 1 ? "it" : "them"} back with 'pptctl release ${left.join(" ")}'\n`);
  }
  return !back.failed && kenvFailed === null;
}

/** The VM's config as it was, since the devices it would name are not on ppt. True when done. */
export async function undoConfig(local: string, before: string | null, after: string, shown: string, ctx: Ctx, action: Action, why: string): Promise<boolean> {
  try {
    if (before === null) await removeCreated(local, after, { command: action });
    else await replaceFile(local, after, before, ctx.io.now(), { command: action });
    ctx.io.err(`pptctl: ${action}: ${shown} is back as it was, since ${why}\n`);
    return true;
  } catch (e) {
    ctx.io.err(`pptctl: ${action}: ${shown} still names the devices and could not be put back: ${(e as Error).message}\n`);
    return false;
  }
}
