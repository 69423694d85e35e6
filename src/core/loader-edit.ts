/** One loader.conf setting pptctl manages. */
export interface Setting {
  readonly name: string;
  readonly value: string;
}

const LINE_NAME = /^(\s*)([A-Za-z0-9_.\-[\]]+)(\s*=\s*)(?:"[^"]*"|[^\s"#]*)(.*)$/;

/**
 * Rewrites loader.conf text: each setting replaces its first existing assignment in place
 * (keeping indentation and a trailing comment) and later duplicates of it are dropped; names in
 * `remove` lose their lines; new settings are appended. Every other byte stays as it was,
 * including CRLF line ends and comments. Pure.
 */
export function editLoaderConf(text: string, settings: readonly Setting[], remove: readonly string[]): string {
  const eol = majorityEol(text);
  const endsWithEol = text === "" || text.endsWith("\n");
  const lines = text === "" ? [] : text.split("\n");
  // split leaves "" after a final newline; keep CRs on the lines they belong to.
  if (endsWithEol && lines.length > 0) lines.pop();
  const want = new Map(settings.map((s) => [s.name, s.value]));
  const done = new Set<string>();
  const out: string[] = [];
  for (const raw of lines) {
    const cr = raw.endsWith("\r") ? "\r" : "";
    const line = cr ? raw.slice(0, -1) : raw;
    const m = line.trimStart().startsWith("#") ? null : LINE_NAME.exec(line);
    const name = m?.[2];
    if (!m || name === undefined || (!want.has(name) && !remove.includes(name))) {
      out.push(raw);
      continue;
    }
    if (remove.includes(name) || done.has(name)) continue;
    done.add(name);
    out.push(`${m[1]}${name}${m[3]}"${want.get(name)}"${m[4]}${cr}`);
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
    if (i > 0 && text.charCodeAt(i - 1) === 13) crlf++;
    else lf++;
  }
  return crlf > lf ? "\r\n" : "\n";
}
