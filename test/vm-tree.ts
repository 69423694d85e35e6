import { chmodSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { makeDevctlHost } from "./fake-devctl-host.ts";
import { cli, host } from "./helpers.ts";

/**
 * A live tree made from the list-vms recording: vm-bhyve (vm_dir=zfs:zroot/vm: gw, win11) and
 * Hoster (test-vm-1, test-vm-2, a broken test-vm-3); pciconf, devctl and kenv share one state.
 */
export function vmTree(opts: Parameters<typeof makeDevctlHost>[0] = {}) {
  const h = makeDevctlHost({ from: host("list-vms"), ...opts });
  const path = (p: string) => join(h.root, p);
  const read = (p: string) => readFileSync(path(p), "latin1");
  const write = (p: string, text: string) => {
    mkdirSync(dirname(path(p)), { recursive: true });
    writeFileSync(path(p), text, "latin1");
  };
  const run = (...argv: string[]) => cli(argv, { env: { PPTCTL_ROOT: h.root } });
  /** The process list (ps -axww -o pid=,args=): nothing runs until a test says so, as /dev/vmm is empty. */
  const ps = (text: string) => {
    write("/bin/ps", `#!/bin/sh\ncat <<'EOF'\n${text}EOF\n`);
    chmodSync(path("/bin/ps"), 0o755);
  };
  /** A VM that runs: its instance and its titled bhyve. */
  const running = (...vms: string[]) => {
    for (const vm of vms) write(`/dev/vmm/${vm}`, "");
    ps(vms.map((vm, i) => ` ${4300 + i} bhyve: ${vm} (bhyve)\n`).join(""));
  };
  ps("");
  /** Every file of the tree's VM dirs and /boot, to show nothing was written. */
  const files = () =>
    ["/zroot/vm", "/zroot/vm-encrypted", "/boot"].flatMap((d) =>
      readdirSync(path(d), { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => `${join(e.parentPath, e.name)}=${readFileSync(join(e.parentPath, e.name), "latin1")}`)
        .sort(),
    );
  return { ...h, path, read, write, run, files, ps, running };
}
