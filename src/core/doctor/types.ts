import { NOT_RECORDED } from "../snapshot.ts";

export type CheckStatus = "pass" | "warn" | "fail" | "unknown" | "skip";

export interface Check {
  readonly id: string;
  /** Short area name shown first on the text line: "IOMMU", "vmm", … */
  readonly area: string;
  readonly status: CheckStatus;
  readonly summary: string;
  /** What to do about it; null when nothing is needed. */
  readonly fix: string | null;
}

export type Overall = "ok" | "warning" | "critical" | "unknown";

/** Monitoring-plugin order: a failure outranks a warning, which outranks an unknown. */
export function overall(checks: readonly Check[]): Overall {
  if (checks.some((c) => c.status === "fail")) return "critical";
  if (checks.some((c) => c.status === "warn")) return "warning";
  if (checks.some((c) => c.status === "unknown")) return "unknown";
  return "ok";
}

export const EXIT_CODE: Record<Overall, number> = { ok: 0, warning: 1, critical: 2, unknown: 3 };

export function check(id: string, area: string, status: CheckStatus, summary: string, fix: string | null = null): Check {
  return { id, area, status, summary, fix: status === "pass" || status === "skip" ? null : fix };
}

/**
 * A check that could not tell because the recording lacks what it reads is mended the same way
 * whatever the check: capture the host again. Running as root, or a command by hand, does nothing
 * for a --from run, so each check's own fix gives way to this one.
 */
export function withRecordingFix(c: Check): Check {
  return c.status === "unknown" && c.summary.includes(NOT_RECORDED) ? { ...c, fix: RECAPTURE } : c;
}

export const RECAPTURE = "capture the host again, as root ('pptctl capture DIR' on the FreeBSD host): this recording lacks what the check reads";
