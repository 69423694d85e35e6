import { describe, expect, test } from "bun:test";
import pkg from "../package.json";
import { VERSION } from "../src/version.ts";
import { makeFakeHost } from "./fake-host.ts";
import { SAMPLE, cli } from "./helpers.ts";

describe("no command starts what it does not use", () => {
  test("citty is imported for its types only, and loaded at run time only for --help", async () => {
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
    expect(dynamic).toEqual(["cli.ts"]);
  });
});

describe("the CLI edge", () => {
  test("version matches package.json, at the root and per command", async () => {
    expect(VERSION).toBe(pkg.version);
    expect(await cli(["--version"])).toEqual({ code: 0, stdout: `pptctl ${VERSION}\n`, stderr: "" });
    expect((await cli(["list", "--version"])).stdout).toBe(`pptctl ${VERSION}\n`);
  });
  test("help per command on stdout, without colour when piped", async () => {
    for (const c of ["doctor", "plan", "list", "args", "capture"]) {
      const r = await cli([c, "--help"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`pptctl ${c}`);
      expect(r.stdout).not.toContain("\u001b[");
    }
  });
  test("no command: usage on stderr, exit 2; unknown command: one line", async () => {
    const none = await cli([]);
    expect(none).toMatchObject({ code: 2, stdout: "" });
    expect(none.stderr).toContain("usage: pptctl");
    expect(await cli(["frobnicate"])).toEqual({
      code: 2,
      stdout: "",
      stderr: "pptctl: unknown command 'frobnicate'; commands: doctor, plan, list, args, attach, release, capture (see 'pptctl --help')\n",
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
