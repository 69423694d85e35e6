import type { PciAddress } from "./pci-address.ts";
import type { Capability, MsiCap, MsixCap, PcieCap, PciDevice } from "./pci-device.ts";

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
// A header wrapped by a pager or a magazine: the next line holds only key=0x… pairs.
const HEADER_CONTINUATION = /^\s*(?:(?:class|card|chip|rev|hdr|vendor|device|subvendor|subdevice)=0x[0-9a-fA-F]+\s*)+$/;
const NAMED = /^\s*(vendor|device|class|subclass)\s*=\s*(.*)$/;
const CAP = /^\s*(cap|ecap)\s+([0-9a-fA-F]+)\[([0-9a-fA-F]+)\]\s*=\s*(.*)$/;
const BAR = /^\s*bar\s+\[[0-9a-fA-F]+\]\s*=/;
const MSI = /^MSI supports (\d+) messages?(,? 64 bit)?(,? vector masks)?(?:.*?enabled with (\d+) messages?)?/;
const MSIX = /^MSI-X supports (\d+) messages?(.*)$/;
const PCIE = /^PCI-Express (\d+) (.*?)(?: max data|$)/;

interface DraftCap {
  kind: "cap" | "ecap";
  id: string;
  offset: string;
  text: string;
  more: string[];
}

interface Draft {
  name: string;
  driver: string;
  unit: number | null;
  addr: PciAddress;
  fields: Map<string, number>;
  vendorName: string | null;
  deviceName: string | null;
  className: string | null;
  subclassName: string | null;
  caps: DraftCap[];
  bars: string[];
  unparsed: string[];
  line: number;
  /** Header continuation is only accepted right after the header line. */
  fresh: boolean;
}

/** Parses `pciconf -l`, `-lv`, `-lvc`, `-lvcb` and `-ll` output. Never throws. */
export function parsePciconf(text: string): PciconfListing {
  const devices: PciDevice[] = [];
  const unparsed: { line: number; text: string }[] = [];
  let cur: Draft | null = null;
  // split("\n") then trimEnd (which also drops a CR): no regex over the whole text.
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    // Trailing blanks are paste noise; dropping them keeps every pattern below linear.
    const line = lines[i] ?? "";
    const last = line.charCodeAt(line.length - 1);
    const raw = last === 32 || last === 9 || last === 13 ? line.trimEnd() : line;
    if (raw === "") continue;
    const head = raw.includes("@pci") ? HEADER.exec(raw) : null;
    if (head) {
      if (cur) devices.push(finish(cur));
      cur = startDevice(head, i + 1);
      continue;
    }
    if (!cur) {
      if (raw.trim() !== "") unparsed.push({ line: i + 1, text: raw });
      continue;
    }
    if (raw.length <= 8 && raw.trim() === "--") {
      // grep -A/-B separator: the block before it is complete.
      devices.push(finish(cur));
      cur = null;
      unparsed.push({ line: i + 1, text: raw });
      continue;
    }
    addLine(cur, raw);
  }
  if (cur) devices.push(finish(cur));
  return { devices, unparsed };
}

function startDevice(m: RegExpExecArray, line: number): Draft {
  const [, fullName = "", n1 = "0", n2 = "0", n3 = "0", n4, rest = ""] = m;
  const [name, unit] = splitUnit(fullName);
  // Releases before 7.0 printed pci<bus>:<slot>:<func> without a domain.
  const addr: PciAddress =
    n4 === undefined
      ? { domain: 0, bus: Number(n1), slot: Number(n2), func: Number(n3) }
      : { domain: Number(n1), bus: Number(n2), slot: Number(n3), func: Number(n4) };
  const d: Draft = {
    name: name + unit,
    driver: name === "" ? "none" : name,
    unit: unit === "" ? null : Number(unit),
    addr,
    fields: new Map(),
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
  const long = LONG_LIST.exec(rest);
  if (long) {
    const keys = ["class", "rev", "hdr", "vendor", "device", "subvendor", "subdevice"];
    keys.forEach((k, j) => d.fields.set(k, parseInt(long[j + 1] ?? "0", 16)));
  } else {
    readFields(d, rest);
  }
  return d;
}

/** `mlx5_core0` → [`mlx5_core`, `0`]; `none` → [`none`, ``]. */
function splitUnit(full: string): [string, string] {
  let end = full.length;
  while (end > 0 && full.charCodeAt(end - 1) >= 48 && full.charCodeAt(end - 1) <= 57) end--;
  return [full.slice(0, end), full.slice(end)];
}

const FIELD_NAMES = new Set(["class", "card", "chip", "rev", "hdr", "vendor", "device", "subvendor", "subdevice"]);

/** `class=0x030000 rev=0xa1 …`: a scan for `=0x`, not a regex with nine alternatives per position. */
// The header as 13.0+ prints it, in its fixed order: one match instead of a scan.
const MODERN = /^class=0x([0-9a-f]{6}) rev=0x([0-9a-f]{2}) hdr=0x([0-9a-f]{2}) vendor=0x([0-9a-f]{4}) device=0x([0-9a-f]{4}) subvendor=0x([0-9a-f]{4}) subdevice=0x([0-9a-f]{4})\s*$/;
const MODERN_KEYS = ["class", "rev", "hdr", "vendor", "device", "subvendor", "subdevice"] as const;

function readFields(d: Draft, text: string): void {
  if (d.fields.size === 0) {
    const m = MODERN.exec(text);
    if (m) {
      for (let k = 0; k < 7; k++) d.fields.set(MODERN_KEYS[k]!, parseInt(m[k + 1]!, 16));
      return;
    }
  }
  let at = text.indexOf("=0x");
  while (at >= 0) {
    let start = at;
    while (start > 0 && isWordChar(text.charCodeAt(start - 1))) start--;
    let end = at + 3;
    while (end < text.length && isHex(text.charCodeAt(end))) end++;
    const key = text.slice(start, at);
    if (end > at + 3 && FIELD_NAMES.has(key) && !d.fields.has(key)) d.fields.set(key, parseInt(text.slice(at + 3, end), 16));
    at = text.indexOf("=0x", end);
  }
}

function addLine(d: Draft, raw: string): void {
  const fresh = d.fresh;
  d.fresh = false;
  if (fresh && HEADER_CONTINUATION.test(raw)) {
    readFields(d, raw);
    d.fresh = true;
    return;
  }
  // Dispatch on the first letter: one pattern per line instead of trying each in turn.
  const fb = firstNonBlank(raw);
  const first = raw.charCodeAt(fb);
  if (first === 99 /* c */ || first === 101 /* e */) {
    const cap = readCapLine(raw, fb);
    if (cap) {
      d.caps.push(cap);
      return;
    }
  }
  const named = first === 118 /* v */ || first === 100 /* d */ || first === 99 /* c */ || first === 115 /* s */ ? NAMED.exec(raw) : null;
  if (named) {
    const key = named[1] as "vendor" | "device" | "class" | "subclass";
    const value = unquote(named[2] ?? "");
    if (key === "vendor") d.vendorName = value;
    else if (key === "device") d.deviceName = value;
    else if (key === "class") d.className = value;
    else d.subclassName = value;
    return;
  }
  if (first === 98 /* b */ && BAR.test(raw)) {
    d.bars.push(raw.trim());
    return;
  }
  const last = d.caps[d.caps.length - 1];
  // pciconf indents a capability's second and later lines under its text.
  if (last && (raw.charCodeAt(0) === 9 || fb >= 4)) {
    if (last.more === NO_MORE) last.more = [];
    last.more.push(raw.slice(fb));
    return;
  }
  d.unparsed.push(raw);
}

/** Shared until a capability gets a second line: most never do. */
const NO_MORE: string[] = [];

/**
 * `cap 05[50] = MSI supports …` / `ecap 0001[100] = AER …`, scanned by hand (this runs for most
 * lines of a -c listing); anything unusual falls back to the pattern.
 */
function readCapLine(raw: string, at: number): DraftCap | null {
  const isE = raw.charCodeAt(at) === 101;
  const word = isE ? "ecap " : "cap ";
  if (!raw.startsWith(word, at)) return capByPattern(raw);
  let i = at + word.length;
  while (raw.charCodeAt(i) === 32) i++;
  const idStart = i;
  while (isHex(raw.charCodeAt(i))) i++;
  if (i === idStart || raw.charCodeAt(i) !== 91 /* [ */) return capByPattern(raw);
  const id = raw.slice(idStart, i);
  const offStart = ++i;
  while (isHex(raw.charCodeAt(i))) i++;
  if (i === offStart || raw.charCodeAt(i) !== 93 /* ] */) return capByPattern(raw);
  const offset = raw.slice(offStart, i);
  i++;
  while (raw.charCodeAt(i) === 32) i++;
  if (raw.charCodeAt(i) !== 61 /* = */) return capByPattern(raw);
  i++;
  while (raw.charCodeAt(i) === 32) i++;
  return { kind: isE ? "ecap" : "cap", id: id.toLowerCase(), offset: offset.toLowerCase(), text: raw.slice(i), more: NO_MORE };
}

function capByPattern(raw: string): DraftCap | null {
  const cap = CAP.exec(raw);
  if (!cap) return null;
  return { kind: cap[1] === "ecap" ? "ecap" : "cap", id: (cap[2] ?? "").toLowerCase(), offset: (cap[3] ?? "").toLowerCase(), text: cap[4] ?? "", more: NO_MORE };
}

function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

function firstNonBlank(s: string): number {
  let i = 0;
  while (i < s.length && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9)) i++;
  return i;
}

function unquote(v: string): string {
  // A missing closing quote happens in pasted output; keep what is there.
  if (v.charCodeAt(0) !== 39) return v;
  return v.length > 1 && v.charCodeAt(v.length - 1) === 39 ? v.slice(1, -1) : v.slice(1);
}

function finish(d: Draft): PciDevice {
  const f = d.fields;
  const card = f.get("card");
  const chip = f.get("chip");
  // Before 13.0 pciconf packed ids as card=subdevice<<16|subvendor, chip=device<<16|vendor.
  const vendorId = f.get("vendor") ?? (chip === undefined ? null : chip & 0xffff);
  const deviceId = f.get("device") ?? (chip === undefined ? null : chip >>> 16);
  const subvendorId = f.get("subvendor") ?? (card === undefined ? null : card & 0xffff);
  const subdeviceId = f.get("subdevice") ?? (card === undefined ? null : card >>> 16);
  const caps: Capability[] = d.caps;
  let msi: MsiCap | null = null;
  let msix: MsixCap | null = null;
  let pcie: PcieCap | null = null;
  let afFlr = false;
  for (const c of caps) {
    if (c.kind !== "cap") continue;
    const t = c.text;
    if (t.startsWith("MSI")) {
      msi ??= readMsi(t);
      msix ??= readMsix(t);
    } else if (t.startsWith("PCI-Express")) pcie ??= readPcie(t);
    else if (t.startsWith("PCI Advanced Features") && /\bFLR\b/.test(t)) afFlr = true;
  }
  return {
    name: d.name,
    driver: d.driver,
    unit: d.unit,
    addr: d.addr,
    classCode: f.get("class") ?? null,
    rev: f.get("rev") ?? null,
    hdr: f.get("hdr") ?? null,
    vendorId,
    deviceId,
    subvendorId,
    subdeviceId,
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

function readMsi(text: string): MsiCap | null {
  const m = MSI.exec(text);
  if (!m) return null;
  return {
    count: Number(m[1]),
    bits64: m[2] !== undefined,
    vectorMasks: m[3] !== undefined,
    enabledWith: m[4] === undefined ? null : Number(m[4]),
  };
}

function readMsix(text: string): MsixCap | null {
  const m = MSIX.exec(text);
  if (!m) return null;
  const rest = m[2] ?? "";
  return { count: Number(m[1]), enabled: /\benabled\b/.test(rest), masked: /\bmasked\b/.test(rest) };
}

function readPcie(text: string): PcieCap | null {
  const m = PCIE.exec(text);
  if (!m) return null;
  return { version: Number(m[1]), portType: (m[2] ?? "").trim(), flr: /\bFLR\b/.test(text) };
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
