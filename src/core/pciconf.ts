import type { PciAddress } from "./pci-address.ts";
import type { Capability, MsiCap, MsixCap, PcieCap, PciDevice } from "./pci-device.ts";

export interface PciconfListing {
  readonly devices: readonly PciDevice[];
  /** Lines outside any device block that were not understood (grep separators, prompts…). */
  readonly unparsed: readonly { line: number; text: string }[];
}

// NAME@pciD:B:S:F: — the name may lack a unit (`none@`), old releases print only B:S:F.
const HEADER = /^\s*([A-Za-z0-9_]*)@pci(\d+):(\d+):(\d+)(?::(\d+))?:?(?:\s+(.*))?$/;
const KV = /\b(class|card|chip|rev|hdr|vendor|device|subvendor|subdevice)=0x([0-9a-fA-F]+)/g;
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
  caps: { kind: "cap" | "ecap"; id: string; offset: string; text: string; more: string[] }[];
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
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    // Trailing blanks are paste noise; dropping them keeps every pattern below linear.
    const raw = (lines[i] ?? "").trimEnd();
    const head = raw.includes("@pci") ? HEADER.exec(raw) : null;
    if (head) {
      if (cur) devices.push(finish(cur));
      cur = startDevice(head, i + 1);
      continue;
    }
    if (raw.trim() === "") continue;
    if (!cur) {
      unparsed.push({ line: i + 1, text: raw });
      continue;
    }
    if (raw.trim() === "--") {
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

function readFields(d: Draft, text: string): void {
  for (const m of text.matchAll(KV)) {
    const key = m[1] ?? "";
    const value = parseInt(m[2] ?? "0", 16);
    if (!d.fields.has(key)) d.fields.set(key, value);
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
  const cap = CAP.exec(raw);
  if (cap) {
    d.caps.push({
      kind: cap[1] === "ecap" ? "ecap" : "cap",
      id: (cap[2] ?? "").toLowerCase(),
      offset: (cap[3] ?? "").toLowerCase(),
      text: cap[4] ?? "",
      more: [],
    });
    return;
  }
  const named = NAMED.exec(raw);
  if (named) {
    const key = named[1] as "vendor" | "device" | "class" | "subclass";
    const value = unquote(named[2] ?? "");
    if (key === "vendor") d.vendorName = value;
    else if (key === "device") d.deviceName = value;
    else if (key === "class") d.className = value;
    else d.subclassName = value;
    return;
  }
  if (BAR.test(raw)) {
    d.bars.push(raw.trim());
    return;
  }
  const last = d.caps[d.caps.length - 1];
  // pciconf indents a capability's second and later lines under its text.
  if (last && /^(?:\t|\s{4,})\s*\S/.test(raw)) {
    last.more.push(raw.trim());
    return;
  }
  d.unparsed.push(raw);
}

function unquote(v: string): string {
  // A missing closing quote happens in pasted output; keep what is there.
  const m = /^'(.*?)'?$/.exec(v);
  return m ? (m[1] ?? "") : v;
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
    msi ??= readMsi(c.text);
    msix ??= readMsix(c.text);
    pcie ??= readPcie(c.text);
    if (/^PCI Advanced Features:.*\bFLR\b/.test(c.text)) afFlr = true;
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
