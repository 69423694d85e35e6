/**
 * While a device moves, Ctrl-C (SIGINT) or a SIGTERM must not take pptctl away half way: devctl
 * finishes in the kernel anyway, and then nobody says on which driver the device ended. The
 * signal is noted, the move in flight finishes and is judged by pciconf, and the caller stops
 * there and exits 128 + the signal's number, as sh(1) reports a command a signal ended.
 */
const NUMBER: Record<string, number> = { SIGINT: 2, SIGTERM: 15 };

export interface Interrupts {
  /** The first signal received, or null. */
  readonly signal: string | null;
  readonly exitCode: number;
  release(): void;
}

export function holdInterrupts(onSignal: (signal: string) => void): Interrupts {
  let signal: string | null = null;
  const handler = (sig: string) => {
    if (signal === null) signal = sig;
    onSignal(sig);
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return {
    get signal() {
      return signal;
    },
    get exitCode() {
      return 128 + (NUMBER[signal ?? ""] ?? 0);
    },
    release() {
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
    },
  };
}
