import type { MsiCap, MsixCap, PcieCap } from "./pci-device.ts";

/**
 * What a capability's text says about MSI, MSI-X and PCI Express, as pciconf -c prints it
 * (usr.sbin/pciconf/cap.c: cap_msi, cap_msix, cap_express). The patterns are the definition; the
 * readers walk the same text with indexOf and startsWith, which for 10,000 devices costs a
 * fraction of three pattern matches each. test/pciconf.test.ts checks both agree on random texts.
 * https://github.com/freebsd/freebsd-src/blob/main/usr.sbin/pciconf/cap.c
 */
const MSI = /^MSI supports (\d+) messages?(,? 64 bit)?(,? vector masks)?(?:.*?enabled with (\d+) messages?)?/;
const MSIX = /^MSI-X supports (\d+) messages?(.*)$/;
const PCIE = /^PCI-Express (\d+) (.*?)(?: max data|$)/;

export function readMsiByPattern(text: string): MsiCap | null {
  const m = MSI.exec(text);
  if (!m) return null;
  return { count: Number(m[1]), bits64: m[2] !== undefined, vectorMasks: m[3] !== undefined, enabledWith: m[4] === undefined ? null : Number(m[4]) };
}

export function readMsixByPattern(text: string): MsixCap | null {
  const m = MSIX.exec(text);
  if (!m) return null;
  const rest = m[2] ?? "";
  return { count: Number(m[1]), enabled: /\benabled\b/.test(rest), masked: /\bmasked\b/.test(rest) };
}

export function readPcieByPattern(text: string): PcieCap | null {
  const m = PCIE.exec(text);
  if (!m) return null;
  return { version: Number(m[1]), portType: (m[2] ?? "").trim(), flr: /\bFLR\b/.test(text) };
}

/** `.` in the patterns stops at these; a text holding one goes to the pattern. */
function hasBreak(t: string): boolean {
  return t.includes("\n") || t.includes("\r") || t.includes("\u2028") || t.includes("\u2029");
}

/** Where the run of decimal digits starting at `i` ends (`i` itself when there is none). */
function digitsEnd(t: string, i: number): number {
  let c = t.charCodeAt(i);
  while (c >= 48 && c <= 57) c = t.charCodeAt(++i);
  return i;
}

function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
}

/** `\bWORD\b` for a word of word characters: ASCII \w, as the patterns (no u flag) have it. */
export function hasWord(t: string, word: string, from = 0): boolean {
  for (let i = t.indexOf(word, from); i >= 0; i = t.indexOf(word, i + 1)) {
    if ((i === from || !isWordChar(t.charCodeAt(i - 1))) && !isWordChar(t.charCodeAt(i + word.length))) return true;
  }
  return false;
}

/** After `N message` or `N messages` at `i`: the index past it, or -1. */
function messagesEnd(t: string, i: number): number {
  const d = digitsEnd(t, i);
  if (d === i || !t.startsWith(" message", d)) return -1;
  return t.charCodeAt(d + 8) === 115 /* s */ ? d + 9 : d + 8;
}

export function readMsi(text: string): MsiCap | null {
  if (!text.startsWith("MSI supports ")) return null;
  if (hasBreak(text)) return readMsiByPattern(text);
  let i = messagesEnd(text, 13);
  if (i < 0) return null;
  const count = Number(text.slice(13, digitsEnd(text, 13)));
  const bits64 = text.startsWith(", 64 bit", i) || text.startsWith(" 64 bit", i);
  if (bits64) i += text.charCodeAt(i) === 44 ? 8 : 7;
  const vectorMasks = text.startsWith(", vector masks", i) || text.startsWith(" vector masks", i);
  if (vectorMasks) i += text.charCodeAt(i) === 44 ? 14 : 13;
  // The first "enabled with N message" after that, wherever it starts (`.*?`).
  let enabledWith: number | null = null;
  for (let at = text.indexOf("enabled with ", i); at >= 0; at = text.indexOf("enabled with ", at + 1)) {
    if (messagesEnd(text, at + 13) >= 0) {
      enabledWith = Number(text.slice(at + 13, digitsEnd(text, at + 13)));
      break;
    }
  }
  return { count, bits64, vectorMasks, enabledWith };
}

export function readMsix(text: string): MsixCap | null {
  if (!text.startsWith("MSI-X supports ")) return null;
  if (hasBreak(text)) return readMsixByPattern(text);
  const i = messagesEnd(text, 15);
  if (i < 0) return null;
  return { count: Number(text.slice(15, digitsEnd(text, 15))), enabled: hasWord(text, "enabled", i), masked: hasWord(text, "masked", i) };
}

export function readPcie(text: string): PcieCap | null {
  if (!text.startsWith("PCI-Express ")) return null;
  if (hasBreak(text)) return readPcieByPattern(text);
  const d = digitsEnd(text, 12);
  if (d === 12 || text.charCodeAt(d) !== 32) return null;
  const end = text.indexOf(" max data", d + 1);
  return { version: Number(text.slice(12, d)), portType: text.slice(d + 1, end < 0 ? text.length : end).trim(), flr: hasWord(text, "FLR") };
}
