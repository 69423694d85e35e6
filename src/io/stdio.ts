/**
 * stdout/stderr for the real process, without node streams or node:* modules: in a compiled Bun
 * binary the first touch of process.stdout/stderr sets up node streams (≈ 8–18 ms), and every
 * node:* module a bundle imports is loaded at start-up (node:tty ≈ 2 ms) — either is more than a
 * whole `args` run. Each write goes to a Bun FileSink and is flushed at once, so stdout and
 * stderr keep their order when they share a file or a terminal. On a
 * short run a sink measured the same as `await Bun.write`. A pipe that is full makes flush()
 * return a promise; later writes wait behind it, and main awaits flush() before exit, so output
 * is complete on a pipe, a file or `$(…)`. A reader that went away (EPIPE, `| head`) ends the
 * output quietly, as base-system tools do; any other failure (a full disk, a read-only stdout)
 * is kept for main to report, since the output is then incomplete and nobody else will know.
 */
const closed = new Set<number>();
const failures = new Map<number, string>();
const sinks: (import("bun").FileSink | undefined)[] = [];
/** Set once a flush had to wait: from then on every write goes in order behind it. */
let queue: Promise<void> | null = null;

export function writeOut(fd: 1 | 2, text: string): void {
  if (text === "" || closed.has(fd)) return;
  if (queue) queue = queue.then(() => put(fd, text));
  else {
    const waiting = put(fd, text);
    if (waiting) queue = waiting;
  }
}

/**
 * Writes and flushes; a promise when either has to wait for the reader. A write that waits
 * answers with a promise that may reject (EPIPE): it is always handled here, never left to
 * reject unseen, which Bun would report as an uncaught error and exit 1.
 */
function put(fd: 1 | 2, text: string): Promise<void> | undefined {
  if (closed.has(fd)) return undefined;
  try {
    const sink = (sinks[fd] ??= (fd === 1 ? Bun.stdout : Bun.stderr).writer());
    const wrote = sink.write(text);
    if (typeof wrote !== "number") return settle(fd, wrote.then(() => sink.flush()));
    const done = sink.flush();
    return typeof done === "number" ? undefined : settle(fd, done);
  } catch (e) {
    stop(fd, e);
    return undefined;
  }
}

function settle(fd: 1 | 2, pending: Promise<unknown>): Promise<void> {
  return pending.then(
    () => undefined,
    (e: unknown) => stop(fd, e),
  );
}

function stop(fd: 1 | 2, e: unknown): void {
  closed.add(fd);
  const err = e as { code?: unknown; message?: unknown };
  if (err?.code === "EPIPE") return;
  // "ENOSPC: no space left on device, write" → "no space left on device (ENOSPC)"
  const code = typeof err?.code === "string" ? err.code : "";
  const text = String(err?.message ?? e).replace(/^[A-Z]+: /, "").replace(/, write$/, "");
  failures.set(fd, code && !text.includes(code) ? `${text} (${code})` : text);
}

export function flush(): Promise<unknown> {
  return queue ?? Promise.resolve();
}

/** True when the reader of fd 1 went away (EPIPE): not a failure of ours. */
export function stdoutClosed(): boolean {
  return closed.has(1) && !failures.has(1);
}

/** Why writing to fd 1 or 2 failed, other than a reader going away; null when it did not. */
export function writeFailure(fd: 1 | 2): string | null {
  return failures.get(fd) ?? null;
}

/**
 * isatty(3) for fd 1 or 2. node:tty's isatty is the documented way, but loading node:tty took
 * 8.3 ms in a compiled binary (a quarter of a 34 ms `list`; process.stdout.isTTY sets up node
 * streams, ≈ 18 ms). Bun's `process.binding("tty_wrap").isTTY` answers in 0.03 ms, and Bun's own
 * tests hold it equal to node:tty's isatty
 * (https://github.com/oven-sh/bun/blob/main/test/js/node/process-binding.test.ts). Should a
 * Bun drop the binding, an fstat answers instead (a terminal is a character device that is not
 * /dev/null); test/stdio.test.ts runs both paths.
 */
export async function isTerminal(fd: 0 | 1 | 2): Promise<boolean> {
  const now = isattyBinding(fd);
  if (now !== null) return now;
  try {
    const [st, nul] = await Promise.all([Bun.file(fd).stat(), Bun.file("/dev/null").stat()]);
    return st.isCharacterDevice() && !(st.ino === nul.ino && st.dev === nul.dev);
  } catch {
    return false;
  }
}

export function isattyBinding(fd: number): boolean | null {
  try {
    const tty = (process as unknown as { binding?: (name: string) => { isTTY?: unknown } }).binding?.("tty_wrap");
    return typeof tty?.isTTY === "function" ? tty.isTTY(fd) === true : null;
  } catch {
    return null;
  }
}

/** Terminal width, asked only when a table is drawn on a terminal. */
export function terminalColumns(): number {
  const env = Number(process.env.COLUMNS);
  if (Number.isInteger(env) && env > 0) return env;
  // Touching process.stdout costs its stream set-up: only here, where a TTY table needs it.
  return process.stdout.columns ?? 80;
}

/** A byte stream (standard input) as text, piece by piece as it arrives. */
export async function* textChunks(stream: ReadableStream<Uint8Array>): AsyncIterable<string> {
  const decoder = new TextDecoder();
  for await (const chunk of stream) yield decoder.decode(chunk, { stream: true });
  const rest = decoder.decode();
  if (rest !== "") yield rest;
}
