import { describe, expect, test } from "bun:test";
import { cpSync, existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Lock } from "../src/host/file-lock.ts";
import { realOps, replaceFile } from "../src/host/safe-write.ts";
import { makeDevctlHost } from "./fake-devctl-host.ts";
import { cli, host, tempDir } from "./helpers.ts";
import { lineOf } from "./vm-tree-ps.ts";

/**
 * Five bugs planted by hand that the whole suite let through (issue 36). Each test here fails
 * with its bug in the code and passes without it.
 */
describe("the five survivors of the hand-planted mutants (issue 36)", () => {
  test("1. plan --check is not in sync while a pptdevs2 line no longer needed is still there", async () => {
    const h = makeDevctlHost();
    // Both devices are in pptdevs; the pptdevs2 line left from an earlier, longer list must go.
    writeFileSync(join(h.root, "boot/loader.conf"), 'vmm_load="YES"\nhw.vmm.amdvi.enable="1"\npptdevs="1/0/0 1/0/1"\npptdevs2=""\n');
    const check = await cli(["plan", "--check"], { env: { PPTCTL_ROOT: h.root } });
    expect(check.code).toBe(1);
    const json = JSON.parse((await cli(["plan", "--json"], { env: { PPTCTL_ROOT: h.root } })).stdout);
    expect(json).toMatchObject({ inSync: false, unset: ["pptdevs2"] });
  });

  test("2. the directory is fsynced after the rename, so a power loss cannot undo the write", async () => {
    const dir = tempDir();
    const path = join(dir, "loader.conf");
    writeFileSync(path, "a\n");
    const calls: string[] = [];
    const ops = {
      ...realOps,
      rename: async (from: string, to: string) => {
        calls.push(`rename ${to}`);
        return realOps.rename(from, to);
      },
      fsyncDir: async (d: string) => {
        calls.push(`fsync ${d}`);
        return realOps.fsyncDir(d);
      },
    };
    await replaceFile(path, "a\n", "b\n", new Date(), { command: "plan --write", ops });
    expect(calls).toEqual([`rename ${path}`, `fsync ${dir}`]);
  });

  test("3. a stale lock is taken over only while it is still the stale one found", async () => {
    const target = join(tempDir(), "loader.conf");
    const lockPath = join(target, "..", ".loader.conf.pptctl-lock");
    writeFileSync(lockPath, "999999999\n");
    // Between finding the dead writer's lock and taking it over, another pptctl takes it over first.
    const ops = {
      ...realOps,
      alive: (pid: number) => {
        if (pid === 999999999) {
          // Made beside it and renamed over it: a new inode, as another process's lock would have.
          writeFileSync(`${lockPath}.new`, `${process.pid}\n`);
          renameSync(`${lockPath}.new`, lockPath);
          return false;
        }
        return realOps.alive(pid);
      },
    };
    await expect(Lock.acquire(target, "plan --write", ops, 150)).rejects.toThrow(`another pptctl (pid ${process.pid}) is writing it`);
    expect(readFileSync(lockPath, "utf8")).toBe(`${process.pid}\n`);
  });

  test("4. doctor --vm passes a device with MSI-X and no MSI", async () => {
    const msix = "ppt9@pci0:0:9:0:\tclass=0x020000 rev=0x01 hdr=0x00 vendor=0x8086 device=0x1521 subvendor=0x8086 subdevice=0x0001\n    cap 01[40] = powerspec 3  supports D0 D3  current D0\n    cap 11[70] = MSI-X supports 10 messages, enabled\n";
    const h = makeDevctlHost({ extra: msix, kenv: { pptdevs: "0/9/0" } });
    writeFileSync(join(h.root, "cfg.conf"), "pci.0.6.0.device=passthru\npci.0.6.0.bus=0\npci.0.6.0.slot=9\npci.0.6.0.func=0\nmemory.size=1G\nmemory.wired=true\n");
    const r = await cli(["doctor", "--config", "/cfg.conf"], { env: { PPTCTL_ROOT: h.root } });
    expect(lineOf(r.stdout, "devices")).toContain(": PASS");
    expect(r.stdout).not.toContain("neither MSI nor MSI-X");
  });

  test("5. on AMD, an hw.vmm.amdvi.enable set nowhere is its default, 0: the IOMMU check fails", async () => {
    const dir = join(tempDir(), "amd");
    cpSync(host("amd-no-amdvi"), dir, { recursive: true });
    const sysctl = join(dir, "sysctl-hw.vmm.txt");
    writeFileSync(sysctl, readFileSync(sysctl, "utf8").replace(/^hw\.vmm\.amdvi\.enable: 0\n/m, ""));
    expect(readFileSync(sysctl, "utf8")).not.toContain("amdvi.enable");
    const r = await cli(["--from", dir, "doctor"]);
    expect(lineOf(r.stdout, "IOMMU")).toContain("hw.vmm.amdvi.enable is not 1");
    expect(lineOf(r.stdout, "IOMMU")).toContain(": FAIL");
    expect(existsSync(dir)).toBe(true);
  });
});
