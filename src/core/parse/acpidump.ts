export interface AcpiTables {
  /** "ok" when tables were listed, "denied" when acpidump could not read them (not root). */
  readonly status: "ok" | "denied" | "failed";
  /** Table signatures seen in header lines: DMAR, IVRS, APIC, … */
  readonly tables: readonly string[];
  /** Sub-table entries per table, e.g. DMAR → { DRHD: 2, RMRR: 1 }. */
  readonly entries: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly message: string | null;
}

// `  DMAR: Length=120, Revision=1, Checksum=30,` — acpidump -t prints one per table.
const TABLE = /^\s*([A-Z0-9_!]{4}): Length=\d+/;
const ENTRY = /^\s*Type=([A-Za-z0-9_]+)/;
/**
 * DMAR remapping structures as acpidump prints them (`\tType=DRHD`); its Device Scope entries
 * (`\t\tType=IOAPIC`, `PCI Endpoint Device`, `PCI Sub-Hierarchy`) are not sub-tables. Types it
 * has no name for print as a number: 4 is ANDD, 5 SATC (VT-d spec §8.1).
 * https://github.com/freebsd/freebsd-src/blob/main/usr.sbin/acpi/acpidump/acpi.c (acpi_handle_dmar_remapping_structure)
 */
const DMAR_STRUCTURES: Record<string, string> = { DRHD: "DRHD", RMRR: "RMRR", ATSR: "ATSR", RHSA: "RHSA", ANDD: "ANDD", SATC: "SATC", "0": "DRHD", "1": "RMRR", "2": "ATSR", "3": "RHSA", "4": "ANDD", "5": "SATC" };
const DENIED = /permission denied|operation not permitted|must be root/i;

/** Parses `acpidump -t` output (and its stderr). Never throws. */
export function parseAcpidump(stdout: string, stderr = "", exit = 0): AcpiTables {
  const tables: string[] = [];
  const entries: Record<string, Record<string, number>> = {};
  let current: string | null = null;
  for (const raw of stdout.split(/\r?\n/)) {
    const t = TABLE.exec(raw);
    if (t) {
      current = t[1] ?? null;
      if (current && !tables.includes(current)) tables.push(current);
      continue;
    }
    const e = ENTRY.exec(raw);
    if (e && current) {
      let type = e[1] ?? "";
      if (current === "DMAR") {
        const known = DMAR_STRUCTURES[type];
        if (known === undefined) continue;
        type = known;
      }
      const bucket = (entries[current] ??= {});
      bucket[type] = (bucket[type] ?? 0) + 1;
    }
  }
  const firstError = stderr.split(/\r?\n/).find((l) => l.trim() !== "")?.trim() ?? null;
  if (tables.length === 0 && (DENIED.test(stderr) || DENIED.test(stdout))) {
    return { status: "denied", tables, entries, message: firstError };
  }
  if (tables.length === 0 && exit !== 0) {
    return { status: "failed", tables, entries, message: firstError ?? `exit status ${exit}` };
  }
  return { status: "ok", tables, entries, message: null };
}
