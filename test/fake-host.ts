import { chmodSync, cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { SAMPLE, tempDir } from "./helpers.ts";

/** Identifiers and secrets a real host has and a public capture must not: test data only. */
export const SECRETS = ["NUCSERIAL-4711", "5f1e0c2a-9d3b-4e7f-8a61-0c2d3e4f5a6b", "ASSET-0815", "58:9c:fc:00:11:22", "S4EWNX0R123456", "589cfcfffe001122"];
const SECRET_OUTPUTS: Record<string, string> = {
  "kenv.txt": 'smbios.system.serial="NUCSERIAL-4711"\nsmbios.system.uuid="5f1e0c2a-9d3b-4e7f-8a61-0c2d3e4f5a6b"\nsmbios.chassis.tag="ASSET-0815"\n',
  // The last device's PCIe serial number, made from the NIC's MAC as EUI-64 (pciconf cap.c ecap_sernum).
  "pciconf-lvc.txt": "    ecap 0003[100] = Serial 1 589cfcfffe001122\n",
};
const SECRET_DMESG = "igc0: Ethernet address: 58:9c:fc:00:11:22\nnda0: Serial Number S4EWNX0R123456\n";

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
export function makeFakeHost(opts: { hang?: boolean; acpidumpDenied?: boolean; secrets?: boolean } = {}): string {
  const root = tempDir("pptctl-fake-");
  const sampleOut = (f: string) => join(SAMPLE, f);
  const out = (f: string) => (opts.secrets && SECRET_OUTPUTS[f] ? join(root, ".outputs", f) : sampleOut(f));
  if (opts.secrets) {
    mkdirSync(join(root, ".outputs"), { recursive: true });
    for (const [f, extra] of Object.entries(SECRET_OUTPUTS)) writeFileSync(join(root, ".outputs", f), readFileSync(sampleOut(f), "utf8") + extra);
  }
  stub(root, "/usr/sbin/pciconf", `exec cat '${out("pciconf-lvc.txt")}'`);
  if (opts.hang) stub(root, "/usr/sbin/acpidump", "exec sleep 30");
  else if (opts.acpidumpDenied) stub(root, "/usr/sbin/acpidump", "echo 'acpidump: opening /dev/mem: Permission denied' >&2; exit 1");
  else stub(root, "/usr/sbin/acpidump", `exec cat '${out("acpidump-t.txt")}'`);
  stub(root, "/bin/kenv", `exec cat '${out("kenv.txt")}'`);
  // `kldstat -m vmm` as FreeBSD 14.0 prints it for a vmm that started.
  stub(root, "/sbin/kldstat", `case "$1" in -m) printf 'Id  Refs Name\\n 97    1 vmm\\n';; *) exec cat '${out("kldstat.txt")}';; esac`);
  stub(root, "/sbin/dmesg", `exec cat '${join(root, "var/run/dmesg.boot")}'`);
  stub(
    root,
    "/sbin/sysctl",
    `case "$1" in hw.vmm) exec cat '${out("sysctl-hw.vmm.txt")}';; *) exec cat '${out("sysctl-platform.txt")}';; esac`,
  );
  stub(root, "/sbin/route", `exec cat '${out("route-default.txt")}'`);
  stub(root, "/sbin/zfs", `exec cat '${out("zfs-list.txt")}'`);
  cpSync(join(SAMPLE, "files"), root, { recursive: true });
  if (opts.secrets) {
    const dmesg = join(root, "var/run/dmesg.boot");
    writeFileSync(dmesg, `${readFileSync(dmesg, "utf8")}${SECRET_DMESG}`);
    mkdirSync(join(root, "etc"), { recursive: true });
    writeFileSync(join(root, "etc/rc.conf"), 'hostname="nuc11"\nifconfig_igc0="ether 58:9c:fc:00:11:22 DHCP"\n');
  }
  mkdirSync(join(root, "dev/vmm"), { recursive: true });
  mkdirSync(join(root, "var/run"), { recursive: true });
  writeFileSync(join(root, "dev/vmm/test-vm-1"), "");
  return root;
}
