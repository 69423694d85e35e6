import { describe, expect, test } from "bun:test";
import { lineOf, psTree } from "./vm-tree-ps.ts";

const TITLED = " 4242 bhyve: test-vm-1 (bhyve)\n";
const DESTROY_WIN11 = "bhyvectl --destroy --vm=win11";

/** What every command says about win11 and its device 0/20/0, for one process list. */
async function everything(t: ReturnType<typeof psTree>) {
  const list = await t.run("list");
  const vm = await t.run("doctor", "--vm", "win11");
  const eexist = await t.run("explain", "--vm", "win11", "Unable to setup memory (17)");
  const anyVm = await t.run("explain", "Unable to setup memory (17)");
  const busy = await t.run("explain", "PCI device at 0/20/0 is not using the ppt(4) driver");
  const release = await t.run("release", "0/20/0");
  const doctor = await t.run("doctor");
  const all = [list, vm, eexist, anyVm, busy, release, doctor].map((r) => r.stdout + r.stderr).join("\n");
  return { list, vm, eexist, anyVm, busy, release, doctor, all };
}

describe("a VM that is starting is never called left behind (issue 31, finding 1)", () => {
  const starting: [string, string][] = [
    ["bhyve before its title, waiting for a VNC client", " 5133 /usr/sbin/bhyve -c 4 -m 8G -AHP -S -s 0,hostbridge -s 31,lpc -s 6:0,passthru,0/20/0 -s 30:0,fbuf,tcp=0.0.0.0:5900,wait win11\n"],
    ["bhyveload", " 5120 /usr/sbin/bhyveload -m 8G -e autoboot_delay=3 -d /zroot/vm/win11/disk0.img win11\n"],
    ["grub-bhyve", " 5121 /usr/local/sbin/grub-bhyve -m /zroot/vm/win11/device.map -r hd0,msdos1 -M 8G win11\n"],
    ["vm-bhyve's supervisor alone (between bhyve restarts)", " 5100 /bin/sh /usr/local/sbin/vm -d /zroot/vm _run win11\n"],
    ["bhyvectl acting on it", " 5190 /usr/sbin/bhyvectl --vm=win11 --get-stats\n"],
  ];
  for (const [what, ps] of starting) {
    test(what, async () => {
      const t = psTree({ ps: `${TITLED}${ps}` });
      const r = await everything(t);
      expect(r.all).not.toContain(DESTROY_WIN11);
      expect(r.list.stdout).toContain("In use by: win11 (starting)");
      expect(lineOf(r.vm.stdout, "win11: instance")).toMatch(/win11 is starting now \(.* pid \d+\).* : PASS$/);
      expect(r.eexist.stdout).toContain("win11 is starting now");
      expect(r.busy.stdout).toContain("win11, which is starting now");
      expect(r.release.code).toBe(1);
      expect(r.release.stderr).toContain("win11, which is starting now");
      expect(r.release.stderr).toContain("do not destroy it");
      expect(lineOf(r.doctor.stdout, "VM instances")).toContain("PASS");
    });
  }

  test("Hoster's supervisor holds its VM's instance", async () => {
    const t = psTree({ ps: `${TITLED} 6001 /opt/hoster-core/vm_supervisor_service for test-vm-2\n`, vmm: ["test-vm-1", "test-vm-2"] });
    const vm = await t.run("doctor", "--vm", "test-vm-2");
    expect(lineOf(vm.stdout, "test-vm-2: instance")).toContain("test-vm-2 is starting now (Hoster's supervisor (vm_supervisor_service) pid 6001)");
    expect(vm.stdout + vm.stderr).not.toContain("--destroy");
  });

  test("vm-bhyve's run.lock with no process: unknown, no destroy line", async () => {
    const t = psTree({ ps: TITLED });
    t.write("/zroot/vm/win11/run.lock", "host1\n");
    const r = await everything(t);
    expect(r.all).not.toContain(DESTROY_WIN11);
    expect(lineOf(r.vm.stdout, "win11: instance")).toContain("vm-bhyve's run.lock says it started win11, but no process names it : UNKNOWN");
    expect(r.list.stdout).toContain("Assigned to: win11 (state unknown)");
    expect(lineOf(r.doctor.stdout, "VM instances")).toContain("UNKNOWN");
  });

  test("a process list that cannot be read: unknown, no destroy line", async () => {
    const t = psTree({ ps: null });
    const r = await everything(t);
    expect(r.all).not.toContain(DESTROY_WIN11);
    expect(lineOf(r.vm.stdout, "win11: instance")).toContain("the process list cannot be read");
    expect(r.release.stderr).toContain("whether its instance holds it is unknown");
  });

  test("and when nothing names it, the instance is left behind, said by every command with its destroy line", async () => {
    const t = psTree({ ps: TITLED });
    const r = await everything(t);
    expect(r.list.stdout).toContain("Left behind: win11 (bhyvectl --destroy --vm=win11)");
    expect(r.vm.stdout).toContain(`fix: ${DESTROY_WIN11}`);
    expect(r.eexist.stdout).toContain(`fix:    ${DESTROY_WIN11}`);
    expect(r.busy.stdout).toContain(`fix:    ${DESTROY_WIN11}`);
    expect(r.release.stderr).toContain(DESTROY_WIN11);
    // finding 17: the host's doctor (and so the daily check) reports it.
    expect(r.doctor.code).toBeGreaterThanOrEqual(1);
    expect(lineOf(r.doctor.stdout, "VM instances")).toContain("/dev/vmm/win11 is left behind");
    expect((await t.run("doctor", "-q")).stdout).toContain(`fix: ${DESTROY_WIN11}`);
  });
});

describe("instances no config knows (finding 5) and conflicts (finding 16)", () => {
  test("an orphan /dev/vmm entry and a hand-started bhyve are named as possible holders", async () => {
    const t = psTree({ ps: `${TITLED} 7000 bhyve: manual (bhyve)\n`, vmm: ["test-vm-1", "manual", "orphan"] });
    const vm = await t.run("doctor", "--vm", "gw");
    const holders = lineOf(vm.stdout, "gw: holders");
    expect(holders).toContain("test-vm-1");
    const full = vm.stdout;
    expect(full).toContain("manual");
    expect(full).toContain("orphan");
    const list = await t.run("list");
    expect(list.stderr).toContain("manual has an instance in /dev/vmm or a bhyve process, and no config pptctl can read says which devices it has");
    const ex = await t.run("explain", "--json", "vm_assign_pptdev: Device busy");
    expect(JSON.parse(ex.stdout).lines[0].cause).toContain("orphan's instance, left behind in /dev/vmm with no process naming it, may hold");
  });

  test("a bhyve command line shows the device it holds, config or not", async () => {
    const t = psTree({ ps: `${TITLED} 7100 /usr/sbin/bhyve -S -s 7:0,passthru,0/13/2 hand\n`, vmm: ["test-vm-1", "hand"] });
    const list = JSON.parse((await t.run("list", "--json")).stdout);
    expect(list.devices.find((d: { bhyve: string }) => d.bhyve === "0/13/2").statusText).toBe("In use by: hand (starting)");
  });

  test("a conflict says which of the two has an instance now", async () => {
    const t = psTree({ ps: TITLED });
    t.write("/zroot/vm/lab/lab.conf", 'loader="uefi"\ncpu=2\nmemory=2G\npassthru0="0/20/0"\n');
    const list = await t.run("list");
    expect(list.stdout).toContain("Conflict: lab, win11 (win11 left behind)");
  });
});
