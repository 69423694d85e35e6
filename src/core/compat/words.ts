/** How a report is named where it is shown: its source in short, its link, its IDs. */
import type { Report } from "./schema.ts";

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
