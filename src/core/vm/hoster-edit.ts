/**
 * Sets the `"passthru"` list of a Hoster vm_config.json and keeps every other byte: the other
 * members, their order, numbers as written, the file's indentation and final newline. Hoster
 * writes the file with json.MarshalIndent(conf, "", "   "), three spaces and no final newline
 * (HosterCore internal/pkg/hoster/vm/utils/config_file_writer.go); a file a person edited keeps
 * its own layout. Hoster has no slot pins, so no entry here carries `=S:F`.
 * Pure: byte strings in and out.
 */
import { topObject } from "../text/json-spans.ts";
import { parseHosterVm } from "./hoster.ts";

const HOSTER_INDENT = "   ";

export function setHosterPassthru(text: string, entries: readonly string[]): { text: string } | { error: string } {
  const before = parseHosterVm(text);
  if ("error" in before) return before;
  const top = topObject(text);
  if (top === null) return { error: "is not a JSON object" };
  const found = top.members.filter((m) => m.key === "passthru");
  if (found.length > 1) return { error: `names "passthru" ${found.length} times; Hoster reads only the last: keep one by hand` };
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  const first = top.members[0];
  const compact = !/\n/.test(text.slice(top.open, top.close));
  const indent = first ? indentOf(text, first.start) : HOSTER_INDENT;
  const render = (multiline: boolean) => {
    if (entries.length === 0) return "[]";
    const items = entries.map((e) => JSON.stringify(e));
    if (!multiline) return `[${items.join(compact ? "," : ", ")}]`;
    return `[${eol}${items.map((i) => `${indent}${indent}${i}`).join(`,${eol}`)}${eol}${indent}]`;
  };

  let next: string;
  const member = found[0];
  if (member) {
    const old = text.slice(member.valueStart, member.valueEnd);
    next = text.slice(0, member.valueStart) + render(old.includes("\n")) + text.slice(member.valueEnd);
  } else {
    const last = top.members.at(-1);
    const colon = first ? text.slice(first.start, first.valueStart).replace(/^"(?:[^"\\]|\\.)*"/, "") : compact ? ":" : ": ";
    const pair = `"passthru"${colon}${render(!compact)}`;
    if (last) next = `${text.slice(0, last.valueEnd)},${compact ? "" : `${eol}${indent}`}${pair}${text.slice(last.valueEnd)}`;
    else next = `${text.slice(0, top.open + 1)}${compact ? pair : `${eol}${indent}${pair}${eol}`}${text.slice(top.close)}`;
  }
  return checked(text, next, entries);
}

/** The blanks before `at` on its line; one level of Hoster's indentation when the line holds more. */
function indentOf(text: string, at: number): string {
  const lineStart = text.lastIndexOf("\n", at - 1) + 1;
  const lead = text.slice(lineStart, at);
  return /^[ \t]+$/.test(lead) ? lead : HOSTER_INDENT;
}

/** The edit changed the list and nothing else, as Hoster's own reader sees it. */
function checked(before: string, after: string, entries: readonly string[]): { text: string } | { error: string } {
  const read = parseHosterVm(after);
  if ("error" in read || read.entries.join("\n") !== entries.join("\n")) {
    return { error: "pptctl could not edit the passthru list safely (the result did not read back as written); nothing was written: edit it by hand" };
  }
  const a = JSON.parse(before) as Record<string, unknown>;
  const b = JSON.parse(after) as Record<string, unknown>;
  delete a.passthru;
  delete b.passthru;
  if (JSON.stringify(a) !== JSON.stringify(b)) {
    return { error: "pptctl could not edit the passthru list without touching other settings; nothing was written: edit it by hand" };
  }
  return { text: after };
}
