import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseMemSize } from "../src/core/preflight/memory.ts";
import { redactProcessList, vmProcesses } from "../src/core/vm/instances.ts";
import { makeDevctlHost } from "./fake-devctl-host.ts";
import { cli, host, tempDir } from "./helpers.ts";

const PF = host("vm-preflight");
const line = (out: string, area: string) => out.split("\n").find((l) => l.includes(`${area}:`)) ?? "";

describe("doctor --vm on a recorded host", () => {
  test("a device on a host driver, another VM's running instance holding one, a missing ROM: each fails with its fix", async () => {
    const r = await cli(["--from", PF, "doctor", "--vm", "gw"]);
    expect(r.code).toBe(2);
    expect(line(r.stdout, "gw: ppt")).toContain('89/0/0 is on igc0, not ppt: bhyve says "not using the ppt(4) driver" : FAIL');
    expect(r.stdout).toContain("fix: pptctl attach 89/0/0 --persist");
    expect(line(r.stdout, "gw: holders")).toContain("1/0/1 is in use by the running VM test-vm-1");
    expect(line(r.stdout, "gw: ROM")).toContain("/zroot/vm/.config/p600-audio.rom does not exist : FAIL");
    expect(line(r.stdout, "gw: memory")).toContain("512 MiB fits");
    expect(line(r.stdout, "IOMMU")).toContain("PASS");
  });

  test("a left-behind instance and memory the host cannot wire", async () => {
    const r = await cli(["--from", PF, "doctor", "--vm", "win11", "--json"]);
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout) as { status: string; checks: { id: string; status: string; summary: string; fix: string | null }[] };
    const by = (id: string) => doc.checks.find((c) => c.id === id)!;
    expect(by("vm.instance.win11")).toMatchObject({ status: "fail", fix: "bhyvectl --destroy --vm=win11" });
    expect(by("vm.instance.win11").summary).toContain("no process runs, starts or supervises it");
    expect(by("vm.memory.win11")).toMatchObject({ status: "fail", fix: "raise it: sysctl vm.max_user_wired=6297152 (and in /etc/sysctl.conf), or give the VM less memory" });
    expect(by("vm.ppt.win11").status).toBe("pass");
  });

  test("a running VM passes its instance check; -q prints only what is wrong; nagios and prometheus carry the same checks", async () => {
    const r = await cli(["--from", PF, "doctor", "--vm", "test-vm-1", "-q"]);
    expect(r).toMatchObject({ code: 1 });
    expect(r.stdout).not.toContain("PASS");
    expect(r.stdout).toContain("1/0/1 is also in gw's config");
    const full = await cli(["--from", PF, "doctor", "--vm", "test-vm-1"]);
    expect(line(full.stdout, "test-vm-1: instance")).toContain("running now (bhyve pid 4242)");
    expect(line(full.stdout, "test-vm-1: slots")).toContain("guest slots 5:0 5:1");
    const nagios = await cli(["--from", PF, "doctor", "--vm", "test-vm-1", "--format", "nagios"]);
    expect(nagios.stdout).toMatch(/^PPTCTL WARNING - /);
    const prom = await cli(["--from", PF, "doctor", "--vm", "test-vm-1", "--format", "prometheus"]);
    expect(prom.stdout).toContain('pptctl_check_status{check="vm.holders.test-vm-1"} 1');
  });

  test("--vm twice and --all-vms; an unknown VM is a usage error naming the VMs found", async () => {
    const two = await cli(["--from", PF, "doctor", "--vm", "gw", "--vm", "test-vm-2"]);
    expect(two.stdout).toContain("gw: ppt");
    expect(two.stdout).toContain("test-vm-2: ppt");
    const all = await cli(["--from", PF, "doctor", "--all-vms"]);
    expect(all.stdout).toContain("test-vm-3: config");
    expect(all.stdout).toContain("not valid JSON");
    expect(all.code).toBe(2);
    const none = await cli(["--from", PF, "doctor", "--vm", "nope"]);
    expect(none).toEqual({ code: 3, stdout: "", stderr: "pptctl: doctor: no VM named 'nope': the VMs pptctl found are test-vm-1, test-vm-2, gw, win11\n" });
  });

  test("--config: a bhyve -k file without memory.wired fails, with the line that fixes it; slot problems are named", async () => {
    const dir = tempDir();
    const file = join(dir, "vm.conf");
    writeFileSync(file, "pci.0.0.0.device=hostbridge\npci.0.6.1.device=passthru\npci.0.6.1.bus=1\npci.0.6.1.slot=0\npci.0.6.1.func=1\nmemory.size=2G\n");
    const r = await cli(["--from", PF, "doctor", "--config", file]);
    expect(r.code).toBe(2);
    expect(line(r.stdout, `${file}: memory`)).toContain('memory.wired is not set: bhyve stops with "passthru requires guest memory to be wired" : FAIL');
    expect(r.stdout).toContain(`fix: add memory.wired=true to ${file}`);
    expect(line(r.stdout, `${file}: slots`)).toContain("guest slot 6 (1/0/1) has no function 0");
    writeFileSync(file, "pci.0.6.0.device=passthru\npci.0.6.0.bus=1\npci.0.6.0.slot=0\npci.0.6.0.func=0\nmemory.size=2G\nmemory.wired=true\n");
    const ok = await cli(["--from", PF, "doctor", "--config", file]);
    expect(line(ok.stdout, `${file}: memory`)).toContain("PASS");
    expect(line(ok.stdout, `${file}: slots`)).toContain("guest slots 6:0");
  });
});

describe("doctor --vm on a fake live host", () => {
  test("ps and sysctl are asked live; a left-behind instance is found by the missing bhyve process", async () => {
    const h = makeDevctlHost({ from: PF });
    mkdirSync(join(h.root, "dev/vmm"), { recursive: true });
    for (const vm of ["test-vm-1", "win11"]) writeFileSync(join(h.root, "dev/vmm", vm), "");
    const rom = join(h.root, "zroot/vm/.config/p600-audio.rom");
    mkdirSync(dirname(rom), { recursive: true });
    writeFileSync(rom, "\x55\xaa");
    const env = { PPTCTL_ROOT: h.root };
    const gw = await cli(["doctor", "--vm", "gw"], { env });
    expect(line(gw.stdout, "gw: ROM")).toMatch(/p600-audio\.rom is a file bhyve can map \.* ?: PASS$/);
    const win = await cli(["doctor", "--vm", "win11"], { env });
    expect(line(win.stdout, "win11: instance")).toContain("FAIL");
    const list = await cli(["list"], { env });
    expect(list.stdout).toContain("Left behind: win11 (bhyvectl --destroy --vm=win11)");
    expect(list.stdout).toContain("In use by: test-vm-1");
    const release = await cli(["release", "0/20/0"], { env });
    expect(release.code).toBe(1);
    expect(release.stderr).toContain("win11's instance, left behind in /dev/vmm with no process naming it, holds 0/20/0: bhyvectl --destroy --vm=win11; nothing was changed");
  });
});

describe("the pieces", () => {
  test("bhyve's process titles, with and without ps's (bhyve); a title in another program's words is not one", () => {
    const p = vmProcesses(" 4242 bhyve: win11 (bhyve)\n  17 bhyve: lab\n 5 vim bhyve: notes\n");
    expect(p.map((x) => [x.vm, x.pid, x.role])).toEqual([["win11", 4242, "bhyve"], ["lab", 17, "bhyve"]]);
  });

  test("capture keeps only the process lines that name a VM, and no password on them", () => {
    const r = redactProcessList("  1 /sbin/init --\n 812 mysql -u root -psecret\n 4242 bhyve: win11 (bhyve)\n 77 /usr/sbin/bhyve -c 2 -s 29,fbuf,tcp=0.0.0.0:5900,password=hunter2,wait -s 6:0,passthru,1/0/0 lab\n");
    expect(r.text).toBe(" 4242 bhyve: win11 (bhyve)\n 77 /usr/sbin/bhyve -c 2 -s 29,fbuf,tcp=0.0.0.0:5900,password=<redacted>,wait -s 6:0,passthru,1/0/0 lab\n");
    expect(r.items).toEqual(["2 process lines that name no VM", "password on a command line"]);
  });

  test("memory sizes as bhyve -m reads them", () => {
    expect(parseMemSize("8G")).toBe(8 * 2 ** 30);
    expect(parseMemSize("512M")).toBe(512 * 2 ** 20);
    expect(parseMemSize("2048")).toBe(2048 * 2 ** 20);
    expect(parseMemSize("2147483648")).toBe(2 ** 31);
    expect(parseMemSize("8 GB")).toBeNull();
  });
});
