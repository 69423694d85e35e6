import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Runs the whole bun:test suite and ends with the line CI reads: `N passed, N failed`.
 * Extra arguments go to `bun test` (a file filter, -t NAME, …).
 *
 * The suite's temporary folders (fake hosts, captures, installed binaries of 110 MB) all go under
 * one TMPDIR made here and removed afterwards, whatever the outcome: left in /tmp they piled up
 * to 13 GB over a day of runs and slowed every benchmark on the machine.
 */
const scratch = mkdtempSync(join(tmpdir(), "pptctl-tests-"));
const cleanUp = () => rmSync(scratch, { recursive: true, force: true });
for (const [sig, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
  process.on(sig, () => {
    cleanUp();
    process.exit(code);
  });
}
// bunfig.toml's [test] has no timeout key (Bun 1.4.5 ignored `timeout = 60000` there and stopped
// tests at its default 5 s, so a test that runs processes failed under load): the flag sets it.
const proc = Bun.spawn([process.execPath, "test", "--timeout", "60000", ...process.argv.slice(2)], {
  stdout: "pipe",
  stderr: "pipe",
  env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0", TMPDIR: scratch },
});

let text = "";
async function pump(stream: ReadableStream<Uint8Array>, sink: NodeJS.WriteStream): Promise<void> {
  const decoder = new TextDecoder();
  for await (const chunk of stream) {
    const s = decoder.decode(chunk, { stream: true });
    text += s;
    sink.write(s);
  }
}
await Promise.all([pump(proc.stdout, process.stdout), pump(proc.stderr, process.stderr)]);
const exit = await proc.exited;
cleanUp();
const count = (word: string) => Number(new RegExp(`^\\s*(\\d+) ${word}$`, "m").exec(text)?.[1] ?? 0);
const passed = count("pass");
const failed = count("fail");
// A run that crashed before reporting must not look green.
const failures = exit !== 0 && failed === 0 ? 1 : failed;
const skipped = count("skip");
process.stdout.write(`\n${passed} passed, ${failures} failed${skipped > 0 ? `, ${skipped} skipped` : ""}\n`);
process.exit(exit !== 0 ? exit : passed === 0 ? 1 : 0);
