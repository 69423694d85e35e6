/**
 * loader.conf-family files, read the way FreeBSD's Lua loader reads them (stand/lua/config.lua,
 * config.parse and pattern_table:
 * https://github.com/freebsd/freebsd-src/blob/main/stand/lua/config.lua):
 * - each line on its own (split at \n; no continuation lines); blank lines and lines whose first
 *   non-blank is `#` are skipped;
 * - patterns tried in order: `#` comment; MODULE_load|_name|_type|_flags|_before|_after|_error;
 *   `exec`; then NAME=VALUE with NAME = `[%w][%w%d-_.]*`. VALUE is first `"(.*)"` (greedy, so it
 *   ends at the last double quote of the line), then a bare word `[-%w%d][-%w%d_.]*`;
 * - what follows the value must be blank or a `#` comment, else the whole line is "Malformed";
 *   the first pattern that matches decides (no later pattern is tried);
 * - an environment value is then processed (processEnvVar): `\x` escapes x, a stray `"` makes
 *   the loader refuse the variable, `$NAME` and `${NAME}` expand from the loader's environment.
 * %s is C's isspace (space, \t, \n, \v, \f, \r), so a CRLF line reads like an LF one.
 *
 * Text here is a byte string (bytes.ts): a byte-order mark or a Latin-1 comment is kept as is.
 */
import { displayText } from "../text/bytes.ts";

/** One `name=value` the loader applies. */
export interface LoaderAssignment {
  readonly file: string;
  /** 1-based line number. */
  readonly line: number;
  readonly name: string;
  /** The value as the loader stores it, when pptctl can know it exactly. */
  readonly value: string;
  readonly quoted: boolean;
  /** Null when `value` is exactly what the loader stores; otherwise why pptctl cannot know it. */
  readonly inexact: string | null;
}

/** A line the loader does not apply (it prints "Malformed line" or refuses the value). */
export interface LoaderProblem {
  readonly file: string;
  readonly line: number;
  /** The line as shown to a person (decoded, trimmed). */
  readonly text: string;
  readonly problem: string;
  /** The setting the line seems meant to make (`pptdevs`), when one can be told. */
  readonly name: string | null;
  /** Following lines that belong to it (after a trailing backslash): they go with it. */
  readonly extraLines: number;
  /** The line and those following lines, as shown to a person. */
  readonly fullText: string;
}

export interface LoaderFile {
  readonly path: string;
  readonly assignments: readonly LoaderAssignment[];
  readonly problems: readonly LoaderProblem[];
  /** The file starts with a UTF-8 byte-order mark, which the loader reads as part of line 1. */
  readonly bom: boolean;
}

/** Lua's %s (C isspace). */
const S = "[ \\t\\n\\v\\f\\r]";
const WORD = "([-A-Za-z0-9][-A-Za-z0-9_.]*)";
const MODULE_KEYS = ["load", "name", "type", "flags", "before", "after", "error"] as const;

interface Pattern {
  readonly kind: "comment" | "module" | "exec" | "env";
  /** Quoted value first, then a bare word (checkPattern); one pattern where there is no $VALUE. */
  readonly res: readonly RegExp[];
}

function valued(kind: Pattern["kind"], head: string): Pattern {
  return {
    kind,
    res: [new RegExp(`^${S}*${head}${S}*=${S}*"(.*)"${S}*(.*)$`, "s"), new RegExp(`^${S}*${head}${S}*=${S}*${WORD}${S}*(.*)$`, "s")],
  };
}

const PATTERNS: readonly Pattern[] = [
  { kind: "comment", res: [new RegExp(`^${S}*(#.*)${S}*(.*)$`, "s")] },
  // config.lua tries MODULE_load, then MODULE_name, … in turn; one alternation is the same test:
  // the name is the run of name characters before `=`, so its suffix picks at most one of them.
  valued("module", `([-A-Za-z0-9_]+_(?:${MODULE_KEYS.join("|")}))`),
  { kind: "exec", res: [new RegExp(`^${S}*(exec)${S}*=${S}*"(.*)"${S}*(.*)$`, "s")] },
  valued("env", "([A-Za-z0-9][-A-Za-z0-9_.]*)"),
];

const BLANK = new RegExp(`^${S}*$`);
const VALID_REST = new RegExp(`^${S}*(#.*)?$`, "s");

export type LineReading =
  | { readonly kind: "skip" }
  | { readonly kind: "set"; readonly name: string; readonly value: string; readonly quoted: boolean; readonly inexact: string | null }
  | { readonly kind: "malformed"; readonly problem: string };

/** What the loader does with one line (without its \n). */
export function readLoaderLine(line: string): LineReading {
  if (BLANK.test(line)) return { kind: "skip" };
  for (const p of PATTERNS) {
    let m: RegExpExecArray | null = null;
    let quoted = false;
    for (const [i, re] of p.res.entries()) {
      m = re.exec(line);
      if (m) {
        quoted = i === 0 && p.kind !== "comment";
        break;
      }
    }
    if (!m) continue;
    if (p.kind === "comment") return { kind: "skip" };
    const rest = m[3] ?? "";
    if (!VALID_REST.test(rest)) return { kind: "malformed", problem: trailingProblem(rest, quoted) };
    const name = m[1] ?? "";
    const raw = m[2] ?? "";
    if (p.kind !== "env") return { kind: "set", name, value: raw, quoted, inexact: null };
    const v = envValue(raw);
    if ("refused" in v) return { kind: "malformed", problem: v.refused };
    return { kind: "set", name, value: v.value, quoted, inexact: v.inexact };
  }
  return { kind: "malformed", problem: unmatchedProblem(line) };
}

/** processEnvVar: escapes, stray quotes, $ expansion. */
function envValue(raw: string): { value: string; inexact: string | null } | { refused: string } {
  let out = "";
  let inexact: string | null = null;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === "\\") {
      if (i === raw.length - 1) return { refused: "the value ends with a backslash, which the loader refuses (\"Stray escape at end of line\"); each line is read on its own" };
      out += raw[++i];
    } else if (c === '"') {
      return {
        refused: `the loader takes the value up to the last double quote of the line, '${displayText(raw)}', and refuses it for the quote inside ("Stray quote"): keep double quotes out of the value and any comment after it`,
      };
    } else if (c === "$") {
      inexact ??= "the value uses $NAME, which the loader expands from its own environment";
      out += c;
    } else out += c;
  }
  return { value: out, inexact };
}

function trailingProblem(rest: string, quoted: boolean): string {
  const shown = displayText(rest.replace(/[\r\s]+$/, ""));
  if (!quoted && /^[/:,]/.test(rest)) {
    return `the loader reads an unquoted value only up to the first character that is not a letter, digit, '-', '_' or '.' ('${shown[0]}' here) and then finds '${shown}' left over: quote the value`;
  }
  return `text after the value ('${shown}'), which the loader does not accept: only a # comment may follow`;
}

function unmatchedProblem(line: string): string {
  const t = line.replace(new RegExp(`^${S}+`), "");
  if (t.startsWith("\xef\xbb\xbf")) return "starts with a UTF-8 byte-order mark, which the loader reads as part of the line: save the file without it";
  if (/^export[ \t]/.test(t)) return "'export' is shell syntax; the loader reads NAME=VALUE lines only";
  if (/^[A-Za-z0-9][-A-Za-z0-9_.]*\[/.test(t)) return "'[' is not allowed in a loader variable name";
  if (/=\s*'/.test(t)) return "single quotes: the loader reads only double-quoted values (\"…\") or bare words";
  if (/\\[\s]*$/.test(t)) return "ends with a backslash, but the loader reads each line on its own (no continuation lines): put the whole value on one line";
  if (/="[^"]*$/.test(t)) return "the closing double quote is missing";
  if (!t.includes("=")) return "not a NAME=VALUE line";
  return "not a NAME=VALUE line the loader accepts (NAME: letters, digits, '-', '_', '.'; VALUE: \"…\" or a bare word)";
}

/** The name a line seems meant to set, whatever shape it is in (for malformed ones). */
export function intendedName(line: string): string | null {
  const m = /^(?:\xef\xbb\xbf)?[ \t\v\f\r]*(?:export[ \t]+)?["']?([A-Za-z0-9_.\-]+(?:\[[^\]]*\])?)/.exec(line);
  return m?.[1] ?? null;
}

/** Parses one loader.conf-family file. Never throws; lines the loader would not apply are problems. */
export function parseLoaderConf(path: string, text: string): LoaderFile {
  const assignments: LoaderAssignment[] = [];
  const problems: LoaderProblem[] = [];
  const lines = text.split("\n");
  if (text.endsWith("\n")) lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const r = readLoaderLine(raw);
    if (r.kind === "skip") continue;
    if (r.kind === "set") {
      assignments.push({ file: path, line: i + 1, name: r.name, value: r.value, quoted: r.quoted, inexact: r.inexact });
      continue;
    }
    // A line ending in a backslash was meant to go on: the lines after it belong to it.
    let extra = 0;
    while (/\\[ \t\v\f\r]*$/.test(lines[i + extra] ?? "") && i + extra + 1 < lines.length && readLoaderLine(lines[i + extra + 1]!).kind === "malformed") extra++;
    const fullText = displayText(lines.slice(i, i + extra + 1).join("\n"));
    problems.push({ file: path, line: i + 1, text: displayText(raw.trim()), problem: r.problem, name: intendedName(raw), extraLines: extra, fullText });
    i += extra;
  }
  return { path, assignments, problems, bom: text.startsWith("\xef\xbb\xbf") };
}

export const LOADER_CONF = "/boot/loader.conf";
export const LOADER_CONF_LOCAL = "/boot/loader.conf.local";
export const LOADER_CONF_DIR = "/boot/loader.conf.d";

/**
 * The order the loader (FreeBSD 14+) reads the family: loader.conf, loader.conf.d/*.conf,
 * then loader.conf.local last (local_loader_conf_files). Later assignments win.
 */
export function loaderFileOrder(dirEntries: readonly string[] | null): string[] {
  const confd = (dirEntries ?? []).filter((n) => n.endsWith(".conf")).sort().map((n) => `${LOADER_CONF_DIR}/${n}`);
  return [LOADER_CONF, ...confd, LOADER_CONF_LOCAL];
}

export interface LoaderConfig {
  readonly files: readonly LoaderFile[];
  /** Effective value per name: the last assignment in reading order. */
  readonly effective: ReadonlyMap<string, LoaderAssignment>;
  readonly problems: readonly LoaderProblem[];
}

export function mergeLoaderFiles(files: readonly LoaderFile[]): LoaderConfig {
  const effective = new Map<string, LoaderAssignment>();
  for (const f of files) for (const a of f.assignments) effective.set(a.name, a);
  return { files, effective, problems: files.flatMap((f) => f.problems) };
}

/** Every assignment of `name` across the family, in reading order. */
export function assignmentsOf(cfg: LoaderConfig, name: string): LoaderAssignment[] {
  return cfg.files.flatMap((f) => f.assignments.filter((a) => a.name === name));
}

export function isYes(v: string | undefined): boolean {
  return v !== undefined && /^(yes|true|on|1)$/i.test(v.trim());
}

/** `file:line` for messages. */
export function where(a: { file: string; line: number }): string {
  return `${a.file}:${a.line}`;
}
