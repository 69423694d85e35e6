import { expect, test } from "bun:test";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { writeAll } from "../scripts/make-fixtures.ts";
import { HOSTS, tempDir } from "./helpers.ts";

function tree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(root, p)] = readFileSync(p, "utf8");
    }
  };
  walk(root);
  return out;
}

test("committed recorded hosts are what scripts/make-fixtures.ts writes", () => {
  const dir = tempDir();
  writeAll(dir);
  expect(tree(HOSTS)).toEqual(tree(dir));
});
