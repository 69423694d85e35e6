/**
 * Where things are in JSON text, found by scanning, not parsing: an edit can then replace one
 * value and keep every other byte (spacing, key order, numbers as written). Tolerant: broken
 * JSON gives spans that run to the end instead of an error; callers that need valid JSON check
 * it with JSON.parse first.
 */

/** Where the JSON value starting at `i` ends (exclusive). */
export function valueEnd(text: string, i: number): number {
  const c = text[i];
  if (c === '"') return stringEnd(text, i);
  if (c === "{" || c === "[") {
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      const d = text[j];
      if (d === '"') j = stringEnd(text, j) - 1;
      else if (d === "{" || d === "[") depth++;
      else if (d === "}" || d === "]") {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return text.length;
  }
  const lit = /^[^,}\]\s]*/.exec(text.slice(i));
  return i + (lit?.[0].length ?? 0);
}

/** Where the string starting with the quote at `i` ends (exclusive). */
export function stringEnd(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    if (text[j] === "\\") j++;
    else if (text[j] === '"') return j + 1;
  }
  return text.length;
}

export interface Member {
  /** The key, decoded. */
  readonly key: string;
  /** Offset of the key's opening quote. */
  readonly start: number;
  readonly valueStart: number;
  readonly valueEnd: number;
}

export interface TopObject {
  /** Offsets of the outer `{` and `}`. */
  readonly open: number;
  readonly close: number;
  readonly members: readonly Member[];
}

const BLANK = /[ \t\r\n]/;

function skipBlank(text: string, i: number): number {
  while (i < text.length && BLANK.test(text[i] ?? "")) i++;
  return i;
}

/** The members of the outermost object of valid JSON text, in file order; null when it is not an object. */
export function topObject(text: string): TopObject | null {
  const open = skipBlank(text, 0);
  if (text[open] !== "{") return null;
  const members: Member[] = [];
  let i = skipBlank(text, open + 1);
  while (i < text.length && text[i] !== "}") {
    if (text[i] !== '"') return null;
    const keyEnd = stringEnd(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    const colon = skipBlank(text, keyEnd);
    if (text[colon] !== ":") return null;
    const valueStart = skipBlank(text, colon + 1);
    const end = valueEnd(text, valueStart);
    members.push({ key, start: i, valueStart, valueEnd: end });
    i = skipBlank(text, end);
    if (text[i] === ",") i = skipBlank(text, i + 1);
  }
  return text[i] === "}" ? { open, close: i, members } : null;
}

/** The elements of the array whose `[` is at `open`, in order; null when it is not an array. */
export function arrayItems(text: string, open: number): { start: number; end: number }[] | null {
  if (text[open] !== "[") return null;
  const items: { start: number; end: number }[] = [];
  let i = skipBlank(text, open + 1);
  while (i < text.length && text[i] !== "]") {
    const end = valueEnd(text, i);
    items.push({ start: i, end });
    i = skipBlank(text, end);
    if (text[i] === ",") i = skipBlank(text, i + 1);
  }
  return text[i] === "]" ? items : null;
}
