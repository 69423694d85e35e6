import { describe, expect, test } from "bun:test";
import { BOOTPPT_REC, makeDevctlHost } from "./fake-devctl-host.ts";
import { cli } from "./helpers.ts";

/**
 * Issue 31, findings 8 and 9, as a real FreeBSD 14.0 kernel showed them
 * (../shared/corpus/freebsd-14.0-qemu-r3 steps 2, 4 and 5): after `attach --persist` doctor said
 * "reboot pending" for good, because the kernel environment's pptdevs was left as it was; after
 * `release --persist` the pptctl.released mark stayed although loader.conf no longer reserves
 * the device. The fake trees' kenv and devctl behave as that kernel's did (test/fake-devctl.ts).
 */
const run = (root: string, argv: string[]) => cli(argv, { env: { PPTCTL_ROOT: root } });
const checks = async (root: string) =>
  Object.fromEntries((JSON.parse((await run(root, ["doctor", "--json"])).stdout).checks as { id: string; status: string; summary: string }[]).map((c) => [c.id, c]));

describe("--persist leaves the running kernel's environment saying what loader.conf says", () => {
  const boot = () => makeDevctlHost({ from: BOOTPPT_REC, hosts: { "pci0:2:0:0": "em" } });

  test("attach --persist: the device goes into kenv's pptdevs too; no reboot pending", async () => {
    const h = boot();
    const r = await run(h.root, ["attach", "1/0/0", "--persist"]);
    expect(r.code).toBe(0);
    expect(h.state().kenv.pptdevs).toBe("2/0/0 1/0/0");
    expect(h.state().log).toContain("kenv pptdevs=2/0/0 1/0/0");
    const c = await checks(h.root);
    expect([c["reboot-pending"]!.status, c["runtime-only"]!.status, c["pptdevs-bound"]!.status]).toEqual(["pass", "pass", "pass"]);
  });

  test("a driverless xHCI attached with --persist, then released without: no reboot pending claimed, the release said", async () => {
    const h = boot();
    await run(h.root, ["attach", "1/0/0", "--persist"]);
    expect(h.state().kenv.pptdevs).toBe("2/0/0 1/0/0");
    await run(h.root, ["release", "1/0/0"]);
    const c = await checks(h.root);
    expect(c["reboot-pending"]).toMatchObject({ status: "warn", summary: expect.stringContaining("released at run time") });
  });

  test("release --persist: loader.conf and kenv both drop it, and no pptctl.released mark is left", async () => {
    const h = boot();
    const r = await run(h.root, ["release", "2/0/0", "--persist"]);
    expect(r.code).toBe(0);
    expect(h.state().kenv["pptctl.released"]).toBeUndefined();
    expect(h.state().kenv.pptdevs).toBeUndefined();
    const c = await checks(h.root);
    expect([c["reboot-pending"]!.status, c["pptdevs-bound"]!.status]).toEqual(["pass", "skip"]);
  });

  test("a dry run shows every change: the kenv and devctl calls, the loader.conf diff, and the kenv call after it", async () => {
    const h = boot();
    const r = await run(h.root, ["attach", "1/0/0", "--persist", "--dry-run"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toStartWith("/usr/sbin/devctl set driver -f pci0:1:0:0 ppt\n/bin/kenv 'pptdevs=2/0/0 1/0/0'\n--- /boot/loader.conf\n+++ /boot/loader.conf\n");
    expect(r.stdout).toContain('-pptdevs="2/0/0"\n+pptdevs="1/0/0 2/0/0"');
    expect(h.state().log).toEqual([]);
    const j = JSON.parse((await run(h.root, ["attach", "1/0/0", "--persist", "--dry-run", "--json"])).stdout);
    expect(j).toMatchObject({ format: "pptctl-runtime/1", action: "attach", dryRun: true, after: [["/bin/kenv", "pptdevs=2/0/0 1/0/0"]] });
    expect(j.loaderDiff).toContain('+pptdevs="1/0/0 2/0/0"');
  });

  test("--file without --persist is refused: it names the file --persist edits", async () => {
    const h = makeDevctlHost();
    const r = await run(h.root, ["attach", "1/0/0", "--file", "/boot/loader.conf.local"]);
    expect(r).toEqual({ code: 2, stdout: "", stderr: "pptctl: attach: --file names the loader file --persist edits; add --persist, or leave --file out\n" });
  });
});
