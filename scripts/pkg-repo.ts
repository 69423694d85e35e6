/**
 * A pkg(8) repository for the packages scripts/pkg.ts builds, laid out as `pkg repo` lays one out
 * (libpkg/pkg_repo_create.c of freebsd/pkg, https://github.com/freebsd/pkg):
 * - `All/NAME-VERSION.pkg`, the package;
 * - `packagesite.pkg`, an archive holding `packagesite.yaml`: one line per package, its compact
 *   manifest plus `sum` (the package file's SHA-256 in hex, which pkg_checksum_validate_file
 *   takes when a sum carries no `N$` type prefix), `pkgsize`, and `path` = `repopath`, the
 *   package's place under the repository root (pkg_manifest.c reads either key);
 * - `data.pkg`, an archive holding `data`: `{"groups":[],"expired_packages":[],"packages":[…]}`
 *   with the same objects, which newer pkg reads;
 * - `meta.conf` (and `meta`, the same), UCL as pkg_repo_meta_to_ucl writes it: version 2, the
 *   packing format, the names of the catalogue files and archives.
 * The archives are tar + zstd (`tzst`, pkg's default), each entry root:wheel 0644. Unsigned; a
 * signed repository is made on FreeBSD with `pkg repo DIR KEY` or `signing_command: …`.
 */
import { createHash } from "node:crypto";
import { type TarEntry, ustar } from "./package.ts";

export const PACKING = "tzst";

export interface RepoPackage {
  /** The package file's bytes. */
  readonly bytes: Uint8Array;
  /** Its +COMPACT_MANIFEST (compact JSON). */
  readonly compact: string;
  /** Where it goes under the repository root: All/pptctl-0.1.0.pkg. */
  readonly path: string;
}

/** One catalogue entry: the compact manifest with what the repository adds about the file. */
export function catalogueEntry(p: RepoPackage): Record<string, unknown> {
  const sum = createHash("sha256").update(p.bytes).digest("hex");
  return { ...(JSON.parse(p.compact) as Record<string, unknown>), sum, pkgsize: p.bytes.length, path: p.path, repopath: p.path };
}

/** meta.conf as pkg writes it (UCL_EMIT_CONFIG: `key = value;` lines). */
export function metaConf(): string {
  const fields: [string, string | number][] = [
    ["version", 2],
    ["packing_format", PACKING],
    ["manifests", "packagesite.yaml"],
    ["data", "data"],
    ["filesite", "filesite.yaml"],
    ["manifests_archive", "packagesite"],
    ["filesite_archive", "filesite"],
  ];
  return fields.map(([k, v]) => `${k} = ${typeof v === "number" ? v : JSON.stringify(v)};\n`).join("");
}

function archive(name: string, text: string, mtime: number): Uint8Array {
  const entry: TarEntry = { path: name, mode: 0o644, data: new TextEncoder().encode(text) };
  return Bun.zstdCompressSync(ustar([entry], mtime), { level: 19 });
}

/** Every file of the repository root, by its path under the root. */
export function repoFiles(packages: readonly RepoPackage[], mtime: number): Map<string, Uint8Array> {
  const entries = packages.map(catalogueEntry);
  const enc = new TextEncoder();
  const files = new Map<string, Uint8Array>();
  for (const p of packages) files.set(p.path, p.bytes);
  files.set("packagesite.pkg", archive("packagesite.yaml", entries.map((e) => `${JSON.stringify(e)}\n`).join(""), mtime));
  files.set("data.pkg", archive("data", JSON.stringify({ groups: [], expired_packages: [], packages: entries }), mtime));
  files.set("meta.conf", enc.encode(metaConf()));
  files.set("meta", enc.encode(metaConf()));
  return files;
}
