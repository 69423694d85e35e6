/** Compiles pptctl for FreeBSD amd64 and arm64 and for this machine, then checks the ELF headers. */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { BUILD_FLAGS, HOST_OUT, TARGETS } from "./targets.ts";
import { checkElf } from "./elf.ts";
import { checkReport } from "../src/core/compat/check.ts";
import { REPORT_FILES } from "../src/core/compat/reports/index.ts";
import { installEntries, tarballName, writeTarball } from "./package.ts";
import { buildPkg, manifests, pkgName } from "./pkg.ts";
import { writeRepo } from "./pkg-repo-write.ts";
import { VERSION } from "../src/version.ts";

mkdirSync("dist", { recursive: true });

// The binary trusts the reports it embeds (core/compat/known.ts): a report that fails
// `pptctl report --check` stops the build here.
for (const { file, data } of REPORT_FILES) {
  const r = checkReport(JSON.stringify(data), file);
  if ("problems" in r) throw new Error(`src/core/compat/reports/${file}: ${r.problems.join("; ")}`);
}
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

/** The package's fields from package.json. */
function pkgMeta(arch: "amd64" | "arm64") {
  const p = JSON.parse(readFileSync("package.json", "utf8")) as Record<string, string>;
  const desc = "pptctl sets up and watches bhyve PCI passthrough (the ppt driver): it checks that the host is ready (IOMMU, vmm, pptdevs, MSI), writes the pptdevs lines of loader.conf, moves devices to and from ppt at run time, puts devices into VM configs (vm-bhyve, Hoster, bhyve -k files), and prints bhyve's -s slot arguments.";
  return { version: VERSION, arch, comment: p.description ?? "", desc, maintainer: p.author ?? "", www: p.homepage ?? "", license: p.license ?? "" };
}

/** File times in the packages: SOURCE_DATE_EPOCH, else the last commit's, so a build repeats byte for byte. */
function buildTime(): number {
  const epoch = Number(process.env.SOURCE_DATE_EPOCH);
  if (Number.isInteger(epoch) && epoch > 0) return epoch;
  const git = Bun.spawnSync(["git", "log", "-1", "--format=%ct"], { stdout: "pipe", stderr: "ignore" });
  const t = Number(git.stdout.toString().trim());
  return git.exitCode === 0 && Number.isInteger(t) && t > 0 ? t : 1;
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
    writeTarball(process.cwd(), t.out, tarball, buildTime());
    console.log(`packed ${tarball} (install: tar -xzf ${tarball.replace("dist/", "")} -C /)`);
    const pkg = pkgName(VERSION, t.freebsd);
    mkdirSync(dirname(pkg), { recursive: true });
    const entries = installEntries(process.cwd(), t.out);
    const bytes = buildPkg(pkgMeta(t.freebsd), entries, buildTime());
    writeFileSync(pkg, bytes);
    console.log(`packed ${pkg} (install: pkg add ./${pkg.replace("dist/pkg/", "")})`);
    const root = writeRepo({ bytes, compact: manifests(pkgMeta(t.freebsd), entries).compact, path: `All/pptctl-${VERSION}.pkg` }, t.freebsd, buildTime());
    console.log(`wrote the pkg(8) repository ${root} (and its FreeBSD 15 link)`);
  }
} catch (e) {
  console.error(`build: ${(e as Error).message}`);
  process.exit(1);
}
