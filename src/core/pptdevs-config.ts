import { type LoaderAssignment, type LoaderConfig, assignmentsOf } from "./loader-conf.ts";
import type { PciAddress } from "./pci-address.ts";
import { PPTDEVS_NAMES, checkPptdevsValue, isIgnoredPptdevsName, normalizeEntries } from "./pptdevs.ts";

export interface PptdevsConfig {
  /** Effective assignments of pptdevs, pptdevs2, pptdevs3 (the last of each name wins). */
  readonly records: readonly LoaderAssignment[];
  /** Well-formed entries of the effective records, sorted, unique. */
  readonly entries: readonly PciAddress[];
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
}

const where = (a: { file: string; line: number }) => `${a.file}:${a.line}`;

/** What the loader will hand the kernel as passthrough list, and what is wrong with it. */
export function readPptdevsConfig(cfg: LoaderConfig): PptdevsConfig {
  const records: LoaderAssignment[] = [];
  const errors: string[] = [];
  const warnings: string[] = [];
  const all: PciAddress[] = [];
  for (const name of PPTDEVS_NAMES) {
    const every = assignmentsOf(cfg, name);
    const eff = cfg.effective.get(name);
    if (!eff) continue;
    records.push(eff);
    if (every.length > 1) {
      warnings.push(`${name} is set ${every.length} times (${every.map(where).join(", ")}); only the last, ${where(eff)}, counts`);
    }
    if (!eff.quoted && /\s/.test(eff.value)) errors.push(`${name} at ${where(eff)} must be quoted`);
    const check = checkPptdevsValue(eff.value);
    for (const e of check.errors) errors.push(`${name} at ${where(eff)}: ${e}`);
    for (const w of check.warnings) warnings.push(`${name} at ${where(eff)}: ${w}`);
    all.push(...check.entries);
  }
  for (const f of cfg.files) {
    for (const a of f.assignments) {
      if (isIgnoredPptdevsName(a.name)) {
        errors.push(`${a.name} at ${where(a)} is never read: the kernel reads only pptdevs, pptdevs2 and pptdevs3`);
      }
    }
    for (const p of f.problems) {
      if (/pptdevs/i.test(p.text)) errors.push(`${where(p)}: ${p.problem}: ${p.text}`);
    }
  }
  const entries = normalizeEntries(all);
  if (entries.length < all.length) warnings.push(`${all.length - entries.length} duplicate entr${all.length - entries.length > 1 ? "ies" : "y"} across the pptdevs records`);
  return { records, entries, errors, warnings };
}

/** Entries of kenv's pptdevs records: what the running kernel was given. */
export function kenvPptdevs(kenv: ReadonlyMap<string, string>): PciAddress[] {
  return normalizeEntries(PPTDEVS_NAMES.flatMap((n) => checkPptdevsValue(kenv.get(n) ?? "").entries));
}
