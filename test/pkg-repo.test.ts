import { describe, expect, test } from "bun:test";
import { lstatSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readUstar } from "../scripts/package.ts";
import { buildPkg, manifests } from "../scripts/pkg.ts";
import { checkRepo, readMeta } from "../scripts/pkg-repo-check.ts";
import { MAJORS, repoRoot, writeRepo } from "../scripts/pkg-repo-write.ts";
import { repoFiles } from "../scripts/pkg-repo.ts";
import { TARGETS } from "../scripts/targets.ts";
import { VERSION } from "../src/version.ts";
import { ensureBuilt } from "./build-outputs.ts";
import { tempDir } from "./helpers.ts";

const ROOT = join(import.meta.dir, "..");
const META = { version: "9.9.9", arch: "amd64" as const, comment: "c", desc: "d", maintainer: "m@example.org", www: "https://example.org/", license: "BSD-2-Clause" };
const ENTRIES = [{ path: "usr/local/sbin/pptctl", mode: 0o755, data: new TextEncoder().encode("#!/bin/sh\n") }];

function small() {
  const bytes = buildPkg(META, ENTRIES, 1_700_000_000);
  return { bytes, compact: manifests(META, ENTRIES).compact, path: "All/pptctl-9.9.9.pkg" };
}

describe("the pkg(8) repository (issue 35)", () => {
  test("the files pkg repo writes, and a catalogue line per package that matches its file", () => {
    const base = tempDir();
    const root = writeRepo(small(), "amd64", 1_700_000_000, base);
    expect(root).toBe(join(base, "FreeBSD:14:amd64"));
    expect(checkRepo(root)).toEqual([]);
    const meta = readMeta(readFileSync(join(root, "meta.conf"), "utf8"));
    expect(Object.fromEntries(meta)).toEqual({ version: "2", packing_format: "tzst", manifests: "packagesite.yaml", data: "data", filesite: "filesite.yaml", manifests_archive: "packagesite", filesite_archive: "filesite" });
    const site = readUstar(Bun.zstdDecompressSync(readFileSync(join(root, "packagesite.pkg"))));
    expect(site.map((e) => e.path)).toEqual(["packagesite.yaml"]);
    const line = JSON.parse(new TextDecoder().decode(site[0]!.data).trimEnd()) as Record<string, unknown>;
    expect(line).toMatchObject({ name: "pptctl", version: "9.9.9", abi: "FreeBSD:*:amd64", path: "All/pptctl-9.9.9.pkg", repopath: "All/pptctl-9.9.9.pkg" });
    expect(line.sum).toMatch(/^[0-9a-f]{64}$/);
    // FreeBSD 15's ${ABI} reaches the same files through a link.
    const link = join(base, "FreeBSD:15:amd64");
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe("FreeBSD:14:amd64");
    expect(checkRepo(link)).toEqual([]);
  });
  test("the same inputs give the same bytes", () => {
    const a = repoFiles([small()], 1_700_000_000);
    const b = repoFiles([small()], 1_700_000_000);
    expect([...a.keys()]).toEqual(["All/pptctl-9.9.9.pkg", "packagesite.pkg", "data.pkg", "meta.conf", "meta"]);
    for (const [k, v] of a) expect({ k, same: Buffer.compare(Buffer.from(v), Buffer.from(b.get(k)!)) }).toEqual({ k, same: 0 });
  });
  test("the check finds a package that changed after the catalogue was written, and a missing one", () => {
    const root = writeRepo(small(), "amd64", 1_700_000_000, tempDir());
    const pkg = join(root, "All/pptctl-9.9.9.pkg");
    writeFileSync(pkg, Buffer.concat([readFileSync(pkg), Buffer.from([0])]));
    const problems = checkRepo(root);
    expect(problems.some((p) => /^packagesite\.yaml line 1: pkgsize \d+, but All\/pptctl-9\.9\.9\.pkg has \d+ bytes$/.test(p))).toBe(true);
    expect(problems.some((p) => p.startsWith("packagesite.yaml line 1: sum "))).toBe(true);
    expect(checkRepo(tempDir())).toEqual(["meta.conf is missing"]);
  });

  ensureBuilt();
  for (const t of TARGETS) {
    for (const major of MAJORS) {
      const root = join(ROOT, repoRoot(t.freebsd, major));
      test(`${repoRoot(t.freebsd, major)}: every catalogue line matches its package (${VERSION})`, () => {
        expect(checkRepo(root)).toEqual([]);
      });
    }
  }
});
