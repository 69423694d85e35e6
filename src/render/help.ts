/**
 * A command's --help, in the shape of the top-level help: plain text (no colour, like a man
 * page in a pipe), option names left-aligned, every line within 80 columns and none ending in a
 * blank. Operands a command cannot do without are shown bare (`SELECTOR...`), the others in
 * brackets, as pptctl.8's synopsis writes them.
 */
import type { ArgsDef } from "citty";

const WIDTH = 80;
const OPERAND: Record<string, string> = { selectors: "SELECTOR...", entries: "ENTRY...", lines: "LINE...", dir: "DIR" };

export function renderHelp(command: string, summary: string, def: ArgsDef): string {
  const operands = Object.entries(def).filter(([, d]) => d.type === "positional");
  const options = Object.entries(def).filter(([, d]) => d.type !== "positional");
  const synopsis = operands.map(([name, d]) => {
    const word = OPERAND[name] ?? name.toUpperCase();
    return "required" in d && d.required ? word : `[${word}]`;
  });
  const lines = [...wrap(`pptctl ${command} — ${summary}`, WIDTH, ""), "", ...wrap(`usage: pptctl [--from DIR] ${command} [options]${synopsis.length > 0 ? ` ${synopsis.join(" ")}` : ""}`, WIDTH, "         ")];
  if (operands.length > 0) {
    lines.push("", "operands:");
    lines.push(...table(operands.map(([name, d]) => [OPERAND[name] ?? name.toUpperCase(), d.description ?? ""])));
  }
  if (options.length > 0) {
    lines.push("", "options:");
    lines.push(...table(options.map(([name, d]) => [label(name, d), describe(d)])));
  }
  return `${lines.join("\n")}\n`;
}

function label(name: string, d: ArgsDef[string]): string {
  const alias = "alias" in d && d.alias ? (Array.isArray(d.alias) ? d.alias : [d.alias]) : [];
  const short = alias.filter((a) => a.length === 1).map((a) => `-${a}, `).join("");
  const hint = d.type === "string" ? ` ${"valueHint" in d && d.valueHint ? d.valueHint : "VALUE"}` : d.type === "enum" ? " FORMAT" : "";
  return `${short}--${name}${hint}`;
}

function describe(d: ArgsDef[string]): string {
  const text = d.description ?? "";
  if (d.type !== "enum" || !("options" in d) || !d.options) return text;
  return /\b(one of|default)\b/.test(text) ? text : `${text} (one of ${d.options.join(", ")})`;
}

/** Two columns: the label, then its text wrapped beside it (under it when the label is long). */
function table(rows: readonly (readonly [string, string])[]): string[] {
  const col = Math.min(Math.max(...rows.map(([l]) => l.length)), 26) + 4;
  const out: string[] = [];
  for (const [l, text] of rows) {
    const pad = " ".repeat(col);
    const body = wrap(text, WIDTH - col, "");
    if (l.length + 4 > col) {
      out.push(`  ${l}`);
      out.push(...body.map((b) => `${pad}${b}`.trimEnd()));
    } else {
      out.push(`  ${l.padEnd(col - 2)}${body[0] ?? ""}`.trimEnd());
      out.push(...body.slice(1).map((b) => `${pad}${b}`.trimEnd()));
    }
  }
  return out;
}

/** Words into lines of at most `width`; `indent` starts every line after the first. */
export function wrap(text: string, width: number, indent: string): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter((w) => w !== "")) {
    const next = line === "" ? word : `${line} ${word}`;
    if (next.length > width - (lines.length > 0 ? indent.length : 0) && line !== "") {
      lines.push(lines.length > 0 ? `${indent}${line}` : line);
      line = word;
    } else line = next;
  }
  if (line !== "" || lines.length === 0) lines.push(lines.length > 0 ? `${indent}${line}` : line);
  return lines;
}
