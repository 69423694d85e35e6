/**
 * pkg(8) packages: `pkg add pptctl-<version>-freebsd-<arch>.pkg`. The format, as freebsd/pkg
 * reads and writes it (libpkg/pkg.c pkg_open2, pkg_manifest.c, pkg_create.c, pkg_add.c, utils.c):
 * - a tar archive (zstd here, pkg's default; pkg reads whatever libarchive does) whose first
 *   entries are +COMPACT_MANIFEST and +MANIFEST;
 * - +MANIFEST is compact JSON with name, origin, version, comment, desc, maintainer, www, prefix,
 *   abi, arch (pkg's legacy spelling of the ABI), flatsize, and `files`, keyed by absolute path,
 *   each with its checksum `1$<sha256 hex>` — the map pkg_emit_object writes and pkg_obj reads
 *   (MANIFEST_FILES, a string value); +COMPACT_MANIFEST is the same without `files`;
 * - payload entries under their absolute paths, owner and mode in the tar headers;
 * - `abi` is matched with fnmatch(3) against the host's ABI (utils.c is_valid_abi), so
 *   FreeBSD:*:amd64 fits 14 and 15; the annotation FreeBSD_version makes pkg stop, or ask (default
 *   no), on an older system (utils.c is_valid_os_version): the binary needs FreeBSD 14's libc.
 * https://github.com/freebsd/pkg
 */
import { createHash } from "node:crypto";
import { type TarEntry, ustar } from "./package.ts";

export interface PkgMeta {
  readonly version: string;
  /** FreeBSD's name of the architecture: amd64, arm64. */
  readonly arch: "amd64" | "arm64";
  readonly comment: string;
  readonly desc: string;
  readonly maintainer: string;
  readonly www: string;
  /** SPDX id from package.json (BSD-2-Clause). */
  readonly license: string;
}

/** pkg's ABI names the machine as uname -p does: amd64, aarch64. */
const ABI_ARCH = { amd64: "amd64", arm64: "aarch64" } as const;
/** pkg_arch_to_legacy: FreeBSD:14:amd64 -> freebsd:14:x86:64, FreeBSD:14:aarch64 -> freebsd:14:aarch64:64. */
const LEGACY_ARCH = { amd64: "x86:64", arm64: "aarch64:64" } as const;
/** The ports tree's license names (Mk/bsd.licenses.db.mk) for the SPDX ids we use. */
const PORTS_LICENSE: Record<string, string> = { "BSD-2-Clause": "BSD2CLAUSE", "BSD-3-Clause": "BSD3CLAUSE", MIT: "MIT" };
/** __FreeBSD_version of 14.0 (sys/sys/param.h): the oldest system whose libc has FBSD_1.7. */
export const MIN_FREEBSD_VERSION = 1400000;

const PREFIX = "/usr/local";

export const POST_INSTALL = [
  "pptctl is installed: pptctl doctor checks this host, 'man pptctl' says the rest.",
  "",
  "The daily periodic(8) check is off until you enable it in /etc/periodic.conf:",
  '  daily_status_pptctl_enable="YES"',
  "It mails what 'pptctl doctor -q' reports (nothing when every check passes).",
  "",
].join("\n");

export function pkgName(version: string, arch: PkgMeta["arch"]): string {
  return `dist/pkg/pptctl-${version}-freebsd-${arch}.pkg`;
}

export function sha256Sum(data: Uint8Array): string {
  return `1$${createHash("sha256").update(data).digest("hex")}`;
}

/** The two manifests, compact JSON in pkg's key order. `entries` carry paths without the leading '/'. */
export function manifests(meta: PkgMeta, entries: readonly TarEntry[]): { compact: string; full: string } {
  const license = PORTS_LICENSE[meta.license];
  if (!license) throw new Error(`pkg: no ports license name for ${meta.license}; add it to PORTS_LICENSE`);
  const base = {
    name: "pptctl",
    origin: "sysutils/pptctl",
    version: meta.version,
    comment: meta.comment,
    maintainer: meta.maintainer,
    www: meta.www,
    abi: `FreeBSD:*:${ABI_ARCH[meta.arch]}`,
    arch: `freebsd:*:${LEGACY_ARCH[meta.arch]}`,
    prefix: PREFIX,
    flatsize: entries.reduce((n, e) => n + e.data.length, 0),
    licenselogic: "single",
    licenses: [license],
    // pkg url-encodes desc (pkg_emit_object): a '%' or a non-ASCII byte would have to be escaped.
    desc: urlencode(meta.desc),
    categories: ["sysutils"],
    annotations: { FreeBSD_version: String(MIN_FREEBSD_VERSION) },
  };
  const files = Object.fromEntries(entries.map((e) => [`/${e.path}`, sha256Sum(e.data)]));
  const messages = [{ message: POST_INSTALL, type: "install" }];
  return { compact: JSON.stringify({ ...base, messages }), full: JSON.stringify({ ...base, files, messages }) };
}

function urlencode(s: string): string {
  return [...new TextEncoder().encode(s)].map((b) => (b >= 0x80 || b === 0x25 ? `%${b.toString(16).padStart(2, "0")}` : String.fromCharCode(b))).join("");
}

/** The package's bytes: deterministic for the same inputs and mtime. */
export function buildPkg(meta: PkgMeta, entries: readonly TarEntry[], mtime: number): Uint8Array {
  const { compact, full } = manifests(meta, entries);
  const enc = new TextEncoder();
  const tar = ustar(
    [
      { path: "+COMPACT_MANIFEST", mode: 0o644, data: enc.encode(compact) },
      { path: "+MANIFEST", mode: 0o644, data: enc.encode(full) },
      ...entries.map((e) => ({ ...e, path: `/${e.path}` })),
    ],
    mtime,
  );
  // Level 9: 2 s for the 120 MB binary, within 10 % of level 15's size, which takes 20 s.
  return Bun.zstdCompressSync(tar, { level: 9 });
}
