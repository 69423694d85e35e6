import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "../src/cli.ts";
import { makeDevctlHost } from "./fake-devctl-host.ts";

/**
 * The README's first hour (between <!-- first-hour --> and <!-- /first-hour -->), run step by
 * step on a live tree made from examples/hosts/vm-bhyve-desktop: each `$ pptctl …` line is run
 * and what it prints (stdout and stderr as a terminal shows them, one after the other) must be
 * what the README shows under it. A line that is only `…` stands for lines left out.
 */
const ROOT = join(import.meta.dir, "..");
const DESKTOP = join(ROOT, "examples", "hosts", "vm-bhyve-desktop");
const SAMPLE = join(ROOT, "examples", "hosts", "gpu-workstation");

export function walkthroughSteps(readme: string): { argv: string[]; expected: string[] }[] {
  const start = readme.indexOf("<!-- first-hour -->");
  const end = readme.indexOf("<!-- /first-hour -->");
  if (start < 0 || end < start) return [];
  const steps: { argv: string[]; expected: string[] }[] = [];
  for (const block of readme.slice(start, end).matchAll(/```\n([\s\S]*?)```/g)) {
    let current: { argv: string[]; expected: string[] } | null = null;
    for (const line of (block[1] ?? "").replace(/\n$/, "").split("\n")) {
      if (line.startsWith("$ pptctl ")) {
        current = { argv: line.slice("$ pptctl ".length).split(" "), expected: [] };
        steps.push(current);
      } else current?.expected.push(line);
    }
  }
  return steps;
}

/** Lines match in order; a `…` line takes any number of lines. */
export function matches(actual: readonly string[], expected: readonly string[]): boolean {
  const [e, ...rest] = expected;
  if (e === undefined) return actual.length === 0;
  if (e === "…") return actual.some((_, i) => matches(actual.slice(i), rest)) || matches([], rest);
  return actual[0] === e && matches(actual.slice(1), rest);
}

/** Words of a command line as sh would split it: blanks, double and single quotes; `# …` ends it. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "#" && word === null) break;
    if (c === " " || c === "\t") {
      if (word !== null) words.push(word);
      word = null;
    } else if (c === '"' || c === "'") {
      const end = line.indexOf(c, i + 1);
      word = (word ?? "") + line.slice(i + 1, end < 0 ? line.length : end);
      i = end < 0 ? line.length : end;
    } else word = (word ?? "") + c;
  }
  if (word !== null) words.push(word);
  return words;
}

/** Blocks of the README marked `<!-- sample: DIR [tty=COLUMNS] -->`: each `$ pptctl …` line with what it prints. */
export function sampleBlocks(readme: string): { dir: string; tty: number | null; argv: string[]; expected: string[] }[] {
  const out: { dir: string; tty: number | null; argv: string[]; expected: string[] }[] = [];
  for (const m of readme.matchAll(/<!-- sample: (\S+)(?: tty=(\d+))? -->\n```\n([\s\S]*?)```/g)) {
    let current: { dir: string; tty: number | null; argv: string[]; expected: string[] } | null = null;
    for (const line of (m[3] ?? "").replace(/\n$/, "").split("\n")) {
      if (line.startsWith("$ ")) {
        // A pipeline or a command substitution is for a real host; only plain pptctl lines are run.
        const plain = line.startsWith("$ pptctl ") && !/&&|\||\$\(|;/.test(line.replace(/#.*$/, ""));
        current = plain ? { dir: m[1]!, tty: m[2] ? Number(m[2]) : null, argv: shellWords(line.slice(9)), expected: [] } : null;
        if (current) out.push(current);
      } else current?.expected.push(line);
    }
  }
  return out;
}

async function shownBy(argv: readonly string[], env: Record<string, string>, tty: number | null): Promise<string> {
  let shown = "";
  await run(argv, {
    out: (s) => {
      shown += s;
    },
    err: (s) => {
      shown += s;
    },
    env: tty ? { ...env, NO_COLOR: "1" } : env,
    stdoutIsTTY: tty !== null,
    columns: tty ?? 0,
    platform: "freebsd",
    now: () => new Date("2026-11-24T12:00:00Z"),
  });
  return shown;
}

describe("the README's examples are what pptctl prints on the sample hosts (issue 33, finding 10)", () => {
  const blocks = sampleBlocks(readFileSync(join(ROOT, "README.md"), "utf8"));
  test("the marked blocks are there", () => {
    expect(blocks.length).toBeGreaterThanOrEqual(6);
  });
  for (const b of blocks) {
    test(`pptctl ${b.argv.join(" ")} (${b.dir.split("/").pop()})`, async () => {
      const argv = b.argv.includes("--from") ? b.argv : ["--from", join(ROOT, b.dir), ...b.argv];
      const lines = (await shownBy(argv, {}, b.tty)).replace(/\n$/, "").split("\n");
      if (!matches(lines, b.expected)) expect(lines).toEqual(b.expected);
    });
  }
  test("shellWords splits as sh does for the README's lines", () => {
    expect(shellWords(`explain "PCI device at 0/20/0 is not using the ppt(4) driver"   # a comment`)).toEqual(["explain", "PCI device at 0/20/0 is not using the ppt(4) driver"]);
    expect(shellWords("args -- -1/0/0 -1/0/1        # or simply")).toEqual(["args", "--", "-1/0/0", "-1/0/1"]);
  });
});

describe("the README's first hour on the vm-bhyve sample host (issue 33, finding 9)", () => {
  const steps = walkthroughSteps(readFileSync(join(ROOT, "README.md"), "utf8"));

  test("the walkthrough is there: doctor, list --all, plan --write, attach, assign, doctor --vm, args", () => {
    expect(steps.map((s) => s.argv[0] + (s.argv[1]?.startsWith("--") ? ` ${s.argv[1]}` : ""))).toEqual(["doctor", "list --all", "plan", "attach", "assign", "doctor --vm", "args --vm"]);
  });

  test("every step prints what the README shows", async () => {
    const h = makeDevctlHost({ from: DESKTOP });
    for (const step of steps) {
      const shown = await shownBy(step.argv, { PPTCTL_ROOT: h.root, COLUMNS: "80" }, null);
      const lines = shown.replaceAll(h.root, "").replace(/\n$/, "").split("\n");
      if (!matches(lines, step.expected)) expect({ step: step.argv.join(" "), lines }).toEqual({ step: step.argv.join(" "), lines: step.expected });
    }
  });

  test("the matcher: … takes any number of lines, nothing else is loose", () => {
    expect(matches(["a", "b", "c"], ["a", "…", "c"])).toBe(true);
    expect(matches(["a", "c"], ["a", "…", "c"])).toBe(true);
    expect(matches(["a", "b", "c"], ["a", "c"])).toBe(false);
    expect(matches(["a", "b"], ["a", "b", "c"])).toBe(false);
  });
});

describe("the README's JSON table names every key each document has (issue 33, finding 6)", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const row = (format: string) => readme.split("\n").find((l) => l.startsWith(`| \`${format}\``)) ?? "";
  const docs: [string, string[]][] = [
    ["pptctl-doctor/1", ["--from", SAMPLE, "doctor", "--json"]],
    ["pptctl-list/1", ["--from", SAMPLE, "list", "--json"]],
    ["pptctl-plan/1", ["--from", SAMPLE, "plan", "0/20/0", "--json"]],
    ["pptctl-args/1", ["args", "1/0/0", "--json"]],
    ["pptctl-runtime/1", ["--from", SAMPLE, "attach", "0/20/0", "--persist", "--dry-run", "--json"]],
    ["pptctl-assign/1", ["--from", SAMPLE, "assign", "0/20/0", "--vm", "test-vm-2", "--dry-run", "--json"]],
    ["pptctl-explain/1", ["--from", SAMPLE, "explain", "PCI device at 0/20/0 is not using the ppt(4) driver", "--json"]],
  ];
  for (const [format, argv] of docs) {
    test(format, async () => {
      let out = "";
      await run(argv, { out: (s) => (out += s), err: () => undefined, env: {}, stdoutIsTTY: false, columns: 0, platform: "freebsd", now: () => new Date() });
      const doc = JSON.parse(out) as Record<string, unknown>;
      expect(doc.format).toBe(format);
      const keys = (o: unknown): string[] => (o && typeof o === "object" && !Array.isArray(o) ? Object.keys(o) : []);
      const first = (v: unknown) => (Array.isArray(v) ? v[0] : v);
      // Top-level keys, and the keys of the first element of each list or object.
      const named = [...keys(doc), ...keys(doc).flatMap((k) => keys(first(doc[k])))].filter((k) => k !== "format");
      expect(named.filter((k) => !row(format).includes(`\`${k}\``) && !row(format).includes(`\`${k}[]\``))).toEqual([]);
    });
  }
});
