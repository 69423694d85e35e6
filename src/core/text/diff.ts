/** A unified diff (3 lines of context) of two texts, or "" when they are equal. */
export function unifiedDiff(oldText: string, newText: string, oldName: string, newName: string): string {
  if (oldText === newText) return "";
  const a = splitLines(oldText);
  const b = splitLines(newText);
  const ops = lineOps(a, b);
  const CONTEXT = 3;
  const out = [`--- ${oldName}`, `+++ ${newName}`];
  let i = 0;
  while (i < ops.length) {
    while (i < ops.length && ops[i]?.kind === " ") i++;
    if (i >= ops.length) break;
    const start = Math.max(0, i - CONTEXT);
    let end = i;
    // Extend the hunk while changes are within 2×context of each other.
    for (;;) {
      while (end < ops.length && ops[end]?.kind !== " ") end++;
      let next = end;
      while (next < ops.length && ops[next]?.kind === " ") next++;
      if (next < ops.length && next - end <= CONTEXT * 2) end = next;
      else break;
    }
    end = Math.min(ops.length, end + CONTEXT);
    const hunk = ops.slice(start, end);
    const aStart = (hunk[0]?.a ?? 0) + 1;
    const bStart = (hunk[0]?.b ?? 0) + 1;
    const aLen = hunk.filter((o) => o.kind !== "+").length;
    const bLen = hunk.filter((o) => o.kind !== "-").length;
    out.push(`@@ -${aLen === 0 ? aStart - 1 : aStart},${aLen} +${bLen === 0 ? bStart - 1 : bStart},${bLen} @@`);
    for (const o of hunk) out.push(`${o.kind}${o.text}`);
    i = end;
  }
  return `${out.join("\n")}\n`;
}

function splitLines(t: string): string[] {
  if (t === "") return [];
  const lines = t.split("\n");
  if (t.endsWith("\n")) lines.pop();
  else lines[lines.length - 1] += "\n\\ No newline at end of file";
  return lines;
}

interface Op {
  kind: " " | "-" | "+";
  text: string;
  /** Index of the line in the old text (for "+", where it goes). */
  a: number;
  b: number;
}

/**
 * A shortest edit script by Myers' algorithm ("An O(ND) Difference Algorithm and Its
 * Variations", 1986): O((N+M)·D) time for D changed lines. pptctl's edits change a few lines of
 * files that may be long (a 40,000-line loader.conf), so the common head and tail are matched
 * first and the search only sees what lies between.
 */
function lineOps(a: readonly string[], b: readonly string[]): Op[] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const ops: Op[] = [];
  for (let i = 0; i < head; i++) ops.push({ kind: " ", text: a[i]!, a: i, b: i });
  ops.push(...middle(a, b, head, a.length - tail, head, b.length - tail));
  for (let k = tail; k > 0; k--) {
    const i = a.length - k;
    const j = b.length - k;
    ops.push({ kind: " ", text: a[i]!, a: i, b: j });
  }
  return ops;
}

/** Past this many changed lines the diff stops looking for the shortest script (see below). */
const MAX_D = 4000;

/**
 * Myers' greedy forward search over a[a0..a1) and b[b0..b1), then its path walked back. Each
 * round keeps only its own diagonals, so memory is O(D²). Two unrelated long files would make D
 * huge; past MAX_D the middle is shown as removed and then added, which is still a correct diff.
 */
function middle(a: readonly string[], b: readonly string[], a0: number, a1: number, b0: number, b1: number): Op[] {
  const n = a1 - a0;
  const m = b1 - b0;
  const max = n + m;
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  // trace[d]: the furthest x on diagonals -d..d before round d (index k + d).
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= max && found < 0; d++) {
    if (d > MAX_D) return replaceAll(a, b, a0, a1, b0, b1);
    trace.push(v.slice(offset - d, offset + d + 1));
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[a0 + x] === b[b0 + y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
  }
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = found; d > 0; d--) {
    const prev = trace[d]!;
    const at = (k: number) => prev[k + d]!;
    const k = x - y;
    const down = k === -d || (k !== d && at(k - 1) < at(k + 1));
    const pk = down ? k + 1 : k - 1;
    const px = at(pk);
    const py = px - pk;
    while (x > px + (down ? 0 : 1) && y > py + (down ? 1 : 0)) {
      x--;
      y--;
      ops.push({ kind: " ", text: a[a0 + x]!, a: a0 + x, b: b0 + y });
    }
    if (down) {
      y--;
      ops.push({ kind: "+", text: b[b0 + y]!, a: a0 + x, b: b0 + y });
    } else {
      x--;
      ops.push({ kind: "-", text: a[a0 + x]!, a: a0 + x, b: b0 + y });
    }
  }
  while (x > 0 && y > 0) {
    x--;
    y--;
    ops.push({ kind: " ", text: a[a0 + x]!, a: a0 + x, b: b0 + y });
  }
  return ops.reverse();
}

function replaceAll(a: readonly string[], b: readonly string[], a0: number, a1: number, b0: number, b1: number): Op[] {
  const ops: Op[] = [];
  for (let i = a0; i < a1; i++) ops.push({ kind: "-", text: a[i]!, a: i, b: b0 });
  for (let j = b0; j < b1; j++) ops.push({ kind: "+", text: b[j]!, a: a1, b: j });
  return ops;
}
