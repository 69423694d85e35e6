import type { DoctorReport } from "../core/doctor/doctor.ts";
import type { Check, CheckStatus } from "../core/doctor/types.ts";
import { printable } from "../core/text/printable.ts";
import type { Colors } from "./color.ts";

const LABEL: Record<CheckStatus, string> = { pass: "PASS", warn: "WARN", fail: "FAIL", unknown: "UNKNOWN", skip: "SKIP" };
/** Column where the ": STATUS" starts, as virt-host-validate lines them up. */
const COLUMN = 64;

function paint(c: Colors, s: CheckStatus, text: string): string {
  switch (s) {
    case "pass":
      return c.green(text);
    case "warn":
      return c.yellow(text);
    case "fail":
      return c.red(c.bold(text));
    case "unknown":
      return c.magenta(text);
    case "skip":
      return c.dim(text);
  }
}

export function checkLine(ch: Check, c: Colors): string {
  const label = `  ${printable(ch.area)}: ${printable(ch.summary)} `;
  const dots = label.length < COLUMN ? ".".repeat(COLUMN - label.length) : "";
  const lines = [`${label}${dots}${dots ? " " : ""}: ${paint(c, ch.status, LABEL[ch.status])}`];
  if (ch.fix) lines.push(`      fix: ${printable(ch.fix)}`);
  return lines.join("\n");
}

/** One line per check; with `quiet`, only the checks that did not pass, and nothing when all did. */
export function renderDoctorText(r: DoctorReport, c: Colors, quiet: boolean): string {
  const shown = quiet ? r.checks.filter((ch) => ch.status !== "pass" && ch.status !== "skip") : r.checks;
  if (shown.length === 0) return "";
  const lines = shown.map((ch) => checkLine(ch, c));
  if (!quiet) {
    const n = (s: CheckStatus) => r.checks.filter((ch) => ch.status === s).length;
    lines.push(
      "",
      `${r.status.toUpperCase()}: ${n("pass")} passed, ${n("warn")} warning${n("warn") === 1 ? "" : "s"}, ${n("fail")} failed, ${n("unknown")} unknown, ${n("skip")} skipped`,
    );
  }
  return `${lines.join("\n")}\n`;
}

export function renderDoctorJson(r: DoctorReport): string {
  const doc = {
    format: "pptctl-doctor/1",
    status: r.status,
    pptDevices: r.pptDevices,
    pciUnparsedLines: r.pciUnparsed,
    checks: r.checks.map((ch) => ({ id: ch.id, area: ch.area, status: ch.status, summary: ch.summary, fix: ch.fix })),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
