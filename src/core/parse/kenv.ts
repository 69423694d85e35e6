export interface KeyValues {
  readonly values: ReadonlyMap<string, string>;
  readonly unparsed: readonly { line: number; text: string }[];
}

const KENV_LINE = /^([^=\s]+)="(.*)"$/;

/** Parses `kenv` output: one `name="value"` per line. Never throws. */
export function parseKenv(text: string): KeyValues {
  const values = new Map<string, string>();
  const unparsed: { line: number; text: string }[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const line = raw.trimEnd();
    if (line === "") continue;
    const m = KENV_LINE.exec(line);
    if (m) values.set(m[1] ?? "", m[2] ?? "");
    else unparsed.push({ line: i + 1, text: raw });
  }
  return { values, unparsed };
}
