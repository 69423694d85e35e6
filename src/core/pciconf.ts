import type { PciAddress } from "./pci-address.ts";
import type { Capability, MsiCap, MsixCap, PcieCap, PciDevice } from "./pci-device.ts";
import { hasWord, readMsi, readMsix, readPcie } from "./pciconf-caps.ts";

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

interface DraftCap {
  kind: "cap" | "ecap";
  id: string;
  offset: string;
  text: string;
  more: string[];
}

/** The header's key=0x… values; -1 where the header lacked one (a Map per device cost more). */
interface Fields {
  count: number;
  class: number;
  card: number;
  chip: number;
  rev: number;
  hdr: number;
  vendor: number;
  device: number;
  subvendor: number;
  subdevice: number;
}
type FieldName = Exclude<keyof Fields, "count">;

interface Draft {
  name: string;
  driver: string;
  unit: number | null;
  addr: PciAddress;
  fields: Fields;
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

/**
 * Parses `pciconf -l`, `-lv`, `-lvc`, `-lvcb` and `-ll` output. Never throws.
 *
 * Lines are walked in place (indexOf, charCodeAt) rather than split: the lines of a 13.0+ listing
 * (header, vendor/device/class/subclass, cap/ecap and their continuations) are read by hand, and
 * any other line goes to the general path (`slowLine`), whose patterns are the definition. The
 * fast readers accept only what that path would read the same way; test/pciconf.test.ts checks
 * both agree on random lines.
 */
export function parsePciconf(text: string): PciconfListing {
  return parse(text, true);
}

/** Every line through the patterns alone: the reference the fast readers are tested against. */
export function parsePciconfByPatterns(text: string): PciconfListing {
  return parse(text, false);
}

function parse(text: string, fast: boolean): PciconfListing {
  const p: Parse = { text, devices: [], unparsed: [], cur: null, nextAtPci: -1, nextEq0x: -1 };
  const n = text.length;
  // `.` in the patterns stops at \r, U+2028 and U+2029: with any of those inside a line, every
  // line goes the general way.
  const plain = fast && !hasInnerBreak(text);
  let s = 0;
  let lineNo = 0;
  while (s < n) {
    let nl = text.indexOf("\n", s);
    if (nl < 0) nl = n;
    lineNo++;
    let e = nl;
    let last = text.charCodeAt(e - 1);
    if (e > s && (last === 32 || last === 9 || last === 13)) {
      do e--;
      while (e > s && ((last = text.charCodeAt(e - 1)) === 32 || last === 9 || last === 13));
      // trimEnd would also take other kinds of blank: leave those to it.
      if (e > s && isOtherBlank(last)) {
        const raw = text.slice(s, nl).trimEnd();
        if (raw !== "") slowLine(p, raw, lineNo);
        s = nl + 1;
        continue;
      }
    }
    if (e > s && !(plain && (exactLine(p, s, e, lineNo) || fastLine(p, s, e, lineNo)))) slowLine(p, text.slice(s, e), lineNo);
    s = nl + 1;
  }
  if (p.cur) p.devices.push(finish(p.cur));
  return { devices: p.devices, unparsed: p.unparsed };
}

interface Parse {
  readonly text: string;
  readonly devices: PciDevice[];
  readonly unparsed: { line: number; text: string }[];
  cur: Draft | null;
  /** Where "@pci" and "=0x" next occur (text.length when never): found once, not per line. */
  nextAtPci: number;
  nextEq0x: number;
}

function hasInnerBreak(text: string): boolean {
  if (text.indexOf("\u2028") >= 0 || text.indexOf("\u2029") >= 0) return true;
  // A CR before LF ends the line (trimmed); one anywhere else is inside it.
  for (let i = text.indexOf("\r"); i >= 0; i = text.indexOf("\r", i + 1)) {
    let j = i + 1;
    while (text.charCodeAt(j) === 13 || text.charCodeAt(j) === 32 || text.charCodeAt(j) === 9) j++;
    if (j < text.length && text.charCodeAt(j) !== 10) return true;
  }
  return false;
}

/** Blanks other than space, tab and CR that `\s` and trimEnd know (VT, FF, NBSP, U+2000…, BOM). */
function isOtherBlank(c: number): boolean {
  return c === 11 || c === 12 || c === 160 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/** The general path: one trimmed line, read by the patterns. */
function slowLine(p: Parse, raw: string, line: number): void {
  const head = raw.includes("@pci") ? HEADER.exec(raw) : null;
  if (head) {
    if (p.cur) p.devices.push(finish(p.cur));
    p.cur = startDevice(head, line);
    return;
  }
  const cur = p.cur;
  if (!cur) {
    if (raw.trim() !== "") p.unparsed.push({ line, text: raw });
    return;
  }
  if (raw.length <= 8 && raw.trim() === "--") {
    // grep -A/-B separator: the block before it is complete.
    p.devices.push(finish(cur));
    p.cur = null;
    p.unparsed.push({ line, text: raw });
    return;
  }
  addLine(cur, raw);
}

/**
 * The lines exactly as pciconf 13.0+ prints them (pciconf.c's fixed formats: a 4-space indent,
 * `cap %02x[%02x] = `, `ecap %04x[%03x] = `, the names padded to 11, continuations under the
 * text), read at fixed offsets with no pattern; false leaves the line to `fastLine`. On a big
 * listing this is what runs once the JIT has compiled it (10,000 devices: 40 → 10 ms); a small
 * one saves compiling the header pattern. Same inputs as `fastLine`: [s, e) trimmed, no breaks.
 */
function exactLine(p: Parse, s: number, e: number, line: number): boolean {
  const t = p.text;
  const c0 = t.charCodeAt(s);
  if (c0 !== 32) return c0 === 9 ? false : exactHeader(p, s, e, line);
  if (p.nextAtPci < s) p.nextAtPci = nextIndex(t, "@pci", s);
  if (p.nextAtPci < e) return false;
  const d = p.cur;
  if (d === null || !t.startsWith("   ", s + 1)) return false;
  if (d.fresh) {
    if (p.nextEq0x < s) p.nextEq0x = nextIndex(t, "=0x", s);
    if (p.nextEq0x < e) return false;
  }
  switch (t.charCodeAt(s + 4)) {
    case 99 /* c */:
      if (t.startsWith("cap ", s + 4)) return exactCap(d, t, s + 8, 2, 2, e, "cap");
      return t.startsWith("class      = ", s + 4) && exactNamed(d, t, s + 17, e, 2);
    case 101 /* e */:
      return t.startsWith("ecap ", s + 4) && exactCap(d, t, s + 9, 4, 3, e, "ecap");
    case 118 /* v */:
      return t.startsWith("vendor     = ", s + 4) && exactNamed(d, t, s + 17, e, 0);
    case 100 /* d */:
      return t.startsWith("device     = ", s + 4) && exactNamed(d, t, s + 17, e, 1);
    case 115 /* s */:
      return t.startsWith("subclass   = ", s + 4) && exactNamed(d, t, s + 17, e, 3);
    case 32:
      return exactMore(d, t, s, e);
    default:
      return false;
  }
}

/** A value or text must start with a visible character: the patterns' `\s*` would eat a blank. */
function visible(c: number): boolean {
  return c > 32 && !isOtherBlank(c);
}

/** `cap 05[50] = TEXT` from the id at `i`: exactly `idLen` and `offLen` lower-case hex digits. */
function exactCap(d: Draft, t: string, i: number, idLen: number, offLen: number, e: number, kind: "cap" | "ecap"): boolean {
  const open = i + idLen;
  const close = open + 1 + offLen;
  const at = close + 4;
  if (at >= e || !visible(t.charCodeAt(at)) || t.charCodeAt(open) !== 91 || !t.startsWith("] = ", close)) return false;
  if (!lowerHexRun(t, i, open) || !lowerHexRun(t, open + 1, close)) return false;
  d.fresh = false;
  d.caps.push({ kind, id: t.slice(i, open), offset: t.slice(open + 1, close), text: t.slice(at, e), more: NO_MORE });
  return true;
}

/** `vendor     = 'NAME'` and its kin, from the value at `i`; `which` is vendor, device, class, subclass. */
function exactNamed(d: Draft, t: string, i: number, e: number, which: 0 | 1 | 2 | 3): boolean {
  if (i >= e || !visible(t.charCodeAt(i))) return false;
  d.fresh = false;
  const value = unquoteAt(t, i, e);
  if (which === 0) d.vendorName = value;
  else if (which === 1) d.deviceName = value;
  else if (which === 2) d.className = value;
  else d.subclassName = value;
  return true;
}

/** A capability's later line, indented 17 or more spaces; words another pattern reads are left to it. */
function exactMore(d: Draft, t: string, s: number, e: number): boolean {
  if (!t.startsWith(SEVENTEEN, s)) return false;
  let j = s + 17;
  while (t.charCodeAt(j) === 32) j++;
  const c = t.charCodeAt(j);
  if (!visible(c)) return false;
  // vendor/device/class/subclass (NAMED), cap/ecap (CAP), bar (BAR) at the start of the text.
  if (c === 118 || c === 100 || c === 99 || c === 115 || c === 101 || c === 98) {
    for (const w of LOOKALIKES) if (t.startsWith(w, j)) return false;
  }
  const last = d.caps[d.caps.length - 1];
  if (last === undefined) return false;
  d.fresh = false;
  if (last.more === NO_MORE) last.more = [];
  last.more.push(t.slice(j, e));
  return true;
}

const SEVENTEEN = " ".repeat(17);
const LOOKALIKES = ["vendor", "device", "class", "subclass", "cap", "ecap", "bar"] as const;

function lowerHexRun(t: string, i: number, end: number): boolean {
  for (; i < end; i++) {
    const c = t.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/** Lower-case hex digits [i, i + w) as a number, -1 when any is not one. */
function hexAt(t: string, i: number, w: number): number {
  let v = 0;
  for (const end = i + w; i < end; i++) {
    const c = t.charCodeAt(i);
    if (c >= 48 && c <= 57) v = v * 16 + (c - 48);
    else if (c >= 97 && c <= 102) v = v * 16 + (c - 87);
    else return -1;
  }
  return v;
}

/**
 * 1–9 decimal digits from `i` up to a colon: the value, or -1. The colon's index is left in
 * `decimalEnd` rather than returned in a pair: four of these run per header.
 */
function decimalTo(t: string, i: number): number {
  const start = i;
  let v = 0;
  for (let c = t.charCodeAt(i); c >= 48 && c <= 57; c = t.charCodeAt(++i)) v = v * 10 + (c - 48);
  const len = i - start;
  if (len === 0 || len > 9 || t.charCodeAt(i) !== 58) return -1;
  decimalEnd = i;
  return v;
}
let decimalEnd = 0;

// `\tclass=0x… rev=0x… hdr=0x… vendor=0x… device=0x… subvendor=0x… subdevice=0x…`: 95 characters.
const TAIL = 95;

/** `NAME@pciD:B:S:F:<tab>class=0x…` with one tab and the fixed-width fields of 13.0+. */
function exactHeader(p: Parse, s: number, e: number, line: number): boolean {
  const t = p.text;
  if (p.nextAtPci < s) p.nextAtPci = nextIndex(t, "@pci", s);
  const at = p.nextAtPci;
  if (at >= e) return false;
  for (let i = s; i < at; i++) if (!isWordChar(t.charCodeAt(i))) return false;
  const domain = decimalTo(t, at + 4);
  if (domain < 0) return false;
  const bus = decimalTo(t, decimalEnd + 1);
  if (bus < 0) return false;
  const slot = decimalTo(t, decimalEnd + 1);
  if (slot < 0) return false;
  const func = decimalTo(t, decimalEnd + 1);
  if (func < 0) return false;
  const i = decimalEnd + 1;
  if (e - i !== TAIL || !t.startsWith("\tclass=0x", i) || !t.startsWith(" rev=0x", i + 15) || !t.startsWith(" hdr=0x", i + 24)) return false;
  if (!t.startsWith(" vendor=0x", i + 33) || !t.startsWith(" device=0x", i + 47) || !t.startsWith(" subvendor=0x", i + 61) || !t.startsWith(" subdevice=0x", i + 78)) return false;
  const cls = hexAt(t, i + 9, 6);
  const rev = hexAt(t, i + 22, 2);
  const hdr = hexAt(t, i + 31, 2);
  const vendor = hexAt(t, i + 43, 4);
  const device = hexAt(t, i + 57, 4);
  const subvendor = hexAt(t, i + 74, 4);
  const subdevice = hexAt(t, i + 91, 4);
  if ((cls | rev | hdr | vendor | device | subvendor | subdevice) < 0) return false;
  // The unit is the name's trailing digits; slices of the text, not a split and a concatenation.
  let u = at;
  while (u > s && t.charCodeAt(u - 1) >= 48 && t.charCodeAt(u - 1) <= 57) u--;
  if (p.cur) p.devices.push(finish(p.cur));
  p.cur = modernDraft(t.slice(s, at), u > s ? t.slice(s, u) : "", u < at ? t.slice(u, at) : "", { domain, bus, slot, func }, { count: 7, class: cls, card: -1, chip: -1, rev, hdr, vendor, device, subvendor, subdevice }, line);
  return true;
}

/**
 * The common lines, read in place; false leaves the line to `slowLine`. [s, e) is the line
 * without trailing blanks, e > s, and holds no line break of any kind. Each line is one sticky
 * pattern run at its start: a pattern runs as native code from the first line on, where a loop
 * over characters runs in the interpreter until the JIT takes it (most runs are over by then).
 */
function fastLine(p: Parse, s: number, e: number, line: number): boolean {
  const t = p.text;
  const c0 = t.charCodeAt(s);
  if (c0 !== 32 && c0 !== 9) return fastHeader(p, s, e, line);
  // Any other line with "@pci" in it may be a header (indented by a paste): the pattern decides.
  if (p.nextAtPci < s) p.nextAtPci = nextIndex(t, "@pci", s);
  if (p.nextAtPci < e) return false;
  const d = p.cur;
  if (d === null) return false;
  if (d.fresh) {
    // The second half of a wrapped header (key=0x… pairs) is only looked for right after it.
    if (p.nextEq0x < s) p.nextEq0x = nextIndex(t, "=0x", s);
    if (p.nextEq0x < e) return false;
  }
  BODY.lastIndex = s;
  const m = BODY.exec(t)!;
  const at = BODY.lastIndex;
  const next = t.charCodeAt(at);
  if (at < e && isOtherBlank(next)) return false;
  if (m[1] !== undefined) {
    // `cap 05[50] = MSI …`: what follows the blanks after "=" is the text.
    d.fresh = false;
    d.caps.push({ kind: m[1] === "ecap" ? "ecap" : "cap", id: m[2]!, offset: m[3]!, text: at < e ? t.slice(at, e) : "", more: NO_MORE });
    return true;
  }
  if (m[4] !== undefined) {
    if (at > e) return false;
    d.fresh = false;
    const value = unquoteAt(t, at, e);
    const key = m[4];
    if (key === "vendor") d.vendorName = value;
    else if (key === "device") d.deviceName = value;
    else if (key === "class") d.className = value;
    else d.subclassName = value;
    return true;
  }
  // Not read here: "--" (a grep separator), bar lines, cap lines in upper case or with tabs,
  // vendor/device/class lines of another shape.
  if (next === 45 /* - */ || next === 98 /* b */ || next === 118 || next === 100 || next === 115 || t.startsWith("cap", at) || t.startsWith("ecap", at) || t.startsWith("class", at)) return false;
  const last = d.caps[d.caps.length - 1];
  // pciconf indents a capability's second and later lines under its text.
  if (!last || !(c0 === 9 || at - s >= 4)) return false;
  d.fresh = false;
  if (last.more === NO_MORE) last.more = [];
  last.more.push(t.slice(at, e));
  return true;
}

// Leading blanks, then a cap/ecap head up to its text, or a vendor/device/class/subclass key up
// to its value; with neither, just the blanks.
const BODY = /[ \t]+(?:(e?cap) +([0-9a-f]+)\[([0-9a-f]+)\] *= *|(vendor|device|class|subclass)[ \t]*=[ \t]*)?/y;

function nextIndex(t: string, needle: string, from: number): number {
  const i = t.indexOf(needle, from);
  return i < 0 ? t.length : i;
}

function unquoteAt(t: string, i: number, e: number): string {
  if (t.charCodeAt(i) !== 39) return t.slice(i, e);
  return e - i > 1 && t.charCodeAt(e - 1) === 39 ? t.slice(i + 1, e - 1) : t.slice(i + 1, e);
}

// `NAME@pciD:B:S:F:<tab>class=0x… rev=0x… …` exactly as 13.0+ prints it.
const MODERN_HEADER =
  /([A-Za-z0-9_]*)@pci(\d{1,9}):(\d{1,9}):(\d{1,9}):(\d{1,9}):[ \t]+class=0x([0-9a-f]{6}) rev=0x([0-9a-f]{2}) hdr=0x([0-9a-f]{2}) vendor=0x([0-9a-f]{4}) device=0x([0-9a-f]{4}) subvendor=0x([0-9a-f]{4}) subdevice=0x([0-9a-f]{4})/y;

function fastHeader(p: Parse, s: number, e: number, line: number): boolean {
  MODERN_HEADER.lastIndex = s;
  const m = MODERN_HEADER.exec(p.text);
  if (m === null || MODERN_HEADER.lastIndex !== e) return false;
  const [name, unit] = splitUnit(m[1]!);
  if (p.cur) p.devices.push(finish(p.cur));
  const hex = (k: number) => parseInt(m[k]!, 16);
  const addr = { domain: Number(m[2]), bus: Number(m[3]), slot: Number(m[4]), func: Number(m[5]) };
  p.cur = modernDraft(m[1]!, name, unit, addr, { count: 7, class: hex(6), card: -1, chip: -1, rev: hex(7), hdr: hex(8), vendor: hex(9), device: hex(10), subvendor: hex(11), subdevice: hex(12) }, line);
  return true;
}

function modernDraft(full: string, name: string, unit: string, addr: PciAddress, fields: Fields, line: number): Draft {
  return {
    name: full,
    driver: name === "" ? "none" : name,
    unit: unit === "" ? null : Number(unit),
    addr,
    fields,
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
}

function noFields(): Fields {
  return { count: 0, class: -1, card: -1, chip: -1, rev: -1, hdr: -1, vendor: -1, device: -1, subvendor: -1, subdevice: -1 };
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
    fields: noFields(),
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
    const keys = ["class", "rev", "hdr", "vendor", "device", "subvendor", "subdevice"] as const;
    for (let j = 0; j < keys.length; j++) setField(d.fields, keys[j]!, parseInt(long[j + 1] ?? "0", 16));
  } else {
    readFields(d, rest);
  }
  return d;
}

function setField(f: Fields, key: FieldName, value: number): void {
  if (f[key] < 0) f.count++;
  f[key] = value;
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
  if (d.fields.count === 0) {
    const m = MODERN.exec(text);
    if (m) {
      for (let k = 0; k < 7; k++) setField(d.fields, MODERN_KEYS[k]!, parseInt(m[k + 1]!, 16));
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
    if (end > at + 3 && FIELD_NAMES.has(key) && d.fields[key as FieldName] < 0) setField(d.fields, key as FieldName, parseInt(text.slice(at + 3, end), 16));
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
  const card = f.card;
  const chip = f.chip;
  // Before 13.0 pciconf packed ids as card=subdevice<<16|subvendor, chip=device<<16|vendor.
  const vendorId = f.vendor >= 0 ? f.vendor : chip < 0 ? null : chip & 0xffff;
  const deviceId = f.device >= 0 ? f.device : chip < 0 ? null : chip >>> 16;
  const subvendorId = f.subvendor >= 0 ? f.subvendor : card < 0 ? null : card & 0xffff;
  const subdeviceId = f.subdevice >= 0 ? f.subdevice : card < 0 ? null : card >>> 16;
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
    else if (t.startsWith("PCI Advanced Features") && hasWord(t, "FLR")) afFlr = true;
  }
  return {
    name: d.name,
    driver: d.driver,
    unit: d.unit,
    addr: d.addr,
    classCode: orNull(f.class),
    rev: orNull(f.rev),
    hdr: orNull(f.hdr),
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

function orNull(v: number): number | null {
  return v < 0 ? null : v;
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
