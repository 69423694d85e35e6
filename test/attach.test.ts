import { describe, expect, test } from "bun:test";
import { chmodSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeDevctlHost } from "./fake-devctl-host.ts";
import { cli, host } from "./helpers.ts";

const run = (root: string, argv: string[], env: Record<string, string> = {}) => cli(argv, { env: { PPTCTL_ROOT: root, ...env } });
const nameAt = (h: ReturnType<typeof makeDevctlHost>, addr: string) => h.state().devices.find((d) => d.addr === addr)!;

describe("attach / release on a fake tree that behaves like FreeBSD 14.0's devctl", () => {
  test("attach: one line per device on stdout, addressed by pciD:B:S:F, re-read from pciconf", async () => {
    const h = makeDevctlHost();
    const r = await run(h.root, ["attach", "em1", "1/0/0"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("attached 0/4/0 (em1 → ppt0)\nattached 1/0/0 (no driver → ppt1)\n");
    expect(r.stderr).toContain("this lasts until the next boot; keep them with 'pptctl attach 0/4/0 1/0/0 --persist'");
    expect(h.state().log).toEqual(["set driver -f pci0:0:4:0 ppt", "set driver -f pci0:1:0:0 ppt"]);
  });

  test("release: back to the host driver; 'failed but released' (no host driver) counts as released", async () => {
    const h = makeDevctlHost();
    await run(h.root, ["attach", "em1", "1/0/0"]);
    const r = await run(h.root, ["release", "0/4/0", "1/0/0"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("released 0/4/0 (ppt0 → em1)\nreleased 1/0/0 (ppt1 → no driver)\n");
    expect(r.stderr).toContain("1/0/0: devctl failed (exit 1: devctl: Failed to clear pci0:1:0:0 driver: Device not configured), yet pciconf shows the change");
    expect(nameAt(h, "pci0:1:0:0").name).toBe("none2");
  });

  test("--dry-run prints the exact devctl commands and changes nothing", async () => {
    const h = makeDevctlHost();
    const r = await run(h.root, ["attach", "em1", "pci0:1:0:1", "--dry-run"]);
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 0, stdout: "/usr/sbin/devctl set driver -f pci0:0:4:0 ppt\n/usr/sbin/devctl set driver -f pci0:1:0:1 ppt\n" });
    // The e1000 has no capability list at all: said, not refused.
    expect(r.stderr).toBe("pptctl: warning: em1 (pci0:0:4:0, 82540EM Gigabit Ethernet Controller) has no PCI capability list at all, so bhyve cannot offer the guest an MSI capability for it and refuses it ('failed to initialize MSI'), even on ppt\n");
    expect(h.state().log).toEqual([]);
    const j = JSON.parse((await run(h.root, ["attach", "1/0/0", "--dry-run", "--json"])).stdout);
    const setPpt = ["/usr/sbin/devctl", "set", "driver", "-f", "pci0:1:0:0", "ppt"];
    expect(j).toEqual({ format: "pptctl-runtime/1", action: "attach", dryRun: true, devices: [{ bhyve: "1/0/0", selector: "pci0:1:0:0", before: "none2", commands: [{ argv: setPpt }] }], loaderDiff: null, after: [] });
    expect(h.state().log).toEqual([]);
  });

  test("--json reports what was done per device", async () => {
    const h = makeDevctlHost();
    const r = await run(h.root, ["attach", "1/0/1", "--json"]);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ format: "pptctl-runtime/1", action: "attach", dryRun: false, persisted: null });
    expect(doc.devices).toEqual([
      {
        bhyve: "1/0/1",
        selector: "pci0:1:0:1",
        before: "none3",
        after: "ppt0",
        ok: true,
        note: null,
        devctl: { exit: 0, stderr: "", timedOut: null },
        commands: [{ argv: ["/usr/sbin/devctl", "set", "driver", "-f", "pci0:1:0:1", "ppt"], exit: 0, stderr: "", timedOut: null }],
        restored: null,
      },
    ]);
  });

  test("--persist: through plan's safe writer (diff, backup, atomic replace); release --persist removes", async () => {
    const h = makeDevctlHost();
    const conf = join(h.root, "boot/loader.conf");
    const before = readFileSync(conf, "utf8");
    const r = await run(h.root, ["attach", "1/0/0", "1/0/1", "--persist"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("attached 1/0/0 (no driver → ppt0)\nattached 1/0/1 (no driver → ppt1)\n--- /boot/loader.conf\n+++ /boot/loader.conf\n");
    expect(readFileSync(conf, "utf8")).toBe(`${before}vmm_load="YES"\nhw.vmm.amdvi.enable="1"\npptdevs="1/0/0 1/0/1"\n`);
    expect(readFileSync(`${conf}.bak`, "utf8")).toBe(before);
    expect(r.stderr).toContain("the change survives a reboot");
    expect(r.stderr).not.toContain("lasts until the next boot");
    const back = await run(h.root, ["release", "1/0/1", "--persist"]);
    expect(back.code).toBe(0);
    expect(readFileSync(conf, "utf8")).toContain('pptdevs="1/0/0"\n');
    expect(readdirSync(join(h.root, "boot")).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  test("doctor: runtime-only devices WARN with the attach --persist fix; after --persist they PASS", async () => {
    const h = makeDevctlHost();
    await run(h.root, ["attach", "1/0/0", "1/0/1"]);
    const d = JSON.parse((await run(h.root, ["doctor", "--json"])).stdout).checks.find((c: { id: string }) => c.id === "runtime-only");
    expect(d).toMatchObject({ status: "warn", fix: "keep them on ppt after a reboot with 'pptctl attach 1/0/0 1/0/1 --persist'" });
    const h2 = makeDevctlHost();
    await run(h2.root, ["attach", "1/0/0", "1/0/1", "--persist"]);
    const d2 = JSON.parse((await run(h2.root, ["doctor", "--json"])).stdout).checks.find((c: { id: string }) => c.id === "runtime-only");
    expect(d2.status).toBe("pass");
  });
});

describe("refused before anything runs", () => {
  const rows: { name: string; argv: string[]; opts?: Parameters<typeof makeDevctlHost>[0]; code: number; err: string }[] = [
    { name: "vmm.ko not loaded", argv: ["attach", "em1"], opts: { vmm: false }, code: 1, err: "attach: vmm.ko is not loaded, so there is no ppt driver to attach to" },
    { name: "a bridge", argv: ["attach", "pcib1"], code: 2, err: "attach: pcib1 (pci0:0:28:0, QEMU PCIe Root port) is a bridge; ppt never claims bridges and devctl would detach everything behind it" },
    { name: "already on ppt", argv: ["attach", "em1", "em1"], code: 0, err: "" },
    // Issue 33: nothing to do is exit 0 in every command, as assign's "already assigned" is.
    { name: "not on ppt", argv: ["release", "em1"], code: 0, err: "0/4/0: not on ppt (em1); nothing to do" },
    { name: "a storage controller", argv: ["attach", "0/31/2"], code: 2, err: "is a storage controller: if the host boots from it, it will not come back; add --force" },
    { name: "the NIC of the default route", argv: ["attach", "em0"], code: 2, err: "em0 (pci0:0:3:0, 82540EM Gigabit Ethernet Controller) carries the default route: the host loses its network as soon as it moves; add --force" },
    { name: "the only display device", argv: ["attach", "vgapci0"], code: 2, err: "is the host's only display device: the local console goes away as soon as it moves; add --force" },
    {
      name: "a device outside PCI domain 0",
      argv: ["attach", "pci1:0:0:0"],
      opts: { extra: "none9@pci1:0:0:0:\tclass=0x010802 rev=0x00 hdr=0x00 vendor=0x144d device=0xa808 subvendor=0x144d subdevice=0xa801\n    cap 11[b0] = MSI-X supports 33 messages\n" },
      code: 2,
      err: "is in PCI domain 1; bhyve reaches only domain 0",
    },
    { name: "a device a running VM uses", argv: ["release", "0/4/0"], opts: { runningVm: "web1" }, code: 1, err: "0/4/0 is in use by the running VM web1 (bhyve pid 901): stop web1 first" },
    { name: "a selector that matches nothing", argv: ["attach", "pci0:9:0:0"], code: 2, err: "matches no PCI device" },
    { name: "no device named", argv: ["attach"], code: 2, err: "attach: name at least one device" },
  ];
  for (const r of rows) {
    test(r.name, async () => {
      const h = makeDevctlHost(r.opts);
      if (r.name === "a device a running VM uses") {
        // Attached at boot for the VM: pretend pptdevs put it there (state only).
        const s = h.state();
        s.devices.find((d) => d.addr === "pci0:0:4:0")!.name = "ppt0";
        writeFileSync(join(h.root, ".state.json"), JSON.stringify(s));
      }
      const before = h.state().log.length;
      const res = await run(h.root, r.argv);
      if (r.name === "already on ppt") {
        // The same device twice is one device; a second call has nothing to do (exit 0).
        expect(res.code).toBe(0);
        const again = await run(h.root, ["attach", "0/4/0"]);
        expect(again.code).toBe(0);
        expect(again.stderr).toBe("pptctl: 0/4/0: already on ppt (ppt0); nothing to do; add --persist to keep it there after a reboot\n");
        expect(again.stdout).toBe("");
        return;
      }
      expect(res.code).toBe(r.code);
      expect(res.stdout).toBe("");
      expect(res.stderr.split("\n").filter(Boolean)).toHaveLength(1);
      expect(res.stderr).toContain(r.err);
      expect(h.state().log.length).toBe(before);
    });
  }
  test("attach --persist of a device already on ppt keeps it there and moves nothing (issue 33, one advice)", async () => {
    const h = makeDevctlHost();
    expect((await run(h.root, ["attach", "1/0/0"])).code).toBe(0);
    const again = await run(h.root, ["attach", "1/0/0"]);
    expect(again).toMatchObject({ code: 0, stdout: "" });
    expect(again.stderr).toContain("1/0/0: already on ppt (ppt0); nothing to do; add --persist to keep it there after a reboot");
    const r = await run(h.root, ["attach", "1/0/0", "--persist"]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain("attached");
    expect(r.stderr).toContain("1/0/0: already on ppt (ppt0); only loader.conf changes for it");
    expect(readFileSync(join(h.root, "boot/loader.conf"), "utf8")).toMatch(/pptdevs="1\/0\/0"/);
  });

  test("--force lets the default-route NIC go, with the danger said", async () => {
    const h = makeDevctlHost();
    const r = await run(h.root, ["attach", "em0", "--force"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("pptctl: warning: --force: em0");
  });
  test("--from replays a recording, which is never changed", async () => {
    const r = await cli(["--from", host("qemu-amd-half-card"), "release", "1/0/0"]);
    expect(r).toMatchObject({ code: 2, stdout: "" });
    expect(r.stderr).toContain("--from replays a recording, which pptctl never changes");
  });
});

describe("when devctl fails", () => {
  // Issue 22, fault 15: the failure was on stdout only, with stderr empty.
  test("Device busy: exit 1 with devctl's message on stderr; nothing else tried", async () => {
    const h = makeDevctlHost({ fail: { "pci0:1:0:0": "busy" } });
    const r = await run(h.root, ["attach", "1/0/0", "1/0/1"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toStartWith("pptctl: attach: failed 1/0/0 (no driver): devctl failed (exit 1: devctl: Failed to set pci0:1:0:0 driver to ppt: Device busy), and 1/0/0 is still without a driver\n");
    expect(r.stderr).toContain("not tried after the failure: 1/0/1");
    expect(h.state().log).toEqual(["set driver -f pci0:1:0:0 ppt"]);
  });

  test("a partial multi-device call: what moved stays moved and is listed", async () => {
    const h = makeDevctlHost({ fail: { "pci0:1:0:1": "busy" } });
    const r = await run(h.root, ["attach", "em1", "1/0/0", "1/0/1", "--json"]);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.devices.map((d: { bhyve: string; ok: boolean; after: string | null }) => [d.bhyve, d.ok, d.after])).toEqual([
      ["0/4/0", true, "ppt0"],
      ["1/0/0", true, "ppt1"],
      ["1/0/1", false, "none3"],
    ]);
    expect(nameAt(h, "pci0:0:4:0").name).toBe("ppt0");
  });

  test("a device left worse (gone from the bus) is restored with clear driver, both steps reported", async () => {
    const h = makeDevctlHost({ fail: { "pci0:0:4:0": "vanish" } });
    const r = await run(h.root, ["attach", "em1"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("pptctl: attach: failed 0/4/0 (em1): devctl failed (exit 1: devctl: Failed to set pci0:0:4:0 driver to ppt: Device not configured), and 0/4/0 is no longer on the bus");
    expect(r.stderr).toContain("0/4/0: restored with /usr/sbin/devctl clear driver -f pci0:0:4:0");
    expect(h.state().log).toEqual(["set driver -f pci0:0:4:0 ppt", "clear driver -f pci0:0:4:0"]);
  });

  test("a devctl that outlasts its bound: killed, pciconf re-read, the state found is reported", async () => {
    const h = makeDevctlHost({ fail: { "pci0:0:4:0": "hang" } });
    const t0 = performance.now();
    const r = await run(h.root, ["attach", "em1"], { PPTCTL_DEVCTL_TIMEOUT_MS: "1500" });
    expect(performance.now() - t0).toBeLessThan(15_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("pptctl: attach: failed 0/4/0 (em1): devctl did not finish within 1.5 s, and 0/4/0 is still on em1");
  });
  // Issue 22, fault 12: the bound of 3 s lasted 30 s when devctl left a child holding its pipe.
  test("a devctl whose child keeps its output pipes open still ends at the bound", async () => {
    const h = makeDevctlHost({ fail: { "pci0:0:4:0": "hang-child" } });
    const t0 = performance.now();
    const r = await run(h.root, ["attach", "em1"], { PPTCTL_DEVCTL_TIMEOUT_MS: "1000" });
    expect(performance.now() - t0).toBeLessThan(8_000);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain("devctl did not finish within 1 s");
  });
});

describe("doctor runtime-only and SR-IOV VFs that iovctl attaches at boot", () => {
  const z370 = readFileSync(join(import.meta.dir, "fixtures/corpus/pciconf-lvc/bsdhw-ppt-gigabyte-z370m-82599-vfs-ari-func130.txt"), "utf8");
  const model = async (rc: string) => {
    const { buildModel } = await import("../src/core/model/model.ts");
    const { readPptdevsConfig } = await import("../src/core/loader/pptdevs-config.ts");
    const { runtimeOnlyCheck } = await import("../src/core/doctor/runtime.ts");
    const snap = {
      commands: new Map([["/usr/sbin/pciconf\u0000-lvc", { kind: "ran" as const, exit: 0, stdout: z370, stderr: "" }]]),
      files: new Map([
        ["/boot/loader.conf", { kind: "file" as const, text: 'vmm_load="YES"\n' }],
        ["/boot/loader.conf.local", { kind: "absent" as const }],
        ["/etc/rc.conf", { kind: "file" as const, text: rc }],
      ]),
      dirs: new Map([["/boot/loader.conf.d", { kind: "absent" as const }]]),
    };
    const m = buildModel(snap);
    return runtimeOnlyCheck(m, readPptdevsConfig(m.loader));
  };
  test("82599 VFs on ppt with no pptdevs: WARN without iovctl_files", async () => {
    const c = await model('hostname="x"\n');
    expect(c.status).toBe("warn");
    expect(c.summary).toContain("on ppt but in no pptdevs entry");
  });
  test("with iovctl_files in rc.conf they are iovctl's, not runtime-only: PASS, and said so", async () => {
    const c = await model('iovctl_files="/etc/iov/ix0.conf"\n');
    expect(c.status).toBe("pass");
    expect(c.summary).toMatch(/apart from \d+ SR-IOV VFs left to iovctl at boot \(iovctl_files is set in rc.conf\)/);
  });
});

describe("--persist problems are found before any device moves", () => {
  test("loader.conf.local sets pptdevs: refused, devctl never runs", async () => {
    const h = makeDevctlHost();
    writeFileSync(join(h.root, "boot/loader.conf.local"), 'pptdevs="9/0/0"\n');
    const r = await run(h.root, ["attach", "1/0/0", "--persist"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("pptdevs is also set in /boot/loader.conf.local:1");
    expect(h.state().log).toEqual([]);
  });
  // Issue 22, fault 7: the device moved first, then the write was refused; a second run said
  // "already on ppt; nothing to do" and never persisted.
  test("a read-only loader.conf: refused before devctl runs, the device stays where it was", async () => {
    const h = makeDevctlHost();
    const conf = join(h.root, "boot/loader.conf");
    chmodSync(conf, 0o444);
    const r = await run(h.root, ["attach", "em1", "--persist"]);
    expect(r.code).toBe(1);
    expect(r.stderr.split("\n").at(-2)).toBe(`pptctl: attach --persist: ${conf}: is read-only (mode 0444); make it writable (chmod u+w ${conf}) or write another file with --file`);
    expect(h.state().log).toEqual([]);
    expect(h.state().devices.find((d) => d.addr === "pci0:0:4:0")!.name).toBe("em1");
  });
});
