/**
 * The binaries start with JavaScriptCore's JIT held back (--compile-jit-policy, scripts/targets.ts):
 * a run reads a few KB and is over before compiled code would pay for its compiling. A big answer
 * is parsed in loops the JIT does pay for (a 10,000-device pciconf listing is 6.5 MB), so from it
 * on the normal policy holds, as Bun's documentation of the flag asks once start-up is over:
 * https://bun.com/reference/bun/unsafe/setJITPolicy
 */
export const BIG_ANSWER = 1 << 20;

/** `length`: the answer's length in characters, its size in bytes for the ASCII pptctl reads. */
export function jitForAnswer(length: number, setPolicy: (scale: number) => void = Bun.unsafe.setJITPolicy): void {
  if (length > BIG_ANSWER) setPolicy(1);
}
