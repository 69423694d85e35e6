import type { DoctorReport } from "../core/doctor/doctor.ts";
import type { CheckStatus } from "../core/doctor/types.ts";

const NAGIOS: Record<DoctorReport["status"], string> = { ok: "OK", warning: "WARNING", critical: "CRITICAL", unknown: "UNKNOWN" };

/** One monitoring-plugin line: `PPTCTL STATE - summary | perfdata`. */
export function renderNagios(r: DoctorReport): string {
  const n = (s: CheckStatus) => r.checks.filter((c) => c.status === s).length;
  const bad = r.checks.filter((c) => c.status === "fail" || c.status === "warn" || c.status === "unknown");
  const order: CheckStatus[] = ["fail", "warn", "unknown"];
  bad.sort((a, b) => order.indexOf(a.status) - order.indexOf(b.status));
  const summary = bad.length === 0 ? `${n("pass")} checks passed` : bad.map((c) => `${c.id}: ${c.summary}`).join("; ");
  const perf = [
    `passed=${n("pass")};;;0;${r.checks.length}`,
    `warnings=${n("warn")};;;0;${r.checks.length}`,
    `failed=${n("fail")};;;0;${r.checks.length}`,
    `unknown=${n("unknown")};;;0;${r.checks.length}`,
    ...(r.pptDevices === null ? [] : [`ppt_devices=${r.pptDevices};;;0`]),
  ];
  // `|` separates perfdata; a summary must not contain one.
  return `PPTCTL ${NAGIOS[r.status]} - ${summary.replace(/\|/g, "/").replace(/\s*\n\s*/g, " ")} | ${perf.join(" ")}\n`;
}

const STATUS_VALUE: Record<CheckStatus, number> = { pass: 0, skip: 0, warn: 1, fail: 2, unknown: 3 };
const OVERALL_VALUE: Record<DoctorReport["status"], number> = { ok: 0, warning: 1, critical: 2, unknown: 3 };

function label(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** Prometheus text exposition for node_exporter's textfile collector. */
export function renderPrometheus(r: DoctorReport, now: Date): string {
  const out: string[] = [
    "# HELP pptctl_check_status Result of one pptctl doctor check: 0 pass or skip, 1 warn, 2 fail, 3 unknown.",
    "# TYPE pptctl_check_status gauge",
    ...r.checks.map((c) => `pptctl_check_status{check="${label(c.id)}"} ${STATUS_VALUE[c.status]}`),
    "# HELP pptctl_status Overall pptctl doctor result: 0 ok, 1 warning, 2 critical, 3 unknown.",
    "# TYPE pptctl_status gauge",
    `pptctl_status ${OVERALL_VALUE[r.status]}`,
  ];
  if (r.pptDevices !== null) {
    out.push("# HELP pptctl_ppt_devices PCI devices attached to the ppt driver.", "# TYPE pptctl_ppt_devices gauge", `pptctl_ppt_devices ${r.pptDevices}`);
  }
  out.push(
    "# HELP pptctl_last_run_timestamp_seconds When pptctl doctor wrote these metrics.",
    "# TYPE pptctl_last_run_timestamp_seconds gauge",
    `pptctl_last_run_timestamp_seconds ${Math.floor(now.getTime() / 1000)}`,
  );
  return `${out.join("\n")}\n`;
}

/**
 * What doctor prints for monitoring when it cannot check at all (a usage error, an internal
 * error): Nagios gets its one UNKNOWN line, Prometheus a complete document with status 3, so a
 * `> tmp; mv` cron recipe never installs an empty metrics file.
 */
export function renderMonitoringError(format: "nagios" | "prometheus", message: string, now: Date): string {
  const report: DoctorReport = { status: "unknown", checks: [{ id: "pptctl", area: "pptctl", status: "unknown", summary: message, fix: null }], pptDevices: null, pciUnparsed: 0, notes: [] };
  return format === "nagios" ? renderNagios(report) : renderPrometheus(report, now);
}
