export {};

/**
 * Runs the whole bun:test suite and ends with the line CI reads: `N passed, N failed`.
 * Extra arguments go to `bun test` (a file filter, -t NAME, …).
 */
const proc = Bun.spawn([process.execPath, "test", ...process.argv.slice(2)], {
  stdout: "pipe",
  stderr: "pipe",
  env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
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
const count = (word: string) => Number(new RegExp(`^\\s*(\\d+) ${word}$`, "m").exec(text)?.[1] ?? 0);
const passed = count("pass");
const failed = count("fail");
// A run that crashed before reporting must not look green.
const failures = exit !== 0 && failed === 0 ? 1 : failed;
const skipped = count("skip");
process.stdout.write(`\n${passed} passed, ${failures} failed${skipped > 0 ? `, ${skipped} skipped` : ""}\n`);
process.exit(exit !== 0 ? exit : passed === 0 ? 1 : 0);
