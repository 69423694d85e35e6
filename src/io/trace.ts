/**
 * PPTCTL_TRACE=1: how long each phase took, on stderr at exit, for "instrument, don't guess".
 * Marks cost nothing when tracing is off.
 */
const marks: [string, number][] = [];
let on = false;

export function startTrace(enabled: boolean): void {
  on = enabled;
  if (on) marks.push(["process start → pptctl's first line", performance.now()]);
}

export function mark(label: string): void {
  if (on) marks.push([label, performance.now()]);
}

export function traceReport(): string {
  if (!on) return "";
  return `${marks.map(([l, t], i) => `pptctl: trace: ${(t - (i === 0 ? 0 : marks[i - 1]![1])).toFixed(2).padStart(7)} ms  ${l}`).join("\n")}\n`;
}
