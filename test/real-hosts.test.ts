import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAcpidump } from "../src/core/parse/acpidump.ts";
import { parseDmesg } from "../src/core/parse/dmesg.ts";
import { CORPUS, FIXTURES, cli, host } from "./helpers.ts";

/** `pptctl capture` folders from a real FreeBSD 14.0-STABLE kernel (../shared/corpus/freebsd-14.0-qemu). */
const real = (name: string) => join(FIXTURES, "real-hosts", name);
const raw = (rel: string) => readFileSync(join(CORPUS, "freebsd-14.0-qemu", rel), "utf8");

async function statuses(dir: string): Promise<Record<string, string>> {
  const r = await cli(["--from", dir, "doctor", "--json"]);
  const doc = JSON.parse(r.stdout) as { checks: { id: string; status: string }[] };
  return Object.fromEntries(doc.checks.map((c) => [c.id, c.status]));
}

async function summary(dir: string, id: string): Promise<{ summary: string; fix: string | null; status: string }> {
  const r = await cli(["--from", dir, "doctor", "--json"]);
  return (JSON.parse(r.stdout) as { checks: { id: string; summary: string; fix: string | null; status: string }[] }).checks.find((c) => c.id === id)!;
}

describe("doctor on the real 14.0 captures", () => {
  const kldloaded = { platform: "pass", "cpu-virt": "unknown", iommu: "fail", vmm: "warn", "pptdevs-syntax": "skip", "pptdevs-bound": "skip", "ppt-bridge": "skip", "ppt-msi": "skip", siblings: "skip", reset: "skip", quirks: "skip", "runtime-only": "skip", "reboot-pending": "pass", conflicts: "skip", instances: "skip" };
  const rows: [string, number, Record<string, string>][] = [
    ["qemu-14.0-intel", 2, kldloaded],
    ["qemu-14.0-intel-net", 2, kldloaded],
    ["qemu-14.0-devctl", 2, kldloaded],
    [
      "qemu-14.0-amd",
      2,
      { platform: "pass", "cpu-virt": "fail", iommu: "pass", vmm: "fail", "pptdevs-syntax": "pass", "pptdevs-bound": "pass", "ppt-bridge": "pass", "ppt-msi": "pass", siblings: "pass", reset: "warn", quirks: "pass", "runtime-only": "pass", "reboot-pending": "pass", conflicts: "skip", instances: "skip" },
    ],
  ];
  for (const [name, exit, want] of rows) {
    test(name, async () => {
      const r = await cli(["--from", real(name), "doctor"]);
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: exit, stderr: "" });
      expect(await statuses(real(name))).toEqual(want);
    });
  }
});

describe("faults the real kernel showed (issue 14)", () => {
  test("1. the CPU vendor is the CPU's Origin, not the hypervisor's", () => {
    const facts = parseDmesg(raw("intel/dmesg"));
    expect(facts).toMatchObject({ cpuVendor: "amd", cpuOrigin: "AuthenticAMD", hypervisor: "TCGTCGTCGTCG", svm: true });
  });

  test("2a. vmm that failed at boot: vmm FAILs with dmesg's reason, and the fix follows it", async () => {
    const c = await summary(real("qemu-14.0-amd"), "vmm");
    expect(c.status).toBe("fail");
    expect(c.summary).toBe("vmm.ko is loaded but failed to initialise: SVM: NRIP Save feature not available; no VM can start");
    expect(c.fix).toContain("the CPU lacks NRIP Save");
    expect(c.fix).not.toContain("firmware setup");
    const cpu = await summary(real("qemu-14.0-amd"), "cpu-virt");
    expect(cpu.status).toBe("fail");
  });

  test("2a. list says vmm is unusable on stderr and exits 1", async () => {
    const r = await cli(["--from", real("qemu-14.0-amd"), "list"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      "pptctl: warning: vmm.ko is loaded but failed to initialise (SVM: NRIP Save feature not available): no VM can start, so no device below can be used; see 'pptctl doctor'\n",
    );
    expect(r.stdout).toContain("ppt0");
  });

  test("2b. run-time kldload: num_asids 16 is no proof; without other signals cpu-virt is UNKNOWN, never PASS", async () => {
    const c = await summary(real("qemu-14.0-intel"), "cpu-virt");
    expect(c.status).toBe("unknown");
    expect(c.summary).not.toContain("in use by vmm");
  });

  test("2b. with kldstat -m vmm (exit 1) and the live dmesg, vmm and cpu-virt FAIL with the live reason", async () => {
    const vmm = await summary(host("qemu-intel-kldload-failed"), "vmm");
    expect(vmm).toMatchObject({ status: "fail", summary: "vmm.ko is loaded but failed to initialise: SVM: NRIP Save feature not available; no VM can start" });
    expect((await summary(host("qemu-intel-kldload-failed"), "cpu-virt")).status).toBe("fail");
  });

  test("2. a firmware switch gets a firmware fix, a missing VMX the nested-virtualisation hint", async () => {
    const { vmmFailureFix } = await import("../src/core/model/virt.ts");
    expect(vmmFailureFix("vmx_init: VMX operation disabled by BIOS")).toBe("enable Intel VT-x / AMD SVM Mode in the firmware setup, then reboot");
    expect(vmmFailureFix("vmx_modinit: processor does not support VMX operation")).toContain("nested virtualisation");
    expect(vmmFailureFix("SVM: Nested Paging feature not available.")).toContain("the CPU lacks Nested Paging");
  });

  test("3. a bridge in pptdevs is not counted as attached", async () => {
    const c = await summary(host("qemu-amd-bridge-e1000"), "pptdevs-bound");
    expect(c).toMatchObject({ status: "pass", summary: "1 entry (0/3/0) is attached to ppt; 0/28/0 is a bridge (see bridges)" });
    expect((await summary(host("qemu-amd-bridge-e1000"), "ppt-bridge")).status).toBe("fail");
  });

  test("4. a ppt device with a valid header and no capability list FAILs: no MSI/MSI-X, not 'wedged'", async () => {
    const c = await summary(host("qemu-amd-bridge-e1000"), "ppt-msi");
    expect(c.status).toBe("fail");
    expect(c.summary).toBe("ppt0 (0/3/0) has neither MSI nor MSI-X and no PCI capability list at all, so bhyve cannot offer a guest an MSI capability for it and refuses it ('failed to initialize MSI')");
    expect(c.summary).not.toContain("wedged");
  });

  test("5. host bridge, ISA/LPC bridge, SMBus and the IOMMU are not candidates, with the reason", async () => {
    const r = await cli(["--from", real("qemu-14.0-amd"), "list", "--all", "--json"]);
    const devs = (JSON.parse(r.stdout) as { devices: { name: string; eligible: boolean | null; eligibility: string; eligibilityReason: string | null }[] }).devices;
    const by = Object.fromEntries(devs.map((d) => [d.name, d]));
    expect(by.hostb0).toMatchObject({ eligible: false, eligibility: "no (host bridge)" });
    expect(by.isab0).toMatchObject({ eligible: false, eligibility: "no (ISA/LPC bridge)" });
    expect(by.none1).toMatchObject({ eligible: false, eligibility: "no (SMBus)" });
    expect(by.amdiommu0).toMatchObject({ eligible: false, eligibility: "no (IOMMU)" });
    expect(by.amdiommu0!.eligibilityReason).toContain("the IOMMU itself");
    expect(by.em0).toMatchObject({ eligible: false, eligibility: "no (no capability list)" });
    expect(by.ppt0).toMatchObject({ eligible: true, eligibility: "yes (MSI-X)" });
    expect(devs.every((d) => d.eligible !== null)).toBe(true);
  });

  test("6. half a two-function card, the other function driverless: siblings WARNs", async () => {
    const c = await summary(host("qemu-amd-half-card"), "siblings");
    expect(c.status).toBe("warn");
    expect(c.summary).toContain("none2 (1/0/1, no driver)");
    expect(c.fix).toContain("pptctl plan 1/0/1 --write");
  });

  test("7. DMAR: only remapping structures count, not Device Scope entries; IVRS works from its header", () => {
    const intel = parseAcpidump(raw("intel/acpidump-t"));
    expect(intel.tables).toContain("DMAR");
    expect(intel.entries.DMAR).toEqual({ DRHD: 1 });
    const amd = parseAcpidump(raw("amd/acpidump-t"));
    expect(amd.tables).toContain("IVRS");
    expect(amd.entries.IVRS).toBeUndefined();
  });

  test("8. route: the real forms with and without a default route", async () => {
    // intel-net: 'route to: 0.0.0.0', interface em0 → em0 needs --force.
    const net = await cli(["--from", real("qemu-14.0-intel-net"), "plan", "em0"]);
    expect(net.code).toBe(2);
    expect(net.stderr).toContain("carries the default route");
    // intel: exit 0, empty stdout, 'route has not been found' → no route, nothing to guard.
    const none = await cli(["--from", real("qemu-14.0-intel"), "plan", "em0"]);
    expect(none.code).toBe(0);
    expect(none.stdout).toContain('pptdevs="0/3/0"');
  });

  test("9. arm64: platform FAILs with what FreeBSD supports; no futile vmm_load fix", async () => {
    const r = await cli(["--from", host("qemu-arm64"), "doctor"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain("bhyve PCI passthrough is amd64-only");
    expect(r.stdout).not.toContain('vmm_load="YES"');
    expect(await statuses(host("qemu-arm64"))).toMatchObject({ platform: "fail", "cpu-virt": "skip", iommu: "skip", vmm: "skip" });
    const all = await cli(["--from", host("qemu-arm64"), "list", "--all"]);
    expect(all.code).toBe(0);
  });
});

describe("list, plan and args on the real captures", () => {
  test("amd: list shows both ppt functions; args groups them into one slot", async () => {
    const r = await cli(["--from", real("qemu-14.0-amd"), "list", "--format", "tsv"]);
    expect(r.stdout.split("\n").slice(1, 3).map((l) => l.split("\t").slice(0, 4).join(" "))).toEqual([
      "ppt0 pci0:1:0:0: serial bus/USB 1/0/0",
      "ppt1 pci0:1:0:1: multimedia/HDA 1/0/1",
    ]);
    expect(await cli(["--from", real("qemu-14.0-amd"), "args", "1/0/0", "1/0/1", "--check"])).toEqual({
      code: 0,
      stdout: "-s 6:0,passthru,1/0/0 -s 6:1,passthru,1/0/1\n",
      stderr: "",
    });
  });
  test("amd: plan of what is configured is in sync", async () => {
    expect(await cli(["--from", real("qemu-14.0-amd"), "plan", "1/0/0", "1/0/1", "--check"])).toEqual({ code: 0, stdout: "", stderr: "" });
  });
  test("intel: plan for the card adds vmm_load and the AMD tunable (the CPU is AMD)", async () => {
    expect(await cli(["--from", real("qemu-14.0-intel"), "plan", "1/0/0", "--with-functions"])).toEqual({
      code: 0,
      stdout: 'vmm_load="YES"\nhw.vmm.amdvi.enable="1"\npptdevs="1/0/0 1/0/1"\n',
      stderr: "",
    });
  });
  test("intel: args --check names the one command that moves and keeps the device", async () => {
    const r = await cli(["--from", real("qemu-14.0-intel"), "args", "1/0/0", "--check"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("move it and keep it there with 'pptctl attach 1/0/0 --persist'");
  });
});

describe("faults found from outside (issue 11)", () => {
  test("4. a device without capability lines in a -c listing is not eligible; a host bridge says so", async () => {
    const r = await cli(["--from", real("qemu-14.0-intel"), "list", "--all"]);
    expect(r.stdout).not.toContain("maybe (no capability list)");
    expect(r.stdout).toMatch(/em0 .* no \(no capability list\)/);
    expect(r.stdout).toMatch(/hostb0 .* no \(host bridge\)/);
  });
  test("5. a recording with only pciconf: pptdevs is UNKNOWN, not 'none configured'", async () => {
    const c = await summary(host("pciconf-only"), "pptdevs-syntax");
    expect(c.status).toBe("unknown");
    expect(c.summary).not.toContain("no pptdevs configured");
    const plan = await cli(["--from", host("pciconf-only"), "plan", "1/0/0"]);
    expect(plan.code).toBe(1);
    expect(plan.stderr).toContain("the configured pptdevs are unknown");
  });
  test("6. output that is not pciconf: list --all fails naming the first line, doctor says unknown", async () => {
    const r = await cli(["--from", host("not-pciconf"), "list", "--all"]);
    expect(r).toEqual({
      code: 1,
      stdout: "",
      stderr: "pptctl: list: cannot list PCI devices: the pciconf output was not understood (no device header; line 1: \"LINES=\"24\"\"); capture the host again with 'pptctl capture DIR'\n",
    });
    expect((await summary(host("not-pciconf"), "ppt-msi")).status).toBe("unknown");
  });
  test("6. a real listing with lines not understood: list --all and doctor say how many", async () => {
    const dir = real("qemu-14.0-amd");
    const { cpSync, writeFileSync, readFileSync: rf } = await import("node:fs");
    const { tempDir } = await import("./helpers.ts");
    const copy = join(tempDir(), "h");
    cpSync(dir, copy, { recursive: true });
    const f = join(copy, "pciconf-lvc.txt");
    writeFileSync(f, rf(f, "utf8").replace("    class      = serial bus\n", "    class      = serial bus\n%%% garbled paste %%%\n"));
    const all = await cli(["--from", copy, "list", "--all"]);
    expect(all.stderr).toContain('pptctl: warning: 1 line of pciconf output was not understood and left out (first near line');
    expect(all.stderr).toContain("%%% garbled paste %%%");
    const doc = await cli(["--from", copy, "doctor", "--json"]);
    expect(JSON.parse(doc.stdout).pciUnparsedLines).toBe(1);
    expect(doc.stderr).toContain("1 line of pciconf output was not understood");
  });
});
