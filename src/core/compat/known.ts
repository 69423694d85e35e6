import { PptError } from "../errors.ts";
import { checkReport } from "./check.ts";
import { REPORT_FILES } from "./reports/index.ts";
import type { Report } from "./schema.ts";

let shipped: Report[] | null = null;

/**
 * The reports pptctl ships, each read through the same check as a contributed one. The test
 * suite holds them valid; a broken one here is a build error, said as such.
 */
export function shippedReports(): readonly Report[] {
  if (shipped) return shipped;
  shipped = REPORT_FILES.map(({ file, data }) => {
    const r = checkReport(JSON.stringify(data), file);
    if ("problems" in r) throw new PptError(`internal error: the shipped report ${file} is invalid (${r.problems[0]}); please report it`, 1);
    return r.report;
  });
  return shipped;
}

/** `wiki.freebsd.org`, `github.com/churchers/vm-bhyve` or `contributed`: where a report is from, short. */
export function sourceShort(r: Report): string {
  if (r.source.kind === "contributed") return "contributed";
  const u = new URL(r.source.url);
  const parts = u.pathname.split("/").filter(Boolean);
  return u.hostname === "github.com" ? `github.com/${parts.slice(0, 2).join("/")}${parts[2] === "issues" ? ` #${parts[3]}` : ""}` : u.hostname;
}

/** The page a public report is from; null for a contributed one. */
export function sourceUrl(r: Report): string | null {
  return r.source.kind === "public" ? r.source.url : null;
}

/** `10de:1cb2` from a report's device, or the vendor alone, or `-`. */
export function idsOf(d: Report["device"]): string {
  if (d.vendor === null) return "-";
  return `${d.vendor.slice(2)}:${d.device === null ? "?" : d.device.slice(2)}`;
}
