import { printable } from "../core/text/printable.ts";
import type { Colors } from "./color.ts";

export interface TableOptions {
  /** Rounded box drawing (a terminal) or plain columns (pipes, --plain). */
  readonly box: boolean;
  /** Terminal width; 0 = never truncate. */
  readonly width: number;
  /** Columns that may shrink, most expendable first, before any is left out. */
  readonly shrink: readonly number[];
  /** How narrow those may get before columns are left out (default 6). */
  readonly shrinkTo?: number;
  /** Columns left out, most expendable first, when shrinking alone does not fit the width. */
  readonly drop?: readonly number[];
  /** Colours a cell after padding (only the status column, on a terminal). */
  readonly paint?: (row: number, col: number, text: string) => string;
}

const ELLIPSIS = "…";

function fit(text: string, width: number): string {
  if (text.length <= width) return text.padEnd(width);
  return width <= 1 ? ELLIPSIS.slice(0, width) : `${text.slice(0, width - 1)}${ELLIPSIS}`;
}

/** Column widths that fit `opts.width`, shrinking the listed columns (never below 6); 0: left out. */
function widths(header: readonly string[], rows: readonly string[][], opts: TableOptions): number[] {
  const natural = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const w = [...natural];
  if (opts.width <= 0) return w;
  const total = () => {
    const kept = w.filter((x) => x > 0);
    return kept.reduce((a, b) => a + b, 0) + (opts.box ? 3 * kept.length + 1 : 2 * (kept.length - 1));
  };
  for (const col of opts.shrink) {
    const excess = total() - opts.width;
    if (excess <= 0) break;
    const min = Math.max(opts.shrinkTo ?? 6, (header[col] ?? "").length);
    w[col] = (w[col] ?? 0) - Math.min(excess, Math.max(0, (w[col] ?? 0) - min));
  }
  let dropped = false;
  for (const col of opts.drop ?? []) {
    if (total() <= opts.width) break;
    w[col] = 0;
    dropped = true;
  }
  // A column left out may leave room: the shrunk ones take it back, most wanted first.
  if (dropped) {
    for (const col of [...opts.shrink].reverse()) {
      const spare = opts.width - total();
      if (spare <= 0 || (w[col] ?? 0) === 0) continue;
      w[col] = Math.min(natural[col] ?? 0, (w[col] ?? 0) + spare);
    }
  }
  // Still too wide: the widest column gives way, down to 6, until the table fits or none can.
  for (;;) {
    const excess = total() - opts.width;
    if (excess <= 0) break;
    const widest = w.reduce((best, x, i) => (x > (w[best] ?? 0) ? i : best), 0);
    if ((w[widest] ?? 0) <= 6) break;
    w[widest] = Math.max(6, (w[widest] ?? 0) - excess);
  }
  return w;
}

export function renderTable(header: readonly string[], given: readonly string[][], c: Colors, opts: TableOptions): string {
  const rows = given.map((r) => r.map(printable));
  const w = widths(header, rows, opts);
  const cells = (r: readonly string[], ri: number) =>
    w.flatMap((width, ci) => {
      if (width === 0) return [];
      const text = fit(r[ci] ?? "", width);
      if (ri < 0) return [opts.box ? c.bold(text) : text];
      return [opts.paint ? opts.paint(ri, ci, text) : text];
    });
  if (!opts.box) {
    const line = (r: readonly string[], ri: number) => cells(r, ri).join("  ").trimEnd();
    return `${[line(header, -1), ...rows.map(line)].join("\n")}\n`;
  }
  const rule = (l: string, m: string, r: string) => c.dim(`${l}${w.filter((x) => x > 0).map((x) => "─".repeat(x + 2)).join(m)}${r}`);
  const bar = c.dim("│");
  const line = (r: readonly string[], ri: number) => `${bar} ${cells(r, ri).join(` ${bar} `)} ${bar}`;
  return `${[
    rule("╭", "┬", "╮"),
    line(header, -1),
    rule("├", "┼", "┤"),
    ...rows.map(line),
    rule("╰", "┴", "╯"),
  ].join("\n")}\n`;
}
