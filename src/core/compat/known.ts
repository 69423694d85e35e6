import { REPORT_FILES } from "./reports/index.ts";
import type { Report } from "./schema.ts";

/**
 * The reports pptctl ships. `bun run build` refuses a report that fails `report --check`
 * (scripts/build.ts) and `npm test` checks every one, so the binary does not check them again
 * on each run (checking all of them took 8 to 25 ms here, more than list's whole budget allows).
 */
const SHIPPED: readonly Report[] = REPORT_FILES.map(({ data }) => data as Report);

export function shippedReports(): readonly Report[] {
  return SHIPPED;
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
