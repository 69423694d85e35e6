import { expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { equivalents, markdown } from "../scripts/equivalent-mutants.ts";
import { MODULES } from "../scripts/mutate.ts";

const ROOT = join(import.meta.dir, "..");
const README = readFileSync(join(ROOT, "README.md"), "utf8");

test("the README's table of equivalent mutants is the one the source marks", () => {
  const m = /<!-- equivalent-mutants -->\n([\s\S]*?)\n?<!-- \/equivalent-mutants -->/.exec(README);
  expect(m).not.toBeNull();
  expect(m![1]!.trim()).toBe(markdown(equivalents()));
});

test("every mark says which mutator and why", () => {
  for (const e of equivalents()) {
    expect(e.why.length).toBeGreaterThan(20);
    expect(e.code).not.toBe("");
  }
});

test("each module of npm run mutate runs test files that exist", () => {
  for (const m of MODULES) for (const t of m.tests) expect(existsSync(join(ROOT, "test", `${t}.test.ts`))).toBe(true);
});
