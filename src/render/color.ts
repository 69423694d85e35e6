import { createColors } from "picocolors";

export type Colors = ReturnType<typeof createColors>;

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

export function colors(enabled: boolean): Colors {
  return createColors(enabled);
}
