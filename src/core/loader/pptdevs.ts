import { type PciAddress, compareAddr, formatBhyve, rangeProblem, sameAddr } from "../pci/address.ts";

/** The only tunables the kernel reads (vmm_is_pptdev); a fourth record is silently ignored. */
export const PPTDEVS_NAMES = ["pptdevs", "pptdevs2", "pptdevs3"] as const;
/** kenv value length limit (KENV_MVALLEN). */
export const PPTDEVS_MAX_CHARS = 128;

export interface PptdevsRecordCheck {
  readonly entries: readonly PciAddress[];
  /** Things the kernel would misread or drop. */
  readonly errors: readonly string[];
  /** Things that work but are sloppy (extra blanks, duplicates). */
  readonly warnings: readonly string[];
}

/** Checks one pptdevs value the way the kernel reads it: space-separated B/S/F tokens. */
export function checkPptdevsValue(value: string): PptdevsRecordCheck {
  const entries: PciAddress[] = [];
  const errors: string[] = [];
  const warnings: string[] = [];
  if (value.length > PPTDEVS_MAX_CHARS) {
    errors.push(`value is ${value.length} characters, over the kernel's limit of ${PPTDEVS_MAX_CHARS}`);
  }
  if (/\s\s|^\s|\s$|\t/.test(value)) warnings.push("extra blanks; entries should be separated by single spaces");
  // Stryker disable next-line Regex: splitting at each blank leaves empty tokens, which the filter drops
  for (const token of value.split(/\s+/).filter((t) => t !== "")) {
    const m = /^(\d+)\/(\d+)\/(\d+)$/.exec(token);
    if (!m) {
      errors.push(`'${token}' is not B/S/F (decimal bus/slot/function)`);
      continue;
    }
    const a: PciAddress = { domain: 0, bus: Number(m[1]), slot: Number(m[2]), func: Number(m[3]) };
    const problem = rangeProblem(a);
    if (problem) {
      errors.push(`'${token}': ${problem}`);
      continue;
    }
    if (formatBhyve(a) !== token) warnings.push(`'${token}' is better written ${formatBhyve(a)}`);
    entries.push(a);
  }
  if (value.trim() === "") warnings.push("empty value");
  return { entries, errors, warnings };
}

/** pptdevs4, pptdevs1, pptdevs[2]…: look like passthrough lists but the kernel never reads them. */
export function isIgnoredPptdevsName(name: string): boolean {
  return /^pptdevs/i.test(name) && !(PPTDEVS_NAMES as readonly string[]).includes(name);
}

/** Sorted by bus, slot, function; duplicates removed. */
export function normalizeEntries(addrs: readonly PciAddress[]): PciAddress[] {
  const sorted = [...addrs].sort(compareAddr);
  return sorted.filter((a, i) => i === 0 || !sameAddr(a, sorted[i - 1] as PciAddress));
}

export interface PptdevsRecord {
  readonly name: (typeof PPTDEVS_NAMES)[number];
  readonly value: string;
}

export type PackResult =
  | { readonly ok: true; readonly records: readonly PptdevsRecord[] }
  | { readonly ok: false; readonly fitted: readonly PciAddress[]; readonly overflow: readonly PciAddress[] };

/** Packs entries greedily into pptdevs, pptdevs2, pptdevs3, each value at most 128 characters. */
export function packPptdevs(addrs: readonly PciAddress[]): PackResult {
  const values: string[][] = [];
  let length = 0;
  const entries = normalizeEntries(addrs);
  for (const a of entries) {
    const token = formatBhyve(a);
    const cur = values[values.length - 1];
    if (cur && length + 1 + token.length <= PPTDEVS_MAX_CHARS) {
      cur.push(token);
      length += 1 + token.length;
    } else {
      values.push([token]);
      length = token.length;
    }
  }
  if (values.length > PPTDEVS_NAMES.length) {
    const fittedCount = values.slice(0, PPTDEVS_NAMES.length).map((v) => v.length).reduce((a, b) => a + b, 0);
    return { ok: false, fitted: entries.slice(0, fittedCount), overflow: entries.slice(fittedCount) };
  }
  return {
    ok: true,
    records: values.map((v, i) => ({ name: PPTDEVS_NAMES[i] as PptdevsRecord["name"], value: v.join(" ") })),
  };
}
