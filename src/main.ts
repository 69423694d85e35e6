#!/usr/bin/env bun
import { mayDrawTable, run, writeFailedExit } from "./cli.ts";
import { mark, startTrace, traceReport } from "./io/trace.ts";
import { flush, isTerminal, stdoutClosed, terminalColumns, textChunks, writeFailure, writeOut } from "./io/stdio.ts";

startTrace(process.env.PPTCTL_TRACE === "1");
const argv = process.argv.slice(2);
// Started at once so that it overlaps loading the command; awaited only where a table is drawn.
let tty: Promise<boolean> | undefined = mayDrawTable(argv) ? isTerminal(1) : undefined;
let columns: number | undefined;
const code = await run(argv, {
  out: (s) => writeOut(1, s),
  err: (s) => writeOut(2, s),
  env: process.env,
  stdoutIsTTY: false,
  probeTTY: () => {
    tty ??= isTerminal(1);
    return tty;
  },
  get columns() {
    columns ??= terminalColumns();
    return columns;
  },
  stderrIsTTY: () => isTerminal(2),
  platform: process.platform,
  now: () => new Date(),
  // A terminal would wait for ^D: explain asks for lines instead.
  readStdin: async () => ((await isTerminal(0)) ? null : textChunks(Bun.stdin.stream())),
});
mark("command ran");
await flush();
mark("output flushed");
if (traceReport()) writeOut(2, traceReport());
await flush();
const failed = writeFailure(1);
if (failed !== null) {
  writeOut(2, `pptctl: cannot write to standard output: ${failed}; what was written is incomplete: make room or send the output elsewhere\n`);
  await flush();
}
// Everything is written (flush was awaited) and nothing else runs: exit now, rather than wait
// for the runtime's own shutdown, which took 0.3-0.5 ms of every run (list 0.95x, args 0.94x
// in paired runs). A reader that went away (`pptctl list | head -1`) is not a failure of ours.
process.exit(failed !== null ? writeFailedExit(argv) : stdoutClosed() && code === 0 ? 0 : code);
