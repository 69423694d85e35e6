/**
 * Which members of a JSON object Go's encoding/json decodes into a struct field: a key matches
 * the field's name exactly or case-insensitively, and each match is stored in turn, so the last
 * one in the file wins (decode.go, object: "preferring an exact match but also accepting a
 * case-insensitive match"). The folding is fold.go's foldName: ASCII letters upper-cased, any
 * other rune as unicode.ToUpper(unicode.ToLower(r)), so "paſſthru" (U+017F) is "passthru" too.
 * https://github.com/golang/go/blob/master/src/encoding/json/fold.go
 * https://github.com/golang/go/blob/master/src/encoding/json/decode.go
 */
import type { Member, TopObject } from "./json-spans.ts";

export function goFold(key: string): string {
  // An ASCII key (nearly every key) folds as toUpperCase does it: a-z up, the rest kept.
  if (/^[\x00-\x7f]*$/.test(key)) return key.toUpperCase();
  let out = "";
  for (const ch of key) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp < 0x80) {
      out += ch >= "a" && ch <= "z" ? ch.toUpperCase() : ch;
      continue;
    }
    // JavaScript's case mappings may give several characters (ß → SS); Go's give one rune.
    const folded = ch.toLowerCase().toUpperCase();
    out += [...folded].length === 1 ? folded : ch;
  }
  return out;
}

/** The members Go decodes into the field tagged `tag`, in file order: the last one is what Go keeps. */
export function goMembers(top: TopObject, tag: string): Member[] {
  const want = goFold(tag);
  return top.members.filter((m) => goFold(m.key) === want);
}

/** The members' values as Go's decoder would see them for these fields: the last match of each. */
export function goFields(text: string, top: TopObject, tags: readonly string[]): Record<string, unknown> {
  // Each key is folded once, not once per field.
  const tagOf = new Map(tags.map((t) => [goFold(t), t]));
  const last = new Map<string, Member>();
  for (const m of top.members) {
    const tag = tagOf.get(goFold(m.key));
    if (tag !== undefined) last.set(tag, m);
  }
  const out: Record<string, unknown> = {};
  for (const tag of tags) {
    const m = last.get(tag);
    if (m) out[tag] = JSON.parse(text.slice(m.valueStart, m.valueEnd));
  }
  return out;
}
