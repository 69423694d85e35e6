import type { Ctx } from "./_context.ts";

/**
 * A wait a person would take for a hang, said on a terminal: one stderr line, redrawn every
 * second after the first, cleared when the wait ends. Nothing when stderr is not a terminal
 * (cron, a log) or with --json, where only the result belongs.
 */
export async function waitLine(ctx: Ctx, json: boolean, what: string): Promise<() => void> {
  if (json || !(await ctx.io.stderrIsTTY?.())) return () => undefined;
  const start = Date.now();
  let drawn = false;
  const timer = setInterval(() => {
    drawn = true;
    ctx.io.err(`\r\x1b[Kpptctl: ${what}: ${Math.round((Date.now() - start) / 1000)} s`);
  }, 1000);
  return () => {
    clearInterval(timer);
    if (drawn) ctx.io.err("\r\x1b[K");
  };
}
