/** Compiles pptctl for FreeBSD amd64 and arm64 and for this machine, then checks the ELF headers. */
import { mkdirSync } from "node:fs";
import { BUILD_FLAGS, HOST_OUT, TARGETS } from "./targets.ts";
import { checkElf } from "./elf.ts";
import { tarballName, writeTarball } from "./package.ts";
import { VERSION } from "../src/version.ts";

mkdirSync("dist", { recursive: true });
const only = process.argv[2];

async function compile(target: string | null, outfile: string): Promise<void> {
  const argv = [process.execPath, "build", "src/main.ts", ...BUILD_FLAGS, `--outfile=${outfile}`];
  if (target) argv.push(`--target=${target}`);
  const t0 = performance.now();
  const proc = Bun.spawn(argv, { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) {
    process.stderr.write(out + err);
    throw new Error(`bun build for ${target ?? "this machine"} failed (exit ${code})`);
  }
  console.log(`built ${outfile} (${target ?? "this machine"}) in ${Math.round(performance.now() - t0)} ms`);
}

try {
  if (!only || only === "host") await compile(null, HOST_OUT);
  for (const t of TARGETS) {
    if (only && only !== t.target) continue;
    await compile(t.target, t.out);
    const problem = checkElf(t.out, t.machine);
    if (problem) throw new Error(`${t.out}: ${problem}`);
    console.log(`checked ${t.out}: ELF, FreeBSD ABI, ${t.arch}`);
    const tarball = tarballName(VERSION, t.freebsd);
    writeTarball(process.cwd(), t.out, tarball);
    console.log(`packed ${tarball} (install: tar -xzf ${tarball.replace("dist/", "")} -C /)`);
  }
} catch (e) {
  console.error(`build: ${(e as Error).message}`);
  process.exit(1);
}
