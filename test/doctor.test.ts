import { describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { HOSTS, cli, host } from "./helpers.ts";
import { parseExposition } from "./prometheus-parse.ts";

type Status = "pass" | "warn" | "fail" | "unknown" | "skip";

/** Per fixture: exit code and the statuses that scenario is about (the rest must pass or skip). */
const EXPECT: Record<string, { exit: number; checks: Record<string, Status> }> = {
  "intel-healthy": { exit: 0, checks: {} },
  "amd-healthy": { exit: 0, checks: {} },
  "amd-no-amdvi": { exit: 2, checks: { iommu: "fail" } },
  "no-dmar": { exit: 2, checks: { iommu: "fail" } },
  "vmm-kld-list": { exit: 2, checks: { vmm: "fail", "pptdevs-bound": "fail" } },
  "ppt-on-host-driver": { exit: 2, checks: { "pptdevs-bound": "fail" } },
  "entry-not-on-bus": { exit: 2, checks: { "pptdevs-bound": "fail" } },
  "bridge-in-pptdevs": { exit: 2, checks: { "ppt-bridge": "fail" } },
  "pptdevs-overlong": { exit: 2, checks: { "pptdevs-syntax": "fail", "pptdevs-bound": "fail" } },
  "gpu-audio-left": { exit: 1, checks: { siblings: "warn" } },
  "reboot-pending": { exit: 1, checks: { "reboot-pending": "warn", "pptdevs-bound": "warn" } },
  "acpidump-denied": { exit: 3, checks: { iommu: "unknown" } },
  "missing-commands": {
    exit: 3,
    // loader.conf.local and loader.conf.d were not recorded: what they add is unknown (issue 11.5).
    checks: { platform: "unknown", "cpu-virt": "unknown", iommu: "unknown", vmm: "unknown", "pptdevs-syntax": "unknown", "runtime-only": "unknown", "reboot-pending": "unknown", conflicts: "unknown", instances: "unknown" },
  },
  "list-vms": { exit: 2, checks: { "pptdevs-bound": "fail", conflicts: "warn" } },
  // win11's instance is left behind: the host's doctor says so too (issue 31, finding 17).
  "vm-preflight": { exit: 2, checks: { "pptdevs-bound": "fail", conflicts: "warn", instances: "warn" } },
  "supermicro-igpu-xhci": { exit: 2, checks: { vmm: "fail", conflicts: "skip", "pptdevs-syntax": "skip" } },
  // Issue 11.5 / 11.6: not recorded is unknown, never "nothing configured".
  "pciconf-only": {
    exit: 3,
    checks: { platform: "unknown", "cpu-virt": "unknown", iommu: "unknown", vmm: "unknown", "pptdevs-syntax": "unknown", "pptdevs-bound": "unknown", "ppt-bridge": "unknown", siblings: "unknown", "runtime-only": "unknown", "reboot-pending": "unknown", conflicts: "unknown", instances: "unknown" },
  },
  "not-pciconf": {
    exit: 3,
    checks: { platform: "unknown", "cpu-virt": "unknown", iommu: "unknown", vmm: "unknown", "pptdevs-syntax": "unknown", "pptdevs-bound": "unknown", "ppt-bridge": "unknown", "ppt-msi": "unknown", siblings: "unknown", reset: "unknown", quirks: "unknown", "runtime-only": "unknown", "reboot-pending": "unknown", conflicts: "unknown", instances: "unknown" },
  },
  // Issue 14, on variations of the real FreeBSD 14.0 captures.
  "qemu-amd-bridge-e1000": { exit: 2, checks: { "cpu-virt": "fail", vmm: "fail", "ppt-bridge": "fail", "ppt-msi": "fail", reset: "warn", conflicts: "skip" } },
  "qemu-amd-half-card": { exit: 2, checks: { "cpu-virt": "fail", vmm: "fail", siblings: "warn", reset: "warn", conflicts: "skip" } },
  "qemu-intel-kldload-failed": { exit: 2, checks: { "cpu-virt": "fail", iommu: "fail", vmm: "fail" } },
  "qemu-arm64": { exit: 2, checks: { platform: "fail" } },
  // Issue 9: IGD not at guest slot 2 in its VM, an AMD GPU without FLR, a device ppt cannot reset.
  "gpu-quirks": { exit: 1, checks: { reset: "warn", quirks: "warn" } },
  // Reports are doctor --vm's business: the host checks do not read them.
  "reported-devices": { exit: 0, checks: { reset: "pass", quirks: "pass", conflicts: "pass" } },
};

async function doctorJson(name: string) {
  const r = await cli(["--from", host(name), "doctor", "--json"]);
  return { ...r, doc: JSON.parse(r.stdout) as { status: string; checks: { id: string; status: Status; summary: string; fix: string | null }[] } };
}

describe("doctor on every recorded host", () => {
  test("every fixture host has expectations", () => {
    expect(readdirSync(HOSTS).sort()).toEqual(Object.keys(EXPECT).sort());
  });
  for (const [name, want] of Object.entries(EXPECT)) {
    test(name, async () => {
      const { code, doc, stderr } = await doctorJson(name);
      expect(stderr).toBe("");
      expect(code).toBe(want.exit);
      for (const c of doc.checks) {
        const expected = want.checks[c.id];
        if (expected) expect({ id: c.id, status: c.status }).toEqual({ id: c.id, status: expected });
        else expect({ id: c.id, ok: c.status === "pass" || c.status === "skip" }).toEqual({ id: c.id, ok: true });
        // Every non-passing check says what to do.
        if (c.status !== "pass" && c.status !== "skip") expect(c.fix).toBeTruthy();
      }
    });
  }
});

describe("what the checks say", () => {
  const summary = async (name: string, id: string) => (await doctorJson(name)).doc.checks.find((c) => c.id === id)!;
  test("AMD: names the exact loader.conf line", async () => {
    expect((await summary("amd-no-amdvi", "iommu")).fix).toBe('add hw.vmm.amdvi.enable="1" to /boot/loader.conf (sysrc -f /boot/loader.conf hw.vmm.amdvi.enable=1) and reboot');
  });
  test("a device still on a host driver is named", async () => {
    expect((await summary("ppt-on-host-driver", "pptdevs-bound")).summary).toBe("89/0/0 is still igc0");
  });
  test("GPU audio left behind: the selectors to add", async () => {
    const c = await summary("gpu-audio-left", "siblings");
    expect(c.summary).toBe("hdac0 (1/0/1), xhci0 (1/0/2), none5 (1/0/3, no driver) stay out of pptdevs beside reserved functions of the same device: the guest gets only part of it");
    expect(c.fix).toContain("pptctl plan 1/0/1 1/0/2 1/0/3 --write");
  });
  test("reboot pending lists what differs", async () => {
    expect((await summary("reboot-pending", "reboot-pending")).summary).toBe("reboot pending: pptdevs: loader.conf reserves 0/20/0, which the running kernel does not");
  });
  test("pptdevs4 and an over-long record", async () => {
    const s = (await summary("pptdevs-overlong", "pptdevs-syntax")).summary;
    expect(s).toContain("pptdevs2 at /boot/loader.conf:12: value is 207 characters, over the kernel's limit of 128");
    expect(s).toContain("pptdevs4 at /boot/loader.conf:13 is never read");
  });
  test("vmm via kld_list", async () => {
    expect((await summary("vmm-kld-list", "vmm")).summary).toBe("vmm.ko was loaded after boot (kld_list in rc.conf), not by the loader: pptdevs cannot take effect");
  });
  test("acpidump denied says run as root", async () => {
    expect((await summary("acpidump-denied", "iommu")).fix).toBe("run pptctl doctor as root");
  });
});

describe("output formats", () => {
  for (const name of Object.keys(EXPECT)) {
    test(`${name}: text, -q, json, nagios, prometheus agree`, async () => {
      const from = ["--from", host(name), "doctor"];
      const text = await cli([...from]);
      const quiet = await cli([...from, "-q"]);
      const nagios = await cli([...from, "--format", "nagios"]);
      const prom = await cli([...from, "--format", "prometheus"]);
      const { doc, code } = await doctorJson(name);
      for (const r of [text, quiet, nagios, prom]) expect(r.code).toBe(code);
      expect(text.stdout).toMatchSnapshot();
      expect(text.stdout.split("\n").filter((l) => / : (PASS|WARN|FAIL|UNKNOWN|SKIP)$/.test(l))).toHaveLength(doc.checks.length);
      const bad = doc.checks.filter((c) => c.status !== "pass" && c.status !== "skip").length;
      expect(quiet.stdout.split("\n").filter((l) => / : (WARN|FAIL|UNKNOWN)$/.test(l))).toHaveLength(bad);
      if (bad === 0) expect(quiet.stdout).toBe("");
      expect(nagios.stdout).toMatch(new RegExp(`^PPTCTL ${{ ok: "OK", warning: "WARNING", critical: "CRITICAL", unknown: "UNKNOWN" }[doc.status]} - [^|\\n]+ \\| passed=\\d+;;;0;\\d+ warnings=\\d+;;;0;\\d+ failed=\\d+;;;0;\\d+ unknown=\\d+;;;0;\\d+( ppt_devices=\\d+;;;0)?\\n$`));
      const { samples, types } = parseExposition(prom.stdout);
      expect(types.get("pptctl_check_status")).toBe("gauge");
      const statuses = samples.filter((s) => s.name === "pptctl_check_status");
      expect(statuses.map((s) => s.labels.check)).toEqual(doc.checks.map((c) => c.id));
      const value = { pass: 0, skip: 0, warn: 1, fail: 2, unknown: 3 };
      expect(statuses.map((s) => s.value)).toEqual(doc.checks.map((c) => value[c.status]));
      expect(samples.find((s) => s.name === "pptctl_status")?.value).toBe({ 0: 0, 1: 1, 2: 2, 3: 3 }[code]);
      expect(samples.find((s) => s.name === "pptctl_last_run_timestamp_seconds")?.value).toBe(1795521600);
    });
  }

  test("prometheus parser rejects broken exposition (so the check above can fail)", () => {
    expect(() => parseExposition('x{a="1} 1\n')).toThrow();
    expect(() => parseExposition("x 1\n# TYPE x gauge\n")).toThrow();
    expect(() => parseExposition("x 1\nx 2\n")).toThrow();
    expect(() => parseExposition("x one\n")).toThrow();
  });

  test("usage errors exit 3", async () => {
    expect(await cli(["--from", host("intel-healthy"), "doctor", "--format", "xml"])).toEqual({
      code: 3,
      stdout: "",
      stderr: "pptctl: doctor: option '--format' must be one of text, json, nagios, prometheus, not 'xml'\n",
    });
  });

  test("colour only when asked or on a terminal", async () => {
    const tty = await cli(["--from", host("no-dmar"), "doctor"], { tty: true });
    expect(tty.stdout).toContain("\u001b[");
    const noColor = await cli(["--from", host("no-dmar"), "doctor"], { tty: true, env: { NO_COLOR: "1" } });
    expect(noColor.stdout).not.toContain("\u001b[");
    const flag = await cli(["--from", host("no-dmar"), "doctor", "--no-color"], { tty: true });
    expect(flag.stdout).not.toContain("\u001b[");
  });
});
