/**
 * `bun run bench`: wall times of the compiled binary (dist/pptctl, built if missing) against a
 * Bun hello-world compiled with the same flags, plus in-process parser scaling. Medians of
 * repeated runs; run it on an idle machine.
 */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parsePciconf } from "../src/core/pciconf.ts";
import { BUILD_FLAGS, HOST_OUT } from "./targets.ts";

const ROOT = join(import.meta.dir, "..");
const HELLO = join(ROOT, "dist/bench-hello");
const RUNS = Number(process.env.BENCH_RUNS ?? 30);

async function compile(entry: string, out: string): Promise<void> {
  const p = Bun.spawn([process.execPath, "build", entry, ...BUILD_FLAGS, `--outfile=${out}`], { stdout: "ignore", stderr: "inherit" });
  if ((await p.exited) !== 0) throw new Error(`cannot build ${out}`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

function time(argv: string[]): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS + 2; i++) {
    const t0 = performance.now();
    const r = Bun.spawnSync(argv, { stdout: "ignore", stderr: "ignore", env: { PATH: "/usr/bin:/bin", NO_COLOR: "1" } });
    const dt = performance.now() - t0;
    if (r.exitCode !== 0 && r.exitCode !== 1) throw new Error(`${argv.join(" ")} exited ${r.exitCode}`);
    if (i >= 2) times.push(dt); // the first runs warm the page cache
  }
  return median(times);
}

/** A recorded host with `n` PCI devices, a tenth of them on ppt and in two VM configs. */
function syntheticHost(n: number): string {
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

const bin = join(ROOT, HOST_OUT);
if (!existsSync(bin)) await compile(join(ROOT, "src/main.ts"), bin);
const helloSrc = join(mkdtempSync(join(tmpdir(), "pptctl-hello-")), "hello.ts");
writeFileSync(helloSrc, 'process.stdout.write("hello\\n");\n');
await compile(helloSrc, HELLO);

const sample = join(ROOT, "examples/hosts/gpu-workstation");
const big = syntheticHost(2000);
const hello = time([HELLO]);
const args = time([bin, "args", "1/0/0", "1/0/1", "-2/0/0"]);
const listSample = time([bin, "--from", sample, "list"]);
const listBig = time([bin, "--from", big, "list", "--vms", "/vms"]);
const doctorSample = time([bin, "--from", sample, "doctor"]);

const text = (await Bun.file(join(syntheticHost(10_000), "pciconf.txt")).text());
const parseTimes: number[] = [];
for (let i = 0; i < 7; i++) {
  const t0 = performance.now();
  parsePciconf(text);
  parseTimes.push(performance.now() - t0);
}

const ms = (x: number) => `${x.toFixed(1)} ms`;
console.log(`pptctl bench (median of ${RUNS} runs, compiled binaries, ${process.platform}/${process.arch})`);
console.log(`  bun hello-world binary             ${ms(hello)}`);
console.log(`  args 1/0/0 1/0/1 -2/0/0            ${ms(args)}   (${(args / hello).toFixed(2)}x hello-world)`);
console.log(`  list --from sample host            ${ms(listSample)}`);
console.log(`  list --from 2,000-device host      ${ms(listBig)}`);
console.log(`  doctor --from sample host          ${ms(doctorSample)}`);
console.log(`  parse pciconf -lvc, 10,000 devices ${ms(median(parseTimes))} in-process (${(text.length / 1e6).toFixed(1)} MB)`);
