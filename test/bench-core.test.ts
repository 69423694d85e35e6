import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { syntheticHost } from "../scripts/bench.ts";
import { SAMPLE, cli, host, removeLater } from "./helpers.ts";

const CORE = join(import.meta.dir, "..", "scripts", "bench-core.ts");

/** stdout of scripts/bench-core.ts, run as the bench runs it (its own process). */
function core(args: string[]): string {
  const r = Bun.spawnSync([process.execPath, CORE, ...args], { stdout: "pipe", stderr: "pipe", env: { PATH: process.env.PATH ?? "", NO_COLOR: "1" } });
  expect(r.exitCode).toBe(0);
  return r.stdout.toString();
}

// The bench's floor is only a floor while it does pptctl's work: the same bytes on stdout.
describe("bench-core prints what pptctl prints", () => {
  const cases: [string, string[]][] = [
    [SAMPLE, ["list"]],
    [SAMPLE, ["list", "--all"]],
    [SAMPLE, ["list", "--all", "--json"]],
    [SAMPLE, ["doctor"]],
    [host("gpu-quirks"), ["doctor"]],
    [host("list-vms"), ["list"]],
  ];
  for (const [dir, args] of cases) {
    test(`${dir.split("/").pop()}: ${args.join(" ")}`, async () => {
      const p = await cli(["--from", dir, ...args]);
      expect(p.stdout.length).toBeGreaterThan(0);
      expect(core([dir, ...args])).toBe(p.stdout);
    });
  }

  test("a synthetic host of 300 devices with VM dirs: list --all --json", async () => {
    const dir = removeLater(syntheticHost(300));
    const args = ["list", "--all", "--json", "--vms", "/vms"];
    const p = await cli(["--from", dir, ...args]);
    expect(JSON.parse(p.stdout).devices).toHaveLength(300);
    expect(core([dir, ...args])).toBe(p.stdout);
  });
});
