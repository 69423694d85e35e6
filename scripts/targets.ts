/** Build targets: the two FreeBSD binaries users copy to hosts, plus this machine's for local runs. */
export const TARGETS = [
  { target: "bun-freebsd-x64", out: "dist/pptctl-freebsd-x64", machine: 0x3e, arch: "x86-64", freebsd: "amd64" },
  { target: "bun-freebsd-aarch64", out: "dist/pptctl-freebsd-arm64", machine: 0xb7, arch: "aarch64", freebsd: "arm64" },
] as const;

export const HOST_OUT = "dist/pptctl";

export const BUILD_FLAGS = [
  "--compile",
  "--minify",
  // Bytecode needs ESM output here: consola uses import.meta.
  "--bytecode",
  "--format=esm",
  // Each command's code in chunks of its own, loaded when the command runs: a run no longer
  // loads the bytecode of every other command (list 0.96x, doctor 0.97x, args 0.93x the wall
  // time, in paired runs). Standalone executables load split chunks at run time ("Code
  // splitting", https://bun.com/docs/bundler/executables#code-splitting, Bun 1.4.5's docs).
  // Folding small chunks (--min-chunk-size 4096, 16384, 65536) measured 1.01-1.03x: left out.
  "--splitting",
  // cron runs pptctl from any directory: never read a stray .env or bunfig.toml there.
  "--no-compile-autoload-dotenv",
  "--no-compile-autoload-bunfig",
  // JavaScriptCore's tier-up thresholds x20: a run is over in milliseconds, before code compiled
  // by the JIT pays for its compiling (list on the sample: 0.82x the wall time of scale 1, in
  // paired runs). A big answer restores scale 1 (src/host/jit.ts).
  // https://bun.com/reference/bun/CompileBuildOptions/jitPolicy
  "--compile-jit-policy=20",
] as const;
