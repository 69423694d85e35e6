import type * as v from "valibot";

/** valibot's first issue as one line: where in the document, then what. */
export function describeIssues(issues: readonly v.BaseIssue<unknown>[]): string {
  const first = issues[0];
  if (!first) return "invalid";
  const where = first.path?.map((p) => String(p.key)).join(".") ?? "";
  return where ? `${where}: ${first.message}` : first.message;
}
