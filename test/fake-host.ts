import { chmodSync, cpSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { SAMPLE, tempDir } from "./helpers.ts";

/** A stub executable that prints a file (or per-first-argument files) and exits. */
function stub(root: string, path: string, body: string): void {
  const full = join(root, path);
  mkdirSync(dirname(full), { recursive: true });
  writeFileSync(full, `#!/bin/sh\n${body}\n`);
  chmodSync(full, 0o755);
}

/**
 * A fake FreeBSD tree reached through LiveHost's root prefix: stub commands print the sample
 * host's outputs, files are copies. `hang` makes acpidump never answer.
 */
export function makeFakeHost(opts: { hang?: boolean; acpidumpDenied?: boolean } = {}): string {
  const root = tempDir("pptctl-fake-");
  const out = (f: string) => join(SAMPLE, f);
  stub(root, "/usr/sbin/pciconf", `exec cat '${out("pciconf-lvc.txt")}'`);
  if (opts.hang) stub(root, "/usr/sbin/acpidump", "exec sleep 30");
  else if (opts.acpidumpDenied) stub(root, "/usr/sbin/acpidump", "echo 'acpidump: opening /dev/mem: Permission denied' >&2; exit 1");
  else stub(root, "/usr/sbin/acpidump", `exec cat '${out("acpidump-t.txt")}'`);
  stub(root, "/bin/kenv", `exec cat '${out("kenv.txt")}'`);
  // `kldstat -m vmm` as FreeBSD 14.0 prints it for a vmm that started.
  stub(root, "/sbin/kldstat", `case "$1" in -m) printf 'Id  Refs Name\\n 97    1 vmm\\n';; *) exec cat '${out("kldstat.txt")}';; esac`);
  stub(root, "/sbin/dmesg", `exec cat '${join(SAMPLE, "files/var/run/dmesg.boot")}'`);
  stub(
    root,
    "/sbin/sysctl",
    `case "$1" in hw.vmm) exec cat '${out("sysctl-hw.vmm.txt")}';; *) exec cat '${out("sysctl-platform.txt")}';; esac`,
  );
  stub(root, "/sbin/route", `exec cat '${out("route-default.txt")}'`);
  stub(root, "/sbin/zfs", `exec cat '${out("zfs-list.txt")}'`);
  cpSync(join(SAMPLE, "files"), root, { recursive: true });
  mkdirSync(join(root, "dev/vmm"), { recursive: true });
  writeFileSync(join(root, "dev/vmm/test-vm-1"), "");
  return root;
}
