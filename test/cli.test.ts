import { describe, expect, test } from "bun:test";
import pkg from "../package.json";
import { VERSION } from "../src/version.ts";
import { makeFakeHost } from "./fake-host.ts";
import { join } from "node:path";
import { SAMPLE, cli, tempDir } from "./helpers.ts";

describe("no command starts what it does not use", () => {
  test("citty is imported for its types only: pptctl parses and prints help itself", async () => {
    const { readdirSync, readFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    const root = join(import.meta.dir, "..", "src");
    const files = readdirSync(root, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"));
    const valueImports: string[] = [];
    const dynamic: string[] = [];
    for (const f of files) {
      const text = readFileSync(join(root, f), "utf8");
      for (const m of text.matchAll(/^import\s+(?!type\b)[^;]*?from\s+"citty";/gm)) valueImports.push(`${f}: ${m[0]}`);
      if (/import\("citty"\)/.test(text)) dynamic.push(f);
    }
    expect(valueImports).toEqual([]);
    expect(dynamic).toEqual([]);
  });
});

describe("the CLI edge", () => {
  test("version matches package.json, at the root and per command", async () => {
    expect(VERSION).toBe(pkg.version);
    expect(await cli(["--version"])).toEqual({ code: 0, stdout: `pptctl ${VERSION}\n`, stderr: "" });
    expect((await cli(["list", "--version"])).stdout).toBe(`pptctl ${VERSION}\n`);
  });
  test("help per command on stdout: plain, within 80 columns, no line ending in a blank (issue 33, finding 7)", async () => {
    const commands = ["doctor", "plan", "list", "args", "attach", "release", "assign", "unassign", "explain", "capture"];
    for (const c of commands) {
      for (const tty of [false, true]) {
        const r = await cli([c, "--help"], { tty });
        expect(r.code).toBe(0);
        expect(r.stdout).toStartWith(`pptctl ${c} — `);
        expect(r.stdout).not.toContain("\u001b[");
        expect(r.stdout).not.toContain(`(pptctl ${c})`);
        const lines = r.stdout.split("\n");
        expect(lines.filter((l) => l.length > 80)).toEqual([]);
        expect(lines.filter((l) => /\s$/.test(l))).toEqual([]);
      }
    }
    // Operands a command cannot do without are bare, as pptctl.8's synopsis has them.
    for (const c of ["attach", "release", "assign", "unassign"]) expect((await cli([c, "--help"])).stdout).toContain(`pptctl [--from DIR] ${c} [options] SELECTOR...`);
    expect((await cli(["capture", "--help"])).stdout).toContain("pptctl [--from DIR] capture [options] DIR");
    expect((await cli(["plan", "--help"])).stdout).toContain("[SELECTOR...]");
  });
  test("no command: usage on stderr, exit 2; unknown command: one line", async () => {
    const none = await cli([]);
    expect(none).toMatchObject({ code: 2, stdout: "" });
    expect(none.stderr).toContain("usage: pptctl");
    expect(await cli(["frobnicate"])).toEqual({
      code: 2,
      stdout: "",
      stderr: "pptctl: unknown command 'frobnicate'; commands: doctor, plan, list, args, attach, release, assign, unassign, explain, compat, report, capture (see 'pptctl --help')\n",
    });
  });
  test("unknown flags, missing values and repeated single flags are errors", async () => {
    expect((await cli(["--from", SAMPLE, "list", "--al"])).stderr).toBe("pptctl: list: unknown option '--al'; see 'pptctl list --help'\n");
    expect((await cli(["list", "--from"])).stderr).toBe("pptctl: list: option '--from' needs a value; see 'pptctl list --help'\n");
    expect((await cli(["args", "--first-slot", "6", "--first-slot", "7", "1/0/0"])).stderr).toBe(
      "pptctl: args: option '--first-slot' given twice ('6' and '7'); give it once\n",
    );
    expect((await cli(["list", "--all=yes"])).stderr).toBe("pptctl: list: option '--all' takes no value\n");
  });
  test("an internal error is one line, no stack trace", async () => {
    // A pciconf stub that prints binary garbage must not crash anything either.
    const root = makeFakeHost();
    await Bun.write(`${root}/usr/sbin/pciconf`, "#!/bin/sh\nhead -c 4096 /dev/urandom\n");
    const r = await cli(["list", "--all"], { env: { PPTCTL_ROOT: root } });
    expect(r.stderr).not.toContain("    at ");
    expect([0, 1]).toContain(r.code);
  });
  test("a hung command makes its check unknown, within the timeout", async () => {
    const root = makeFakeHost({ hang: true });
    const t0 = performance.now();
    const r = await cli(["doctor", "--json"], { env: { PPTCTL_ROOT: root, PPTCTL_TIMEOUT_MS: "300" } });
    expect(performance.now() - t0).toBeLessThan(5000);
    const doc = JSON.parse(r.stdout);
    expect(doc.checks.find((c: { id: string }) => c.id === "iommu")).toMatchObject({ status: "unknown", summary: "cannot read ACPI tables: acpidump did not answer within 0.3 s" });
    expect(r.code).toBe(3);
  });
});

describe("the smaller disagreements of issue 22", () => {
  const oneLine = (r: { stderr: string }) => r.stderr.trimEnd().split("\n").length;
  test("'pptctl help' and 'pptctl help COMMAND' work; -h and -V are in the usage", async () => {
    const root = await cli(["help"]);
    expect(root.code).toBe(0);
    expect(root.stdout).toContain("pptctl -h | --help | help [COMMAND]");
    expect(root.stdout).toContain("pptctl -V | --version");
    expect((await cli(["help", "list"])).stdout).toContain("usage: pptctl [--from DIR] list [options]");
    const bad = await cli(["help", "nothing"]);
    expect({ code: bad.code, lines: oneLine(bad) }).toEqual({ code: 2, lines: 1 });
  });
  test("an unknown option before the command is one line, not the whole usage", async () => {
    const r = await cli(["--bogus"]);
    expect(r).toEqual({ code: 2, stdout: "", stderr: "pptctl: unknown option '--bogus' before the command; see 'pptctl --help'\n" });
  });
  test("--help shows no '(Default: true)' for colour, which is automatic", async () => {
    for (const cmd of ["doctor", "list", "capture"]) {
      const h = (await cli([cmd, "--help"])).stdout;
      expect(h).not.toContain("Default: true");
      expect(h).toContain("--no-color");
    }
  });
  test("extra words are refused, not ignored", async () => {
    const doctor = await cli(["--from", SAMPLE, "doctor", "extra"]);
    expect(doctor).toEqual({ code: 3, stdout: "", stderr: "pptctl: doctor: unexpected 'extra': doctor takes no operands; see 'pptctl doctor --help'\n" });
    expect((await cli(["--from", SAMPLE, "list", "extra"])).code).toBe(2);
  });
  test("--json and another --format disagree: refused", async () => {
    const doctor = await cli(["--from", SAMPLE, "doctor", "--json", "--format", "nagios"]);
    // Nagios still gets its one UNKNOWN line (issue 31, finding 12).
    expect(doctor).toEqual({ code: 3, stdout: "PPTCTL UNKNOWN - pptctl: doctor: --json and --format nagios ask for two different outputs; give one | passed=0;;;0;1 warnings=0;;;0;1 failed=0;;;0;1 unknown=1;;;0;1\n", stderr: "pptctl: doctor: --json and --format nagios ask for two different outputs; give one\n" });
    expect((await cli(["--from", SAMPLE, "list", "--json", "--format", "tsv"])).code).toBe(2);
    expect((await cli(["args", "--json", "--format", "config", "1/0/0"])).code).toBe(2);
    // --json with --format json is the same request twice, not a conflict.
    expect((await cli(["--from", SAMPLE, "doctor", "--json", "--format", "json"])).code).toBe(0);
  });
  test("list fits an 80-column terminal: the raw selector column goes first", async () => {
    const r = await cli(["--from", SAMPLE, "list"], { tty: true, columns: 80 });
    const widths = r.stdout.replace(/\u001b\[[0-9;]*m/g, "").trimEnd().split("\n").map((l) => [...l].length);
    expect(Math.max(...widths)).toBeLessThanOrEqual(80);
    expect(r.stdout).toContain("1/0/0");
    expect(r.stdout).not.toContain("PCI ID Raw");
  });
  test("--file with an empty path is a usage error", async () => {
    expect((await cli(["--from", SAMPLE, "plan", "--write", "--file", ""])).stderr).toBe("pptctl: plan: --file needs a path, e.g. --file /boot/loader.conf\n");
  });
  test("capture into a FIFO says it is a FIFO, not 'a file'", async () => {
    const fifo = join(tempDir(), "fifo");
    Bun.spawnSync(["mkfifo", fifo]);
    const r = await cli(["--from", SAMPLE, "capture", fifo]);
    expect(r.stderr).toBe(`pptctl: capture: ${fifo}: is a FIFO (named pipe), not a directory; give a new or empty directory; nothing was written\n`);
  });
});
