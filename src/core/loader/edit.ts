import { parseLoaderConf, readLoaderLine } from "../parse/loader-conf.ts";

/** One loader.conf setting pptctl manages. */
export interface Setting {
  readonly name: string;
  readonly value: string;
}

export interface EditOptions {
  /**
   * Names whose lines pptctl takes over even where the loader cannot read them (plan --replace):
   * such lines, and the lines a trailing backslash joined to them, are dropped.
   */
  readonly takeOver?: readonly string[];
}

const S = "[ \\t\\v\\f\\r]";
const QUOTED = new RegExp(`^(${S}*)([^=]*?)(${S}*=${S}*)"(.*)"(.*)$`, "s");
const BARE = new RegExp(`^(${S}*)([^=]*?)(${S}*=${S}*)[-A-Za-z0-9][-A-Za-z0-9_.]*(.*)$`, "s");

/**
 * Rewrites loader.conf bytes: each setting replaces its first assignment in place (keeping
 * indentation, spacing and a trailing comment) and later assignments of it are dropped; names
 * in `remove` lose their lines; new settings are appended. A line counts as an assignment only
 * when the loader reads it as one (loader-conf.ts). Every other byte stays as it was, CRLF
 * line ends and a byte-order mark included. Pure.
 */
export function editLoaderConf(text: string, settings: readonly Setting[], remove: readonly string[], opts: EditOptions = {}): string {
  const eol = majorityEol(text);
  const endsWithEol = text.endsWith("\n");
  // split leaves "" after a final newline (and for an empty file); CRs stay on their lines.
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  const want = new Map(settings.map((s) => [s.name, s.value]));
  // Lines taken over, each group (a line and its continuations) under the setting it was meant to make.
  const drop = new Map<number, string>();
  // Stryker disable next-line StringLiteral: the path names no file here; only the problems' line numbers are read
  for (const p of parseLoaderConf("", text).problems) {
    // Stryker disable next-line ConditionalExpression: takeOver holds names, so a nameless problem is skipped by includes() as well
    if (p.name === null || !opts.takeOver?.includes(p.name)) continue;
    for (let k = 0; k <= p.extraLines; k++) drop.set(p.line - 1 + k, p.name);
  }
  const done = new Set<string>();
  const out: string[] = [];
  // A setting's own line, where the file's line cannot be kept around it.
  const fresh = (name: string, raw: string) => `${name}="${want.get(name)}"${raw.endsWith("\r") ? "\r" : ""}`;
  for (const [i, raw] of lines.entries()) {
    const taken = drop.get(i);
    if (taken !== undefined) {
      // The new line takes the place of the group it replaces.
      if (want.has(taken) && !done.has(taken)) {
        done.add(taken);
        out.push(fresh(taken, raw));
      }
      continue;
    }
    const r = readLoaderLine(raw);
    // Stryker disable next-line ConditionalExpression: a line that sets nothing has no name, which want and remove never hold
    if (r.kind !== "set" || (!want.has(r.name) && !remove.includes(r.name))) {
      out.push(raw);
      continue;
    }
    if (remove.includes(r.name) || done.has(r.name)) continue;
    done.add(r.name);
    const m = (r.quoted ? QUOTED : BARE).exec(raw);
    out.push(m ? `${m[1]}${m[2]}${m[3]}"${want.get(r.name)}"${r.quoted ? m[5] : m[4]}` : fresh(r.name, raw));
  }
  const added = settings.filter((s) => !done.has(s.name)).map((s) => `${s.name}="${s.value}"`);
  let result = out.join("\n");
  if (out.length > 0 && (endsWithEol || added.length > 0)) result += "\n";
  if (added.length > 0) {
    // A file without a final newline gets one before the new lines, in the file's own style.
    if (!endsWithEol && eol === "\r\n") result = `${result.slice(0, -1)}\r\n`;
    result += added.map((l) => `${l}${eol}`).join("");
  }
  return result;
}

/** New lines follow the file's majority line ending; LF when tied or when there is none. */
export function majorityEol(text: string): "\n" | "\r\n" {
  let crlf = 0;
  let lf = 0;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) {
    // charCodeAt(-1) is NaN: a newline at the start has no CR before it.
    if (text.charCodeAt(i - 1) === 13) crlf++;
    else lf++;
  }
  return crlf > lf ? "\r\n" : "\n";
}
