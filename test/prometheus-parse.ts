/**
 * A strict reader of the Prometheus text exposition format (0.0.4), enough to validate what
 * pptctl writes: HELP/TYPE comments, one TYPE per family before its samples, well-formed names,
 * label sets with escaped values, float values.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  if (!text.endsWith("\n")) throw new Error("exposition must end with a newline");
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const seen = new Set<string>();
  text
    .slice(0, -1)
    .split("\n")
    .forEach((line, i) => {
      const at = `line ${i + 1}`;
      if (line.startsWith("#")) {
        const m = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
        if (!m) throw new Error(`${at}: bad comment`);
        if (!NAME.test(m[2]!)) throw new Error(`${at}: bad metric name`);
        if (m[1] === "TYPE") {
          if (!["counter", "gauge", "histogram", "summary", "untyped"].includes(m[3]!)) throw new Error(`${at}: bad type`);
          if (types.has(m[2]!)) throw new Error(`${at}: second TYPE for ${m[2]}`);
          if (seen.has(m[2]!)) throw new Error(`${at}: TYPE after samples of ${m[2]}`);
          types.set(m[2]!, m[3]!);
        }
        return;
      }
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( -?\d+)?$/.exec(line);
      if (!m) throw new Error(`${at}: bad sample line: ${line}`);
      const labels: Record<string, string> = {};
      let rest = m[3] ?? "";
      while (rest !== "") {
        const lm = /^([^=]+)="((?:[^"\\]|\\.)*)"(,|$)/.exec(rest);
        if (!lm || !LABEL_NAME.test(lm[1]!)) throw new Error(`${at}: bad label set`);
        if (lm[1]! in labels) throw new Error(`${at}: repeated label`);
        labels[lm[1]!] = lm[2]!.replace(/\\n/g, "\n").replace(/\\"/g, '"').replace(/\\\\/g, "\\");
        rest = rest.slice(lm[0].length);
      }
      const value = Number(m[4]);
      if (Number.isNaN(value) && m[4] !== "NaN") throw new Error(`${at}: bad value`);
      seen.add(m[1]!);
      samples.push({ name: m[1]!, labels, value });
    });
  const keys = samples.map((s) => `${s.name}${JSON.stringify(s.labels)}`);
  if (new Set(keys).size !== keys.length) throw new Error("duplicate series");
  return { samples, types };
}
