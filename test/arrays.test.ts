import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import * as arr from "../src/core/arrays.ts";
import { SAMPLE, tempDir } from "./helpers.ts";

describe("the loops in src/core/arrays.ts do what the builtins do", () => {
  const xs = fc.array(fc.integer({ min: -5, max: 5 }), { maxLength: 12 });
  const pred = fc.constantFrom(
    (x: number) => x > 0,
    (x: number, i: number) => (x + i) % 3 === 0,
    () => false,
    () => true,
  );
  test("map, filter, some, every, find, findIndex", () => {
    fc.assert(
      fc.property(xs, pred, (a, p) => {
        expect(arr.map(a, (x, i) => x * 10 + i)).toEqual(a.map((x, i) => x * 10 + i));
        expect(arr.filter(a, p)).toEqual(a.filter(p));
        expect(arr.some(a, p)).toBe(a.some(p));
        expect(arr.every(a, p)).toBe(a.every(p));
        expect(arr.find(a, p)).toBe(a.find(p));
        expect(arr.findIndex(a, p)).toBe(a.findIndex(p));
      }),
    );
  });
  test("flatMap spreads one level of array results and keeps anything else", () => {
    const f = (x: number, i: number) => (x > 0 ? [x, [i]] : x === 0 ? [] : x);
    fc.assert(fc.property(xs, (a) => expect(arr.flatMap(a, f)).toEqual(a.flatMap(f))));
  });
  test("sum", () => {
    fc.assert(fc.property(xs, (a) => expect(arr.sum(a)).toBe(a.reduce((s, x) => s + x, 0))));
  });
});

/**
 * JavaScriptCore compiles its JavaScript-written builtins from source on first use in each process:
 * a call to one from src/ (or a library on the same path) costs a short run tens of microseconds.
 * Each command is run from source with the builtins wrapped, and any call whose caller is pptctl's
 * code or a bundled library is reported with where it came from.
 */
describe("list, doctor and args call none of JavaScriptCore's JavaScript array builtins", () => {
  const MAIN = join(import.meta.dir, "..", "src", "main.ts");
  const spy = join(tempDir(), "spy.ts");
  const names = ["map", "filter", "some", "every", "find", "findIndex", "findLast", "findLastIndex", "flatMap", "flat", "forEach", "reduce", "reduceRight", "fill"];
  writeFileSync(
    spy,
    `const calls = [];
const wrap = (obj, name, label) => {
  const orig = obj[name];
  Object.defineProperty(obj, name, { configurable: true, writable: true, value: function (...a) {
    const caller = (new Error().stack ?? "").split("\\n")[2] ?? "";
    if (/\\/(src|node_modules)\\//.test(caller) && !caller.includes("/test/")) calls.push(label + " " + caller.trim());
    return orig.apply(this, a);
  } });
};
for (const n of ${JSON.stringify(names)}) wrap(Array.prototype, n, "Array.prototype." + n);
wrap(Array, "from", "Array.from");
wrap(Object, "fromEntries", "Object.fromEntries");
process.on("exit", () => { if (calls.length) process.stderr.write("BUILTIN " + [...new Set(calls)].join("\\nBUILTIN ") + "\\n"); });
`,
  );
  const cases = [
    ["--from", SAMPLE, "list"],
    ["--from", SAMPLE, "list", "--all", "--json"],
    ["--from", SAMPLE, "doctor"],
    ["--from", SAMPLE, "doctor", "--format", "prometheus"],
    ["args", "1/0/0", "1/0/1", "-2/0/0"],
    ["--from", SAMPLE, "args", "--vm", "test-vm-1"],
  ];
  const run = (argv: string[]) => {
    const r = Bun.spawnSync([process.execPath, "--preload", spy, ...argv], { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", NO_COLOR: "1" } });
    return { out: r.stdout.toString(), found: r.stderr.toString().split("\n").filter((l) => l.startsWith("BUILTIN ")) };
  };
  test("the spy sees a call from code under src/", () => {
    const dir = join(tempDir(), "src");
    mkdirSync(dir);
    writeFileSync(join(dir, "uses-map.ts"), "console.log([1, 2].map((x) => x * 2).join());\n");
    const r = run([join(dir, "uses-map.ts")]);
    expect(r.out).toBe("2,4\n");
    expect(r.found).toHaveLength(1);
    expect(r.found[0]).toContain("Array.prototype.map");
  });
  for (const argv of cases) {
    test(argv.slice(argv.indexOf(SAMPLE) + 1).join(" ") || argv.join(" "), () => {
      const r = run([MAIN, ...argv]);
      expect(r.out.length).toBeGreaterThan(0);
      expect(r.found).toEqual([]);
    });
  }
});
