/**
 * Writes the repository of one architecture under dist/repo/, named by the ABI pkg puts in a
 * repository URL's ${ABI} (pkg-repository(5)): FreeBSD:14:amd64 holds it, and FreeBSD:15:amd64
 * is a link to it, since the package's abi FreeBSD:*:amd64 fits both (pkg-repository(5): "symbolic
 * or hard links … may be utilised to avoid duplication of storage").
 */
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { type RepoPackage, repoFiles } from "./pkg-repo.ts";

/** pkg's ABI spelling of the machine (uname -p). */
const ABI_ARCH = { amd64: "amd64", arm64: "aarch64" } as const;
/** The releases the package is for: the oldest holds the files, the others link to it. */
export const MAJORS = [14, 15] as const;

export function repoRoot(arch: keyof typeof ABI_ARCH, major: number, base = join("dist", "repo")): string {
  return join(base, `FreeBSD:${major}:${ABI_ARCH[arch]}`);
}

export function writeRepo(pkg: RepoPackage, arch: keyof typeof ABI_ARCH, mtime: number, base = join("dist", "repo")): string {
  const root = repoRoot(arch, MAJORS[0], base);
  rmSync(root, { recursive: true, force: true });
  for (const [path, bytes] of repoFiles([pkg], mtime)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), bytes);
  }
  for (const major of MAJORS.slice(1)) {
    const link = repoRoot(arch, major, base);
    rmSync(link, { recursive: true, force: true });
    symlinkSync(`FreeBSD:${MAJORS[0]}:${ABI_ARCH[arch]}`, link);
  }
  return root;
}
