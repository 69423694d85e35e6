import { describe, expect, test } from "bun:test";
import { spawnSync } from "bun";
import { join } from "node:path";
import { SAMPLE } from "./helpers.ts";

const MAIN = join(import.meta.dir, "../src/main.ts");

describe("PPTCTL_TRACE=1", () => {
  test("prints each phase's time and minor page faults on stderr, and leaves stdout as it is", () => {
    const run = (env: Record<string, string>) => spawnSync([process.execPath, MAIN, "--from", SAMPLE, "list"], { env: { ...process.env, NO_COLOR: "1", ...env } });
    const traced = run({ PPTCTL_TRACE: "1" });
    const plain = run({});
    expect(traced.stdout.toString()).toBe(plain.stdout.toString());
    expect(plain.stderr.toString()).not.toContain("trace:");
    const lines = traced.stderr.toString().split("\n").filter((l) => l.startsWith("pptctl: trace:"));
    expect(lines.map((l) => l.replace(/^pptctl: trace: +[\d.]+ ms +\d+ faults  /, ""))).toEqual([
      "process start → pptctl's first line",
      "command list loaded",
      `host opened (recorded host ${SAMPLE})`,
      "host asked (commands, files, VM configs)",
      "outputs parsed into the model",
      "command ran",
      "output flushed",
    ]);
    // Reading a recording touches memory: a count that stayed 0 would be a counter not read.
    const faults = lines.map((l) => Number(/ (\d+) faults /.exec(l)![1]));
    expect(faults[0]!).toBeGreaterThan(0);
    expect(faults[2]!).toBeGreaterThan(0);
  });
});
