/**
 * `pciconf -l`, `-lv`, `-lvc`, `-lvcb` and `-ll` output, as usr.sbin/pciconf prints it
 * (pciconf.c, cap.c: https://github.com/freebsd/freebsd-src/tree/main/usr.sbin/pciconf).
 * Never throws: a line no pattern reads is kept as unparsed, on its device or outside any.
 */
import type { PciAddress } from "../pci/address.ts";
import type { Capability, MsiCap, MsixCap, PcieCap, PciDevice } from "../pci/device.ts";

export interface PciconfListing {
  readonly devices: readonly PciDevice[];
  /** Lines outside any device block that were not understood (grep separators, prompts…). */
  readonly unparsed: readonly { line: number; text: string }[];
}

// NAME@pciD:B:S:F: — the name may lack a unit (`none@`), old releases print only B:S:F.
const HEADER = /^\s*([A-Za-z0-9_]*)@pci(\d+):(\d+):(\d+)(?::(\d+))?:?(?:\s+(.*))?$/;
// `pciconf -ll`: class rev hdr vendor device subvendor subdevice as bare hex columns.
const LONG_LIST =
  /^([0-9a-fA-F]{6})\s+([0-9a-fA-F]{2})\s+([0-9a-fA-F]{2})\s+([0-9a-fA-F]{4})\s+([0-9a-fA-F]{4})\s+([0-9a-fA-F]{4})\s+([0-9a-fA-F]{4})\b/;
const LONG_KEYS = ["class", "rev", "hdr", "vendor", "device", "subvendor", "subdevice"] as const;
// The header as 13.0 and later print it, the same seven in the same order: read in one match.
// Any other shape (card=/chip=, a wrapped or edited line) goes to FIELD, key by key.
const MODERN =
  /^class=0x([0-9a-fA-F]+) rev=0x([0-9a-fA-F]+) hdr=0x([0-9a-fA-F]+) vendor=0x([0-9a-fA-F]+) device=0x([0-9a-fA-F]+) subvendor=0x([0-9a-fA-F]+) subdevice=0x([0-9a-fA-F]+)$/;
// `class=0x030000 rev=0xa1 …`, and before 13.0 `card=0x… chip=0x…`; the first of each key counts.
// A character class before the key, not a lookbehind: with one, the 33 headers of the sample took
// 0.8-2.8 ms instead of 0.4 ms in a compiled binary.
const FIELD = /(?:^|[^A-Za-z0-9_])(class|card|chip|rev|hdr|vendor|device|subvendor|subdevice)=0x([0-9a-fA-F]+)/g;
// A header wrapped by a pager or a magazine: the next line holds only key=0x… pairs.
const HEADER_CONTINUATION = /^\s*(?:(?:class|card|chip|rev|hdr|vendor|device|subvendor|subdevice)=0x[0-9a-fA-F]+\s*)+$/;
const NAMED = /^\s*(vendor|device|class|subclass)\s*=\s*(.*)$/;
const CAP = /^\s*(cap|ecap)\s+([0-9a-fA-F]+)\[([0-9a-fA-F]+)\]\s*=\s*(.*)$/;
const BAR = /^\s*bar\s+\[[0-9a-fA-F]+\]\s*=/;
// A capability's later lines: indented under its text (pciconf prints them with a tab or spaces).
const CONTINUATION = /^(?:\t|\s{4,})\s*(.*)$/;

// The capabilities pptctl reads (cap.c: cap_msi, cap_msix, cap_express).
const MSI = /^MSI supports (\d+) messages?(,? 64 bit)?(,? vector masks)?(?:.*?enabled with (\d+) messages?)?/;
const MSIX = /^MSI-X supports (\d+) messages?(.*)$/;
const PCIE = /^PCI-Express (\d+) (.*?)(?: max data|$)/;

type FieldName = (typeof LONG_KEYS)[number] | "card" | "chip";

interface Draft {
  name: string;
  driver: string;
  unit: number | null;
  addr: PciAddress;
  fields: Partial<Record<FieldName, number>>;
  vendorName: string | null;
  deviceName: string | null;
  className: string | null;
  subclassName: string | null;
  caps: { kind: "cap" | "ecap"; id: string; offset: string; text: string; more: string[] }[];
  bars: string[];
  unparsed: string[];
  line: number;
  /** A header continuation is accepted only right after the header line. */
  fresh: boolean;
}

export function parsePciconf(text: string): PciconfListing {
  const devices: PciDevice[] = [];
  const unparsed: { line: number; text: string }[] = [];
  let cur: Draft | null = null;
  const lines = text.split("\n");
  // An index loop: entries() made a pair per line, 5-13 ms of the ~90 ms a 6.5 MB listing took.
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trimEnd();
    if (raw === "") continue;
    const head = raw.includes("@pci") ? HEADER.exec(raw) : null;
    if (head) {
      if (cur) devices.push(finish(cur));
      cur = startDevice(head, i + 1);
    } else if (!cur) {
      unparsed.push({ line: i + 1, text: raw });
    } else if (raw.trim() === "--") {
      // grep -A/-B separator: the block before it is complete.
      devices.push(finish(cur));
      cur = null;
      unparsed.push({ line: i + 1, text: raw });
    } else addLine(cur, raw);
  }
  if (cur) devices.push(finish(cur));
  return { devices, unparsed };
}

function startDevice(m: RegExpExecArray, line: number): Draft {
  const [, full = "", n1 = "0", n2 = "0", n3 = "0", n4, rest = ""] = m;
  const unit = /\d*$/.exec(full)![0];
  const name = full.slice(0, full.length - unit.length);
  // Releases before 7.0 printed pci<bus>:<slot>:<func> without a domain.
  const addr: PciAddress =
    n4 === undefined
      ? { domain: 0, bus: Number(n1), slot: Number(n2), func: Number(n3) }
      : { domain: Number(n1), bus: Number(n2), slot: Number(n3), func: Number(n4) };
  const d: Draft = {
    name: full,
    driver: name === "" ? "none" : name,
    unit: unit === "" ? null : Number(unit),
    addr,
    fields: {},
    vendorName: null,
    deviceName: null,
    className: null,
    subclassName: null,
    caps: [],
    bars: [],
    unparsed: [],
    line,
    fresh: true,
  };
  const cols = MODERN.exec(rest) ?? LONG_LIST.exec(rest);
  if (cols) for (let j = 0; j < LONG_KEYS.length; j++) d.fields[LONG_KEYS[j]!] = parseInt(cols[j + 1]!, 16);
  else readFields(d, rest);
  return d;
}

function readFields(d: Draft, text: string): void {
  for (const [, key, hex] of text.matchAll(FIELD)) d.fields[key as FieldName] ??= parseInt(hex!, 16);
}

function addLine(d: Draft, raw: string): void {
  const fresh = d.fresh;
  d.fresh = false;
  if (fresh && HEADER_CONTINUATION.test(raw)) {
    readFields(d, raw);
    d.fresh = true;
    return;
  }
  const cap = CAP.exec(raw);
  if (cap) {
    d.caps.push({ kind: cap[1] === "ecap" ? "ecap" : "cap", id: cap[2]!.toLowerCase(), offset: cap[3]!.toLowerCase(), text: cap[4]!, more: [] });
    return;
  }
  const named = NAMED.exec(raw);
  if (named) {
    const value = unquote(named[2]!);
    if (named[1] === "vendor") d.vendorName = value;
    else if (named[1] === "device") d.deviceName = value;
    else if (named[1] === "class") d.className = value;
    else d.subclassName = value;
    return;
  }
  if (BAR.test(raw)) {
    d.bars.push(raw.trim());
    return;
  }
  const more = CONTINUATION.exec(raw);
  const last = d.caps.at(-1);
  if (last && more) {
    last.more.push(more[1]!);
    return;
  }
  d.unparsed.push(raw);
}

function unquote(v: string): string {
  // A missing closing quote happens in pasted output; keep what is there.
  if (!v.startsWith("'")) return v;
  return v.length > 1 && v.endsWith("'") ? v.slice(1, -1) : v.slice(1);
}

export function readMsi(text: string): MsiCap | null {
  const m = MSI.exec(text);
  if (!m) return null;
  return { count: Number(m[1]), bits64: m[2] !== undefined, vectorMasks: m[3] !== undefined, enabledWith: m[4] === undefined ? null : Number(m[4]) };
}

export function readMsix(text: string): MsixCap | null {
  const m = MSIX.exec(text);
  if (!m) return null;
  const rest = m[2] ?? "";
  return { count: Number(m[1]), enabled: /\benabled\b/.test(rest), masked: /\bmasked\b/.test(rest) };
}

export function readPcie(text: string): PcieCap | null {
  const m = PCIE.exec(text);
  if (!m) return null;
  return { version: Number(m[1]), portType: (m[2] ?? "").trim(), flr: /\bFLR\b/.test(text) };
}

function finish(d: Draft): PciDevice {
  const { card, chip, ...f } = d.fields;
  // Before 13.0 pciconf packed ids as card=subdevice<<16|subvendor, chip=device<<16|vendor.
  const low = (v: number | undefined) => (v === undefined ? null : v & 0xffff);
  const high = (v: number | undefined) => (v === undefined ? null : v >>> 16);
  const caps: Capability[] = d.caps;
  // The first capability of each kind counts.
  let msi: MsiCap | null = null;
  let msix: MsixCap | null = null;
  let pcie: PcieCap | null = null;
  let afFlr = false;
  for (const c of caps) {
    if (c.kind !== "cap") continue;
    msi ??= readMsi(c.text);
    msix ??= readMsix(c.text);
    pcie ??= readPcie(c.text);
    afFlr ||= c.text.startsWith("PCI Advanced Features") && /\bFLR\b/.test(c.text);
  }
  return {
    name: d.name,
    driver: d.driver,
    unit: d.unit,
    addr: d.addr,
    classCode: f.class ?? null,
    rev: f.rev ?? null,
    hdr: f.hdr ?? null,
    vendorId: f.vendor ?? low(chip),
    deviceId: f.device ?? high(chip),
    subvendorId: f.subvendor ?? low(card),
    subdeviceId: f.subdevice ?? high(card),
    vendorName: d.vendorName,
    deviceName: d.deviceName,
    className: d.className,
    subclassName: d.subclassName,
    caps,
    msi,
    msix,
    pcie,
    flr: afFlr || (pcie?.flr ?? false),
    hasCapInfo: caps.length > 0,
    bars: d.bars,
    unparsed: d.unparsed,
    line: d.line,
  };
}

/** Lines of a listing that no pattern understood, in and outside device blocks. */
export function unparsedLines(l: PciconfListing): { count: number; first: { line: number; text: string } | null } {
  let count = l.unparsed.length;
  let first = l.unparsed[0] ?? null;
  for (const d of l.devices) {
    count += d.unparsed.length;
    const u = d.unparsed[0];
    // Device blocks do not keep line numbers per line; the header's is close enough to find it.
    if (u !== undefined && (first === null || d.line < first.line)) first = { line: d.line, text: u };
  }
  return { count, first };
}

/** Why a listing is not pciconf output at all: no device, yet something was printed. */
export function notPciconf(text: string, l: PciconfListing): string | null {
  if (l.devices.length > 0) return null;
  const first = l.unparsed.find((u) => u.text.trim() !== "");
  if (!first) return null;
  const shown = first.text.trim().replace(/[^\x20-\x7e]/g, "?").slice(0, 60);
  return `the pciconf output was not understood (no device header; line ${first.line}: "${shown}")`;
}

export function pciNotes(u: ReturnType<typeof unparsedLines>): string[] {
  if (u.count === 0 || !u.first) return [];
  const shown = u.first.text.trim().replace(/[^\x20-\x7e]/g, "?").slice(0, 60);
  return [`${u.count} line${u.count === 1 ? "" : "s"} of pciconf output ${u.count === 1 ? "was" : "were"} not understood and left out (first near line ${u.first.line}: "${shown}")`];
}
