import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkElfHeader } from "../scripts/elf.ts";
import { installEntries, readUstar } from "../scripts/package.ts";
import { MIN_FREEBSD_VERSION, POST_INSTALL, buildPkg, pkgName } from "../scripts/pkg.ts";
import { TARGETS } from "../scripts/targets.ts";
import { VERSION } from "../src/version.ts";
import { ensureBuilt } from "./build-outputs.ts";
import { tempDir } from "./helpers.ts";

const ROOT = join(import.meta.dir, "..");
const PKG = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as Record<string, string>;
const REQUIRED = ["name", "origin", "version", "comment", "desc", "maintainer", "www", "prefix", "abi", "arch", "flatsize"];

describe("the pkg(8) packages", () => {
  ensureBuilt();
  for (const t of TARGETS) {
    const path = join(ROOT, pkgName(VERSION, t.freebsd));
    test(`${pkgName(VERSION, t.freebsd)}: the manifests first, absolute paths, sums, modes, flatsize, a FreeBSD ${t.arch} binary`, () => {
      const entries = readUstar(Bun.zstdDecompressSync(readFileSync(path)));
      expect(entries.map((e) => [e.path, e.type, e.mode.toString(8), e.uid, e.gid, e.uname, e.gname])).toEqual([
        ["+COMPACT_MANIFEST", "0", "644", 0, 0, "root", "wheel"],
        ["+MANIFEST", "0", "644", 0, 0, "root", "wheel"],
        ["/usr/local/sbin/pptctl", "0", "755", 0, 0, "root", "wheel"],
        ["/usr/local/share/man/man8/pptctl.8.gz", "0", "644", 0, 0, "root", "wheel"],
        ["/usr/local/etc/periodic/daily/480.status-pptctl", "0", "755", 0, 0, "root", "wheel"],
      ]);
      const dec = new TextDecoder();
      const compact = JSON.parse(dec.decode(entries[0]!.data)) as Record<string, unknown>;
      const full = JSON.parse(dec.decode(entries[1]!.data)) as Record<string, unknown> & { files: Record<string, string> };
      for (const k of REQUIRED) expect(typeof full[k] === "string" || typeof full[k] === "number").toBe(true);
      expect(full).toMatchObject({
        name: "pptctl",
        origin: "sysutils/pptctl",
        version: VERSION,
        comment: PKG.description,
        maintainer: PKG.author,
        www: PKG.homepage,
        prefix: "/usr/local",
        abi: `FreeBSD:*:${t.freebsd === "amd64" ? "amd64" : "aarch64"}`,
        arch: `freebsd:*:${t.freebsd === "amd64" ? "x86:64" : "aarch64:64"}`,
        licenselogic: "single",
        licenses: ["BSD2CLAUSE"],
        categories: ["sysutils"],
        annotations: { FreeBSD_version: String(MIN_FREEBSD_VERSION) },
        messages: [{ message: POST_INSTALL, type: "install" }],
      });
      expect(POST_INSTALL).toContain('daily_status_pptctl_enable="YES"');
      // The compact manifest is the same without the file list.
      const { files, ...rest } = full;
      expect(compact).toEqual(rest);
      // Every payload entry is in `files` with the right sum, and nothing else is.
      const payload = entries.slice(2);
      expect(Object.keys(files).sort()).toEqual(payload.map((e) => e.path).sort());
      for (const e of payload) {
        expect(e.path.startsWith("/")).toBe(true);
        expect(files[e.path]).toBe(`1$${createHash("sha256").update(e.data).digest("hex")}`);
      }
      expect(full.flatsize).toBe(payload.reduce((n, e) => n + e.data.length, 0));
      const bin = payload[0]!.data;
      expect(checkElfHeader(Buffer.from(bin.subarray(0, 20)), t.machine)).toBeNull();
      expect(bin.length).toBe(statSync(join(ROOT, t.out)).size);
    });
  }

  test("the same inputs give the same bytes", () => {
    const t = TARGETS[0];
    const meta = { version: VERSION, arch: t.freebsd, comment: "c", desc: "d", maintainer: "m <m@x.invalid>", www: "https://x.invalid/", license: "BSD-2-Clause" };
    // A small stand-in for the binary: compressing the real one three times takes seconds.
    const bin = join(tempDir(), "pptctl");
    writeFileSync(bin, "\x7fELF stand-in for the binary");
    const a = buildPkg(meta, installEntries(ROOT, bin), 1764547200);
    const b = buildPkg(meta, installEntries(ROOT, bin), 1764547200);
    expect(Buffer.compare(Buffer.from(a), Buffer.from(b))).toBe(0);
    expect(Buffer.compare(Buffer.from(a), Buffer.from(buildPkg(meta, installEntries(ROOT, bin), 1764547201)))).not.toBe(0);
  });

  test("zstd(1) and tar(1) read it as pkg does: the manifests first", () => {
    const list = Bun.spawnSync(["tar", "--zstd", "-tf", join(ROOT, pkgName(VERSION, "amd64"))], { stderr: "ignore" });
    if (list.exitCode !== 0) return; // no zstd here: the test above read it with Bun's
    expect(list.stdout.toString().trim().split("\n").slice(0, 3)).toEqual(["+COMPACT_MANIFEST", "+MANIFEST", "/usr/local/sbin/pptctl"]);
  });
});
