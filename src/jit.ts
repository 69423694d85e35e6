/**
 * The binaries start with JavaScriptCore's tier-up thresholds raised (scripts/targets.ts): most
 * runs are over before compiled code would pay back its compile. A host with thousands of
 * devices is the exception, so past this much input the normal JIT policy comes back. Measured
 * with `list --all --json` on synthetic hosts: the raised policy is faster up to 1,000 devices
 * (0.65 MB), even at 3,000 (2 MB), and slower at 10,000 (6.5 MB).
 */
export const HEAVY_INPUT_BYTES = 1 << 20;

let normal = false;

export function expectInput(bytes: number): void {
  if (normal || bytes < HEAVY_INPUT_BYTES) return;
  normal = true;
  // Absent when run from source with `bun src/main.ts` on an older Bun; nothing to undo then.
  Bun.unsafe.setJITPolicy?.(1);
}
