import type { KeyValues } from "./kenv.ts";

const SYSCTL_LINE = /^([A-Za-z0-9_.%-]+): ?(.*)$/;

/** Parses `sysctl name…` output (`name: value`); continuation lines join the previous value. */
export function parseSysctl(text: string): KeyValues {
  const values = new Map<string, string>();
  const unparsed: { line: number; text: string }[] = [];
  let last: string | null = null;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const line = raw.trimEnd();
    if (line === "") continue;
    const m = SYSCTL_LINE.exec(line);
    if (m) {
      last = m[1] ?? "";
      values.set(last, m[2] ?? "");
    } else if (last !== null) {
      values.set(last, `${values.get(last) ?? ""}\n${line}`);
    } else {
      unparsed.push({ line: i + 1, text: raw });
    }
  }
  return { values, unparsed };
}
