import { describe, expect, test } from "bun:test";
import { makeDevctlHost } from "./fake-devctl-host.ts";
import { vmTree } from "./vm-tree.ts";
import { cli } from "./helpers.ts";
import { shellWords } from "./readme-blocks.ts";

/**
 * Advice pptctl itself would refuse is the worst kind (issue 33, finding 2: unassign once
 * advised a release that release refused). Every `pptctl …` command a message gives is run,
 * right there, on the state that printed it, and must do its job (exit 0).
 */
export function advised(text: string): string[] {
  // A command with its operands; `'pptctl release'` alone names the command, it advises nothing.
  const found = [...text.matchAll(/pptctl ((?:attach|release|plan|assign|unassign|args) [^'\n;()]+)/g)].map((m) => m[1]!.trim().replace(/[.,:]$/, ""));
  return [...new Set(found)];
}

type Tree = { run: (...argv: string[]) => Promise<{ code: number; stdout: string; stderr: string }> };

async function followEach(make: () => Tree, setup: (t: Tree) => Promise<string>): Promise<{ advice: string; code: number; stderr: string }[]> {
  const text = await setup(make());
  const out: { advice: string; code: number; stderr: string }[] = [];
  for (const advice of advised(text)) {
    // Each piece of advice on its own copy of the state that printed it.
    const t = make();
    await setup(t);
    const r = await t.run(...shellWords(advice));
    out.push({ advice, code: r.code, stderr: r.stderr });
  }
  return out;
}

const liveTree = (opts: Parameters<typeof makeDevctlHost>[0] = {}) => () => {
  const h = makeDevctlHost(opts);
  return { run: (...argv: string[]) => cli(argv, { env: { PPTCTL_ROOT: h.root } }) };
};

describe("every command pptctl advises runs as advised (issue 33, finding 2)", () => {
  const scenarios: { name: string; make: () => Tree; setup: (t: Tree) => Promise<string>; min: number }[] = [
    {
      name: "attach without --persist",
      make: liveTree(),
      setup: async (t) => (await t.run("attach", "1/0/0")).stderr,
      min: 1,
    },
    {
      name: "release of a device loader.conf reserves",
      make: liveTree({ kenv: { pptdevs: "1/0/0" } }),
      setup: async (t) => {
        await t.run("plan", "1/0/0", "--write");
        return (await t.run("release", "1/0/0")).stderr;
      },
      min: 1,
    },
    {
      name: "doctor after a run-time release",
      make: liveTree({ kenv: { pptdevs: "1/0/0" } }),
      setup: async (t) => {
        await t.run("plan", "1/0/0", "--write");
        await t.run("release", "1/0/0");
        return (await t.run("doctor")).stdout;
      },
      min: 2,
    },
    {
      name: "doctor with a device on ppt that loader.conf does not keep",
      make: liveTree(),
      setup: async (t) => {
        await t.run("attach", "1/0/0");
        return (await t.run("doctor")).stdout;
      },
      min: 1,
    },
    {
      name: "args --check of a device not on ppt",
      make: liveTree(),
      setup: async (t) => (await t.run("args", "1/0/0", "--check")).stderr,
      min: 1,
    },
    {
      name: "plan --write",
      make: liveTree(),
      setup: async (t) => (await t.run("plan", "1/0/0", "--write")).stderr,
      min: 1,
    },
    {
      name: "assign of a device not on ppt",
      make: () => vmTree(),
      setup: async (t) => (await t.run("assign", "47/0/0", "--vm", "gw")).stderr,
      min: 1,
    },
    {
      name: "unassign of a device on ppt and reserved",
      make: () => vmTree(),
      setup: async (t) => (await t.run("unassign", "0/13/0", "--vm", "test-vm-2")).stderr,
      min: 1,
    },
    {
      name: "assign of a device another VM has",
      make: () => vmTree(),
      setup: async (t) => (await t.run("assign", "1/0/0", "--vm", "gw")).stderr,
      min: 1,
    },
  ];
  for (const s of scenarios) {
    test(s.name, async () => {
      const results = await followEach(s.make, s.setup);
      expect(results.length).toBeGreaterThanOrEqual(s.min);
      for (const r of results) expect({ advice: r.advice, code: r.code, stderr: r.code === 0 ? "" : r.stderr }).toEqual({ advice: r.advice, code: 0, stderr: "" });
    }, 30_000);
  }
  test("advised() finds the commands in quotes, after a colon, in parentheses", () => {
    expect(advised("fix: 'pptctl attach 1/0/0 --persist'; or pptctl release 2/0/0 --persist (x)")).toEqual(["attach 1/0/0 --persist", "release 2/0/0 --persist"]);
  });
});
