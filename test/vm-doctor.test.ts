import { describe, expect, test } from "bun:test";
import { cli, host, tempDir } from "./helpers.ts";
import { lineOf, psTree } from "./vm-tree-ps.ts";
import { makeDevctlHost } from "./fake-devctl-host.ts";
import { join } from "node:path";
import { symlinkSync, writeFileSync } from "node:fs";

const PF = host("vm-preflight");

describe("doctor --vm grades devices as bhyve and ppt treat them (issue 31, findings 6 and 7)", () => {
  test("no capability list at all: FAIL in doctor --config, 'no' in list --all", async () => {
    // The real 14.0 AMD host's e1000 (no capability list) on ppt0, and the same NIC with a PM capability only.
    const h = makeDevctlHost({ from: host("qemu-amd-bridge-e1000") });
    const env = { PPTCTL_ROOT: h.root };
    writeFileSync(join(h.root, "cfg-nocaps.conf"), "pci.0.6.0.device=passthru\npci.0.6.0.bus=0\npci.0.6.0.slot=3\npci.0.6.0.func=0\nmemory.size=1G\nmemory.wired=true\n");
    const none = await cli(["doctor", "--config", "/cfg-nocaps.conf"], { env });
    expect(lineOf(none.stdout, "devices")).toContain("0/3/0 has no PCI capability list at all, so bhyve cannot offer the guest an MSI capability for it and refuses it ('failed to initialize MSI') : FAIL");
    const list = await cli(["list", "--all"], { env });
    expect(list.stdout).toMatch(/ppt0 .* no \(no capability list\)/);
  });

  test("a device with a power-management capability and no MSI: eligible, INTx only, a warning", async () => {
    const pm = "ppt9@pci0:0:9:0:\tclass=0x020000 rev=0x03 hdr=0x00 vendor=0x8086 device=0x100e subvendor=0x8086 subdevice=0x001e\n    vendor     = 'Intel Corporation'\n    device     = '82540EM Gigabit Ethernet Controller'\n    class      = network\n    subclass   = ethernet\n    cap 01[dc] = powerspec 2  supports D0 D3  current D0\n";
    const h = makeDevctlHost({ from: host("qemu-amd-bridge-e1000"), extra: pm });
    const env = { PPTCTL_ROOT: h.root };
    const list = await cli(["list", "--all", "--json"], { env });
    const d = JSON.parse(list.stdout).devices.find((x: { bhyve: string }) => x.bhyve === "0/9/0");
    expect(d).toMatchObject({ eligible: true, eligibility: "yes (INTx only)" });
    expect(d.eligibilityReason).toContain("vmm delivers the device's legacy interrupt line (INTx");
    const doctor = await cli(["doctor"], { env });
    expect(lineOf(doctor.stdout, "MSI/MSI-X")).toContain(": FAIL"); // the e1000 without any capability list is there too
    expect(doctor.stdout).toContain("ppt0 (0/3/0) has neither MSI nor MSI-X and no PCI capability list at all");
    writeFileSync(join(h.root, "cfg-intx.conf"), "pci.0.6.0.device=passthru\npci.0.6.0.bus=0\npci.0.6.0.slot=9\npci.0.6.0.func=0\nmemory.size=1G\nmemory.wired=true\n");
    const vm = await cli(["doctor", "--config", "/cfg-intx.conf"], { env });
    expect(lineOf(vm.stdout, "devices")).toContain("0/9/0 has neither MSI nor MSI-X: bhyve gives the guest an emulated one-message MSI capability");
    expect(lineOf(vm.stdout, "devices")).toContain(": WARN");
  });

  test("a GPU's audio without the GPU: the split card is a warning with the assign that mends it", async () => {
    const t = psTree();
    const gw = await t.run("doctor", "--vm", "gw");
    expect(lineOf(gw.stdout, "gw: card")).toContain("1/0/0 (ppt0) is on the same card as 1/0/1 and is not in gw's config: GPU with an HDMI/DisplayPort audio function on the same card : WARN");
    expect(gw.stdout).toContain("fix: pptctl assign 1/0/0 --vm gw");
    const whole = await t.run("doctor", "--vm", "test-vm-1");
    expect(lineOf(whole.stdout, "test-vm-1: card")).toContain("PASS");
  });
});

describe("doctor --vm: files and repeats (findings 10, 11, 13, 19)", () => {
  test("ROM files: empty, a directory and a FIFO FAIL; a real file passes", async () => {
    const t = psTree();
    const rom = "/zroot/vm/.config/p600-audio.rom";
    const check = async () => lineOf((await t.run("doctor", "--vm", "gw")).stdout, "gw: ROM");
    t.write(rom, "");
    expect(await check()).toContain("is empty (0 bytes), which bhyve refuses : FAIL");
    t.write(rom.replace("p600-audio.rom", "x"), "");
    expect(Bun.spawnSync(["mkfifo", t.path("/zroot/vm/.config/fifo.rom")]).exitCode).toBe(0);
    t.write("/zroot/vm/gw/gw.conf", 'loader="bhyveload"\ncpu=1\nmemory=512M\npassthru0="89/0/0"\npassthru1="1/0/1"\npassthru1_options="rom=/zroot/vm/.config/fifo.rom"\n');
    expect(await check()).toContain("/zroot/vm/.config/fifo.rom is a FIFO (named pipe), not a regular file : FAIL");
    t.write("/zroot/vm/gw/gw.conf", 'loader="bhyveload"\ncpu=1\nmemory=512M\npassthru0="89/0/0"\npassthru1="1/0/1"\npassthru1_options="rom=/zroot/vm/.config"\n');
    expect(await check()).toContain("/zroot/vm/.config is a directory, not a regular file : FAIL");
  });

  test("--vm NAME twice checks it once: one Prometheus series per check", async () => {
    const r = await cli(["--from", PF, "doctor", "--vm", "gw", "--vm", "gw", "--format", "prometheus"]);
    const series = r.stdout.split("\n").filter((l) => l.startsWith("pptctl_check_status"));
    expect(series.length).toBe(new Set(series.map((l) => l.split(" ")[0])).size);
    expect(series.filter((l) => l.includes("vm.config.gw"))).toHaveLength(1);
  });

  test("--config through a link to a file that is not a bhyve config: no line of it is printed", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "master.passwd"), "root:$6$secrethash$abcdef:0:0::0:0:Charlie &:/root:/bin/sh\n");
    symlinkSync(join(dir, "master.passwd"), join(dir, "vm.conf"));
    for (const format of ["text", "nagios", "json"]) {
      const r = await cli(["--from", PF, "doctor", "--config", join(dir, "vm.conf"), "--format", format]);
      expect(r.stdout + r.stderr).not.toContain("secrethash");
      expect(r.stdout).toContain("line 1 is not name=value with a value (not a bhyve configuration file?)");
    }
  });

  test("a config pptctl cannot look at is UNKNOWN (exit 3), not FAIL: over the bound it reads, or missing from a recording", async () => {
    const t = psTree();
    t.write("/zroot/vm/lab/lab.conf", `loader="uefi"\ncpu=1\nmemory=1G\n${"# padding\n".repeat(430_000)}`);
    const big = await t.run("doctor", "--vm", "lab");
    expect(lineOf(big.stdout, "lab: config")).toContain("pptctl reads of one file; not read : UNKNOWN");
    expect(big.code).toBe(3);
    const recorded = await cli(["--from", PF, "doctor", "--vm", "lab"]);
    expect(lineOf(recorded.stdout, "lab: config")).toContain("/zroot/vm/lab/lab.conf: not in the recording");
    expect(recorded.stdout).toContain("fix: capture the host again, as root ('pptctl capture DIR' on the FreeBSD host): this recording lacks what the check reads");
    expect(recorded.code).toBe(3);
  });

  test("a vm-bhyve config without cpu or memory: vm-bhyve refuses to start it, so config FAILs", async () => {
    const t = psTree();
    t.write("/zroot/vm/lab/lab.conf", 'loader="uefi"\npassthru0="0/13/2"\n');
    const r = await t.run("doctor", "--vm", "lab");
    expect(lineOf(r.stdout, "lab: config")).toContain('but no cpu, no memory is set: vm-bhyve stops with "fatal; unable to start - missing required configuration" : FAIL');
    expect(r.stdout).toContain("fix: add cpu=… and memory=… to /zroot/vm/lab/lab.conf");
    // The other checks still run.
    expect(lineOf(r.stdout, "lab: ppt")).toContain("PASS");
  });
});

describe("usage errors under monitoring formats (finding 12)", () => {
  test("nagios gets one UNKNOWN line, prometheus a whole document with status 3", async () => {
    const n = await cli(["--from", PF, "doctor", "--vm", "nope", "--format", "nagios"]);
    expect(n.code).toBe(3);
    expect(n.stdout).toMatch(/^PPTCTL UNKNOWN - pptctl: doctor: no VM named 'nope'.* \| passed=0;;;0;1 .*\n$/);
    const p = await cli(["--from", PF, "doctor", "--format=prometheus", "--bogus"]);
    expect(p.code).toBe(3);
    expect(p.stdout).toContain('pptctl_check_status{check="pptctl"} 3\n');
    expect(p.stdout).toContain("pptctl_status 3\n");
    expect(p.stdout).toContain("pptctl_last_run_timestamp_seconds 1795521600\n");
    expect(p.stderr).toBe("pptctl: doctor: unknown option '--bogus'; see 'pptctl doctor --help'\n");
  });
});
