import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { type FakeState, stateFromPciconf } from "./fake-devctl.ts";
import { FIXTURES, tempDir } from "./helpers.ts";

const REC = join(FIXTURES, "real-hosts", "qemu-14.0-devctl");
const SCRIPT = join(import.meta.dir, "fake-devctl.ts");

function put(root: string, path: string, text: string, mode = 0o644): void {
  const full = join(root, path);
  mkdirSync(dirname(full), { recursive: true });
  writeFileSync(full, text);
  chmodSync(full, mode);
}

const q = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;

/**
 * A fake live tree from the real FreeBSD 14.0 devctl host (em0 with the default route, em1
 * spare, the root port 0/28/0 with the xHCI + HDA card behind it, vmm.ko loaded), whose
 * pciconf and devctl share one state (test/fake-devctl.ts).
 */
export function makeDevctlHost(
  opts: { vmm?: boolean; runningVm?: string; fail?: Record<string, "busy" | "vanish" | "hang" | "hang-child">; extra?: string } = {},
): { root: string; state: () => FakeState } {
  const root = tempDir("pptctl-devctl-");
  const rec = (f: string) => readFileSync(join(REC, f), "utf8");
  const state = stateFromPciconf(`${rec("pciconf-lvc.txt")}${opts.extra ?? ""}`, { "pci0:1:0:0": "pci0:0:28:0", "pci0:1:0:1": "pci0:0:28:0" });
  for (const [addr, how] of Object.entries(opts.fail ?? {})) state.devices.find((d) => d.addr === addr)!.fail = how;
  const statePath = join(root, ".state.json");
  writeFileSync(statePath, JSON.stringify(state));
  const tool = (name: string) => `#!/bin/sh\nexec ${q(process.execPath)} ${q(SCRIPT)} ${q(statePath)} ${name} "$@"\n`;
  put(root, "/usr/sbin/pciconf", tool("pciconf"), 0o755);
  put(root, "/usr/sbin/devctl", tool("devctl"), 0o755);
  const out = (f: string) => join(REC, f);
  const kld = opts.vmm === false ? rec("kldstat.txt").replace(/^.*vmm\.ko\n/m, "") : rec("kldstat.txt");
  put(root, "/.kldstat", kld);
  put(root, "/usr/sbin/acpidump", `#!/bin/sh\nexec cat ${q(out("acpidump-t.txt"))}\n`, 0o755);
  put(root, "/bin/kenv", `#!/bin/sh\nexec cat ${q(out("kenv.txt"))}\n`, 0o755);
  put(root, "/sbin/kldstat", `#!/bin/sh\ncase "$1" in -m) printf 'Id  Refs Name\\n 97    1 vmm\\n';; *) exec cat ${q(join(root, ".kldstat"))};; esac\n`, 0o755);
  put(root, "/sbin/sysctl", `#!/bin/sh\ncase "$1" in hw.vmm) exec cat ${q(out("sysctl-hw.vmm.txt"))};; *) exec cat ${q(out("sysctl-kern.osrelease-hw.machine-hw.machine_arch-hw.model.txt"))};; esac\n`, 0o755);
  put(root, "/sbin/route", `#!/bin/sh\nexec cat ${q(out("route-n-get-default.txt"))}\n`, 0o755);
  put(root, "/sbin/zfs", "#!/bin/sh\necho 'zfs: not here' >&2; exit 1\n", 0o755);
  put(root, "/sbin/dmesg", `#!/bin/sh\nexec cat ${q(out("files/var/run/dmesg.boot"))}\n`, 0o755);
  put(root, "/boot/loader.conf", rec("files/boot/loader.conf"));
  put(root, "/var/run/dmesg.boot", rec("files/var/run/dmesg.boot"));
  const vm = opts.runningVm;
  put(root, "/etc/rc.conf", `${rec("files/etc/rc.conf")}${vm ? 'vm_dir="/vm"\n' : ""}`);
  mkdirSync(join(root, "dev/vmm"), { recursive: true });
  if (vm) {
    put(root, `/vm/${vm}/${vm}.conf`, 'loader="uefi"\npassthru0="0/4/0"\n');
    writeFileSync(join(root, "dev/vmm", vm), "");
  }
  return { root, state: () => JSON.parse(readFileSync(statePath, "utf8")) as FakeState };
}
