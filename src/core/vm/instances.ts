/**
 * Which VMs a process runs, starts or supervises, read the way their managers read it, and what
 * that makes of each VM instance in /dev/vmm. Pure.
 *
 * What shows a VM on a FreeBSD host (`ps -axww -o pid=,args=`):
 * - bhyve titles itself `bhyve: NAME` only after its devices are set up (usr.sbin/bhyve/bhyverun.c
 *   main: setproctitle("%s", vmname) after init_pci() and a restore). Before that, while it
 *   assigns its passthru devices or waits in fbuf for a VNC client (graphics_wait), ps shows its
 *   argv, which ends with NAME. https://github.com/freebsd/freebsd-src/blob/main/usr.sbin/bhyve/bhyverun.c
 * - A loader (`bhyveload … NAME`, `grub-bhyve … NAME`) makes /dev/vmm/NAME before bhyve runs.
 *   vm-bhyve reads running and loading guests the same way: lib/vm-run vm::running_load
 *   (`pgrep -fl "bhyve:"`, `pgrep -fl "grub-bhyve|bhyveload"`, the last word is the name).
 *   https://github.com/churchers/vm-bhyve/blob/master/lib/vm-run
 * - vm-bhyve's supervisor `vm _run NAME` lives as long as the guest, bhyve restarts included,
 *   and holds `$vm_dir/NAME/run.lock` (vm::lock / vm::unlock in the same file).
 * - Hoster's supervisor `…/vm_supervisor_service for NAME` (HosterCore
 *   internal/pkg/hoster/vm/stop.go matches `/vm_supervisor_service for NAME$` and `bhyve:\s+NAME$`).
 *   https://github.com/yaroslav-gwit/HosterCore/blob/main/internal/pkg/hoster/vm/stop.go
 * - `bhyvectl --vm=NAME …` acts on the instance right now.
 * Only a /dev/vmm/NAME that none of these names is left behind.
 */
import { type PciAddress, addr } from "../pci/address.ts";
import { REDACTED, type Redaction, SECRET_KEY } from "../text/redact.ts";

export type ProcRole = "bhyve" | "bhyve-starting" | "loader" | "vm-bhyve" | "hoster" | "bhyvectl";

export interface VmProcess {
  readonly pid: number;
  readonly vm: string;
  readonly role: ProcRole;
  /** What the process is, for messages: `bhyveload`, `bhyve (before its title)`. */
  readonly what: string;
  /** Devices on bhyve's command line (`-s 6:0,passthru,1/0/0`): only bhyve before its title shows them. */
  readonly passthru: readonly PciAddress[];
}

const LINE = /^\s*(\d+)\s+(.*?)\s*$/;
/** ps adds ` (bhyve)` after a title whose first word is not the command's name. */
const TITLE = /^bhyve: (\S+)(?: \(bhyve\))?$/;
const PASSTHRU_SLOT = /^\d+(?::\d+){0,2},passthru,(\d+)\/(\d+)\/(\d+)(?:,|$)/;

const base = (t: string) => t.slice(t.lastIndexOf("/") + 1);

/** Every process that names a VM, in the order ps printed them. */
export function vmProcesses(psOut: string): VmProcess[] {
  const out: VmProcess[] = [];
  for (const line of psOut.split("\n")) {
    const m = LINE.exec(line);
    if (!m) continue;
    const p = classify(Number(m[1]), m[2]!);
    if (p) out.push(p);
  }
  return out;
}

function classify(pid: number, args: string): VmProcess | null {
  const title = TITLE.exec(args);
  if (title) return { pid, vm: title[1]!, role: "bhyve", what: "bhyve", passthru: [] };
  const tokens = args.split(/\s+/);
  const cmd = base(tokens[0] ?? "");
  const last = tokens.length > 1 ? tokens[tokens.length - 1]! : "";
  const named = last !== "" && !last.startsWith("-");
  if (cmd === "bhyve" && named) {
    return { pid, vm: last, role: "bhyve-starting", what: "bhyve (before its title: setting up its devices, or waiting for a VNC client)", passthru: slotsOf(tokens) };
  }
  if ((cmd === "bhyveload" || cmd === "grub-bhyve") && named) return { pid, vm: last, role: "loader", what: cmd, passthru: [] };
  if (cmd === "bhyvectl") {
    const vm = tokens.find((t) => t.startsWith("--vm="))?.slice(5);
    if (vm) return { pid, vm, role: "bhyvectl", what: "bhyvectl", passthru: [] };
  }
  const run = tokens.indexOf("_run");
  if (run > 0 && tokens.slice(0, run).some((t) => base(t) === "vm")) {
    const vm = tokens.slice(run + 1).find((t) => !t.startsWith("-"));
    if (vm) return { pid, vm, role: "vm-bhyve", what: "vm-bhyve's supervisor (vm _run)", passthru: [] };
  }
  const sup = tokens.findIndex((t) => base(t) === "vm_supervisor_service");
  if (sup >= 0 && tokens[sup + 1] === "for" && tokens[sup + 2]) {
    return { pid, vm: tokens[sup + 2]!, role: "hoster", what: "Hoster's supervisor (vm_supervisor_service)", passthru: [] };
  }
  return null;
}

function slotsOf(tokens: readonly string[]): PciAddress[] {
  const found: PciAddress[] = [];
  tokens.forEach((t, i) => {
    const value = t === "-s" ? tokens[i + 1] : t.startsWith("-s") ? t.slice(2) : undefined;
    const m = value === undefined ? null : PASSTHRU_SLOT.exec(value);
    if (m) found.push(addr(Number(m[1]), Number(m[2]), Number(m[3])));
  });
  return found;
}

/** What runs a VM now, as far as pptctl can tell. */
export type VmState =
  | { readonly kind: "stopped" }
  /** bhyve has titled itself: the guest runs. */
  | { readonly kind: "running"; readonly pid: number }
  /** A process names the VM and bhyve has no title yet: starting, loading, or between restarts. */
  | { readonly kind: "starting"; readonly procs: readonly VmProcess[] }
  /** /dev/vmm/NAME exists and nothing names it: left behind by a bhyve that died. */
  | { readonly kind: "left-behind" }
  | { readonly kind: "unknown"; readonly reason: string };

/** What discovery read that decides a VM's state. */
export interface InstanceFacts {
  /** Names in /dev/vmm; null when /dev/vmm could not be read. */
  readonly instances: readonly string[] | null;
  /** Processes naming VMs; null when ps could not be read. */
  readonly processes: readonly VmProcess[] | null;
  /** vm-bhyve's run.lock per vm-bhyve VM: present, absent, or null when it could not be read. */
  readonly locks: ReadonlyMap<string, boolean | null>;
}

export function vmState(f: InstanceFacts, vm: string): VmState {
  const procs = f.processes?.filter((p) => p.vm === vm) ?? [];
  const titled = procs.find((p) => p.role === "bhyve");
  if (titled) return { kind: "running", pid: titled.pid };
  if (procs.length > 0) return { kind: "starting", procs };
  if (f.instances === null) return { kind: "unknown", reason: "/dev/vmm cannot be read" };
  if (!f.instances.includes(vm)) return { kind: "stopped" };
  if (f.processes === null) return { kind: "unknown", reason: `/dev/vmm/${vm} exists and the process list cannot be read to tell whether a process runs or starts it` };
  const lock = f.locks.get(vm);
  if (lock === true) return { kind: "unknown", reason: `/dev/vmm/${vm} exists and vm-bhyve's run.lock says it started ${vm}, but no process names it` };
  if (lock === null) return { kind: "unknown", reason: `/dev/vmm/${vm} exists and no process names it, but vm-bhyve's run.lock for ${vm} cannot be read` };
  return { kind: "left-behind" };
}

/** An instance exists or is being made: its devices may be held. */
export function isActive(s: VmState): boolean {
  return s.kind === "running" || s.kind === "starting" || s.kind === "left-behind";
}

/** `bhyve pid 4242`, `bhyveload pid 77 and vm-bhyve's supervisor (vm _run) pid 70` */
export function processText(procs: readonly VmProcess[]): string {
  return procs.map((p) => `${p.what} pid ${p.pid}`).join(" and ");
}

/** VM names with an instance or a process but no config: they may hold any ppt device. */
export function namesWithoutConfig(f: InstanceFacts, known: ReadonlySet<string>): string[] {
  const names = new Set([...(f.instances ?? []), ...(f.processes ?? []).filter((p) => p.role === "bhyve" || p.role === "bhyve-starting").map((p) => p.vm)]);
  return [...names].filter((n) => !known.has(n));
}

/**
 * What `capture` keeps of the process list: only the lines that run, start or supervise a VM
 * (other command lines may hold anything), with the value of every secret-named option
 * (`fbuf,…,password=…` on bhyve's command line) replaced.
 */
export function redactProcessList(psOut: string): Redaction {
  const items: string[] = [];
  const lines = psOut.split("\n").filter((l) => l.trim() !== "");
  const kept = lines.filter((l) => {
    const m = LINE.exec(l);
    return m !== null && classify(Number(m[1]), m[2]!) !== null;
  });
  if (kept.length < lines.length) items.push(`${lines.length - kept.length} process line${lines.length - kept.length === 1 ? "" : "s"} that name no VM`);
  const text = kept
    .map((l) =>
      l.replace(/([A-Za-z_]+)=([^,\s]*)/g, (all, key: string) => {
        if (!SECRET_KEY.test(key)) return all;
        items.push(`${key} on a command line`);
        return `${key}=${REDACTED}`;
      }),
    )
    .map((l) => `${l}\n`)
    .join("");
  return { text, items };
}
