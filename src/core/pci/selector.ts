import { PptError } from "../errors.ts";
import { LIMITS, type PciAddress, formatBhyve, formatSelector, sameAddr } from "./address.ts";
import { type PciDevice, hex4 } from "./device.ts";

export type Selector =
  | { readonly kind: "addr"; readonly addr: PciAddress; readonly text: string }
  | { readonly kind: "name"; readonly name: string; readonly text: string }
  | { readonly kind: "ids"; readonly vendor: number; readonly device: number; readonly text: string };

const SPELLINGS = "a device name (vgapci0), pci0:B:S:F, B:S:F, B/S/F or a vendor:device id (10de:1cb2)";

/** Parses every spelling users type for a device. Returns an error message instead of throwing. */
export function parseSelector(input: string): Selector | { error: string } {
  const text = input.trim();
  const bad = (why: string) => ({ error: `selector '${input}': ${why}` });
  if (text === "") return bad(`empty; give ${SPELLINGS}`);
  let m = /^pci(\d+):(\d+):(\d+)(?::(\d+))?:?$/.exec(text);
  if (m) return checked(m[4] === undefined ? ["0", m[1], m[2], m[3]] : [m[1], m[2], m[3], m[4]], text, bad);
  m = /^(\d+):(\d+):(\d+)(?::(\d+))?$/.exec(text);
  if (m) return checked(m[4] === undefined ? ["0", m[1], m[2], m[3]] : [m[1], m[2], m[3], m[4]], text, bad);
  m = /^(\d+)\/(\d+)\/(\d+)$/.exec(text);
  if (m) return checked(["0", m[1], m[2], m[3]], text, bad);
  m = /^(?:0x)?([0-9a-fA-F]{4}):(?:0x)?([0-9a-fA-F]{4})$/.exec(text);
  if (m) return { kind: "ids", vendor: parseInt(m[1] ?? "", 16), device: parseInt(m[2] ?? "", 16), text };
  if (/^[A-Za-z][A-Za-z0-9_]*\d+$/.test(text) || text === "none") return { kind: "name", name: text, text };
  return bad(`not understood; give ${SPELLINGS}`);
}

const FIELDS = [
  ["domain", LIMITS.domain],
  ["bus", LIMITS.bus],
  ["slot", LIMITS.slot],
  ["function", LIMITS.func],
] as const;

/** Each field within its range, said with the digits as typed (a 20-digit bus is not 1e20). */
function checked(parts: readonly (string | undefined)[], text: string, bad: (w: string) => { error: string }): Selector | { error: string } {
  const n = parts.map((p) => Number(p ?? "0"));
  for (const [i, [name, limit]] of FIELDS.entries()) {
    if (n[i]! > limit) return bad(`${name} ${(parts[i] ?? "").replace(/^0+(?=\d)/, "")} is above ${limit}`);
  }
  return { kind: "addr", addr: { domain: n[0]!, bus: n[1]!, slot: n[2]!, func: n[3]! }, text };
}

export function isSelectorError(s: Selector | { error: string }): s is { error: string } {
  return "error" in s;
}

/** Parses or throws a one-line usage error (exit 2). */
export function parseSelectorOrThrow(input: string): Selector {
  const s = parseSelector(input);
  if (isSelectorError(s)) throw new PptError(s.error);
  return s;
}

export function matches(sel: Selector, d: PciDevice): boolean {
  switch (sel.kind) {
    case "addr":
      return sameAddr(sel.addr, d.addr);
    case "name":
      return d.name === sel.name;
    case "ids":
      return d.vendorId === sel.vendor && d.deviceId === sel.device;
  }
}

export function describe(d: PciDevice): string {
  const what = d.deviceName ?? d.vendorName ?? `${hex4(d.vendorId)}:${hex4(d.deviceId)}`;
  return `${d.name} (${formatSelector(d.addr)}, ${what})`;
}

/**
 * Resolves a selector to exactly one device on the bus, or throws a one-line error naming the
 * selector and listing close matches.
 */
export function resolveOne(sel: Selector, devices: readonly PciDevice[]): PciDevice {
  const found = devices.filter((d) => matches(sel, d));
  if (found.length === 1 && found[0]) return found[0];
  if (found.length > 1) {
    const list = found.map((d) => `${d.name} (${formatBhyve(d.addr)})`).join(", ");
    throw new PptError(
      `selector '${sel.text}' is ambiguous: it matches ${found.length} devices: ${list}; name one by address`,
    );
  }
  const near = closeMatches(sel, devices).slice(0, 4);
  const hint = near.length > 0 ? `; close matches: ${near.map(describe).join(", ")}` : "; run 'pptctl list --all' to see the devices";
  throw new PptError(`selector '${sel.text}' matches no PCI device on this host${hint}`);
}

function closeMatches(sel: Selector, devices: readonly PciDevice[]): PciDevice[] {
  switch (sel.kind) {
    case "addr":
      return devices.filter((d) => d.addr.bus === sel.addr.bus && (d.addr.slot === sel.addr.slot || d.addr.func === sel.addr.func));
    case "ids":
      return devices.filter((d) => d.vendorId === sel.vendor || d.deviceId === sel.device);
    case "name": {
      const driver = sel.name.replace(/\d+$/, "");
      return devices.filter((d) => d.driver === driver || editDistance(d.name, sel.name) <= 2);
    }
  }
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  const row: number[] = [];
  for (let j = 0; j <= b.length; j++) row.push(j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] ?? 0;
      row[j] = Math.min((row[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length] ?? 0;
}
