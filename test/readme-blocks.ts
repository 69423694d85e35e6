/** Reading the README's command blocks: the first hour, the sample-marked examples, sh's words. */
import { run } from "../src/cli.ts";

export function walkthroughSteps(readme: string): { argv: string[]; expected: string[] }[] {
  const start = readme.indexOf("<!-- first-hour -->");
  const end = readme.indexOf("<!-- /first-hour -->");
  if (start < 0 || end < start) return [];
  const steps: { argv: string[]; expected: string[] }[] = [];
  for (const block of readme.slice(start, end).matchAll(/```\n([\s\S]*?)```/g)) {
    let current: { argv: string[]; expected: string[] } | null = null;
    for (const line of (block[1] ?? "").replace(/\n$/, "").split("\n")) {
      if (line.startsWith("$ pptctl ")) {
        current = { argv: line.slice("$ pptctl ".length).split(" "), expected: [] };
        steps.push(current);
      } else current?.expected.push(line);
    }
  }
  return steps;
}

/** Lines match in order; a `…` line takes any number of lines. */
export function matches(actual: readonly string[], expected: readonly string[]): boolean {
  const [e, ...rest] = expected;
  if (e === undefined) return actual.length === 0;
  if (e === "…") return actual.some((_, i) => matches(actual.slice(i), rest)) || matches([], rest);
  return actual[0] === e && matches(actual.slice(1), rest);
}

/** Words of a command line as sh would split it: blanks, double and single quotes; `# …` ends it. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "#" && word === null) break;
    if (c === " " || c === "\t") {
      if (word !== null) words.push(word);
      word = null;
    } else if (c === '"' || c === "'") {
      const end = line.indexOf(c, i + 1);
      word = (word ?? "") + line.slice(i + 1, end < 0 ? line.length : end);
      i = end < 0 ? line.length : end;
    } else word = (word ?? "") + c;
  }
  if (word !== null) words.push(word);
  return words;
}

/** Blocks of the README marked `<!-- sample: DIR [tty=COLUMNS] -->`: each `$ pptctl …` line with what it prints. */
export function sampleBlocks(readme: string): { dir: string; tty: number | null; argv: string[]; expected: string[] }[] {
  const out: { dir: string; tty: number | null; argv: string[]; expected: string[] }[] = [];
  for (const m of readme.matchAll(/<!-- sample: (\S+)(?: tty=(\d+))? -->\n```\n([\s\S]*?)```/g)) {
    let current: { dir: string; tty: number | null; argv: string[]; expected: string[] } | null = null;
    for (const line of (m[3] ?? "").replace(/\n$/, "").split("\n")) {
      if (line.startsWith("$ ")) {
        // A pipeline or a command substitution is for a real host; only plain pptctl lines are run.
        const plain = line.startsWith("$ pptctl ") && !/&&|\||\$\(|;/.test(line.replace(/#.*$/, ""));
        current = plain ? { dir: m[1]!, tty: m[2] ? Number(m[2]) : null, argv: shellWords(line.slice(9)), expected: [] } : null;
        if (current) out.push(current);
      } else current?.expected.push(line);
    }
  }
  return out;
}

export async function shownBy(argv: readonly string[], env: Record<string, string>, tty: number | null): Promise<string> {
  let shown = "";
  await run(argv, {
    out: (s) => {
      shown += s;
    },
    err: (s) => {
      shown += s;
    },
    env: tty ? { ...env, NO_COLOR: "1" } : env,
    stdoutIsTTY: tty !== null,
    columns: tty ?? 0,
    platform: "freebsd",
    now: () => new Date("2026-11-24T12:00:00Z"),
  });
  return shown;
}

