import { describe, expect, test } from "bun:test";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "./helpers.ts";

const SCRIPT = join(import.meta.dir, "..", "src", "periodic", "480.status-pptctl");

/** A stand-in pptctl that prints its arguments and one line, and exits with `code`. */
function stub(code: number, line: string): string {
  const path = join(tempDir(), "pptctl");
  writeFileSync(path, `#!/bin/sh\necho "args: $*"\n${line ? `echo '${line}'\n` : ""}exit ${code}\n`);
  chmodSync(path, 0o755);
  return path;
}

function periodic(env: Record<string, string>) {
  const r = Bun.spawnSync(["/bin/sh", SCRIPT], { env: { PATH: "/usr/bin:/bin", ...env }, stdout: "pipe", stderr: "pipe" });
  return { rc: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
}

describe("periodic(8) daily script 480.status-pptctl", () => {
  test("sh -n: the script parses", () => {
    expect(Bun.spawnSync(["/bin/sh", "-n", SCRIPT]).exitCode).toBe(0);
  });

  test("off by default: nothing printed, exit 0, pptctl not run", () => {
    expect(periodic({ daily_status_pptctl_program: stub(2, "must not run") })).toEqual({ rc: 0, out: "", err: "" });
  });

  const rows: [number, number, string][] = [
    [0, 0, ""],
    [1, 1, "  reboot: reboot pending : WARN"],
    [2, 3, "  IOMMU: no ACPI DMAR table : FAIL"],
    [3, 1, "  IOMMU: cannot read ACPI tables : UNKNOWN"],
    [70, 3, "something odd"],
  ];
  for (const [doctor, rc, line] of rows) {
    test(`doctor exit ${doctor} → periodic exit ${rc}`, () => {
      const r = periodic({ daily_status_pptctl_enable: "YES", daily_status_pptctl_program: stub(doctor, line) });
      expect(r.rc).toBe(rc);
      expect(r.out.startsWith("\nChecking bhyve PCI passthrough (pptctl doctor):\nargs: doctor -q\n")).toBe(true);
      if (line) expect(r.out).toContain(`${line}\n`);
      if (doctor === 70) expect(r.out).toContain("pptctl doctor exited 70");
    });
  }

  test("quiet doctor on a healthy host still says so", () => {
    const path = join(tempDir(), "pptctl");
    writeFileSync(path, "#!/bin/sh\nexit 0\n");
    chmodSync(path, 0o755);
    const r = periodic({ daily_status_pptctl_enable: "yes", daily_status_pptctl_program: path });
    expect(r).toEqual({ rc: 0, out: "\nChecking bhyve PCI passthrough (pptctl doctor):\n  all checks passed\n", err: "" });
  });

  test("daily_status_pptctl_verbose=YES prints every check (no -q)", () => {
    const r = periodic({ daily_status_pptctl_enable: "YES", daily_status_pptctl_verbose: "YES", daily_status_pptctl_program: stub(0, "  vmm: loaded : PASS") });
    expect(r.out).toContain("args: doctor\n  vmm: loaded : PASS\n");
    expect(r.rc).toBe(0);
  });

  test("pptctl not installed: a configuration problem (2), said in one line", () => {
    const r = periodic({ daily_status_pptctl_enable: "YES", daily_status_pptctl_program: "/nonexistent/pptctl" });
    expect(r).toEqual({ rc: 2, out: "\nChecking bhyve PCI passthrough (pptctl doctor):\n  /nonexistent/pptctl is not installed or not executable\n", err: "" });
  });
});
