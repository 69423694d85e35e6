/**
 * stdout/stderr for the real process, without node streams or node:* modules: in a compiled Bun
 * binary the first touch of process.stdout/stderr sets up node streams (≈ 8–18 ms), and every
 * node:* module a bundle imports is loaded at start-up (node:tty ≈ 2 ms) — either is more than a
 * whole `args` run. Writes go through Bun.write in order; main awaits flush() before exit, so
 * output is complete on a pipe, a file or `$(…)`. A reader that went away (EPIPE, `| head`) ends
 * the output quietly, as base-system tools do.
 */
let queue: Promise<unknown> = Promise.resolve();
const closed = new Set<number>();

export function writeOut(fd: 1 | 2, text: string): void {
  if (text === "" || closed.has(fd)) return;
  for (const chunk of chunks(text)) queueWrite(fd, chunk);
}

function queueWrite(fd: 1 | 2, text: string): void {
  const sink = fd === 1 ? Bun.stdout : Bun.stderr;
  queue = queue.then(() =>
    closed.has(fd)
      ? undefined
      : Bun.write(sink, text).catch(() => {
          closed.add(fd);
        }),
  );
}

/**
 * A big answer goes out in 64 KiB pieces: one Bun.write of 9 MB took 11 ms to /dev/null and 30 ms
 * into a pipe, the same text in pieces 5 and 12 ms. A cut never splits a surrogate pair, which
 * would reach the reader as two U+FFFD.
 */
export const CHUNK = 1 << 16;

export function chunks(text: string, size = CHUNK): string[] {
  if (text.length <= size) return [text];
  const out: string[] = [];
  let at = 0;
  while (at < text.length) {
    let end = Math.min(at + size, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff && end - 1 > at) end--;
    out.push(text.slice(at, end));
    at = end;
  }
  return out;
}

export function flush(): Promise<unknown> {
  return queue;
}

/** True when fd 1 was closed under us (EPIPE). */
export function stdoutClosed(): boolean {
  return closed.has(1);
}

/**
 * isatty(3) for fd 1 or 2. Bun's `process.binding("tty_wrap").isTTY` answers at once (Bun's
 * own tests hold it equal to node:tty's isatty:
 * https://github.com/oven-sh/bun/blob/main/test/js/node/process-binding.test.ts); the fstat
 * below went through Bun's thread pool, ≈ 0.5 ms on a 10 ms run. Both stay out of node:tty
 * (≈ 2 ms to load). Should a Bun drop the binding, the fstat answers: a terminal is a character
 * device that is not /dev/null.
 */
export async function isTerminal(fd: 1 | 2): Promise<boolean> {
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
