import { describe, expect, test } from "bun:test";
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

/** The rooms of the code (README "Development"): what they hold and which way imports go. */
const ROOT = join(import.meta.dir, "..");
const sources = (dir: string) =>
  readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
const imports = (file: string) =>
  [...readFileSync(join(ROOT, file), "utf8").matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)].map((m) => relative(ROOT, resolve(dirname(join(ROOT, file)), m[1]!)));

/** Core rooms, bottom up: a file imports only from its own rank or below. */
const RANK: [RegExp, number][] = [
  [/^src\/core\/(errors|snapshot)\.ts$/, 0],
  [/^src\/core\/text\//, 0],
  [/^src\/core\/pci\//, 1],
  [/^src\/core\/(parse|knowledge|compat)\//, 2],
  [/^src\/core\/vm\//, 3],
  [/^src\/core\/model\//, 4],
  [/^src\/core\/loader\//, 5],
  [/^src\/core\/(runtime|assign)\//, 6],
  [/^src\/core\/(doctor\/|preflight\/|inventory\.ts)/, 7],
];
const rank = (f: string) => RANK.find(([re]) => re.test(f))?.[1];

describe("the house", () => {
  test("no source file is over 300 lines", () => {
    const long = [...sources("src"), ...sources("scripts")].map((f) => [f, readFileSync(join(ROOT, f), "utf8").split("\n").length] as const).filter(([, n]) => n > 301);
    expect(long).toEqual([]);
  });
  test("the core never reaches the host layer, the commands, the renderers or the process", () => {
    const out = sources("src/core").flatMap((f) => imports(f).filter((i) => !i.startsWith("src/core/")).map((i) => `${f} -> ${i}`));
    expect(out).toEqual([]);
  });
  test("inside the core, imports go down the rooms only", () => {
    const files = sources("src/core");
    expect(files.filter((f) => rank(f) === undefined)).toEqual([]);
    const up = files.flatMap((f) => imports(f).filter((i) => rank(i)! > rank(f)!).map((i) => `${f} -> ${i}`));
    expect(up).toEqual([]);
  });
});
