import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { type FakeState, boot, parseKenvText, stateFromPciconf } from "./fake-devctl.ts";
import { FIXTURES, tempDir } from "./helpers.ts";

const DEVCTL_REC = join(FIXTURES, "real-hosts", "qemu-14.0-devctl");
/** Round two on a real 14.0 kernel: 2/0/0 (an e1000) on ppt through pptdevs="2/0/0" at boot. */
export const BOOTPPT_REC = join(FIXTURES, "real-hosts", "qemu-14.0-r2-bootppt");
const SCRIPT = join(import.meta.dir, "fake-devctl.ts");

function put(root: string, path: string, text: string, mode = 0o644): void {
  const full = join(root, path);
  mkdirSync(dirname(full), { recursive: true });
  writeFileSync(full, text);
  chmodSync(full, mode);
}

const q = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;

interface HostJson {
  commands: { argv: string[]; exit: number; stdout: string | null; stderr: string | null }[];
  files: { path: string; copy: string | null }[];
}

/**
 * A fake live tree made from a real FreeBSD 14.0 recording: every recorded command answers as
 * recorded, every recorded file is there, and pciconf, devctl and kenv share one state
 * (test/fake-devctl.ts). The default recording is the devctl boot (em0 with the default route,
 * em1 spare, the root port 0/28/0 with the xHCI + HDA card behind it, vmm.ko loaded).
 */
export function makeDevctlHost(
  opts: {
    from?: string;
    vmm?: boolean;
    runningVm?: string;
    fail?: Record<string, "busy" | "vanish" | "hang" | "hang-child" | "slow">;
    extra?: string;
    /** Host drivers of devices on ppt at boot, by address (pci0:2:0:0 -> em). */
    hosts?: Record<string, string>;
    /** Kernel environment entries to boot with (pptdevs="…"): named devices start on ppt. */
    kenv?: Record<string, string>;
  } = {},
): { root: string; state: () => FakeState } {
  const rec = opts.from ?? DEVCTL_REC;
  const root = tempDir("pptctl-devctl-");
  const spec = JSON.parse(readFileSync(join(rec, "host.json"), "utf8")) as HostJson;
  const text = (rel: string | null) => (rel === null ? "" : readFileSync(join(rec, rel), "utf8"));
  const kenv = parseKenvText(text(spec.commands.find((c) => c.argv[0] === "/bin/kenv")?.stdout ?? null));
  const kldstat = text(spec.commands.find((c) => c.argv.join(" ") === "/sbin/kldstat")?.stdout ?? null);
  const vmm = opts.vmm ?? /vmm\.ko/.test(kldstat);
  const state = boot(stateFromPciconf(`${text("pciconf-lvc.txt")}${opts.extra ?? ""}`, { "pci0:1:0:0": "pci0:0:28:0", "pci0:1:0:1": "pci0:0:28:0" }, kenv, vmm, opts.hosts), opts.kenv ?? {});
  for (const [addr, how] of Object.entries(opts.fail ?? {})) state.devices.find((d) => d.addr === addr)!.fail = how;
  const statePath = join(root, ".state.json");
  writeFileSync(statePath, JSON.stringify(state));
  const tool = (name: string) => `#!/bin/sh\nexec ${q(process.execPath)} ${q(SCRIPT)} ${q(statePath)} ${name} "$@"\n`;
  put(root, "/usr/sbin/pciconf", tool("pciconf"), 0o755);
  put(root, "/usr/sbin/devctl", tool("devctl"), 0o755);
  put(root, "/bin/kenv", tool("kenv"), 0o755);

  // Every other recorded command answers as recorded, by its arguments.
  const byCmd = new Map<string, HostJson["commands"]>();
  for (const c of spec.commands) {
    const cmd = c.argv[0]!;
    if (["/usr/sbin/pciconf", "/bin/kenv"].includes(cmd)) continue;
    byCmd.set(cmd, [...(byCmd.get(cmd) ?? []), c]);
  }
  // `kldstat -m vmm` as FreeBSD 14.0 prints it for a vmm that started, where the recording lacks it.
  const kld = byCmd.get("/sbin/kldstat") ?? [];
  if (!kld.some((c) => c.argv[1] === "-m")) kld.push({ argv: ["/sbin/kldstat", "-m", "vmm"], exit: 0, stdout: null, stderr: null });
  const outputs = join(root, ".outputs");
  let n = 0;
  for (const [cmd, runs] of byCmd) {
    const cases = runs.map((c) => {
      const out = join(outputs, `${n++}`);
      let stdout = text(c.stdout);
      if (c.argv.join(" ") === "/sbin/kldstat" && !vmm) stdout = stdout.replace(/^.*vmm\.ko\n/m, "");
      if (c.argv.join(" ") === "/sbin/kldstat -m vmm" && c.stdout === null && c.exit === 0) stdout = "Id  Refs Name\n 97    1 vmm\n";
      put(root, `/.outputs/${n - 1}.out`, stdout);
      put(root, `/.outputs/${n - 1}.err`, text(c.stderr));
      const answer = c.argv.join(" ") === "/sbin/sysctl hw.vmm" && c.exit === 0 ? `exec ${q(process.execPath)} ${q(SCRIPT)} ${q(statePath)} sysctl-vmm ${q(`${out}.out`)}` : `cat ${q(`${out}.out`)}; cat ${q(`${out}.err`)} >&2; exit ${c.exit}`;
      return `  ${q(c.argv.slice(1).join(" "))}) ${answer};;`;
    });
    put(root, cmd, `#!/bin/sh\ncase "$*" in\n${cases.join("\n")}\n  *) echo "not recorded: $*" >&2; exit 1;;\nesac\n`, 0o755);
  }
  // The live message buffer: the boot messages, where the recording has no dmesg.
  if (!byCmd.has("/sbin/dmesg")) put(root, "/sbin/dmesg", `#!/bin/sh\nexec cat ${q(join(rec, "files/var/run/dmesg.boot"))}\n`, 0o755);
  for (const f of spec.files) if (f.copy) put(root, f.path, readFileSync(join(rec, f.copy), "latin1"));
  mkdirSync(join(root, "dev/vmm"), { recursive: true });
  mkdirSync(join(root, "var/run"), { recursive: true });
  const vm = opts.runningVm;
  if (vm) {
    put(root, "/etc/rc.conf", `${readFileSync(join(root, "etc/rc.conf"), "utf8")}vm_dir="/vm"\n`);
    put(root, `/vm/${vm}/${vm}.conf`, 'loader="uefi"\ncpu=2\nmemory=2G\npassthru0="0/4/0"\n');
    put(root, `/vm/${vm}/run.lock`, "fakehost\n");
    writeFileSync(join(root, "dev/vmm", vm), "");
  }
  // The process list: vm-bhyve's supervisor and the titled bhyve of the running VM, if any.
  if (!byCmd.has("/bin/ps")) {
    const lines = vm ? ` 900 /bin/sh /usr/local/sbin/vm -d /vm _run ${vm}\n 901 bhyve: ${vm} (bhyve)\n` : "";
    put(root, "/bin/ps", `#!/bin/sh\nprintf '%s' ${q(lines)}\n`, 0o755);
  }
  return { root, state: () => JSON.parse(readFileSync(statePath, "utf8")) as FakeState };
}
