import { expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { equivalents, markdown } from "../scripts/equivalent-mutants.ts";
import { MODULES, score, scoreTable, survivorLines, survivors } from "../scripts/mutate.ts";

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

test("a report read back: the score table and each survivor with its code", () => {
  const report = {
    files: {
      "src/a.ts": {
        source: "const x = 1;\nif (a === b) go();\n",
        mutants: [
          { status: "Killed", mutatorName: "StringLiteral", location: { start: { line: 1, column: 1 }, end: { line: 1, column: 5 } } },
          { status: "Survived", mutatorName: "EqualityOperator", replacement: "a !== b", location: { start: { line: 2, column: 5 }, end: { line: 2, column: 12 } } },
          { status: "Timeout", mutatorName: "BlockStatement", location: { start: { line: 2, column: 14 }, end: { line: 2, column: 19 } } },
          { status: "Ignored", mutatorName: "Regex", location: { start: { line: 1, column: 1 }, end: { line: 1, column: 2 } } },
          { status: "NoCoverage", mutatorName: "ConditionalExpression", replacement: "true", location: { start: { line: 2, column: 5 }, end: { line: 3, column: 1 } } },
        ],
      },
    },
  };
  expect(survivors(report)).toEqual(["src/a.ts:2:5 EqualityOperator 'a === b' -> 'a !== b'", "src/a.ts:2:5 ConditionalExpression 'a === b) go();…' -> 'true'"]);
  expect(score(report)).toMatchObject({ killed: 2, total: 4 });
  const table = scoreTable((name) => (name === "loader" ? JSON.stringify(report) : null)).split("\n");
  expect(table[2]).toBe("| loader | src/core/loader/**/*.ts | 50.0 % | 4 | 2 |");
  expect(table[3]).toStartWith("| vm | src/core/vm/");
  expect(table[3]).toEndWith("| not run | | |");
  // --recheck: the survivor's line found again after the source moved, or skipped once it is gone.
  expect(survivorLines(report, () => "// a comment\nconst x = 1;\nif (a === b) go();\n")).toEqual(["src/a.ts:3-3"]);
  expect(survivorLines(report, () => "if (a === b) go();\n\n\nif (a === b) go();\n")).toEqual(["src/a.ts:1-1"]);
  expect(survivorLines(report, () => "const x = 1;\nif (a !== b) go();\n")).toEqual([]);
});
