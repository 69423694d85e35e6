import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureBuilt } from "./build-outputs.ts";
import { makeDevctlHost } from "./fake-devctl-host.ts";
import { makeFakeHost } from "./fake-host.ts";
import { SAMPLE, cli, tempDir } from "./helpers.ts";

/**
 * Many hosts (issue 35): the Prometheus rules and the Ansible role, run where their tools are
 * installed (CI installs Debian's prometheus and ansible; elsewhere those tests say they are
 * skipped), and held to doctor's real output everywhere.
 */
const ROOT = join(import.meta.dir, "..");
const RULES = join(ROOT, "examples/prometheus/pptctl-rules.yml");
const ANSIBLE = join(ROOT, "examples/ansible");
const which = (tool: string) => Bun.which(tool);
const run = (argv: string[], cwd = ROOT) => {
  const r = Bun.spawnSync(argv, { cwd, stdout: "pipe", stderr: "pipe", env: { ...process.env, ANSIBLE_NOCOLOR: "1", ANSIBLE_FORCE_COLOR: "0" } });
  return { code: r.exitCode, out: r.stdout.toString() + r.stderr.toString() };
};

describe("Prometheus alert rules", () => {
  test("every metric and check the rules name is one doctor writes", async () => {
    const rules = readFileSync(RULES, "utf8");
    const prom = (await cli(["--from", SAMPLE, "doctor", "--format", "prometheus"])).stdout;
    const metrics = [...new Set([...rules.matchAll(/\bpptctl_[a-z_]+\b/g)].map((m) => m[0]))];
    expect(metrics.sort()).toEqual(["pptctl_check_status", "pptctl_last_run_timestamp_seconds"]);
    for (const m of metrics) expect(prom).toMatch(new RegExp(`^${m}[{ ]`, "m"));
    for (const [, id] of rules.matchAll(/check="([^"]+)"/g)) expect(prom).toContain(`check="${id}"`);
  });
  const promtool = which("promtool");
  test.skipIf(!promtool)("promtool check rules, and promtool test rules on the cases beside them", () => {
    expect(run([promtool!, "check", "rules", RULES])).toMatchObject({ code: 0 });
    const t = run([promtool!, "test", "rules", "pptctl-rules.test.yml"], join(ROOT, "examples/prometheus"));
    expect(t.out).toContain("SUCCESS");
    expect(t.code).toBe(0);
  });
});

describe("the Ansible role", () => {
  const playbook = which("ansible-playbook");
  if (playbook) ensureBuilt();
  const play = (root: string, vars: Record<string, unknown>) => {
    const inventory = join(tempDir(), "inventory.ini");
    writeFileSync(inventory, `[bhyve_hosts]\ntesthost ansible_connection=local ansible_python_interpreter=${which("python3")}\n`);
    const all = { pptctl_install: "copy", pptctl_copy_src: join(ROOT, "dist/pptctl"), pptctl_bin: join(root, "bin/pptctl"), pptctl_environment: { PPTCTL_ROOT: root }, ansible_become: false, ...vars };
    return run([playbook!, "-i", inventory, "site.yml", "-e", JSON.stringify(all)], ANSIBLE);
  };
  const recap = (out: string) => /testhost\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/.exec(out)?.slice(1).map(Number);

  test.skipIf(!playbook)("installs, reserves, assigns; a second run changes nothing", () => {
    const root = makeFakeHost();
    const vars = { pptctl_devices: ["47/0/0"], pptctl_vm: "test-vm-2" };
    const first = play(root, vars);
    expect({ code: first.code, recap: recap(first.out) }).toMatchObject({ code: 0, recap: [expect.any(Number), 3, 0, 0] });
    expect(existsSync(join(root, "bin/pptctl"))).toBe(true);
    expect(readFileSync(join(root, "boot/loader.conf"), "utf8")).toContain('pptdevs="1/0/0 1/0/1 47/0/0"');
    expect(readFileSync(join(root, "zroot/vm-encrypted/test-vm-2/vm_config.json"), "utf8")).toContain('"47/0/0"');
    const second = play(root, vars);
    expect({ code: second.code, recap: recap(second.out) }).toMatchObject({ code: 0, recap: [expect.any(Number), 0, 0, 0] });
  }, 120_000);

  test.skipIf(!playbook)("--check shows the loader.conf diff and writes nothing", () => {
    const root = makeFakeHost();
    const before = readFileSync(join(root, "boot/loader.conf"), "utf8");
    const inventory = join(tempDir(), "inventory.ini");
    writeFileSync(inventory, `[bhyve_hosts]\ntesthost ansible_connection=local ansible_python_interpreter=${which("python3")}\n`);
    const vars = { pptctl_install: "none", pptctl_bin: join(ROOT, "dist/pptctl"), pptctl_devices: ["47/0/0"], pptctl_environment: { PPTCTL_ROOT: root }, ansible_become: false };
    const r = run([playbook!, "-i", inventory, "site.yml", "--check", "-e", JSON.stringify(vars)], ANSIBLE);
    expect(r.code).toBe(0);
    expect(r.out).toContain('"+pptdevs=\\"1/0/0 1/0/1 47/0/0\\""');
    expect(readFileSync(join(root, "boot/loader.conf"), "utf8")).toBe(before);
  }, 60_000);

  test.skipIf(!playbook)("apply: attach moves the devices now (devctl), once", () => {
    const { root, state } = makeDevctlHost();
    const vars = { pptctl_install: "none", pptctl_bin: join(ROOT, "dist/pptctl"), pptctl_devices: ["1/0/0", "1/0/1"], pptctl_apply: "attach", pptctl_fail_on_critical: false };
    const first = play(root, vars);
    expect({ code: first.code, recap: recap(first.out) }).toMatchObject({ code: 0, recap: [expect.any(Number), 2, 0, 0] });
    expect(state().devices.filter((d) => d.name.startsWith("ppt")).map((d) => d.addr)).toEqual(["pci0:1:0:0", "pci0:1:0:1"]);
    expect(readFileSync(join(root, "boot/loader.conf"), "utf8")).toContain('pptdevs="1/0/0 1/0/1"');
    const second = play(root, vars);
    expect({ code: second.code, recap: recap(second.out) }).toMatchObject({ code: 0, recap: [expect.any(Number), 0, 0, 0] });
  }, 120_000);

  test.skipIf(!playbook)("a CRITICAL host fails the play, naming the checks that failed", () => {
    const root = makeFakeHost();
    // The same host without its ACPI DMAR table: no IOMMU.
    writeFileSync(join(root, "usr/sbin/acpidump"), `#!/bin/sh\nexec sed '/DMAR/d' '${join(SAMPLE, "acpidump-t.txt")}'\n`);
    const r = play(root, { pptctl_install: "none", pptctl_bin: join(ROOT, "dist/pptctl") });
    expect(r.code).toBe(2);
    expect(r.out).toContain("pptctl doctor: CRITICAL on testhost: iommu: no ACPI DMAR table: VT-d is off or missing");
    expect(recap(r.out)?.[3]).toBe(1);
  }, 60_000);
});
