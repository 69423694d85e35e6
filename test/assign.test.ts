import { describe, expect, test } from "bun:test";
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseHosterVm } from "../src/core/vm/hoster.ts";
import { parseVmBhyveConf } from "../src/core/vm/vm-bhyve.ts";
import { WIRED_MARK } from "../src/core/vm/bhyve-config.ts";
import { vmTree } from "./vm-tree.ts";
import { tempDir } from "./helpers.ts";

const tree = vmTree;

const GW = "/zroot/vm/gw/gw.conf";
const VM1 = "/zroot/vm-encrypted/test-vm-1/vm_config.json";
const VM2 = "/zroot/vm-encrypted/test-vm-2/vm_config.json";

describe("assign / unassign with vm-bhyve", () => {
  test("assign adds the next passthruN, keeps a backup, and args --vm and list show it", async () => {
    const t = tree();
    const before = t.read(GW);
    const r = await t.run("assign", "0/13/2", "--vm", "gw");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('+passthru2="0/13/2"');
    expect(t.read(GW)).toBe(`${before}passthru2="0/13/2"\n`);
    expect(t.read(`${GW}.bak`)).toBe(before);
    expect(r.stderr).toContain("0/13/2 is now in gw's config");
    expect(r.stderr).toContain("0/13/2: on ppt now (ppt4), reserved in pptdevs: ready");
    // test-vm-3's config is not JSON and does not name 0/13/2: said, not refused.
    expect(r.stderr).toContain("pptctl cannot read test-vm-3's config (/zroot/vm-encrypted/test-vm-3/vm_config.json: not valid JSON");
    expect((await t.run("args", "--vm", "gw")).stdout).toContain("passthru,0/13/2");
    // The broken test-vm-3 would make list say Unknown for every device it may hold.
    t.write("/zroot/vm-encrypted/test-vm-3/vm_config.json", '{ "passthru": [] }');
    const list = await t.run("list", "--json");
    const dev = (JSON.parse(list.stdout) as { devices: { bhyve: string; status: { kind: string; vm?: string; running?: boolean } }[] }).devices.find((d) => d.bhyve === "0/13/2");
    expect(dev?.status).toEqual({ kind: "assigned", vm: "gw", running: false });
    await t.run("unassign", "0/13/2", "--vm", "gw");
    const after = (JSON.parse((await t.run("list", "--json")).stdout) as { devices: { bhyve: string; status: { kind: string } }[] }).devices.find((d) => d.bhyve === "0/13/2");
    expect(after?.status.kind).toBe("available");
    expect(t.read(GW)).toBe(before);
  });

  test("unassign renumbers the later entries and their _options; the file still reads as vm-bhyve reads it", async () => {
    const t = tree();
    const conf = '# gw\nloader="bhyveload"\npassthru0="89/0/0"\npassthru1="0/13/2"\npassthru1_options="rom=/x.rom"\npassthru2="0/13/0"   # USB\ncpu=1\n';
    t.write(GW, conf);
    t.write(VM2, t.read(VM2).replace('["0/13/0"]', "[]"));
    const r = await t.run("unassign", "89/0/0", "--vm", "gw");
    expect(r.code).toBe(0);
    expect(t.read(GW)).toBe('# gw\nloader="bhyveload"\npassthru0="0/13/2"\npassthru0_options="rom=/x.rom"\npassthru1="0/13/0"   # USB\ncpu=1\n');
    expect(parseVmBhyveConf(t.read(GW))).toMatchObject({ entries: ["0/13/2,rom=/x.rom", "0/13/0"] });
    expect(r.stderr).toContain("release 89/0/0 --persist");
    expect((await t.run("args", "--vm", "gw")).stdout).not.toContain("89/0/0");
  });

  test("a config kept as a symbolic link stays one; its mode and its non-UTF-8 bytes stay", async () => {
    const t = tree();
    const real = "/zroot/vm/.config/gw-real.conf";
    const text = '# caf\xe9 \xff\r\nloader="bhyveload"\npassthru0="89/0/0"\n';
    t.write(real, text);
    chmodSync(t.path(real), 0o640);
    rmSync(t.path(GW));
    symlinkSync("../.config/gw-real.conf", t.path(GW));
    const r = await t.run("assign", "0/13/2", "--vm", "gw");
    expect(r.code).toBe(0);
    expect(lstatSync(t.path(GW)).isSymbolicLink()).toBe(true);
    expect(t.read(real)).toBe(`${text}passthru1="0/13/2"\n`);
    expect(statSync(t.path(real)).mode & 0o777).toBe(0o640);
  });

  test("an entry written pptN is the device that is pptN now: list, assign and unassign see it", async () => {
    const t = tree();
    t.write(GW, 'loader="bhyveload"\npassthru0="89/0/0"\npassthru1="ppt4"\n');
    const list = JSON.parse((await t.run("list", "--json")).stdout) as { devices: { bhyve: string; status: { kind: string; vm?: string } }[] };
    expect(list.devices.find((d) => d.bhyve === "0/13/2")?.status).toMatchObject({ kind: "assigned", vm: "gw" });
    const other = await t.run("assign", "0/13/2", "--vm", "win11");
    expect(other.code).toBe(1);
    expect(other.stderr).toContain("gw");
    const r = await t.run("unassign", "0/13/2", "--vm", "gw");
    expect(r.code).toBe(0);
    expect(t.read(GW)).toBe('loader="bhyveload"\npassthru0="89/0/0"\n');
  });

  test("Intel integrated graphics gets vm-bhyve's =2:0 pin", async () => {
    const t = tree();
    const r = await t.run("assign", "0/2/0", "--vm", "gw", "--dry-run");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('+passthru2="0/2/0=2:0"');
    expect(r.stderr).toContain("would be added");
    expect(existsSync(t.path(`${GW}.bak`))).toBe(false);
  });
});

describe("assign / unassign with Hoster", () => {
  // As Hoster's config_file_writer.go writes it: MarshalIndent, three spaces, no final newline.
  const written = '{\n   "cpu_sockets": 1,\n   "memory": "4G",\n   "passthru": [\n      "0/13/0"\n   ],\n   "vnc_port": 5902\n}';

  test("assign edits the JSON list in Hoster's own layout and keeps every other byte", async () => {
    const t = tree();
    t.write(VM2, written);
    const r = await t.run("assign", "47/0/0", "--vm", "test-vm-2");
    expect(r.code).toBe(0);
    expect(t.read(VM2)).toBe(written.replace('"0/13/0"\n', '"0/13/0",\n      "47/0/0"\n'));
    expect(parseHosterVm(t.read(VM2))).toMatchObject({ entries: ["0/13/0", "47/0/0"] });
    expect(r.stderr).toContain("47/0/0: not on ppt (aq0), not reserved in pptdevs\n");
    expect(r.stderr).toContain("move it to ppt now and keep it there: pptctl attach 47/0/0 --persist (or run assign with --attach)");
  });

  test("a whole card: unassign takes the GPU's audio too, assign brings it along and says why", async () => {
    const t = tree();
    const u = await t.run("unassign", "1/0/0", "--vm", "test-vm-1");
    expect(u.code).toBe(0);
    expect(parseHosterVm(t.read(VM1))).toMatchObject({ entries: [] });
    expect(u.stderr).toContain("1/0/1 (ppt1) goes too: GPU with an HDMI/DisplayPort audio function");
    expect((await t.run("unassign", "1/0/1", "--vm", "gw")).code).toBe(0);
    // test-vm-3's broken config names 1/0/0, which Hoster might still read: assign refuses until it is mended.
    const refused = await t.run("assign", "1/0/0", "--vm", "test-vm-2");
    expect(refused).toMatchObject({ code: 1, stdout: "" });
    expect(refused.stderr).toContain("1/0/0 is written in test-vm-3's config");
    t.write("/zroot/vm-encrypted/test-vm-3/vm_config.json", '{ "passthru": [] }');
    const a = await t.run("assign", "1/0/0", "--vm", "test-vm-2");
    expect(a.code).toBe(0);
    expect(parseHosterVm(t.read(VM2))).toMatchObject({ entries: ["0/13/0", "1/0/0", "1/0/1"] });
    expect(a.stderr).toContain("1/0/1 (ppt1) comes along");
    // Hoster starts passthru at slot 5 for this VM (one NIC, one disk), and args --vm follows it.
    expect((await t.run("args", "--vm", "test-vm-2")).stdout).toBe("-s 5:0,passthru,0/13/0 -s 6:0,passthru,1/0/0 -s 6:1,passthru,1/0/1\n");
  });

  test("Intel integrated graphics: no pin is written, and Hoster's slot layout is said plainly", async () => {
    const t = tree();
    const r = await t.run("assign", "0/2/0", "--vm", "test-vm-2", "--dry-run");
    expect(r.stdout).toContain('"passthru": ["0/13/0", "0/2/0"]');
    expect(r.stdout).not.toContain("=2:0");
    expect(r.stderr).toContain("Hoster has no slot pins and keeps slot 2 for the VM's NIC");
  });
});

describe("assign with a bhyve config file and with CBSD", () => {
  test("--config writes the first free guest slot and memory.wired=true; unassign takes it out, the last one with the wired memory it added", async () => {
    const t = tree();
    const file = join(tempDir(), "win.conf");
    const original = "name=win\npci.0.0.0.device=hostbridge\npci.0.1.0.device=virtio-net\npci.0.3.0.device=nvme\n";
    writeFileSync(file, original);
    // Under PPTCTL_ROOT the path is the live host's: the tree holds it.
    t.write(file, readFileSync(file, "latin1"));
    const r = await t.run("assign", "1/0/0", "--config", file);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("already in test-vm-1's config");
    const a = await t.run("assign", "47/0/0", "0/13/2", "--config", file, "--vms", "/nowhere");
    expect(a.stderr).not.toContain("Error");
    expect(a.code).toBe(0);
    expect(t.read(file)).toBe(
      `name=win\npci.0.0.0.device=hostbridge\npci.0.1.0.device=virtio-net\npci.0.3.0.device=nvme\n${WIRED_MARK}\nmemory.wired=true\npci.0.2.0.device=passthru\npci.0.2.0.bus=0\npci.0.2.0.slot=13\npci.0.2.0.func=2\npci.0.4.0.device=passthru\npci.0.4.0.bus=47\npci.0.4.0.slot=0\npci.0.4.0.func=0\n`,
    );
    const again = await t.run("assign", "47/0/0", "--config", file);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("47/0/0: already in");
    const u = await t.run("unassign", "0/13/2", "--config", file);
    expect(u.code).toBe(0);
    expect(t.read(file)).not.toContain("pci.0.2.0");
    expect(t.read(file)).toContain("pci.0.4.0.bus=47");
    expect(t.read(file)).toContain("memory.wired=true");
    // Issue 32, finding 17: assign then unassign gives the bytes back.
    expect((await t.run("unassign", "47/0/0", "--config", file)).code).toBe(0);
    expect(t.read(file)).toBe(original);
  });

  test("a bhyve config without a final newline keeps none; memory.wired set by hand stays", async () => {
    const t = tree();
    const file = "/vm/bare.conf";
    t.write(file, "name=bare\nmemory.wired=true");
    expect((await t.run("assign", "47/0/0", "--config", file)).code).toBe(0);
    expect(t.read(file)).toBe("name=bare\nmemory.wired=true\npci.0.1.0.device=passthru\npci.0.1.0.bus=47\npci.0.1.0.slot=0\npci.0.1.0.func=0");
    expect((await t.run("unassign", "47/0/0", "--config", file)).code).toBe(0);
    expect(t.read(file)).toBe("name=bare\nmemory.wired=true");
  });

  test("a new --config file is created", async () => {
    const t = tree();
    const r = await t.run("assign", "47/0/0", "--config", "/vm/new.conf");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/new\.conf: its directory \S*\/vm does not exist/);
    mkdirSync(t.path("/vm"));
    expect((await t.run("assign", "47/0/0", "--config", "/vm/new.conf")).code).toBe(0);
    expect(t.read("/vm/new.conf")).toBe(`${WIRED_MARK}\nmemory.wired=true\npci.0.1.0.device=passthru\npci.0.1.0.bus=47\npci.0.1.0.slot=0\npci.0.1.0.func=0\n`);
  });

  test("CBSD: prints the exact bhyve-ppt command, writes nothing, exits 0", async () => {
    const t = tree();
    t.write("/etc/rc.conf", `${t.read("/etc/rc.conf")}cbsd_workdir="/usr/jails"\n`);
    mkdirSync(t.path("/usr/jails/jails-system/winvm"), { recursive: true });
    const r = await t.run("assign", "0/13/2", "--vm", "winvm");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("cbsd bhyve-ppt mode=attach ppt=0/13/2 jname=winvm\n");
    expect(r.stderr).toContain("CBSD keeps passthrough in its own database");
    const u = await t.run("unassign", "0/13/2", "--vm", "winvm");
    expect(u.stdout).toBe("cbsd bhyve-ppt mode=detach ppt=0/13/2 jname=winvm\n");
    const unknown = await t.run("assign", "0/13/2", "--vm", "nope");
    expect(unknown.stderr).toContain("winvm (CBSD)");
  });
});
