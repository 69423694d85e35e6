/** Build targets: the two FreeBSD binaries users copy to hosts, plus this machine's for local runs. */
export const TARGETS = [
  { target: "bun-freebsd-x64", out: "dist/pptctl-freebsd-x64", machine: 0x3e, arch: "x86-64", freebsd: "amd64" },
  { target: "bun-freebsd-aarch64", out: "dist/pptctl-freebsd-arm64", machine: 0xb7, arch: "aarch64", freebsd: "arm64" },
] as const;

export const HOST_OUT = "dist/pptctl";

/**
 * Tier-up thresholds ×1000 while pptctl starts: in effect no JIT for a short run. Against the
 * normal policy on the sample host list 0.88x, doctor 0.89x; against ×16 the same there (1.01x,
 * 1.00x) and 0.95x at 100 devices (binaries built together, paired rounds). Big inputs turn the
 * normal policy back on (src/jit.ts).
 */
export const STARTUP_JIT_POLICY = 1000;

export const BUILD_FLAGS = [
  "--compile",
  "--minify",
  // Bytecode needs ESM output here: consola uses import.meta.
  "--bytecode",
  "--format=esm",
  // cron runs pptctl from any directory: never read a stray .env or bunfig.toml there.
  "--no-compile-autoload-dotenv",
  "--no-compile-autoload-bunfig",
  // A run lasts milliseconds: code the JIT compiles rarely pays back the compile (see above).
  // https://bun.com/docs/bundler/executables#jit-policy
  `--compile-jit-policy=${STARTUP_JIT_POLICY}`,
] as const;
