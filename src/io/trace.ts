/**
 * PPTCTL_TRACE=1: how long each phase took, on stderr at exit, for "instrument, don't guess".
 * Marks cost nothing when tracing is off.
 */
const marks: [string, number, number][] = [];
let on = false;

export function startTrace(enabled: boolean): void {
  on = enabled;
  if (on) marks.push(["process start → pptctl's first line", performance.now(), faults()]);
}

export function mark(label: string): void {
  if (on) marks.push([label, performance.now(), faults()]);
}

export function traceReport(): string {
  if (!on) return "";
  return `${marks.map(([l, t, f], i) => `pptctl: trace: ${(t - (i === 0 ? 0 : marks[i - 1]![1])).toFixed(2).padStart(7)} ms ${String(f - (i === 0 ? 0 : marks[i - 1]![2])).padStart(5)} faults  ${l}`).join("\n")}\n`;
}

/** Minor page faults so far: each costs about 1.3 µs on the development VM, a memory cost made visible. */
function faults(): number {
  return process.resourceUsage().minorPageFault;
}
