import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { rootUsage } from "../src/cli.ts";
import { cli } from "./helpers.ts";

const PAGE = join(import.meta.dir, "..", "src", "pptctl.8");
const source = readFileSync(PAGE, "utf8");
const commands = [...rootUsage().matchAll(/^ {2}(\w+) {2,}/gm)].map((m) => m[1]!);

/**
 * The page as a reader sees it: mandoc's rendering where mandoc is installed (CI installs it).
 * Without mandoc (a machine with only Node and npm) the source is checked and the rendering skipped:
 * Bun.spawnSync throws for a program that is not there.
 */
function rendered(): string | null {
  if (!Bun.which("mandoc")) return null;
  const r = Bun.spawnSync(["mandoc", "-T", "ascii", PAGE], { stdout: "pipe", stderr: "ignore" });
  if (r.exitCode !== 0) return null;
  return r.stdout.toString().replace(/.\x08/g, "");
}

describe("the man page cannot drift from --help", () => {
  test("the command list is read from the CLI", () => {
    expect(commands).toEqual(["doctor", "plan", "list", "args", "attach", "release", "assign", "unassign", "explain", "compat", "report", "capture"]);
  });
  const text = rendered();
  for (const cmd of commands) {
    test(`pptctl ${cmd}: the command and every long option of its --help`, async () => {
      const help = (await cli([cmd, "--help"])).stdout;
      const options = [...new Set([...help.matchAll(/(?<![\w-])--([a-z][a-z-]*)/g)].map((m) => m[1]!))];
      expect(options.length).toBeGreaterThan(2);
      expect(source).toContain(`.Ss ${cmd}\n`);
      expect(source).toMatch(new RegExp(`^\\.Cm ${cmd}$`, "m"));
      for (const o of options) {
        expect({ cmd, option: o, inSource: new RegExp(`Fl -${o}\\b`).test(source) }).toEqual({ cmd, option: o, inSource: true });
        if (text !== null) expect({ cmd, option: o, rendered: text.includes(`--${o}`) }).toEqual({ cmd, option: o, rendered: true });
      }
    });
  }
  test("EXIT STATUS, ENVIRONMENT, FILES, EXAMPLES and SEE ALSO are there", () => {
    for (const s of ["EXIT STATUS", "ENVIRONMENT", "FILES", "EXAMPLES", "SEE ALSO"]) expect(source).toContain(`.Sh ${s}\n`);
    for (const x of ["bhyve 8", "vmm 4", "pciconf 8", "acpidump 8", "devctl 8", "loader.conf 5", "periodic 8"]) expect(source).toContain(`.Xr ${x}`);
  });
});

describe("both man formatters read the page without a warning (issue 33, finding 11)", () => {
  test.skipIf(!Bun.which("groff"))("groff -man -ww", () => {
    const r = Bun.spawnSync(["groff", "-man", "-Tutf8", "-ww", PAGE], { stdout: "ignore", stderr: "pipe" });
    expect(r.stderr.toString()).toBe("");
  });
  test.skipIf(!Bun.which("mandoc"))("mandoc -T lint, errors and warnings", () => {
    const r = Bun.spawnSync(["mandoc", "-T", "lint", "-W", "warning", PAGE], { stdout: "pipe", stderr: "pipe" });
    expect(`${r.stdout}${r.stderr}`.split("\n").filter((l) => / (WARNING|ERROR|UNSUPP):/.test(l))).toEqual([]);
  });
});
