/**
 * `npm run mutate [MODULE…]`: mutation testing with StrykerJS on the modules where a silent bug
 * hurts users. Stryker's own runners do not know bun:test, so each module runs its command
 * runner (`bun test` on that module's own test files only, so a mutant costs well under a
 * second) with mutation switching: one instrumented sandbox, each mutant switched on by an
 * environment variable. Prints the score per module; the JSON reports (every survivor with its
 * place) go to reports/mutation/MODULE.json.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..");
const BUN = join(ROOT, "node_modules", ".bin", "bun");

interface Module {
  readonly name: string;
  readonly mutate: readonly string[];
  readonly tests: readonly string[];
  /** Tests too slow to run for every mutant (bun test -t takes a regular expression). */
  readonly skip?: string;
}

export const MODULES: readonly Module[] = [
  { name: "loader", mutate: ["src/core/loader/**/*.ts"], tests: ["loader-units", "plan-units", "loader", "properties", "plan", "mutants", "arm64"] },
  {
    name: "vm",
    mutate: ["src/core/vm/{slots,vm-bhyve,vm-bhyve-edit,hoster,hoster-edit,bhyve-config,passthru-entry}.ts"],
    tests: ["vm-units", "vm-readers", "vm-editors", "vm-edit", "hoster-read", "vm-bhyve-read", "bhyve-config-read", "args", "properties"],
  },
  { name: "host", mutate: ["src/host/safe-write.ts", "src/host/file-lock.ts"], tests: ["safe-write-units", "writer", "mutants"], skip: "70 rounds" },
  { name: "redact", mutate: ["src/core/text/redact.ts"], tests: ["redact-units", "capture-safety", "untrusted-input"] },
  { name: "preflight", mutate: ["src/core/preflight/**/*.ts"], tests: ["preflight-units", "report-build", "explain-causes", "preflight-slots", "preflight-checks", "explain-catalogue", "preflight", "vm-doctor", "explain", "compat", "mutants", "arm64", "args", "unpassable"] },
  { name: "doctor", mutate: ["src/core/doctor/**/*.ts"], tests: ["doctor-units", "doctor-platform", "doctor-pptdevs", "doctor-state", "doctor-knowledge", "doctor", "knowledge", "real-hosts", "mutants"] },
  { name: "assign", mutate: ["src/core/assign/**/*.ts"], tests: ["assign-units", "assign-target", "arm64"] },
];

function config(m: Module, only?: { mutate: readonly string[]; report: string }): object {
  const files = m.tests.map((t) => `test/${t}.test.ts`).join(" ");
  const filter = m.skip ? ` -t '^(?!.*${m.skip})'` : "";
  return {
    testRunner: "command",
    commandRunner: { command: `${BUN} test ${files}${filter}` },
    mutate: only?.mutate ?? m.mutate,
    coverageAnalysis: "off",
    reporters: ["clear-text", "json"],
    clearTextReporter: { reportMutants: false, reportScoreTable: true },
    jsonReporter: { fileName: `reports/mutation/${only?.report ?? m.name}.json` },
    tempDirName: ".stryker-tmp",
    // Bun runs TypeScript without checking types, so the sandbox's files need no @ts-nocheck
    // header (one there would change the generated report index a test compares byte for byte).
    disableTypeChecks: false,
    // The sandbox is a copy of the project: not the binaries, packages and reports.
    ignorePatterns: ["/dist", "/reports", "/.ci"],
    cleanTempDir: "always",
    concurrency: Number(process.env.MUTATE_CONCURRENCY ?? 4),
    timeoutMS: 30_000,
  };
}

/** killed + timeout over every mutant that ran, as Stryker counts its mutation score. */
export function score(report: { files: Record<string, { mutants: { status: string }[] }> }): { killed: number; survived: string[]; total: number } {
  let killed = 0;
  let total = 0;
  const survived: string[] = [];
  for (const [file, f] of Object.entries(report.files)) {
    for (const mu of f.mutants as { status: string; mutatorName: string; location: { start: { line: number } } }[]) {
      if (mu.status === "Ignored" || mu.status === "CompileError") continue;
      total++;
      if (mu.status === "Killed" || mu.status === "Timeout") killed++;
      else survived.push(`${file}:${mu.location.start.line} ${mu.mutatorName}`);
    }
  }
  return { killed, survived, total };
}

/** The README's table from the reports on disk: module, what it covers, score, mutants, survivors. */
export function scoreTable(read: (name: string) => string | null): string {
  const rows = MODULES.map((m) => {
    const text = read(m.name);
    if (text === null) return `| ${m.name} | ${m.mutate.join(", ")} | not run | | |`;
    const s = score(JSON.parse(text));
    return `| ${m.name} | ${m.mutate.join(", ")} | ${((100 * s.killed) / Math.max(1, s.total)).toFixed(1)} % | ${s.total} | ${s.survived.length} |`;
  });
  return ["| module | files | killed | mutants | survivors |", "| --- | --- | --- | --- | --- |", ...rows].join("\n");
}

interface ReportMutant {
  status: string;
  mutatorName: string;
  replacement?: string;
  location: { start: { line: number; column: number }; end: { line: number; column: number } };
}

/**
 * The lines that held survivors, as Stryker's `file:from-to` ranges: `--recheck MODULE` runs only
 * the mutants there against today's tests (minutes, not the module's whole run). The source may
 * have moved since the report: each line is found again by its text, the nearest copy to where it
 * was; a line that is gone is skipped (its code changed, so its old mutants are gone too).
 */
export function survivorLines(report: { files: Record<string, { source: string; mutants: ReportMutant[] }> }, current: (file: string) => string | null): string[] {
  const out: string[] = [];
  for (const [file, f] of Object.entries(report.files)) {
    const old = f.source.split("\n");
    const now = current(file)?.split("\n") ?? [];
    const lines = new Set<number>();
    for (const m of f.mutants) {
      if (m.status !== "Survived" && m.status !== "NoCoverage") continue;
      const text = old[m.location.start.line - 1];
      const at = now.flatMap((l, i) => (l === text ? [i + 1] : [])).sort((a, b) => Math.abs(a - m.location.start.line) - Math.abs(b - m.location.start.line))[0];
      if (at !== undefined) lines.add(at);
    }
    for (const l of [...lines].sort((a, b) => a - b)) out.push(`${file}:${l}-${l}`);
  }
  return out;
}

/** Each survivor as `file:line:column Mutator 'original' -> 'replacement'`, in file order. */
export function survivors(report: { files: Record<string, { source: string; mutants: ReportMutant[] }> }): string[] {
  const out: string[] = [];
  for (const [file, f] of Object.entries(report.files)) {
    const lines = f.source.split("\n");
    for (const m of f.mutants) {
      if (m.status !== "Survived" && m.status !== "NoCoverage") continue;
      const { start, end } = m.location;
      const from = lines[start.line - 1] ?? "";
      const original = start.line === end.line ? from.slice(start.column - 1, end.column - 1) : `${from.slice(start.column - 1)}…`;
      out.push(`${file}:${start.line}:${start.column} ${m.mutatorName} '${original.slice(0, 80)}' -> '${(m.replacement ?? "").slice(0, 80)}'`);
    }
  }
  return out;
}

if (import.meta.main && process.argv[2] === "--survivors") {
  const name = process.argv[3] ?? "";
  const path = join(ROOT, "reports", "mutation", `${name}.json`);
  if (!existsSync(path)) {
    console.error(`mutate: no report for '${name}'; run 'npm run mutate -- ${name || "MODULE"}' first (modules: ${MODULES.map((m) => m.name).join(", ")})`);
    process.exit(2);
  }
  console.log(survivors(JSON.parse(readFileSync(path, "utf8"))).join("\n"));
} else if (import.meta.main && process.argv[2] === "--recheck") {
  const m = MODULES.find((x) => x.name === process.argv[3]);
  const path = join(ROOT, "reports", "mutation", `${m?.name}.json`);
  if (!m || !existsSync(path)) {
    console.error(`mutate: --recheck needs a module with a report (modules: ${MODULES.map((x) => x.name).join(", ")}); run 'npm run mutate -- MODULE' first`);
    process.exit(2);
  }
  // Files named after the module are run whole: code rewritten since the report has new mutants.
  const files = process.argv.slice(4);
  const ranges = files.length > 0 ? files : survivorLines(JSON.parse(readFileSync(path, "utf8")), (file) => (existsSync(join(ROOT, file)) ? readFileSync(join(ROOT, file), "utf8") : null));
  if (ranges.length === 0) {
    console.log(`mutate: ${m.name} has no survivors to recheck`);
    process.exit(0);
  }
  mkdirSync(join(ROOT, ".stryker-tmp"), { recursive: true });
  const report = `${m.name}-recheck`;
  const file = join(ROOT, ".stryker-tmp", `${report}.conf.json`);
  writeFileSync(file, JSON.stringify(config(m, { mutate: ranges, report }), null, 2));
  const r = Bun.spawnSync(["npx", "stryker", "run", file], { cwd: ROOT, stdout: "inherit", stderr: "inherit" });
  if (r.exitCode !== 0) process.exit(1);
  console.log(survivors(JSON.parse(readFileSync(join(ROOT, "reports", "mutation", `${report}.json`), "utf8"))).join("\n") || `mutate: every mutant ${files.length > 0 ? `in ${files.join(", ")}` : `on the ${ranges.length} survivor lines of ${m.name}`} is killed or named now`);
} else if (import.meta.main && process.argv[2] === "--table") {
  const report = (name: string) => join(ROOT, "reports", "mutation", `${name}.json`);
  console.log(scoreTable((name) => (existsSync(report(name)) ? readFileSync(report(name), "utf8") : null)));
} else if (import.meta.main) {
  const asked = process.argv.slice(2);
  const chosen = asked.length > 0 ? MODULES.filter((m) => asked.includes(m.name)) : MODULES;
  if (chosen.length === 0) {
    console.error(`mutate: modules are ${MODULES.map((m) => m.name).join(", ")}`);
    process.exit(2);
  }
  mkdirSync(join(ROOT, ".stryker-tmp"), { recursive: true });
  const rows: string[] = [];
  for (const m of chosen) {
    const file = join(ROOT, ".stryker-tmp", `${m.name}.conf.json`);
    writeFileSync(file, JSON.stringify(config(m), null, 2));
    const r = Bun.spawnSync(["npx", "stryker", "run", file], { cwd: ROOT, stdout: "inherit", stderr: "inherit" });
    if (r.exitCode !== 0) {
      console.error(`mutate: stryker failed on ${m.name} (exit ${r.exitCode})`);
      process.exit(1);
    }
    const s = score(JSON.parse(readFileSync(join(ROOT, "reports", "mutation", `${m.name}.json`), "utf8")));
    rows.push(`${m.name.padEnd(10)} ${((100 * s.killed) / Math.max(1, s.total)).toFixed(1).padStart(5)} %  ${String(s.killed).padStart(5)} killed of ${s.total}`);
  }
  console.log(`\nmodule     score    mutants\n${rows.join("\n")}`);
}
