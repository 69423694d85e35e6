import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "../src/cli.ts";
import { makeDevctlHost } from "./fake-devctl-host.ts";
import { matches, sampleBlocks, shellWords, shownBy, walkthroughSteps } from "./readme-blocks.ts";

/**
 * The README's first hour (between <!-- first-hour --> and <!-- /first-hour -->), run step by
 * step on a live tree made from examples/hosts/vm-bhyve-desktop: each `$ pptctl …` line is run
 * and what it prints (stdout and stderr as a terminal shows them, one after the other) must be
 * what the README shows under it. A line that is only `…` stands for lines left out.
 */
const ROOT = join(import.meta.dir, "..");
const DESKTOP = join(ROOT, "examples", "hosts", "vm-bhyve-desktop");
const SAMPLE = join(ROOT, "examples", "hosts", "gpu-workstation");

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

describe("the sample hosts hold what every command asks of them (issue 33, finding 9)", () => {
  const runs: Record<string, string[][]> = {
    [SAMPLE]: [["doctor"], ["doctor", "--all-vms"], ["list"], ["list", "--all"], ["plan", "0/20/0"], ["args", "--vm", "test-vm-1", "--check"], ["assign", "0/20/0", "--vm", "test-vm-2", "--dry-run"], ["attach", "0/20/0", "--persist", "--dry-run"]],
    [DESKTOP]: [["doctor"], ["doctor", "--all-vms"], ["list"], ["list", "--all"], ["plan", "vgapci1"], ["assign", "1/0/0", "--vm", "win10", "--dry-run"], ["attach", "1/0/0", "--persist", "--dry-run"]],
  };
  for (const [dir, list] of Object.entries(runs)) {
    for (const argv of list) {
      test(`${dir.split("/").pop()}: pptctl ${argv.join(" ")}`, async () => {
        const shown = await shownBy(["--from", dir, ...argv], {}, null);
        expect(shown).not.toContain("not in the recording");
        expect(shown).not.toMatch(/: UNKNOWN|[1-9]\d* unknown/);
      });
    }
  }
});
