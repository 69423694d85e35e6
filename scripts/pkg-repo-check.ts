/**
 * Reads a repository the way pkg does (see pkg-repo.ts) and checks every catalogue line against
 * its package file: `npx bun scripts/pkg-repo-check.ts dist/repo/FreeBSD:14:amd64 …` (CI runs it
 * on what `npm run build` wrote). Prints one line per problem; exit 1 when there is one.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readUstar } from "./package.ts";

const FORMATS = ["tzst", "txz", "tbz", "tgz", "tar"];
const REQUIRED = ["name", "origin", "version", "comment", "abi", "arch", "prefix", "flatsize", "sum", "pkgsize", "path", "repopath"];

/** meta.conf's `key = value;` lines (UCL as pkg writes it), values unquoted. */
export function readMeta(text: string): Map<string, string> {
  return new Map([...text.matchAll(/^(\w+) = ("(?:[^"\\]|\\.)*"|\d+);$/gm)].map((m) => [m[1]!, m[2]!.startsWith('"') ? (JSON.parse(m[2]!) as string) : m[2]!]));
}

/** The one file an archive of the repository holds, by its name. */
function member(root: string, archive: string, name: string, problems: string[]): string | null {
  const path = join(root, `${archive}.pkg`);
  if (!existsSync(path)) {
    problems.push(`${archive}.pkg is missing`);
    return null;
  }
  let entries: ReturnType<typeof readUstar>;
  try {
    entries = readUstar(Bun.zstdDecompressSync(readFileSync(path)));
  } catch (err) {
    problems.push(`${archive}.pkg is not a tar+zstd archive (${(err as Error).message})`);
    return null;
  }
  const e = entries.find((x) => x.path === name);
  if (!e) {
    problems.push(`${archive}.pkg holds ${entries.map((x) => x.path).join(", ") || "nothing"}, not ${name}`);
    return null;
  }
  if (e.mode !== 0o644 || e.uname !== "root" || e.gname !== "wheel") problems.push(`${archive}.pkg: ${name} is not root:wheel 0644`);
  return new TextDecoder().decode(e.data);
}

export function checkRepo(root: string): string[] {
  const problems: string[] = [];
  const metaPath = join(root, "meta.conf");
  if (!existsSync(metaPath)) return ["meta.conf is missing"];
  const meta = readMeta(readFileSync(metaPath, "utf8"));
  if (meta.get("version") !== "2") problems.push(`meta.conf: version ${meta.get("version")}, not 2`);
  if (!FORMATS.includes(meta.get("packing_format") ?? "")) problems.push(`meta.conf: packing_format ${meta.get("packing_format")} is none pkg reads`);
  const site = member(root, meta.get("manifests_archive") ?? "packagesite", meta.get("manifests") ?? "packagesite.yaml", problems);
  if (site === null) return problems;
  if (!site.endsWith("\n")) problems.push("packagesite.yaml: the last line has no newline (pkg splits the catalogue at newlines)");
  const lines = site.split("\n").filter((l) => l !== "");
  if (lines.length === 0) problems.push("packagesite.yaml: no package");
  const entries: Record<string, unknown>[] = [];
  for (const [i, line] of lines.entries()) {
    const at = `packagesite.yaml line ${i + 1}`;
    let e: Record<string, unknown>;
    try {
      e = JSON.parse(line) as Record<string, unknown>;
    } catch {
      problems.push(`${at}: not JSON`);
      continue;
    }
    entries.push(e);
    for (const k of REQUIRED) if (!(k in e)) problems.push(`${at}: no ${k}`);
    if (e.path !== e.repopath) problems.push(`${at}: path ${e.path} and repopath ${e.repopath} differ`);
    const file = join(root, String(e.repopath));
    if (!existsSync(file)) {
      problems.push(`${at}: ${e.repopath} is not in the repository`);
      continue;
    }
    const bytes = readFileSync(file);
    if (bytes.length !== e.pkgsize) problems.push(`${at}: pkgsize ${e.pkgsize}, but ${e.repopath} has ${bytes.length} bytes`);
    const sum = createHash("sha256").update(bytes).digest("hex");
    if (sum !== e.sum) problems.push(`${at}: sum ${e.sum}, but ${e.repopath} hashes to ${sum}`);
    let inner: ReturnType<typeof readUstar>;
    try {
      inner = readUstar(Bun.zstdDecompressSync(bytes));
    } catch (err) {
      problems.push(`${at}: ${e.repopath} is not a tar+zstd package pkg can open (${(err as Error).message})`);
      continue;
    }
    if (inner[0]?.path !== "+COMPACT_MANIFEST" || inner[1]?.path !== "+MANIFEST") problems.push(`${at}: ${e.repopath} does not start with +COMPACT_MANIFEST and +MANIFEST`);
    else {
      const own = JSON.parse(new TextDecoder().decode(inner[0].data)) as Record<string, unknown>;
      for (const k of ["name", "origin", "version", "abi", "arch", "flatsize"]) if (own[k] !== e[k]) problems.push(`${at}: ${k} ${JSON.stringify(e[k])}, but the package says ${JSON.stringify(own[k])}`);
    }
  }
  const data = member(root, meta.get("data") ?? "data", meta.get("data") ?? "data", problems);
  if (data !== null) {
    const d = JSON.parse(data) as { packages?: unknown[] };
    if (JSON.stringify(d.packages) !== JSON.stringify(entries)) problems.push("data: its packages are not the catalogue's");
  }
  return problems;
}

if (import.meta.main) {
  const roots = process.argv.slice(2);
  let bad = 0;
  for (const root of roots) {
    const problems = checkRepo(root);
    for (const p of problems) console.log(`${root}: ${p}`);
    if (problems.length === 0) console.log(`${root}: every catalogue line matches its package`);
    bad += problems.length;
  }
  process.exit(bad > 0 || roots.length === 0 ? 1 : 0);
}
