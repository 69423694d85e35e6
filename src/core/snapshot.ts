/**
 * Raw answers from a host, live or recorded. Pure data: the core parses it, the host layer
 * fills it. Anything not asked or not recorded is simply absent from the maps.
 */
export type CommandResult =
  | { readonly kind: "ran"; readonly exit: number; readonly stdout: string; readonly stderr: string }
  /** Not installed, not recorded, or could not be started. */
  | { readonly kind: "missing"; readonly reason: string }
  | { readonly kind: "timeout"; readonly seconds: number };

export type FileResult =
  /** `text` is the file's bytes, one char per byte (see bytes.ts): edits keep every byte. */
  | { readonly kind: "file"; readonly text: string }
  /** `link`: the path is a symbolic link to this missing target (a dangling link). */
  | { readonly kind: "absent"; readonly link?: string }
  | { readonly kind: "unknown"; readonly reason: string };

/** What a path is, without reading it (ROM files: bhyve opens and maps them whole). */
export type StatResult =
  | { readonly kind: "file"; readonly size: number }
  | { readonly kind: "absent" }
  /** It exists and is not a regular file: "a directory", "a FIFO (named pipe)". */
  | { readonly kind: "other"; readonly what: string }
  | { readonly kind: "unknown"; readonly reason: string };

export type DirResult =
  | { readonly kind: "dir"; readonly entries: readonly string[] }
  | { readonly kind: "absent" }
  | { readonly kind: "unknown"; readonly reason: string };

export interface HostSnapshot {
  readonly commands: ReadonlyMap<string, CommandResult>;
  readonly files: ReadonlyMap<string, FileResult>;
  readonly dirs: ReadonlyMap<string, DirResult>;
}

/** Why a recorded host has no answer to a question: the recording lacks it (host/recorded.ts). */
export const NOT_RECORDED = "not in the recording";

export function commandKey(argv: readonly string[]): string {
  return argv.join("\u0000");
}

export function commandResult(s: HostSnapshot, argv: readonly string[]): CommandResult {
  return s.commands.get(commandKey(argv)) ?? { kind: "missing", reason: `${argv.join(" ")} was not run` };
}

export function fileResult(s: HostSnapshot, path: string): FileResult {
  return s.files.get(path) ?? { kind: "unknown", reason: "not read" };
}

/** The same snapshot with one file's answer replaced (plan --from REC --file F: F stands in). */
export function withFile(s: HostSnapshot, path: string, result: FileResult): HostSnapshot {
  const files = new Map(s.files);
  files.set(path, result);
  return { ...s, files };
}

export function dirResult(s: HostSnapshot, path: string): DirResult {
  return s.dirs.get(path) ?? { kind: "unknown", reason: "not listed" };
}

/** What the command printed when it ran and succeeded, otherwise why not. */
export function commandOutput(s: HostSnapshot, argv: readonly string[]): { ok: true; stdout: string } | { ok: false; reason: string } {
  const r = commandResult(s, argv);
  const name = argv[0]?.split("/").pop() ?? "command";
  switch (r.kind) {
    case "ran":
      if (r.exit === 0 || r.stdout.trim() !== "") return { ok: true, stdout: r.stdout };
      return { ok: false, reason: `${name} failed (exit ${r.exit}${r.stderr.trim() ? `: ${firstLine(r.stderr)}` : ""})` };
    case "missing":
      return { ok: false, reason: r.reason };
    case "timeout":
      return { ok: false, reason: `${name} did not answer within ${r.seconds} s` };
  }
}

export function firstLine(text: string): string {
  return text.split(/\r?\n/).find((l) => l.trim() !== "")?.trim() ?? "";
}

/** The core set every live host is asked (DESIGN §3), argv exactly as recorded. */
export const CORE_COMMANDS: readonly (readonly string[])[] = [
  ["/usr/sbin/pciconf", "-lvc"],
  ["/usr/sbin/acpidump", "-t"],
  ["/bin/kenv"],
  ["/sbin/kldstat"],
  ["/sbin/sysctl", "kern.osrelease", "hw.machine", "hw.machine_arch", "hw.model"],
  ["/sbin/sysctl", "hw.vmm"],
  ["/sbin/route", "-n", "get", "default"],
  ["/sbin/zfs", "list", "-H", "-o", "name,mountpoint"],
  // Exits 1 ("can't find module vmm") when vmm.ko is loaded but its initialisation failed.
  ["/sbin/kldstat", "-m", "vmm"],
  // The live message buffer: a run-time kldload's errors are not in /var/run/dmesg.boot.
  ["/sbin/dmesg"],
  // Which VMs a bhyve process runs: bhyve sets its title to the VM's name (bhyverun.c,
  // setproctitle), which is how vm-bhyve tells them apart too (lib/vm-run: pgrep -fl "bhyve:").
  // A capture keeps only those lines (redact.ts).
  ["/bin/ps", "-axww", "-o", "pid=,args="],
  // What bhyve -S may still wire: vm_map_wire(VM_MAP_WIRE_USER) fails once the user-wired pages
  // would pass vm.max_user_wired (sys/vm/vm_map.c, vm_map_wire_user_count_add).
  ["/sbin/sysctl", "vm.max_user_wired", "vm.stats.vm.v_user_wire_count", "hw.pagesize"],
];

export const CORE_FILES = [
  "/boot/loader.conf",
  "/boot/loader.conf.local",
  "/var/run/dmesg.boot",
  "/etc/rc.conf",
  "/etc/rc.conf.local",
] as const;

export const CORE_DIRS = ["/dev/vmm", "/boot/loader.conf.d"] as const;

export const CMD = {
  pciconf: CORE_COMMANDS[0] as readonly string[],
  acpidump: CORE_COMMANDS[1] as readonly string[],
  kenv: CORE_COMMANDS[2] as readonly string[],
  kldstat: CORE_COMMANDS[3] as readonly string[],
  sysctlPlatform: CORE_COMMANDS[4] as readonly string[],
  sysctlVmm: CORE_COMMANDS[5] as readonly string[],
  route: CORE_COMMANDS[6] as readonly string[],
  zfs: CORE_COMMANDS[7] as readonly string[],
  kldVmm: CORE_COMMANDS[8] as readonly string[],
  dmesg: CORE_COMMANDS[9] as readonly string[],
  ps: CORE_COMMANDS[10] as readonly string[],
  sysctlWired: CORE_COMMANDS[11] as readonly string[],
} as const;
