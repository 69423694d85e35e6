/**
 * `JSON.stringify(doc, null, 2)` for a document whose bulk is one array at the top level
 * (`list --json`'s devices), handed out in pieces: the same bytes, without building them as one
 * string. On 10,000 devices (9 MB) one call took 16.5–17.4 ms and pieces of 500 devices
 * 10.1–10.5 ms (compiled binary, 3 runs each), and no 9 MB string is held at the end.
 */
export function prettyJsonPieces<T>(
  doc: Record<string, unknown>,
  key: string,
  items: readonly T[],
  toJson: (item: T) => unknown,
  out: (piece: string) => void,
  chunk = 500,
): void {
  // The array's place is found through a marker string that occurs nowhere else in the document.
  let shell = "";
  let quoted = "";
  let at = -1;
  for (let n = 0; at < 0; n++) {
    const marker = `\u0000pptctl:${n}\u0000`;
    quoted = JSON.stringify(marker);
    shell = JSON.stringify({ ...doc, [key]: marker }, null, 2);
    at = shell.indexOf(quoted);
    if (at !== shell.lastIndexOf(quoted)) at = -1;
  }
  const head = shell.slice(0, at);
  const tail = shell.slice(at + quoted.length);
  if (items.length === 0) {
    out(`${head}[]${tail}`);
    return;
  }
  out(`${head}[\n`);
  for (let i = 0; i < items.length; i += chunk) {
    const part: unknown[] = [];
    const end = Math.min(items.length, i + chunk);
    for (let j = i; j < end; j++) part.push(toJson(items[j]!));
    // Nested twice, each item sits two levels deep, as it does inside the document's array;
    // "[\n  [\n" and "\n  ]\n]" are cut off.
    const s = JSON.stringify([part], null, 2);
    if (i > 0) out(",\n");
    out(s.slice(6, -6));
  }
  out(`\n  ]${tail}`);
}
