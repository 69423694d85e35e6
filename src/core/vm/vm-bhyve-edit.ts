/**
 * Edits the passthru list of a vm-bhyve NAME.conf and keeps every other byte. The rules are
 * vm-bhyve's (see vm-bhyve.ts): only lines that start `passthruN=` or `passthruN_options=` at the
 * first column count, the first line of a name wins, and lib/vm-run reads passthru0, passthru1,
 * … up to the first missing number, so the list stays numbered from 0 without gaps: a new entry
 * takes the next number, and removing one moves every later entry (and its _options) down.
 * Pure: byte strings in and out; the caller has read the file with parseVmBhyveConf first.
 */
import type { PciAddress } from "../pci/address.ts";
import { sameAddr } from "../pci/address.ts";
import { parsePassthruEntry } from "./passthru-entry.ts";
import { parseVmBhyveConf } from "./vm-bhyve.ts";

/** vm-bhyve looks up passthru0, passthru1, … by name: passthru01 is never read, so it is no key here. */
const KEY = /^passthru(0|[1-9]\d*)(_options)?=/;

interface KeyLine {
  readonly index: number;
  readonly num: number;
  readonly options: boolean;
}

/** The file's lines, each with its own line ending, and the lines that set passthru names. */
function readLines(text: string): { lines: string[]; keys: KeyLine[]; entries: string[] } | { error: string } {
  const parsed = parseVmBhyveConf(text);
  if ("error" in parsed) return parsed;
  // sed 's@ *$@@' in lib/vm-config leaves a CR in every value: a CRLF file gets no new line from pptctl.
  const cr = text.split("\n").findIndex((l) => l.endsWith("\r") && /^[a-z]/.test(l));
  if (cr >= 0) return { error: `line ${cr + 1} ends in a carriage return (DOS line endings): vm-bhyve keeps it in every value it reads, so a new passthru line would reach bhyve as 'B/S/F\\r'; save the file with Unix line endings first` };
  const lines = text.split(/(?<=\n)/);
  const keys: KeyLine[] = [];
  const seen = new Map<string, number>();
  for (const [index, line] of lines.entries()) {
    const m = KEY.exec(line);
    if (!m) continue;
    const name = m[0].slice(0, -1);
    const first = seen.get(name);
    if (first !== undefined) {
      // vm-bhyve reads the first; renumbering could make the second the one it reads.
      return { error: `${name} is set twice (lines ${first + 1} and ${index + 1}); vm-bhyve reads only the first: remove one by hand` };
    }
    seen.set(name, index);
    // Stryker disable next-line ConditionalExpression: a passthruN key at or past the entries' count is a gap, which parseVmBhyveConf refused above
    keys.push({ index, num: Number(m[1]), options: m[2] !== undefined });
  }
  return { lines, keys, entries: parsed.entries };
}

/** Appends entries (`1/0/0`, `0/2/0=2:0`) after the last passthru line, numbered on. */
export function addVmBhyveEntries(text: string, entries: readonly string[]): { text: string } | { error: string } {
  const read = readLines(text);
  if ("error" in read) return read;
  const { lines, keys } = read;
  const count = read.entries.length;
  // An options line of a number not yet taken would join the new entry (vm-bhyve appends it).
  for (const k of keys) {
    if (k.options && k.num >= count && k.num < count + entries.length) {
      return { error: `line ${k.index + 1}, passthru${k.num}_options, has no passthru${k.num}: vm-bhyve would add it to the new passthru${k.num} (${entries[k.num - count]}); remove that line, or give it to the device it was meant for, first` };
    }
  }
  const last = keys.at(-1);
  // The last entry's quoting is the file's style; double quotes when it has no entry yet.
  const quote = last && !/^[^=]*="/.test(lines[last.index]!) ? "" : '"';
  const at = last ? last.index + 1 : lines.length;
  const added = entries.map((e, i) => `passthru${count + i}=${quote}${e}${quote}\n`);
  const before = lines.slice(0, at);
  // A split never gives no piece: an empty file is [""].
  const tail = before.at(-1)!;
  // A file without a final newline keeps none: the new lines go before the end, so unassign gives the bytes back.
  if (tail !== "" && !tail.endsWith("\n")) {
    before[before.length - 1] = `${tail}\n`;
    const lastAdded = added.length - 1;
    added[lastAdded] = added[lastAdded]!.slice(0, -1);
  }
  return { text: [...before, ...added, ...lines.slice(at)].join("") };
}

/**
 * Drops the entries of these devices (and their _options lines) and renumbers the later ones.
 * `removed` names each dropped entry as the file has it.
 */
export function removeVmBhyveEntries(text: string, addrs: readonly PciAddress[], pptNames?: ReadonlyMap<string, PciAddress>): { text: string; removed: string[] } | { error: string } {
  const read = readLines(text);
  if ("error" in read) return read;
  const { lines, keys, entries } = read;
  const gone = new Set<number>();
  for (const [num, entry] of entries.entries()) {
    const e = parsePassthruEntry(entry, pptNames);
    if (!("error" in e) && addrs.some((a) => sameAddr(a, e.addr))) gone.add(num);
  }
  const removed = entries.filter((_, num) => gone.has(num));
  const out = [...lines];
  for (const k of keys) {
    if (gone.has(k.num)) {
      out[k.index] = "";
      continue;
    }
    // Each entry removed before this one moves it down by one; the rest of the line stays.
    // Stryker disable next-line EqualityOperator: k.num is not in gone, so no g equals it
    const shift = [...gone].filter((g) => g < k.num).length;
    out[k.index] = `passthru${k.num - shift}${lines[k.index]!.slice(`passthru${k.num}`.length)}`;
  }
  // The file's last line had no newline and is gone: the line before it keeps none either. (A
  // CR never gets here: readLines refuses CRLF files.)
  // When the last line is kept, it has no newline to take.
  const lastKept = out.findLastIndex((l) => l !== "");
  // Stryker disable next-line Regex: a line here holds a newline only at its end
  if (lastKept >= 0 && !lines.at(-1)!.endsWith("\n")) out[lastKept] = out[lastKept]!.replace(/\n$/, "");
  return { text: out.join(""), removed };
}
