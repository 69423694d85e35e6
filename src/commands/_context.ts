import type { ConsolaInstance } from "consola/core";
import { PptError } from "../core/errors.ts";
import { type Host, MemoHost } from "../host/host.ts";
import type { Colors } from "../render/color.ts";
import { mark } from "../io/trace.ts";

export interface Io {
  out(s: string): void;
  err(s: string): void;
  readonly env: Record<string, string | undefined>;
  readonly stdoutIsTTY: boolean;
  /** Whether stderr is a terminal, asked only by commands that show a long wait. */
  readonly stderrIsTTY?: () => Promise<boolean>;
  /** When given, asked (once) instead of stdoutIsTTY, and only by commands that draw for a terminal. */
  readonly probeTTY?: () => Promise<boolean>;
  /** Terminal width for tables; 0 when not a terminal. */
  readonly columns: number;
  readonly platform: string;
  now(): Date;
  /** Standard input as it arrives (explain without operands); null when it is a terminal. */
  readonly readStdin?: () => Promise<AsyncIterable<string> | null>;
}

/** What every command gets besides its parsed arguments. */
export interface Ctx {
  readonly io: Io;
  readonly log: ConsolaInstance;
  readonly color: Colors;
  readonly colorEnabled: boolean;
  /** Values of repeatable options (--vms, --remove, …) in order. */
  readonly lists: Record<string, string[]>;
  /** Operands exactly as given (including `-1/0/0`). */
  readonly positionals: string[];
  /** Opens --from DIR, or the live host; every question is asked once. */
  openHost(from: string | undefined): Promise<MemoHost>;
}

/**
 * The live host only exists on FreeBSD. PPTCTL_ROOT points the live host at a fake tree
 * (tests, demos); it never changes what a recording says.
 */
export async function openHost(io: Io, from: string | undefined): Promise<MemoHost> {
  let host: Host;
  const timeout = Number(io.env.PPTCTL_TIMEOUT_MS);
  const timeoutMs = Number.isFinite(timeout) && timeout > 0 ? timeout : undefined;
  if (from !== undefined) {
    if (from === "") throw new PptError("--from needs a directory: a recorded host made by 'pptctl capture DIR'");
    // Loaded on use: `args` without --vm never reads a host and should not load its code.
    const { RecordedHost } = await import("../host/recorded.ts");
    host = await RecordedHost.load(from);
  } else if (io.env.PPTCTL_ROOT) {
    const { LiveHost } = await import("../host/live.ts");
    host = new LiveHost({ root: io.env.PPTCTL_ROOT, timeoutMs });
  } else if (io.platform !== "freebsd") {
    throw new PptError(
      `this is ${io.platform}, not FreeBSD: pptctl reads a live host only on FreeBSD; replay a recorded one with --from DIR (try --from examples/hosts/gpu-workstation)`,
    );
  } else {
    const { LiveHost } = await import("../host/live.ts");
    host = new LiveHost({ timeoutMs });
  }
  mark(`host opened (${host.label})`);
  return new MemoHost(host);
}
