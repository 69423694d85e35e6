/**
 * The binaries start with JavaScriptCore's tier-up thresholds raised so far that nothing is
 * compiled (scripts/targets.ts): most runs are over before compiled code would pay back its
 * compile. A host with hundreds of devices is the exception, so past this much command output the
 * normal JIT policy comes back. Measured with `list --all --json` on synthetic hosts against the
 * normal policy throughout (binaries built together, paired rounds): 100 devices (65 KB) 0.88x,
 * 300 (194 KB) 1.02x, so the normal JIT from a quarter MiB on; at 1,000 devices (648 KB) the
 * late switch costs nothing measurable (1.00x).
 */
export const HEAVY_INPUT_BYTES = 256 << 10;

let normal = false;

export function expectInput(bytes: number): void {
  if (normal || bytes < HEAVY_INPUT_BYTES) return;
  normal = true;
  // Absent when run from source with `bun src/main.ts` on an older Bun; nothing to undo then.
  Bun.unsafe.setJITPolicy?.(1);
}
