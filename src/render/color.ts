import type { Colors as PicoColors } from "picocolors/types";

export type Colors = PicoColors;

/**
 * Colour is decided once per run: on only for a terminal, off for NO_COLOR (any value),
 * TERM=dumb or --no-color. picocolors alone would treat FORCE_COLOR=0 as "on" and look only
 * at its own stdout.
 */
export function wantColor(opts: { isTTY: boolean; env: Record<string, string | undefined>; noColorFlag: boolean }): boolean {
  if (opts.noColorFlag) return false;
  if (opts.env.NO_COLOR !== undefined && opts.env.NO_COLOR !== "") return false;
  if (opts.env.TERM === "dumb") return false;
  const force = opts.env.FORCE_COLOR;
  if (force !== undefined) return force !== "0" && force !== "false";
  return opts.isTTY;
}

/**
 * picocolors is loaded only when colour is on: at load it reads process.stdout.isTTY, and that
 * first touch of process.stdout costs a compiled binary ≈ 8 ms (node stream set-up) — more than
 * `args` itself. With colour off every function returns its text unchanged, as picocolors' own
 * createColors(false) does.
 */
export async function colors(enabled: boolean): Promise<Colors> {
  if (enabled) return (await import("picocolors")).createColors(true);
  return PLAIN;
}

const same = (s: unknown) => String(s);
const NAMES = [
  "reset", "bold", "dim", "italic", "underline", "inverse", "hidden", "strikethrough",
  "black", "red", "green", "yellow", "blue", "magenta", "cyan", "white", "gray",
  "bgBlack", "bgRed", "bgGreen", "bgYellow", "bgBlue", "bgMagenta", "bgCyan", "bgWhite",
  "blackBright", "redBright", "greenBright", "yellowBright", "blueBright", "magentaBright", "cyanBright", "whiteBright",
  "bgBlackBright", "bgRedBright", "bgGreenBright", "bgYellowBright", "bgBlueBright", "bgMagentaBright", "bgCyanBright", "bgWhiteBright",
] as const;
// A plain object, not a Proxy: a Proxy answering every key would also answer `then`, and an
// awaited value with a `then` is never resolved.
const PLAIN = plain();

function plain(): Colors {
  const c: Record<string, unknown> = { isColorSupported: false };
  for (const n of NAMES) c[n] = same;
  return c as unknown as Colors;
}
