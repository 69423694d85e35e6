/**
 * `report --check`: a contributed report read as pptctl will read it, one line per problem. A
 * report goes into a public tree and into every binary, so besides the schema its text must not
 * carry what capture redacts: a MAC address, a serial number, a user's path, a secret.
 */
import * as v from "valibot";
import { type Report, ReportSchema } from "./schema.ts";

const LEAKS: readonly { what: string; re: RegExp }[] = [
  { what: "a MAC address", re: /\b[0-9a-f]{2}(?::[0-9a-f]{2}){5}\b/i },
  { what: "a serial number", re: /\bserial(?:\s*(?:number|no\.?|#))?\s*[:=]?\s*[A-Z0-9-]{6,}/i },
  { what: "a user's path", re: /(?:^|[\s'"(=])\/(?:usr\/home|home|Users|root)\/[^\s'")]+/ },
  { what: "a secret", re: /\b(?:password|passwd|passphrase|secret|token)\s*[=:]\s*\S+/i },
  { what: "a host name", re: /\bhostname\s*[=:]\s*\S+/i },
];

/** Every string in the report, with where it is (`symptoms[2]`). */
function strings(value: unknown, path: string, out: { path: string; text: string }[]): void {
  if (typeof value === "string") out.push({ path, text: value });
  else if (Array.isArray(value)) value.forEach((x, i) => strings(x, `${path}[${i}]`, out));
  else if (value && typeof value === "object") for (const [k, x] of Object.entries(value)) strings(x, path ? `${path}.${k}` : k, out);
}

export function leaksIn(value: unknown): string[] {
  const found: { path: string; text: string }[] = [];
  strings(value, "", found);
  const out: string[] = [];
  for (const s of found) {
    // A source's URL is public by definition; it is checked as a URL, not as text.
    if (s.path === "source.url") continue;
    for (const l of LEAKS) if (l.re.test(s.text)) out.push(`${s.path} holds ${l.what}: take it out (pptctl report never writes one)`);
  }
  return out;
}

/** The report in `text`, or every problem with it; `name` is the file's name, which is its id. */
export function checkReport(text: string, name: string | null): { report: Report } | { problems: string[] } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return { problems: [`not valid JSON (${(e as Error).message})`] };
  }
  const r = v.safeParse(ReportSchema, data);
  const problems = r.success
    ? []
    : r.issues.map((i) => {
        const where = (i.path ?? []).map((p, n) => (typeof p.key === "number" ? `[${p.key}]` : `${n > 0 ? "." : ""}${String(p.key)}`)).join("");
        if (/^Invalid key: Expected ".*" but received undefined$/.test(i.message)) return `${where}: missing`;
        if (/^Invalid key: Expected never/.test(i.message)) return `${where}: not a field of pptctl-report/1: remove it`;
        return `${where || "the report"}: ${i.message}`;
      });
  // A field the schema refused already has its line; a leak in it needs no second one.
  problems.push(...leaksIn(data).filter((l) => !problems.some((p) => p.startsWith(`${l.slice(0, l.indexOf(" holds "))}: `))));
  if (r.success && name !== null && name !== `${r.output.id}.json`) problems.push(`id is "${r.output.id}", so the file must be named ${r.output.id}.json`);
  return problems.length > 0 || !r.success ? { problems } : { report: r.output };
}
