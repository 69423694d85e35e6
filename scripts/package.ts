/**
 * The FreeBSD install tarball: `tar -xzf pptctl-<version>-freebsd-<arch>.tar.gz -C /` puts
 *   usr/local/sbin/pptctl                          0755
 *   usr/local/share/man/man8/pptctl.8.gz           0644
 *   usr/local/etc/periodic/daily/480.status-pptctl 0755
 * in place, owned by root:wheel (uid 0, gid 0). A plain ustar writer (no dependency): regular
 * files only, so extracting never changes the mode or owner of /usr, /usr/local or any other
 * existing directory.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface TarEntry {
  readonly path: string;
  readonly mode: number;
  readonly data: Uint8Array;
}

export function installEntries(root: string, binary: string): TarEntry[] {
  return [
    { path: "usr/local/sbin/pptctl", mode: 0o755, data: readFileSync(binary) },
    { path: "usr/local/share/man/man8/pptctl.8.gz", mode: 0o644, data: Bun.gzipSync(readFileSync(join(root, "src/pptctl.8")), { level: 9 }) },
    { path: "usr/local/etc/periodic/daily/480.status-pptctl", mode: 0o755, data: readFileSync(join(root, "src/periodic/480.status-pptctl")) },
  ];
}

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, "0")}\0`;
}

function header(e: TarEntry, mtime: number): Uint8Array {
  const h = new Uint8Array(512);
  const put = (off: number, len: number, s: string) => {
    const b = new TextEncoder().encode(s);
    if (b.length > len) throw new Error(`tar: ${s} does not fit in ${len} bytes`);
    h.set(b, off);
  };
  put(0, 100, e.path);
  put(100, 8, octal(e.mode, 8));
  put(108, 8, octal(0, 8)); // uid root
  put(116, 8, octal(0, 8)); // gid wheel
  put(124, 12, octal(e.data.length, 12));
  put(136, 12, octal(mtime, 12));
  put(148, 8, "        "); // checksum counted as spaces
  put(156, 1, "0");
  put(257, 6, "ustar\0");
  put(263, 2, "00");
  put(265, 32, "root");
  put(297, 32, "wheel");
  let sum = 0;
  for (const b of h) sum += b;
  put(148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
  return h;
}

export function ustar(entries: readonly TarEntry[], mtime: number): Uint8Array<ArrayBuffer> {
  const parts: Uint8Array[] = [];
  for (const e of entries) {
    parts.push(header(e, mtime), e.data);
    const pad = (512 - (e.data.length % 512)) % 512;
    if (pad) parts.push(new Uint8Array(pad));
  }
  parts.push(new Uint8Array(1024));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Reads back what ustar() wrote (tests): path, mode, uid, gid, names, data. */
export function readUstar(tar: Uint8Array): { path: string; mode: number; uid: number; gid: number; uname: string; gname: string; type: string; data: Uint8Array }[] {
  const out = [];
  const dec = new TextDecoder();
  const str = (off: number, len: number) => dec.decode(tar.subarray(off, off + len)).replace(/\0.*$/s, "");
  for (let off = 0; off + 512 <= tar.length; ) {
    if (tar.subarray(off, off + 512).every((b) => b === 0)) break;
    const size = parseInt(str(off + 124, 12), 8);
    out.push({
      path: str(off, 100),
      mode: parseInt(str(off + 100, 8), 8),
      uid: parseInt(str(off + 108, 8), 8),
      gid: parseInt(str(off + 116, 8), 8),
      uname: str(off + 265, 32),
      gname: str(off + 297, 32),
      type: str(off + 156, 1),
      data: tar.subarray(off + 512, off + 512 + size),
    });
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

export function tarballName(version: string, arch: "amd64" | "arm64"): string {
  return `dist/pptctl-${version}-freebsd-${arch}.tar.gz`;
}

export function writeTarball(root: string, binary: string, out: string, mtime: number): void {
  writeFileSync(join(root, out), Bun.gzipSync(ustar(installEntries(root, binary), mtime), { level: 9 }));
}
