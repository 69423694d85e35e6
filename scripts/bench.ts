/**
 * `bun run bench`: the compiled binary (built fresh as dist/bench-pptctl) against the cheapest
 * correct program, a Bun hello-world using console.log compiled with the same flags, checked
 * against the budget (README "Performance"). Each case runs interleaved with the hello-world
 * (hello, pptctl, hello, pptctl …) and the ratio is taken pair by pair, so a machine that drifts
 * cannot flatter a figure. BENCH_RUNS sets the pairs per case (default 21). Exits 1 when a
 * figure is over its budget, naming it.
 */
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { CORE_COMMANDS } from "../src/core/snapshot.ts";
import { listingHost, syntheticHost } from "./synthetic-host.ts";
import { BUILD_FLAGS } from "./targets.ts";

export { syntheticHost };

const ROOT = join(import.meta.dir, "..");
const PAIRS = Number(process.env.BENCH_RUNS ?? 21);
const ENV = { PATH: "/usr/bin:/bin", NO_COLOR: "1" };
const SAMPLE = join(ROOT, "examples/hosts/gpu-workstation");
/** The biggest real listing in the corpus: a Tyan B7109, 306 PCI functions. */
const BIG_REAL = join(ROOT, "test/fixtures/corpus/pciconf-lvc/bsdhw-big-tyan-b7109-306dev.txt");
/** How long each of the slow host commands of the live case takes. */
const SLOW_S = 0.5;

async function compile(entry: string, out: string): Promise<void> {
  const p = Bun.spawn([process.execPath, "build", entry, ...BUILD_FLAGS, `--outfile=${out}`], { stdout: "ignore", stderr: "inherit" });
  if ((await p.exited) !== 0) throw new Error(`cannot build ${out}`);
}

function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))] ?? 0;
}

function once(argv: readonly string[], env: Record<string, string> = ENV): number {
  const t0 = performance.now();
  const r = Bun.spawnSync([...argv], { stdout: "ignore", stderr: "ignore", env });
  const ms = performance.now() - t0;
  if (r.exitCode !== 0 && r.exitCode !== 1) throw new Error(`${argv.join(" ")} exited ${r.exitCode}`);
  return ms;
}

/** Peak RSS in MB by GNU time (median of 3), or null where it is missing. */
function peakMb(argv: readonly string[]): number | null {
  const out = join(tmpdir(), `pptctl-bench-rss-${process.pid}`);
  const peaks: number[] = [];
  for (let i = 0; i < 3; i++) {
    const r = Bun.spawnSync(["/usr/bin/time", "-f", "%M", "-o", out, ...argv], { stdout: "ignore", stderr: "ignore", env: ENV });
    if (r.exitCode !== 0 && r.exitCode !== 1) return null;
    const kb = Number(readFileSync(out, "utf8").trim().split("\n").at(-1));
    if (!Number.isFinite(kb)) return null;
    peaks.push(kb / 1000);
  }
  rmSync(out, { force: true });
  return quantile(peaks, 0.5);
}

interface Case {
  readonly name: string;
  readonly argv: readonly string[];
  readonly goal: number;
}

/** Rounds of (hello, case): median ratio and its 10th–90th percentile. */
function measure(hello: string, c: Case) {
  for (let i = 0; i < 2; i++) {
    once([hello]);
    once(c.argv);
  }
  const ratios: number[] = [];
  const times: number[] = [];
  for (let i = 0; i < PAIRS; i++) {
    const h = once([hello]);
    const t = once(c.argv);
    ratios.push(t / h);
    times.push(t);
  }
  return { ratio: quantile(ratios, 0.5), lo: quantile(ratios, 0.1), hi: quantile(ratios, 0.9), ms: quantile(times, 0.5) };
}

/**
 * A fake live tree of the sample host (PPTCTL_ROOT) whose pciconf, acpidump and kenv each take
 * SLOW_S seconds: doctor asks the host concurrently, so it should take about that, not the sum.
 */
function slowLiveTree(): string {
  const root = mkdtempSync(join(tmpdir(), "pptctl-bench-live-"));
  const spec = JSON.parse(readFileSync(join(SAMPLE, "host.json"), "utf8")) as { commands: { argv: string[]; stdout: string | null }[] };
  const slow = new Set(["/usr/sbin/pciconf", "/usr/sbin/acpidump", "/bin/kenv"]);
  const byCmd = new Map<string, { args: string; out: string | null }[]>();
  for (const c of spec.commands) byCmd.set(c.argv[0]!, [...(byCmd.get(c.argv[0]!) ?? []), { args: c.argv.slice(1).join(" "), out: c.stdout }]);
  for (const argv of CORE_COMMANDS) if (!byCmd.has(argv[0]!)) byCmd.set(argv[0]!, []);
  for (const [cmd, runs] of byCmd) {
    const cases = runs.map((r) => `  '${r.args}') ${r.out ? `cat '${join(SAMPLE, r.out)}'` : ":"};;`).join("\n");
    const path = join(root, cmd);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `#!/bin/sh\n${slow.has(cmd) ? `sleep ${SLOW_S}\n` : ""}case "$*" in\n${cases}\n  *) exit 1;;\nesac\n`);
    chmodSync(path, 0o755);
  }
  cpSync(join(SAMPLE, "files"), root, { recursive: true });
  mkdirSync(join(root, "dev/vmm"), { recursive: true });
  return root;
}

if (import.meta.main) {
  // Both binaries are built now, side by side: on this machine a binary file written minutes
  // earlier ran up to 1.1x as long as a fresh copy of the same bytes, which would tilt any ratio.
  const scratch = mkdtempSync(join(tmpdir(), "pptctl-bench-"));
  const bin = join(ROOT, "dist/bench-pptctl");
  const hello = join(ROOT, "dist/bench-hello");
  writeFileSync(join(scratch, "hello.ts"), 'console.log("hello");\n');
  await compile(join(ROOT, "src/main.ts"), bin);
  await compile(join(scratch, "hello.ts"), hello);
  const big = syntheticHost(10_000);
  const real = listingHost(BIG_REAL);
  const live = slowLiveTree();
  process.on("exit", () => {
    for (const d of [scratch, big, real, live]) rmSync(d, { recursive: true, force: true });
  });

  const cases: Case[] = [
    { name: "args 1/0/0 1/0/1", argv: [bin, "args", "1/0/0", "1/0/1"], goal: 2 },
    { name: "list --from <sample, 33 functions>", argv: [bin, "--from", SAMPLE, "list"], goal: 2.5 },
    { name: "doctor --from <the same sample>", argv: [bin, "--from", SAMPLE, "doctor"], goal: 2.5 },
    { name: "list --all --json --from <real host, 306 functions>", argv: [bin, "--from", real, "list", "--all", "--json"], goal: 4 },
    { name: "list --all --json --from <10,000 devices>", argv: [bin, "--from", big, "list", "--all", "--json", "--vms", "/vms"], goal: 40 },
  ];
  console.log(`pptctl bench: ${PAIRS} interleaved pairs per case, compiled binaries, ${process.platform}/${process.arch}`);
  console.log("ratio = pptctl / hello-world (console.log), pair by pair: median [10th–90th percentile]");
  const over: string[] = [];
  const helloMb = peakMb([hello]);
  for (const c of cases) {
    const r = measure(hello, c);
    const mb = peakMb(c.argv);
    const ok = r.ratio <= c.goal;
    if (!ok) over.push(`${c.name}: ${r.ratio.toFixed(2)}x, budget ${c.goal}x`);
    console.log(
      `  ${c.name.padEnd(52)} ${r.ratio.toFixed(2)}x [${r.lo.toFixed(2)}–${r.hi.toFixed(2)}]  ${r.ms.toFixed(1)} ms  peak ${mb === null ? "n/a" : `${mb.toFixed(0)} MB`}  budget ≤ ${c.goal}x ${ok ? "ok" : "OVER"}`,
    );
  }
  console.log(`  (the hello-world's peak: ${helloMb === null ? "n/a, no GNU time" : `${helloMb.toFixed(0)} MB`})`);

  // Live: three host commands of SLOW_S each; doctor should take about the slowest, not the sum.
  const liveEnv = { ...ENV, PPTCTL_ROOT: live };
  const liveTimes = Array.from({ length: Math.max(5, Math.round(PAIRS / 3)) }, () => once([bin, "doctor"], liveEnv) / 1000);
  const liveRatio = quantile(liveTimes, 0.5) / SLOW_S;
  const liveGoal = 1.5;
  if (liveRatio > liveGoal) over.push(`live doctor: ${liveRatio.toFixed(2)}x its slowest host command, budget ${liveGoal}x`);
  console.log(
    `  ${"live doctor, three host commands of 0.5 s each".padEnd(52)} ${quantile(liveTimes, 0.5).toFixed(2)} s = ${liveRatio.toFixed(2)}x the slowest command (their sum: 3x)  budget ≤ ${liveGoal}x ${liveRatio <= liveGoal ? "ok" : "OVER"}`,
  );
  if (over.length > 0) {
    console.log(`over budget: ${over.join("; ")}`);
    process.exit(1);
  }
  console.log("every figure within budget");
}
