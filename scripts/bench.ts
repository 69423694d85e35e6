/**
 * `bun run bench`: the compiled binary (built fresh as dist/bench-pptctl) against the cheapest
 * correct program, a Bun hello-world using console.log compiled with the same flags. Each case
 * runs interleaved with the baseline (hello, pptctl, hello, pptctl …) and the ratio is taken pair
 * by pair, so a machine that drifts cannot flatter a figure. Also: parser throughput and the
 * 10,000-device case's peak memory. BENCH_RUNS sets the pairs per case (default 21).
 *
 * Where it can, a case also runs scripts/bench-core.ts (compiled the same way), which does the
 * same work on the same recording with none of pptctl's shell and prints the same bytes (checked
 * first): its ratio is the floor that no start-up work in pptctl can go below.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildModel } from "../src/core/model.ts";
import { parsePciconf } from "../src/core/pciconf.ts";
import { BUILD_FLAGS } from "./targets.ts";

const ROOT = join(import.meta.dir, "..");
const HELLO = join(ROOT, "dist/bench-hello");
const HELLO_EXIT = join(ROOT, "dist/bench-hello-exit");
const CORE = join(ROOT, "dist/bench-core");
const PAIRS = Number(process.env.BENCH_RUNS ?? 21);
const ENV = { PATH: "/usr/bin:/bin", NO_COLOR: "1" };

async function compile(entry: string, out: string): Promise<void> {
  const p = Bun.spawn([process.execPath, "build", entry, ...BUILD_FLAGS, `--outfile=${out}`], { stdout: "ignore", stderr: "inherit" });
  if ((await p.exited) !== 0) throw new Error(`cannot build ${out}`);
}

function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))] ?? 0;
}

function once(argv: string[]): { ms: number } {
  const t0 = performance.now();
  const r = Bun.spawnSync(argv, { stdout: "ignore", stderr: "ignore", env: ENV });
  const ms = performance.now() - t0;
  if (r.exitCode !== 0 && r.exitCode !== 1) throw new Error(`${argv.join(" ")} exited ${r.exitCode}`);
  return { ms };
}

const GNU_TIME = "/usr/bin/time";

/**
 * Peak RSS of the program alone, in bytes (median of 3), or null without GNU time. Not the
 * spawn's resourceUsage.maxRSS: on Linux that counts the spawning process's own peak too (a Bun
 * holding 300 MB saw the hello-world at 324 MB; in this bench every small program read as
 * 52–54 MB, against 22 MB by GNU time, which forks a small process of its own to run it).
 */
function peakRss(argv: string[]): number | null {
  const out = join(tmpdir(), `pptctl-bench-rss-${process.pid}`);
  const peaks: number[] = [];
  for (let i = 0; i < 3; i++) {
    const r = Bun.spawnSync([GNU_TIME, "-f", "%M", "-o", out, ...argv], { stdout: "ignore", stderr: "ignore", env: ENV });
    if (r.exitCode !== 0 && r.exitCode !== 1) return null;
    const kb = Number(readFileSync(out, "utf8").trim().split("\n").at(-1));
    if (!Number.isFinite(kb)) return null;
    peaks.push(kb * 1024);
  }
  rmSync(out, { force: true });
  return quantile(peaks, 0.5);
}

interface Case {
  readonly name: string;
  readonly argv: string[];
  readonly goal: number;
  /** The same work through scripts/bench-core.ts. */
  readonly core?: string[];
}

interface Spread {
  readonly ratio: number;
  readonly lo: number;
  readonly hi: number;
}

function spread(ratios: readonly number[]): Spread {
  return { ratio: quantile(ratios, 0.5), lo: quantile(ratios, 0.1), hi: quantile(ratios, 0.9) };
}

/** Stdout of a run, to hold the core reference to pptctl's own output. */
function stdoutOf(argv: string[]): string {
  return Bun.spawnSync(argv, { stdout: "pipe", stderr: "ignore", env: ENV }).stdout.toString();
}

/**
 * Rounds of (hello, case[, core]); the per-round ratios against that round's hello give the
 * median and the spread (10th–90th).
 */
function measure(c: Case): Spread & { ms: number; hello: number; rss: number | null; core: Spread | null } {
  const core = c.core && stdoutOf(c.core) === stdoutOf(c.argv) ? c.core : null;
  if (c.core && !core) console.log(`  (${c.name}: scripts/bench-core.ts printed something else than pptctl; its reference is left out)`);
  for (let i = 0; i < 2; i++) {
    once([HELLO]);
    once(c.argv); // warm the page cache
    if (core) once(core);
  }
  const ratios: number[] = [];
  const coreRatios: number[] = [];
  const times: number[] = [];
  const hellos: number[] = [];
  for (let i = 0; i < PAIRS; i++) {
    const h = once([HELLO]).ms;
    const r = once(c.argv).ms;
    if (core) coreRatios.push(once(core).ms / h);
    ratios.push(r / h);
    times.push(r);
    hellos.push(h);
  }
  return { ...spread(ratios), ms: quantile(times, 0.5), hello: quantile(hellos, 0.5), rss: peakRss(c.argv), core: core ? spread(coreRatios) : null };
}

/** A recorded host with `n` PCI devices, a tenth of them on ppt and in two VM configs. */
export function syntheticHost(n: number): string {
  const dir = mkdtempSync(join(tmpdir(), "pptctl-bench-"));
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const bus = 1 + Math.floor(i / 8);
    const func = i % 8;
    const name = i % 10 === 0 ? `ppt${i / 10}` : `em${i}`;
    lines.push(
      `${name}@pci0:${bus % 256}:${Math.floor(bus / 256)}:${func}:\tclass=0x020000 rev=0x01 hdr=0x00 vendor=0x8086 device=0x1521 subvendor=0x8086 subdevice=0x0001`,
      "    vendor     = 'Intel Corporation'",
      "    device     = 'I350 Gigabit Network Connection'",
      "    class      = network",
      "    subclass   = ethernet",
      "    cap 01[40] = powerspec 3  supports D0 D3  current D0",
      "    cap 05[50] = MSI supports 1 message, 64 bit, vector masks ",
      "    cap 11[70] = MSI-X supports 10 messages, enabled",
      "                 Table in map 0x1c[0x0], PBA in map 0x1c[0x2000]",
      "    cap 10[a0] = PCI-Express 2 endpoint max data 256(512) FLR RO NS",
      "                 max read 512",
      "    ecap 0001[100] = AER 2 0 fatal 0 non-fatal 0 corrected",
    );
  }
  writeFileSync(join(dir, "pciconf.txt"), `${lines.join("\n")}\n`);
  mkdirSync(join(dir, "files/vms/a"), { recursive: true });
  mkdirSync(join(dir, "files/vms/b"), { recursive: true });
  writeFileSync(join(dir, "files/vms/a/vm_config.json"), JSON.stringify({ passthru: ["1/0/0", "2/0/2"] }));
  writeFileSync(join(dir, "files/vms/b/b.conf"), 'passthru0="3/0/4"\n');
  const host = {
    format: "pptctl-host/1",
    commands: [{ argv: ["/usr/sbin/pciconf", "-lvc"], exit: 0, stdout: "pciconf.txt", stderr: null }],
    files: [
      { path: "/vms/a/vm_config.json", copy: "files/vms/a/vm_config.json" },
      { path: "/vms/a/a.conf", copy: null },
      { path: "/vms/b/vm_config.json", copy: null },
      { path: "/vms/b/b.conf", copy: "files/vms/b/b.conf" },
    ],
    dirs: [
      { path: "/vms", entries: ["a", "b"] },
      { path: "/dev/vmm", entries: ["a"] },
    ],
  };
  writeFileSync(join(dir, "host.json"), JSON.stringify(host));
  return dir;
}

if (import.meta.main) {
  // Both binaries are built now, side by side: on this machine a binary file written minutes
  // earlier ran up to 1.1x as long as a fresh copy of the same bytes, which would tilt any ratio.
  const bin = join(ROOT, "dist/bench-pptctl");
  await compile(join(ROOT, "src/main.ts"), bin);
  await compile(join(ROOT, "scripts/bench-core.ts"), CORE);
  const helloDir = mkdtempSync(join(tmpdir(), "pptctl-hello-"));
  writeFileSync(join(helloDir, "hello.ts"), 'console.log("hello");\n');
  await compile(join(helloDir, "hello.ts"), HELLO);
  // The same hello leaving with process.exit, as pptctl does: on Bun 1.4 it skips the VM's
  // teardown and runs faster than the baseline itself. Shown so that no ratio hides it.
  writeFileSync(join(helloDir, "hello-exit.ts"), 'console.log("hello");\nprocess.exit(0);\n');
  await compile(join(helloDir, "hello-exit.ts"), HELLO_EXIT);
  rmSync(helloDir, { recursive: true, force: true });

  const sample = join(ROOT, "examples/hosts/gpu-workstation");
  // 6.5 MB a run: removed at the end, or runs pile up in /tmp.
  const big = syntheticHost(10_000);
  process.on("exit", () => rmSync(big, { recursive: true, force: true }));
  const cases: Case[] = [
    { name: "hello-world with process.exit (no goal)", argv: [HELLO_EXIT], goal: Number.POSITIVE_INFINITY },
    { name: "args 1/0/0 1/0/1", argv: [bin, "args", "1/0/0", "1/0/1"], goal: 1.5 },
    { name: "list --from <sample: 2 ppt, 33 devices>", argv: [bin, "--from", sample, "list"], goal: 2, core: [CORE, sample, "list"] },
    { name: "doctor --from <the same sample>", argv: [bin, "--from", sample, "doctor"], goal: 2, core: [CORE, sample, "doctor"] },
    {
      name: "list --all --json --from <10,000 devices>",
      argv: [bin, "--from", big, "list", "--all", "--json", "--vms", "/vms"],
      goal: 15,
      core: [CORE, big, "list", "--all", "--json", "--vms", "/vms"],
    },
  ];

  console.log(`pptctl bench: ${PAIRS} interleaved pairs per case, compiled binaries, ${process.platform}/${process.arch}`);
  console.log("ratio = pptctl / hello-world (console.log) pair by pair: median [10th–90th percentile]");
  const helloPeak = peakRss([HELLO]);
  console.log(`peak = maximum RSS by GNU time (median of 3); the hello-world's is ${helloPeak === null ? "n/a (no GNU time)" : `${(helloPeak / 1e6).toFixed(0)} MB`}`);
  for (const c of cases) {
    const r = measure(c);
    const verdict = c.goal === Number.POSITIVE_INFINITY ? "" : `goal ≤ ${c.goal}x ${r.ratio <= c.goal ? "ok" : "OVER"}`;
    console.log(
      `  ${c.name.padEnd(42)} ${r.ratio.toFixed(2)}x [${r.lo.toFixed(2)}–${r.hi.toFixed(2)}]  ${r.ms.toFixed(1)} ms vs ${r.hello.toFixed(1)} ms  peak ${r.rss === null ? "n/a" : `${(r.rss / 1e6).toFixed(0)} MB`}  ${verdict}`,
    );
    if (r.core) console.log(`    ${"the same work, core only (bench-core)".padEnd(40)} ${r.core.ratio.toFixed(2)}x [${r.core.lo.toFixed(2)}–${r.core.hi.toFixed(2)}]`);
  }

  const text = await Bun.file(join(big, "pciconf.txt")).text();
  const snapOf = () => ({ commands: new Map([["/usr/sbin/pciconf\u0000-lvc", { kind: "ran" as const, exit: 0, stdout: text, stderr: "" }]]), files: new Map(), dirs: new Map() });
  // Cold means a fresh process: this one has run the JIT over other code by now.
  const coldScript = `import { parsePciconf } from ${JSON.stringify(join(ROOT, "src/core/pciconf.ts"))}; const t = await Bun.file(${JSON.stringify(join(big, "pciconf.txt"))}).text(); const a = performance.now(); parsePciconf(t); console.log(performance.now() - a);`;
  // A file, not `bun -e`: code evaluated with -e ran this parse 2.5 times slower.
  const coldFile = join(big, "cold.ts");
  writeFileSync(coldFile, coldScript);
  const colds = Array.from({ length: 7 }, () => Number(Bun.spawnSync([process.execPath, coldFile], { env: ENV }).stdout.toString()));
  const cold = quantile(colds, 0.5);
  const parseTimes: number[] = [];
  const modelTimes: number[] = [];
  for (let i = 0; i < 9; i++) {
    Bun.gc(true);
    const t1 = performance.now();
    parsePciconf(text);
    parseTimes.push(performance.now() - t1);
    const t2 = performance.now();
    buildModel(snapOf());
    modelTimes.push(performance.now() - t2);
  }
  const mb = text.length / 1e6;
  const p = quantile(parseTimes, 0.5);
  console.log(
    `  parse pciconf -lvc, 10,000 devices (${mb.toFixed(1)} MB), in-process: first run in a fresh process (median of 7) ${cold.toFixed(1)} ms = ${(mb / (cold / 1000)).toFixed(0)} MB/s; warm median of 9 ${p.toFixed(1)} ms = ${(mb / (p / 1000)).toFixed(0)} MB/s; whole model ${quantile(modelTimes, 0.5).toFixed(1)} ms`,
  );
}
