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
const SAMPLE = join(ROOT, "examples", "hosts", "vm-bhyve-desktop");

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

describe("the README's first hour on the vm-bhyve sample host (issue 33, finding 9)", () => {
  const steps = walkthroughSteps(readFileSync(join(ROOT, "README.md"), "utf8"));

  test("the walkthrough is there: doctor, list --all, plan --write, attach, assign, doctor --vm, args", () => {
    expect(steps.map((s) => s.argv[0] + (s.argv[1]?.startsWith("--") ? ` ${s.argv[1]}` : ""))).toEqual(["doctor", "list --all", "plan", "attach", "assign", "doctor --vm", "args --vm"]);
  });

  test("every step prints what the README shows", async () => {
    const h = makeDevctlHost({ from: SAMPLE });
    for (const step of steps) {
      let shown = "";
      await run(step.argv, {
        out: (s) => {
          shown += s;
        },
        err: (s) => {
          shown += s;
        },
        env: { PPTCTL_ROOT: h.root, COLUMNS: "80" },
        stdoutIsTTY: false,
        columns: 0,
        platform: "freebsd",
        now: () => new Date("2026-11-24T12:00:00Z"),
      });
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
