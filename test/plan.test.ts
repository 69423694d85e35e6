import { describe, expect, test } from "bun:test";
import { chmodSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeFakeHost } from "./fake-host.ts";
import { makeDevctlHost } from "./fake-devctl-host.ts";
import { cli, host, tempDir } from "./helpers.ts";

describe("pptctl plan", () => {
  test("the seed's example", async () => {
    const r = await cli(["--from", host("supermicro-igpu-xhci"), "plan", "vgapci0", "xhci0"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('vmm_load="YES"\npptdevs="0/2/0 0/20/0"\n');
  });
  test("merges with what is configured; --replace starts over; --remove drops", async () => {
    const from = ["--from", host("intel-healthy"), "plan"];
    expect((await cli([...from, "0/20/0", "--force"])).stdout).toBe('pptdevs="0/20/0 1/0/0 1/0/1"\n');
    expect((await cli([...from, "--replace", "0/20/0"])).stdout).toBe('pptdevs="0/20/0"\n');
    expect((await cli([...from, "--remove", "ppt1"])).stdout).toBe('pptdevs="1/0/0"\n');
  });
  test("--with-functions takes the whole card", async () => {
    const r = await cli(["--from", host("gpu-audio-left"), "plan", "--with-functions", "1/0/0"]);
    expect(r.stdout).toBe('pptdevs="1/0/0 1/0/1 1/0/2 1/0/3"\n');
    expect(r.stderr).toBe("");
  });
  test("a GPU's other functions come along and are named, as assign brings them (issue 33)", async () => {
    const r = await cli(["--from", host("gpu-audio-left"), "plan", "1/0/0"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('pptdevs="1/0/0 1/0/1 1/0/2 1/0/3"');
    expect(r.stderr).toContain("pptctl: warning: hdac0 (1/0/1) comes along: GPU with an HDMI/DisplayPort audio function on the same card\n");
    expect(r.stderr).toContain("none5 (1/0/3) comes along");
  });
  test("--class display on a host with two GPUs does not call one of them the only one (issue 33, finding 10)", async () => {
    const gpu = "vgapci1@pci0:5:0:0:\tclass=0x030000 rev=0xa1 hdr=0x00 vendor=0x10de device=0x1cb2 subvendor=0x10de subdevice=0x11bd\n    cap 05[68] = MSI supports 1 message, 64 bit\n";
    const h = makeDevctlHost({ extra: gpu });
    const r = await cli(["plan", "--class", "display"], { env: { PPTCTL_ROOT: h.root } });
    expect(r.stderr).toContain("this reserves every display device of the host (vgapci0, vgapci1)");
    expect(r.stderr).not.toContain("only display device");
  });
  test("sibling functions of other cards left behind are a warning", async () => {
    const nic = (f: number) => `igb${f}@pci0:3:0:${f}:\tclass=0x020000 rev=0x01 hdr=0x00 vendor=0x8086 device=0x1521 subvendor=0x8086 subdevice=0x0001\n    cap 11[70] = MSI-X supports 10 messages\n`;
    const h = makeDevctlHost({ extra: `${nic(0)}${nic(1)}` });
    const r = await cli(["plan", "igb0"], { env: { PPTCTL_ROOT: h.root } });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("igb1 (3/0/1) stays on the host beside the reserved functions; add it or use --with-functions");
  });
  test("--class display", async () => {
    const r = await cli(["--from", host("supermicro-igpu-xhci"), "plan", "--class", "display"]);
    expect(r.stdout).toBe('vmm_load="YES"\npptdevs="0/2/0"\n');
    expect(r.stderr).toContain("only display device");
  });
  test("AMD host gets the amdvi tunable", async () => {
    expect((await cli(["--from", host("amd-no-amdvi"), "plan"])).stdout).toBe('hw.vmm.amdvi.enable="1"\npptdevs="3/0/0 3/0/1"\n');
  });
  test("sysrc format and json", async () => {
    const s = await cli(["--from", host("supermicro-igpu-xhci"), "plan", "vgapci0", "--format", "sysrc"]);
    expect(s.stdout).toBe("sysrc -f /boot/loader.conf vmm_load=YES\nsysrc -f /boot/loader.conf pptdevs=0/2/0\n");
    const j = JSON.parse((await cli(["--from", host("intel-healthy"), "plan", "--remove", "1/0/1", "--json"])).stdout);
    expect(j).toMatchObject({ format: "pptctl-plan/1", entries: ["1/0/0"], removed: ["1/0/1"], inSync: false });
  });
  test("removing every entry removes the pptdevs line", async () => {
    const from = ["--from", host("intel-healthy"), "plan", "--replace"];
    const lines = await cli(from);
    expect(lines).toEqual({ code: 0, stdout: "", stderr: "pptctl: pptdevs is no longer needed: remove it (--write does)\n" });
    expect((await cli([...from, "--format", "sysrc"])).stdout).toBe("sysrc -f /boot/loader.conf -x pptdevs\n");
    expect((await cli([...from, "--diff"])).stdout).toEndWith('-pptdevs="1/0/0 1/0/1"\n');
  });
  test("--check: 0 in sync, 1 not", async () => {
    expect((await cli(["--from", host("intel-healthy"), "plan", "--check"])).code).toBe(0);
    const r = await cli(["--from", host("intel-healthy"), "plan", "--check", "--remove", "1/0/1"]);
    expect(r).toEqual({ code: 1, stdout: "", stderr: 'pptctl: plan: not in sync: pptdevs="1/0/0"\n' });
  });
  test("more than three records is an error naming what does not fit", async () => {
    const sels = Array.from({ length: 40 }, (_, i) => `${100 + i}/10/0`);
    const r = await cli(["--from", host("intel-healthy"), "plan", "--replace", ...sels]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
  });
  const refusals: [string, string[], RegExp][] = [
    ["bridge", ["0/28/0"], /^pptctl: plan: pcib6 \(pci0:0:28:0, .*\) is a bridge \(header type 0x01\); ppt never claims bridges/],
    ["unknown selector", ["vgapci9"], /^pptctl: plan: selector 'vgapci9' matches no PCI device on this host; close matches: vgapci0 /],
    ["unparseable selector", ["the-gpu"], /^pptctl: plan: selector 'the-gpu': not understood; give a device name/],
    ["NIC of the default route", ["igc0"], /carries the default route: the host loses its network after the reboot; add --force if that is what you want\n$/],
    ["storage controller", ["nvme1"], /is a storage controller: if the host boots from it, it will not come back; add --force/],
    ["domain", ["pci1:0:0:0"], /^pptctl: plan: selector 'pci1:0:0:0' matches no PCI device/],
  ];
  for (const [name, argv, msg] of refusals) {
    test(`refuses: ${name}`, async () => {
      const r = await cli(["--from", host("intel-healthy"), "plan", ...argv]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    });
  }
});

describe("plan --write", () => {
  const writeArgs = (root: string, ...argv: string[]) => cli(["plan", "--write", ...argv], { env: { PPTCTL_ROOT: root } });

  test("edits in place, keeps a backup, mode and every other byte; prints the diff", async () => {
    const root = makeFakeHost();
    const path = join(root, "boot/loader.conf");
    const before = readFileSync(path, "utf8");
    chmodSync(path, 0o600);
    const r = await writeArgs(root, "0/20/0", "--force");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('--- /boot/loader.conf\n+++ /boot/loader.conf\n@@ -8,4 +8,4 @@\n # bhyve: vmm must come from the loader for pptdevs to apply\n vmm_load="YES"\n # Quadro P600 and its HDMI audio for test-vm-1\n-pptdevs="1/0/0 1/0/1"\n+pptdevs="0/20/0 1/0/0 1/0/1"\n');
    expect(readFileSync(path, "utf8")).toBe(before.replace('pptdevs="1/0/0 1/0/1"', 'pptdevs="0/20/0 1/0/0 1/0/1"'));
    expect(readFileSync(`${path}.bak`, "utf8")).toBe(before);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(r.stderr).toContain("reboot to apply");
    expect(r.stderr).toContain("without a reboot, devices nothing uses can be moved now: pptctl attach 0/20/0");
    expect(readdirSync(join(root, "boot")).filter((f) => f.includes(".tmp"))).toEqual([]);
    // A second run finds nothing to do and keeps the first backup.
    const again = await writeArgs(root, "0/20/0", "--force");
    expect(again).toMatchObject({ code: 0, stdout: "" });
    expect(readFileSync(`${path}.bak`, "utf8")).toBe(before);
  });

  test("a second backup does not overwrite the first", async () => {
    const root = makeFakeHost();
    await writeArgs(root, "--remove", "1/0/1");
    await writeArgs(root, "--remove", "1/0/0");
    const names = readdirSync(join(root, "boot")).filter((f) => f.startsWith("loader.conf.bak")).sort();
    expect(names).toEqual(["loader.conf.bak", "loader.conf.bak-20261124T120000Z"]);
  });

  test("refuses when loader.conf.local would override what is written", async () => {
    const root = makeFakeHost();
    writeFileSync(join(root, "boot/loader.conf.local"), '# local\npptdevs="1/0/0"\n');
    const before = readFileSync(join(root, "boot/loader.conf"), "utf8");
    const r = await writeArgs(root, "0/20/0", "--force");
    expect(r).toEqual({
      code: 2,
      stdout: "",
      stderr: "pptctl: plan --write: pptdevs is also set in /boot/loader.conf.local:2, which the loader reads after /boot/loader.conf and which would win; remove it there, or write that file with --file /boot/loader.conf.local\n",
    });
    expect(readFileSync(join(root, "boot/loader.conf"), "utf8")).toBe(before);
  });

  test("a read-only file fails with one line and leaves no temp file", async () => {
    const root = makeFakeHost();
    const path = join(root, "boot/loader.conf");
    chmodSync(path, 0o444);
    const r = await writeArgs(root, "--remove", "1/0/1");
    expect(r.code).toBe(1);
    expect(r.stderr.split("\n").filter(Boolean)).toEqual([
      `pptctl: plan --write: ${path}: is read-only (mode 0444); make it writable (chmod u+w ${path}) or write another file with --file`,
    ]);
    expect(readdirSync(join(root, "boot")).sort()).toEqual(["loader.conf"]);
  });

  test("--from needs --file; with --file it writes that copy", async () => {
    const dir = tempDir();
    const copy = join(dir, "loader.conf");
    writeFileSync(copy, 'zfs_load="YES"');
    expect((await cli(["--from", host("supermicro-igpu-xhci"), "plan", "vgapci0", "--write"])).stderr).toBe(
      "pptctl: plan --write: --from replays a recording, which pptctl never edits; give --file PATH to write a copy\n",
    );
    const r = await cli(["--from", host("supermicro-igpu-xhci"), "plan", "vgapci0", "--write", "--file", copy]);
    expect(r.code).toBe(0);
    expect(readFileSync(copy, "utf8")).toBe('zfs_load="YES"\nvmm_load="YES"\npptdevs="0/2/0"\n');
  });
});

describe("plan --write through a symlinked loader.conf (issue 11.1)", () => {
  test("writes the link's target atomically, keeps the link, backs up beside the target", async () => {
    const root = makeFakeHost();
    const boot = join(root, "boot");
    const managed = join(root, "managed");
    mkdirSync(managed);
    const before = readFileSync(join(boot, "loader.conf"), "utf8");
    writeFileSync(join(managed, "loader.conf"), before);
    rmSync(join(boot, "loader.conf"));
    symlinkSync("../managed/loader.conf", join(boot, "loader.conf"));
    const r = await cli(["plan", "--write", "--remove", "1/0/1"], { env: { PPTCTL_ROOT: root } });
    expect(r.code).toBe(0);
    expect(lstatSync(join(boot, "loader.conf")).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(boot, "loader.conf"))).toBe("../managed/loader.conf");
    expect(readFileSync(join(managed, "loader.conf"), "utf8")).toBe(before.replace('pptdevs="1/0/0 1/0/1"', 'pptdevs="1/0/0"'));
    expect(readFileSync(join(managed, "loader.conf.bak"), "utf8")).toBe(before);
    expect(readdirSync(boot).sort()).toEqual(["loader.conf"]);
    expect(readdirSync(managed).filter((f) => f.includes(".tmp"))).toEqual([]);
  });
});

describe("plan --check judges the file --diff and --write change (issue 11.2)", () => {
  test("after --write --file F, --check --file F is in sync, and --diff agrees", async () => {
    const copy = join(tempDir(), "loader.conf");
    writeFileSync(copy, 'zfs_load="YES"\n');
    const rec = ["--from", host("supermicro-igpu-xhci")];
    expect((await cli([...rec, "plan", "vgapci0", "--check", "--file", copy])).code).toBe(1);
    expect((await cli([...rec, "plan", "vgapci0", "--write", "--file", copy])).code).toBe(0);
    const diff = await cli([...rec, "plan", "vgapci0", "--diff", "--file", copy]);
    expect(diff).toMatchObject({ code: 0, stdout: "" });
    expect(diff.stderr).toContain("already says this");
    expect(await cli([...rec, "plan", "vgapci0", "--check", "--file", copy])).toEqual({ code: 0, stdout: "", stderr: "" });
    // Another device is not in F yet.
    expect((await cli([...rec, "plan", "vgapci0", "xhci0", "--check", "--file", copy])).code).toBe(1);
  });
  test("live: --check --file names the file it judges", async () => {
    const root = makeFakeHost();
    const other = join(root, "boot/loader.conf.local");
    writeFileSync(other, "");
    const env = { env: { PPTCTL_ROOT: root } };
    expect((await cli(["plan", "--check"], env)).code).toBe(0);
    expect((await cli(["plan", "0/20/0", "--force", "--check", "--file", "/boot/loader.conf"], env)).code).toBe(1);
    expect((await cli(["plan", "0/20/0", "--force", "--write", "--file", "/boot/loader.conf"], env)).code).toBe(0);
    expect((await cli(["plan", "0/20/0", "--force", "--check", "--file", "/boot/loader.conf"], env)).code).toBe(0);
  });
});

