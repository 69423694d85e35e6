/**
 * rc.conf and rc.conf.local: sh(1) sources them (rc.subr's load_rc_config), so a value may be
 * 'single-quoted', "double-quoted" or bare, as in any shell script. pptctl reads plain
 * NAME=VALUE lines exactly; a value that depends on the shell (a $VAR, a `command`) is inexact,
 * and a line pptctl cannot read at all is named, never taken for "not set".
 * Text is a byte string (bytes.ts).
 */

export interface RcValue {
  readonly file: string;
  readonly line: number;
  readonly value: string;
  /** Why the shell's value may differ from `value`, or null. */
  readonly inexact: string | null;
}

export interface RcConf {
  /** The last assignment of each name in reading order, as sh leaves it. */
  readonly values: ReadonlyMap<string, RcValue>;
  /** Lines that seem to set a name but that pptctl cannot read: name -> file:line. */
  readonly unreadable: ReadonlyMap<string, { file: string; line: number }>;
}

const ASSIGN = /^[ \t]*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s;

/** One sh word: 'x', "x", bare x (and concatenations), up to an unquoted blank; null when not plain. */
function shWord(text: string): { value: string; rest: string; inexact: string | null } | null {
  let value = "";
  let inexact: string | null = null;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) return null;
      value += text.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      i++;
      for (;;) {
        if (i >= text.length) return null;
        const d = text[i]!;
        if (d === '"') break;
        if (d === "\\" && i + 1 < text.length && '$`"\\'.includes(text[i + 1]!)) {
          value += text[i + 1];
          i += 2;
          continue;
        }
        if (d === "$" || d === "`") inexact ??= "it expands a variable or runs a command";
        value += d;
        i++;
      }
      i++;
    } else if (c === "\\") {
      if (i + 1 >= text.length) return null;
      value += text[i + 1];
      i += 2;
    } else if (/[ \t\r]/.test(c) || c === "#") {
      break;
    } else if (";&|<>()".includes(c)) {
      return null;
    } else {
      if (c === "$" || c === "`") inexact ??= "it expands a variable or runs a command";
      value += c;
      i++;
    }
  }
  return { value, rest: text.slice(i), inexact };
}

export function readRc(files: readonly { path: string; text: string }[]): RcConf {
  const values = new Map<string, RcValue>();
  const unreadable = new Map<string, { file: string; line: number }>();
  for (const f of files) {
    for (const [i, raw] of f.text.split("\n").entries()) {
      const m = ASSIGN.exec(raw);
      if (!m) continue;
      const name = m[1]!;
      const word = shWord(m[2]!);
      if (!word || !/^[ \t\r]*(#.*)?$/s.test(word.rest)) {
        unreadable.set(name, { file: f.path, line: i + 1 });
        values.delete(name);
        continue;
      }
      unreadable.delete(name);
      values.set(name, { file: f.path, line: i + 1, value: word.value, inexact: word.inexact });
    }
  }
  return { values, unreadable };
}
