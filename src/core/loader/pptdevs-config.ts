import { type LoaderAssignment, type LoaderConfig, type LoaderProblem, LOADER_CONF, assignmentsOf, where } from "../parse/loader-conf.ts";
import { type PciAddress, formatBhyve, rangeProblem } from "../pci/address.ts";
import { PPTDEVS_NAMES, checkPptdevsValue, isIgnoredPptdevsName, normalizeEntries } from "./pptdevs.ts";

/** The loader settings pptctl writes (plan, attach --persist). */
export const MANAGED_NAMES: readonly string[] = [...PPTDEVS_NAMES, "vmm_load", "hw.vmm.amdvi.enable"];

/** A line of a managed setting that the loader does not read as written, or not exactly. */
export interface UnreadableLine {
  readonly file: string;
  readonly line: number;
  readonly name: string;
  readonly text: string;
  readonly problem: string;
}

export interface PptdevsConfig {
  /** Effective assignments of pptdevs, pptdevs2, pptdevs3 (the last of each name wins). */
  readonly records: readonly LoaderAssignment[];
  /** Well-formed entries of the effective records, sorted, unique. */
  readonly entries: readonly PciAddress[];
  /**
   * What the admin meant to reserve: the entries above plus the B/S/F entries written in
   * pptdevs lines the loader cannot read (so a fix can name them all).
   */
  readonly intended: readonly PciAddress[];
  /** Lines of managed settings the loader cannot read exactly: plan does not merge with them. */
  readonly unreadable: readonly UnreadableLine[];
  /** pptdevs4, pptdevs[2] …: lines that look like passthrough lists the kernel never reads. */
  readonly ignored: readonly { readonly file: string; readonly line: number; readonly name: string }[];
  readonly errors: readonly string[];
  /** How many of the errors are in the values of the records themselves (plan --write mends them). */
  readonly valueErrors: number;
  readonly warnings: readonly string[];
}

/** What the loader will hand the kernel as passthrough list, and what is wrong with it. */
export function readPptdevsConfig(cfg: LoaderConfig): PptdevsConfig {
  const records: LoaderAssignment[] = [];
  const errors: string[] = [];
  const warnings: string[] = [];
  const all: PciAddress[] = [];
  const unreadable: UnreadableLine[] = [];
  const guessed: PciAddress[] = [];
  const ignored: { file: string; line: number; name: string }[] = [];
  let valueErrors = 0;
  for (const name of PPTDEVS_NAMES) {
    const every = assignmentsOf(cfg, name);
    const eff = cfg.effective.get(name);
    if (!eff) continue;
    records.push(eff);
    if (every.length > 1) {
      warnings.push(`${name} is set ${every.length} times (${every.map(where).join(", ")}); only the last, ${where(eff)}, counts`);
    }
    const check = checkPptdevsValue(eff.value);
    valueErrors += check.errors.length;
    for (const e of check.errors) errors.push(`${name} at ${where(eff)}: ${e}`);
    for (const w of check.warnings) warnings.push(`${name} at ${where(eff)}: ${w}`);
    all.push(...check.entries);
  }
  for (const f of cfg.files) {
    for (const a of f.assignments) {
      if (isIgnoredPptdevsName(a.name)) {
        ignored.push({ file: a.file, line: a.line, name: a.name });
        errors.push(`${a.name} at ${where(a)} is never read: the kernel reads only pptdevs, pptdevs2 and pptdevs3`);
      }
      if (a.inexact !== null && MANAGED_NAMES.includes(a.name)) {
        unreadable.push({ file: a.file, line: a.line, name: a.name, text: `${a.name}="${a.value}"`, problem: a.inexact });
        errors.push(`${where(a)}: ${a.name}: ${a.inexact}, so pptctl cannot tell what it holds`);
      }
    }
    for (const p of f.problems) {
      // Stryker disable next-line ConditionalExpression: a nameless problem is neither an ignored pptdevs name nor a managed one
      if (p.name === null) continue;
      if (isIgnoredPptdevsName(p.name)) {
        ignored.push({ file: p.file, line: p.line, name: p.name });
        errors.push(`${where(p)}: ${p.text}: ${p.problem}; and the kernel reads only pptdevs, pptdevs2 and pptdevs3`);
      } else if (MANAGED_NAMES.includes(p.name)) {
        unreadable.push({ file: p.file, line: p.line, name: p.name, text: p.text, problem: p.problem });
        if ((PPTDEVS_NAMES as readonly string[]).includes(p.name)) {
          guessed.push(...entriesIn(p));
          errors.push(`${where(p)}: ${p.text}: ${p.problem}; the loader ignores this line`);
        }
      }
    }
  }
  const entries = normalizeEntries(all);
  if (entries.length < all.length) warnings.push(`${all.length - entries.length} duplicate entr${all.length - entries.length > 1 ? "ies" : "y"} across the pptdevs records`);
  return { records, entries, intended: normalizeEntries([...entries, ...guessed]), unreadable, ignored, errors, valueErrors, warnings };
}

/** The B/S/F entries written in a line the loader cannot read (and its continuation lines). */
function entriesIn(p: LoaderProblem): PciAddress[] {
  const found: PciAddress[] = [];
  for (const m of p.fullText.matchAll(/(?<![\d/])(\d+)\/(\d+)\/(\d+)(?![\d/])/g)) {
    const a = { domain: 0, bus: Number(m[1]), slot: Number(m[2]), func: Number(m[3]) };
    if (rangeProblem(a) === null) found.push(a);
  }
  return found;
}

/**
 * The command that rewrites unreadable pptdevs lines into ones the loader reads, keeping every
 * entry the admin wrote: plan --replace takes over the lines of the file it writes.
 */
export function replaceCommand(cfg: PptdevsConfig, extra: readonly PciAddress[] = []): string {
  const files = [...new Set(cfg.unreadable.map((u) => u.file))];
  const file = files.length === 1 && files[0] !== LOADER_CONF ? ` --file ${files[0]}` : "";
  const entries = normalizeEntries([...cfg.intended, ...extra]).map(formatBhyve);
  return ["pptctl plan --replace", ...entries, `--write${file}`].join(" ");
}

/** The plan command that takes these entries (bhyve B/S/F) out of pptdevs. */
export function removeCommand(sels: readonly string[]): string {
  return `pptctl plan ${sels.map((x) => `--remove ${x}`).join(" ")} --write`;
}

/** Entries of kenv's pptdevs records: what the running kernel was given. */
export function kenvPptdevs(kenv: ReadonlyMap<string, string>): PciAddress[] {
  return normalizeEntries(
    PPTDEVS_NAMES.flatMap((n) => {
      const v = kenv.get(n);
      return v === undefined ? [] : checkPptdevsValue(v).entries;
    }),
  );
}
