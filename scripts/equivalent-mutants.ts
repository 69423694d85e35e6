/**
 * The mutants marked equivalent in the source: `// Stryker disable next-line MUTATOR: why`, each
 * beside the code it is about (StrykerJS then reports them as ignored, with the reason). This
 * lists them; `--markdown` prints the README's table, which a test holds to the source.
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const ROOT = join(import.meta.dir, "..");
const MARK = /\/\/ Stryker disable next-line ([A-Za-z,]+): (.+)$/;

export interface Equivalent {
  readonly file: string;
  readonly mutators: string;
  readonly code: string;
  readonly why: string;
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
}

export function equivalents(): Equivalent[] {
  const out: Equivalent[] = [];
  for (const path of files(join(ROOT, "src")).sort()) {
    const lines = readFileSync(path, "utf8").split("\n");
    for (const [i, line] of lines.entries()) {
      const m = MARK.exec(line);
      if (m) out.push({ file: relative(ROOT, path), mutators: m[1]!, code: (lines[i + 1] ?? "").trim(), why: m[2]! });
    }
  }
  return out;
}

export function markdown(rows: readonly Equivalent[]): string {
  const cell = (s: string) => s.replace(/\|/g, "\\|");
  return ["| file | mutator | code | why it cannot matter |", "| --- | --- | --- | --- |", ...rows.map((r) => `| ${r.file} | ${r.mutators} | \`${cell(r.code.length > 70 ? `${r.code.slice(0, 67)}…` : r.code)}\` | ${cell(r.why)} |`)].join("\n");
}

if (import.meta.main) {
  const rows = equivalents();
  console.log(process.argv.includes("--markdown") ? markdown(rows) : rows.map((r) => `${r.file}: ${r.mutators}: ${r.why}`).join("\n"));
}
