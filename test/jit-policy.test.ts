import { afterEach, describe, expect, test } from "bun:test";
import { MemoHost, type Host } from "../src/host/host.ts";
import { BIG_ANSWER, jitForAnswer } from "../src/host/jit.ts";
import { BUILD_FLAGS } from "../scripts/targets.ts";

describe("the JIT policy: held back at start, normal again for a big answer", () => {
  const real = Bun.unsafe.setJITPolicy;
  afterEach(() => {
    Bun.unsafe.setJITPolicy = real;
  });

  test("the binaries are built with a scale above 1", () => {
    const flag = BUILD_FLAGS.find((f) => f.startsWith("--compile-jit-policy="));
    expect(Number(flag?.split("=")[1])).toBeGreaterThan(1);
  });

  test("jitForAnswer sets scale 1 only over BIG_ANSWER characters", () => {
    const calls: number[] = [];
    jitForAnswer(BIG_ANSWER, (s) => calls.push(s));
    expect(calls).toEqual([]);
    jitForAnswer(BIG_ANSWER + 1, (s) => calls.push(s));
    expect(calls).toEqual([1]);
  });

  test("MemoHost asks for it when a command's output is big, and not for a small one", async () => {
    const calls: number[] = [];
    Bun.unsafe.setJITPolicy = (s: number) => void calls.push(s);
    const out = (n: number) => ({ kind: "ran" as const, exit: 0, stdout: "x".repeat(n), stderr: "" });
    const inner: Host = {
      label: "fake",
      run: async (argv) => out(argv[0] === "/big" ? BIG_ANSWER + 1 : 10),
      readFile: async () => ({ kind: "absent" }),
      listDir: async () => ({ kind: "absent" }),
      statFile: async () => ({ kind: "absent" }),
    };
    const host = new MemoHost(inner);
    await host.run(["/small"]);
    expect(calls).toEqual([]);
    expect((await host.run(["/big"])).kind).toBe("ran");
    expect(calls).toEqual([1]);
  });
});
