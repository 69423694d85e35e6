/**
 * The binaries start with JavaScriptCore's tier-up thresholds raised so far that nothing is
 * compiled (scripts/targets.ts): most runs are over before compiled code would pay back its
 * compile. A host with hundreds of devices is the exception, so past this much command output the
 * normal JIT policy comes back. Measured with `list --all --json` on synthetic hosts, interleaved
 * pairs: 100 devices (65 KB) 0.86x with the JIT held off, 300 (194 KB) 0.98x, 1,000 (648 KB)
 * 1.17x — so the normal JIT from a quarter MiB on. The switch comes late (after the host was
 * read): at 1,550 devices (1 MB) that is 1.07x of starting at ×16; real hosts list a few hundred.
 */
export const HEAVY_INPUT_BYTES = 256 << 10;

let normal = false;

export function expectInput(bytes: number): void {
  if (normal || bytes < HEAVY_INPUT_BYTES) return;
  normal = true;
  // Absent when run from source with `bun src/main.ts` on an older Bun; nothing to undo then.
  Bun.unsafe.setJITPolicy?.(1);
}
