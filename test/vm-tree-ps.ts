import { chmodSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { makeDevctlHost } from "./fake-devctl-host.ts";
import { cli, host } from "./helpers.ts";

/**
 * A fake live tree of the vm-preflight host (vm-bhyve: gw, win11, lab; Hoster: test-vm-1,
 * test-vm-2) whose process list and /dev/vmm a test sets: what a VM's state is read from.
 */
export function psTree(opts: { ps?: string | null; vmm?: readonly string[] } = {}) {
  const h = makeDevctlHost({ from: host("vm-preflight") });
  const path = (p: string) => join(h.root, p);
  const write = (p: string, text: string, mode = 0o644) => {
    mkdirSync(dirname(path(p)), { recursive: true });
    writeFileSync(path(p), text, "latin1");
    chmodSync(path(p), mode);
  };
  const setPs = (text: string | null) =>
    text === null ? write("/bin/ps", "#!/bin/sh\necho 'ps: sysctl: Operation not permitted' >&2\nexit 1\n", 0o755) : write("/bin/ps", `#!/bin/sh\ncat <<'EOF'\n${text}EOF\n`, 0o755);
  const setVmm = (names: readonly string[]) => {
    rmSync(path("/dev/vmm"), { recursive: true, force: true });
    mkdirSync(path("/dev/vmm"), { recursive: true });
    for (const n of names) writeFileSync(path(`/dev/vmm/${n}`), "");
  };
  if (opts.ps !== undefined) setPs(opts.ps);
  setVmm(opts.vmm ?? ["test-vm-1", "win11"]);
  const run = (...argv: string[]) => cli(argv, { env: { PPTCTL_ROOT: h.root } });
  return { ...h, path, write, setPs, setVmm, run };
}

/** The line of doctor's text output for one area (`win11: instance`). */
export const lineOf = (out: string, area: string) => out.split("\n").find((l) => l.includes(`${area}:`)) ?? "";
