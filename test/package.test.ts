import { describe, expect, test } from "bun:test";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { checkElfHeader } from "../scripts/elf.ts";
import { readUstar, tarballName } from "../scripts/package.ts";
import { TARGETS } from "../scripts/targets.ts";
import { VERSION } from "../src/version.ts";
import { tempDir } from "./helpers.ts";
import { ensureBuilt } from "./build-outputs.ts";

const ROOT = join(import.meta.dir, "..");

function tarballs(): string[] {
  ensureBuilt();
  return TARGETS.map((t) => join(ROOT, tarballName(VERSION, t.freebsd)));
}

describe("the FreeBSD install tarballs", () => {
  const paths = tarballs();
  TARGETS.forEach((t, i) => {
    test(`${tarballName(VERSION, t.freebsd)}: paths, modes, root:wheel, ${t.arch} FreeBSD binary`, () => {
      const entries = readUstar(Bun.gunzipSync(readFileSync(paths[i]!)));
      expect(entries.map((e) => [e.path, e.type, e.mode.toString(8), e.uid, e.gid, e.uname, e.gname])).toEqual([
        ["usr/local/sbin/pptctl", "0", "755", 0, 0, "root", "wheel"],
        ["usr/local/share/man/man8/pptctl.8.gz", "0", "644", 0, 0, "root", "wheel"],
        ["usr/local/etc/periodic/daily/480.status-pptctl", "0", "755", 0, 0, "root", "wheel"],
      ]);
      const bin = entries[0]!.data;
      expect(checkElfHeader(Buffer.from(bin.subarray(0, 20)), t.machine)).toBeNull();
      expect(bin.length).toBe(statSync(join(ROOT, t.out)).size);
      expect(new TextDecoder().decode(Bun.gunzipSync(new Uint8Array(entries[1]!.data)))).toBe(readFileSync(join(ROOT, "src/pptctl.8"), "utf8"));
      expect(new TextDecoder().decode(entries[2]!.data)).toBe(readFileSync(join(ROOT, "src/periodic/480.status-pptctl"), "utf8"));
    });
  });

  test("tar(1) extracts it into a root as the README says, with no directory entries of its own", () => {
    const dest = tempDir();
    const r = Bun.spawnSync(["tar", "-xzf", paths[0]!, "-C", dest]);
    expect(r.exitCode).toBe(0);
    expect(statSync(join(dest, "usr/local/sbin/pptctl")).mode & 0o777).toBe(0o755);
    expect(statSync(join(dest, "usr/local/etc/periodic/daily/480.status-pptctl")).mode & 0o777).toBe(0o755);
    const list = Bun.spawnSync(["tar", "-tzf", paths[0]!]).stdout.toString().trim().split("\n");
    expect(list.every((p) => !p.endsWith("/"))).toBe(true);
  });
});
