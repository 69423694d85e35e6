/**
 * `doctor --vm`: what others saw with this VM's devices in this kind of guest. A report is
 * experience, not a measurement of this host, so it warns and never fails; a device whose
 * reports all say "works", or that nobody reported, gets no line.
 */
import { type Check, check } from "../doctor/types.ts";
import { KIND_WORDS, guestKind, sameGuest } from "../compat/guest.ts";
import { sourceShort, sourceUrl } from "../compat/words.ts";
import { reportsFor, tally } from "../compat/match.ts";
import type { Report } from "../compat/schema.ts";
import { formatBhyve, sameAddr, sameDevice } from "../pci/address.ts";
import type { PciDevice } from "../pci/device.ts";
import { shellWord } from "../text/shell.ts";
import type { VmSpec } from "./spec.ts";

export function reportChecks(spec: VmSpec, devices: readonly PciDevice[], reports: readonly Report[]): Check[] {
  const cards: PciDevice[] = [];
  for (const v of spec.devices) {
    const d = devices.find((x) => sameAddr(x.addr, v.addr));
    if (d && !cards.some((c) => sameDevice(c.addr, d.addr))) cards.push(d);
  }
  return cards.flatMap((d) => {
    const mine = reportsFor(d, reports).exact.filter((r) => sameGuest(r.guest, spec.guest));
    const bad = mine.filter((r) => r.result !== "works");
    if (bad.length === 0) return [];
    const first = bad.find((r) => r.result === "fails") ?? bad[0]!;
    const said = first.symptoms[0] ?? (first.source.kind === "public" ? first.source.says : "no symptom given");
    const kind = guestKind(spec.guest);
    const where = kind === null ? "" : mine.every((r) => guestKind(r.guest) === kind) ? ` in ${KIND_WORDS[kind]} guests` : ` (${KIND_WORDS[kind]} guests, and guests a report does not name)`;
    const context = [first.guest, first.host.release].filter((x) => x !== null).join(", ");
    const yours = spec.manager === "bhyve-config" ? "" : `; if it works for you, 'pptctl report --vm ${shellWord(spec.vm)} --result works --guest …' records that`;
    return [
      check(
        `vm.reports.${formatBhyve(d.addr)}`,
        "reports",
        "warn",
        `${d.name} (${formatBhyve(d.addr)}): reported ${tally(mine)}${where}; the ${first.result === "fails" ? "failure" : "partial success"}${context ? ` (${context})` : ""}: ${said} (${sourceShort(first)})`,
        `read ${sourceUrl(first) ?? `the report ${first.id}`} before relying on it ('pptctl compat ${formatBhyve(d.addr)}' lists them all)${yours}`,
      ),
    ];
  });
}
