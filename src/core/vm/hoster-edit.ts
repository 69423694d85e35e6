/**
 * Edits the `"passthru"` list of a Hoster vm_config.json and keeps every other byte: the other
 * members, their order, numbers as written, the entries left in the list as written, the file's
 * indentation and final newline. The list is the member Go's decoder fills (text/go-json.ts: a
 * key matched case-insensitively); a file with two such keys is refused. Hoster writes the file
 * with json.MarshalIndent(conf, "", "   ") (config_file_writer.go), three spaces, a multi-line
 * list, and no "passthru" at all when it is empty (`json:"passthru,omitempty"`, get_config.go of
 * yaroslav-gwit/HosterCore): so a list emptied by unassign goes, and assign then unassign gives
 * Hoster's bytes back. Hoster has no slot pins, so no entry here carries `=S:F`. Pure.
 */
import { goFold, goMembers } from "../text/go-json.ts";
import { type Member, type TopObject, arrayItems, topObject } from "../text/json-spans.ts";
import { parseHosterVm } from "./hoster.ts";

const HOSTER_INDENT = "   ";

export interface HosterChange {
  /** Entries (as written, a JSON string's value) to take out. */
  readonly remove: (entry: string) => boolean;
  /** Entries to append, in order. */
  readonly add: readonly string[];
}

export function editHosterPassthru(text: string, change: HosterChange): { text: string; removed: string[] } | { error: string } {
  const before = parseHosterVm(text);
  if ("error" in before) return before;
  // parseHosterVm found the object just above.
  const top = topObject(text)!;
  const found = goMembers(top, "passthru");
  if (found.length > 1) {
    return { error: `names the passthru list ${found.length} times (${found.map((m) => JSON.stringify(m.key)).join(", ")}); Hoster's decoder matches keys case-insensitively and keeps only the last: keep one by hand` };
  }
  const member = found[0];
  const items = member ? (arrayItems(text, member.valueStart) ?? []) : [];
  // parseHosterVm above took the list as Hoster's: every item is a string.
  const values = items.map((it) => JSON.parse(text.slice(it.start, it.end)) as string);
  const gone = new Set(values.flatMap((v, i) => (change.remove(v) ? [i] : [])));
  const removed = [...gone].map((i) => values[i]!);
  const kept = items.filter((_, i) => !gone.has(i)).map((it) => text.slice(it.start, it.end));
  const list = [...kept, ...change.add.map((e) => JSON.stringify(e))];
  if (gone.size === 0 && change.add.length === 0) return { text, removed };

  let next: string;
  if (member && list.length === 0) next = dropMember(text, top, member);
  else if (member && items.length > 0) next = text.slice(0, member.valueStart) + reshape(text, member, items, list) + text.slice(member.valueEnd);
  else if (member) next = text.slice(0, member.valueStart) + render(text, top, list) + text.slice(member.valueEnd);
  else next = addMember(text, top, render(text, top, list));
  // Hoster skips "" entries; so does its reader.
  const expected = [...values.filter((_, i) => !gone.has(i)), ...change.add].filter((e) => e !== "");
  const r = checkHosterEdit(text, next, expected);
  // Stryker disable next-line StringLiteral: the guard fails only on a bug in the edit above, which no input reaches; its own tests cover it
  return "error" in r ? r : { text: r.text, removed };
}

/** The list in its own layout: the text before the first element, between elements, and after the last. */
function reshape(text: string, member: Member, items: readonly { start: number; end: number }[], list: readonly string[]): string {
  const first = items[0]!;
  const last = items.at(-1)!;
  const lead = text.slice(member.valueStart + 1, first.start);
  const trail = text.slice(last.end, member.valueEnd - 1);
  const sep = items[1] ? text.slice(first.end, items[1].start) : lead.includes("\n") ? `,${lead}` : lead === "" && !text.slice(member.start, member.valueStart).includes(" ") ? "," : ", ";
  return `[${lead}${list.join(sep)}${trail}]`;
}

/** A new list: multi-line as Hoster writes it, unless the file keeps its lists on one line. */
function render(text: string, top: TopObject, list: readonly string[]): string {
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  const indent = memberIndent(text, top);
  if (isCompact(text, top)) return `[${list.join(",")}]`;
  const inline = top.members.some((m) => {
    const v = text.slice(m.valueStart, m.valueEnd);
    return v.startsWith("[") && v.slice(1, -1).trim() !== "" && !v.includes("\n");
  });
  if (inline) return `[${list.join(", ")}]`;
  return `[${eol}${list.map((i) => `${indent}${indent}${i}`).join(`,${eol}`)}${eol}${indent}]`;
}

function addMember(text: string, top: TopObject, value: string): string {
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  const compact = isCompact(text, top);
  const first = top.members[0];
  const last = top.members.at(-1);
  const indent = memberIndent(text, top);
  // Stryker disable next-line Regex: the slice starts with the key's opening quote, so the first string found is the key
  const colon = first ? text.slice(first.start, first.valueStart).replace(/^"(?:[^"\\]|\\.)*"/, "") : compact ? ":" : ": ";
  const pair = `"passthru"${colon}${value}`;
  if (last) return `${text.slice(0, last.valueEnd)},${compact ? "" : `${eol}${indent}`}${pair}${text.slice(last.valueEnd)}`;
  return `${text.slice(0, top.open + 1)}${compact ? pair : `${eol}${indent}${pair}${eol}`}${text.slice(top.close)}`;
}

/** Takes the member out with the comma and blanks that joined it to its neighbour. */
function dropMember(text: string, top: TopObject, member: Member): string {
  const i = top.members.indexOf(member);
  const prev = top.members[i - 1];
  const next = top.members[i + 1];
  if (prev) return text.slice(0, prev.valueEnd) + text.slice(member.valueEnd);
  if (next) return text.slice(0, member.start) + text.slice(next.start);
  return text.slice(0, top.open + 1) + text.slice(top.close);
}

function isCompact(text: string, top: TopObject): boolean {
  return !/\n/.test(text.slice(top.open, top.close));
}

/** The blanks before the first member on its line; Hoster's three spaces when it shares a line. */
function memberIndent(text: string, top: TopObject): string {
  const first = top.members[0];
  if (!first) return HOSTER_INDENT;
  // Stryker disable next-line ArithmeticOperator: a key holds no raw newline, so searching from inside it finds the same one
  const lineStart = text.lastIndexOf("\n", first.start - 1) + 1;
  const lead = text.slice(lineStart, first.start);
  return /^[ \t]+$/.test(lead) ? lead : HOSTER_INDENT;
}

/** The edit changed the list and nothing else, as Hoster's own reader sees it: the last guard before a write. */
export function checkHosterEdit(before: string, after: string, entries: readonly string[]): { text: string } | { error: string } {
  const read = parseHosterVm(after);
  if ("error" in read || read.entries.join("\n") !== entries.join("\n")) {
    return { error: "pptctl could not edit the passthru list safely (the result did not read back as written); nothing was written: edit it by hand" };
  }
  const others = (t: string) => {
    const o = JSON.parse(t) as Record<string, unknown>;
    for (const k of Object.keys(o)) if (goFold(k) === "PASSTHRU") delete o[k];
    return JSON.stringify(o);
  };
  if (others(before) !== others(after)) {
    return { error: "pptctl could not edit the passthru list without touching other settings; nothing was written: edit it by hand" };
  }
  return { text: after };
}
