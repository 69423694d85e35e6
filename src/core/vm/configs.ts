import { parseHosterHost, parseHosterVm } from "./hoster.ts";
import { readRc } from "../parse/rc-conf.ts";
import { type VmProcess, vmProcesses } from "./instances.ts";
import { parseVmBhyveConf } from "./vm-bhyve.ts";
import { CMD, type HostSnapshot, commandOutput, dirResult, fileResult } from "../snapshot.ts";

export type VmManager = "hoster" | "vm-bhyve" | "custom";
/** Whose file format a config is in; a --vms dir ("custom") holds either. */
export type VmLayout = "hoster" | "vm-bhyve";

export interface VmConfig {
  readonly vm: string;
  readonly manager: VmManager;
  readonly path: string;
  readonly layout: VmLayout;
  /** Passthru entries as written in the config (`1/0/0`, `-2/0/0`). */
  readonly entries: readonly string[];
  /** Guest memory as the manager gives it to bhyve -m (`8G`); null when not set. */
  readonly memory: string | null;
  /** vm-bhyve settings it needs to start the VM and the config lacks; null for Hoster. */
  readonly missing: readonly string[] | null;
  /** The guest OS as the config names it: vm-bhyve's guest= (`windows`), Hoster's os_type (`debian12`). */
  readonly guest: string | null;
  /** How the guest boots, where the config says it plainly. */
  readonly firmware: "uefi" | "bios" | "bhyveload" | "grub" | null;
  /** Hoster's slot layout: the first passthru slot and whether an xHCI tablet follows. */
  readonly hoster: { readonly firstSlot: number; readonly xhci: boolean } | null;
}

export interface VmConfigProblem {
  readonly path: string;
  readonly vm: string | null;
  /** The format of the VM config that could not be read; absent for a problem that is not one VM's. */
  readonly layout?: VmLayout;
  readonly problem: string;
  /** The file's text when it was read but not understood: its manager may still read devices in it. */
  readonly text?: string;
}

export interface VmInventory {
  readonly configs: readonly VmConfig[];
  readonly problems: readonly VmConfigProblem[];
  /** VM names with /dev/vmm/NAME (an instance exists), null when /dev/vmm could not be read. */
  readonly instances: readonly string[] | null;
  /** Processes that run, start or supervise a VM (instances.ts); null when ps could not be read. */
  readonly processes: readonly VmProcess[] | null;
  /** vm-bhyve's run.lock of each vm-bhyve VM: present, absent, null when it could not be read. */
  readonly locks: ReadonlyMap<string, boolean | null>;
  /** ppt units now (ppt0 → its address): what a `passthruN="ppt0"` entry means on this host. */
  readonly pptNames: ReadonlyMap<string, import("../pci/address.ts").PciAddress>;
  /** CBSD, when rc.conf names its workdir: the environments it keeps (jails and VMs alike). */
  readonly cbsd: { readonly workdir: string; readonly names: readonly string[] } | null;
}

/**
 * What discovery finds in files and folders. The model adds what runs now (`runningVms`) and the
 * ppt units: discovery runs once per round of reads, and neither changes what it must read.
 */
export type VmDiscovery = Omit<VmInventory, "instances" | "processes" | "pptNames">;

/** Files and directories discovery still has to read before it can answer. */
export interface Needs {
  readonly files: string[];
  readonly dirs: string[];
}

export const RC_FILES = ["/etc/rc.conf", "/etc/rc.conf.local"] as const;

/** cbsdd's own rc.conf.d file, where `cbsd initenv` may keep cbsd_workdir (rc.subr load_rc_config). */
export const CBSD_RC = "/etc/rc.conf.d/cbsdd";

export const HOSTER_CONFIG_DIRS = [
  "/opt/hoster-core/config_files",
  "/opt/hoster/config_files",
  "/usr/local/etc/hoster",
  "/etc/hoster",
  "/root/hoster/config_files",
] as const;

/**
 * What discovery reads on every host before anything it finds leads elsewhere: asked with the
 * core set, it saves a round of reads (and a round of discovery) on every run that finds VMs.
 */
export const DISCOVERY_FILES: readonly string[] = [...HOSTER_CONFIG_DIRS.map((d) => `${d}/host_config.json`), CBSD_RC];

/**
 * Finds VM configs (Hoster, vm-bhyve, extra dirs) in what has been read so far. Pure: when it
 * needs more, it says what in `needs`, and the host layer reads it and calls again.
 */
export function discoverVms(s: HostSnapshot, extraDirs: readonly string[]): { found: VmDiscovery; needs: Needs } {
  // The host layer's last round and buildModel ask about the same snapshot: answer once.
  const key = extraDirs.join("\u0000");
  const seen = DISCOVERED.get(s);
  const hit = seen?.get(key);
  if (hit) return hit;
  const found = discover(s, extraDirs);
  if (seen) seen.set(key, found);
  else DISCOVERED.set(s, new Map([[key, found]]));
  return found;
}

/** Snapshots are never changed once made, so a result stays true for as long as its snapshot lives. */
const DISCOVERED = new WeakMap<HostSnapshot, Map<string, { found: VmDiscovery; needs: Needs }>>();

function discover(s: HostSnapshot, extraDirs: readonly string[]): { found: VmDiscovery; needs: Needs } {
  const needs: Needs = { files: [], dirs: [] };
  const configs: VmConfig[] = [];
  const problems: VmConfigProblem[] = [];
  const file = (p: string) => {
    if (!s.files.has(p)) needs.files.push(p);
    return fileResult(s, p);
  };
  const dir = (p: string) => {
    if (!s.dirs.has(p)) needs.dirs.push(p);
    return dirResult(s, p);
  };
  const mounts = zfsMounts(s);

  // One directory named twice (--vms /vm with vm_dir=/vm, a dataset listed twice) is read once.
  const scanned = new Set<string>();
  const scanDir = (given: string, manager: VmManager, layouts: VmLayout[]) => {
    const root = given.replace(/\/{2,}/g, "/").replace(/\/+$/, "") || "/";
    layouts = layouts.filter((l) => !scanned.has(`${root}\u0000${l}`));
    if (layouts.length === 0) return;
    for (const l of layouts) scanned.add(`${root}\u0000${l}`);
    const listing = dir(root);
    if (listing.kind === "unknown") {
      problems.push({ path: root, vm: null, problem: listing.reason });
      return;
    }
    if (listing.kind === "absent") {
      problems.push({ path: root, vm: null, problem: "directory does not exist" });
      return;
    }
    for (const name of listing.entries) {
      if (name.startsWith(".")) continue;
      for (const layout of layouts) {
        const path = layout === "hoster" ? `${root}/${name}/vm_config.json` : `${root}/${name}/${name}.conf`;
        const f = file(path);
        if (f.kind === "absent") {
          if (f.link !== undefined) problems.push({ path, vm: name, layout, problem: `is a symbolic link to ${f.link}, which does not exist` });
          continue;
        }
        if (f.kind === "unknown") {
          problems.push({ path, vm: name, layout, problem: f.reason });
          continue;
        }
        const parsed = layout === "hoster" ? parseHosterVm(f.text) : parseVmBhyveConf(f.text);
        if ("error" in parsed) problems.push({ path, vm: name, layout, problem: parsed.error, text: f.text });
        else configs.push({ vm: name, manager, path, layout, entries: parsed.entries, memory: parsed.memory, guest: parsed.guest, firmware: parsed.firmware, missing: "missing" in parsed ? parsed.missing : null, hoster: "firstSlot" in parsed ? { firstSlot: parsed.firstSlot, xhci: parsed.xhci } : null });
      }
    }
  };

  // Hoster: the first config dir holding host_config.json; ask for all of them at once.
  for (const d of HOSTER_CONFIG_DIRS) file(`${d}/host_config.json`);
  for (const d of HOSTER_CONFIG_DIRS) {
    const path = `${d}/host_config.json`;
    const f = file(path);
    if (f.kind === "absent") continue;
    if (f.kind === "unknown") {
      if (!needs.files.includes(path)) problems.push({ path, vm: null, problem: f.reason });
      break;
    }
    const hc = parseHosterHost(f.text);
    if ("error" in hc) {
      problems.push({ path, vm: null, problem: hc.error });
      break;
    }
    for (const ds of hc.value.active_datasets) {
      const mount = mounts.ok ? mounts.map.get(ds) : undefined;
      if (mount === undefined) {
        const why = mounts.ok ? `dataset ${ds} is not in 'zfs list'` : mounts.reason;
        problems.push({ path, vm: null, problem: `cannot find VMs of ${ds}: ${why}` });
        continue;
      }
      scanDir(mount, "hoster", ["hoster"]);
    }
    break;
  }

  // vm-bhyve: vm_dir in rc.conf (rc.conf.local wins), a path or zfs:DATASET.
  const rcFiles: { path: string; text: string }[] = [];
  for (const p of RC_FILES) {
    const f = file(p);
    if (f.kind === "file") rcFiles.push({ path: p, text: f.text });
    else if (f.kind === "unknown" && !needs.files.includes(p)) problems.push({ path: p, vm: null, problem: `cannot read it to find vm-bhyve's vm_dir: ${f.reason}` });
  }
  const rc = readRc(rcFiles);
  const dirLine = rc.unreadable.get("vm_dir");
  const dirValue = rc.values.get("vm_dir");
  let vmDir: string | undefined;
  if (dirLine) problems.push({ path: dirLine.file, vm: null, problem: `line ${dirLine.line} sets vm_dir in a way pptctl cannot read, so vm-bhyve's VMs are unknown: write vm_dir="PATH" or vm_dir="zfs:DATASET"` });
  else if (dirValue?.inexact) problems.push({ path: dirValue.file, vm: null, problem: `line ${dirValue.line}: vm_dir="${dirValue.value}": ${dirValue.inexact}, so vm-bhyve's VMs are unknown; give the VM directory with --vms PATH` });
  else vmDir = dirValue?.value;
  if (vmDir) {
    if (vmDir.startsWith("zfs:")) {
      const ds = vmDir.slice(4);
      const mount = mounts.ok ? mounts.map.get(ds) : undefined;
      if (mount === undefined) {
        const why = mounts.ok ? `dataset ${ds} is not in 'zfs list'` : mounts.reason;
        problems.push({ path: dirValue?.file ?? "/etc/rc.conf", vm: null, problem: `cannot find vm-bhyve's vm_dir ${vmDir}: ${why}` });
      } else scanDir(mount, "vm-bhyve", ["vm-bhyve"]);
    } else scanDir(vmDir, "vm-bhyve", ["vm-bhyve"]);
  }

  const cbsd = cbsdEnvs(rcFiles, file, dir);

  for (const d of extraDirs) scanDir(d, "custom", ["hoster", "vm-bhyve"]);

  // vm-bhyve's supervisor holds run.lock in the VM's folder while the guest runs (lib/vm-run vm::lock).
  const locks = new Map<string, boolean | null>();
  for (const c of [...configs, ...problems]) {
    if (c.layout !== "vm-bhyve" || c.vm === null || locks.get(c.vm)) continue;
    const lock = file(`${c.path.slice(0, c.path.lastIndexOf("/"))}/run.lock`);
    locks.set(c.vm, lock.kind === "file" ? true : lock.kind === "absent" ? false : null);
  }

  return { found: { configs, problems, locks, cbsd }, needs };
}

/** The VM instances in /dev/vmm and the processes that run, start or supervise a VM. */
export function runningVms(s: HostSnapshot): Pick<VmInventory, "instances" | "processes"> {
  const vmm = dirResult(s, "/dev/vmm");
  const ps = commandOutput(s, CMD.ps);
  return { instances: vmm.kind === "dir" ? vmm.entries : vmm.kind === "absent" ? [] : null, processes: ps.ok ? vmProcesses(ps.stdout) : null };
}

/**
 * CBSD keeps each environment's files in $workdir/jails-system/NAME (cbsd.conf: jailsysdir) and
 * its passthrough in SQLite, which pptctl never writes: knowing the names is enough to print
 * the `cbsd bhyve-ppt` command for one.
 */
function cbsdEnvs(
  rcFiles: readonly { path: string; text: string }[],
  file: (p: string) => ReturnType<typeof fileResult>,
  dir: (p: string) => ReturnType<typeof dirResult>,
): VmInventory["cbsd"] {
  const own = file(CBSD_RC);
  const rc = readRc([...rcFiles, ...(own.kind === "file" ? [{ path: CBSD_RC, text: own.text }] : [])]);
  const workdir = rc.values.get("cbsd_workdir");
  if (!workdir || workdir.inexact || !workdir.value.startsWith("/")) return null;
  const listing = dir(`${workdir.value.replace(/\/+$/, "")}/jails-system`);
  return { workdir: workdir.value, names: listing.kind === "dir" ? listing.entries.filter((n) => !n.startsWith(".")) : [] };
}

function zfsMounts(s: HostSnapshot): { ok: true; map: Map<string, string> } | { ok: false; reason: string } {
  const out = commandOutput(s, CMD.zfs);
  if (!out.ok) return { ok: false, reason: out.reason };
  const map = new Map<string, string>();
  for (const line of out.stdout.split(/\r?\n/)) {
    const [name, mount] = line.split("\t");
    if (name && mount && mount.startsWith("/")) map.set(name, mount);
  }
  return { ok: true, map };
}

export { parseHosterVm, parseVmBhyveConf };
