/**
 * Which file `assign` / `unassign` edit, and whether it may: the VM's own config as list and
 * args find it (Hoster, vm-bhyve, --vms dirs), a CBSD environment (never written: its
 * passthrough lives in SQLite), or a bhyve_config(5) file given with --config.
 */
import { PptError } from "../errors.ts";
import type { HostModel } from "../model/model.ts";
import { formatBhyve } from "../pci/address.ts";
import type { PciDevice } from "../pci/device.ts";
import { parseBhyveConfig } from "../vm/bhyve-config.ts";
import type { VmInventory } from "../vm/configs.ts";
import { type VmState, isActive, processText, vmState } from "../vm/instances.ts";
import { destroyCommand, shellWord } from "../text/shell.ts";

export type Manager = "vm-bhyve" | "hoster" | "cbsd" | "bhyve-config";

export interface Target {
  readonly manager: Manager;
  /** The VM's name; null for a --config file. */
  readonly vm: string | null;
  /** The host path of the file to edit; null for CBSD. */
  readonly path: string | null;
  /** The passthru entries the file holds now, as written (vm-bhyve, Hoster). */
  readonly entries: readonly string[];
  /** An instance of the VM exists or is being made (running, starting, left behind). */
  readonly running: boolean;
}

export type Action = "assign" | "unassign";

export function findTarget(m: HostModel, action: Action, vm: string, force: boolean): Target {
  const inv = m.vms;
  const broken = inv.problems.find((p) => p.vm === vm);
  if (broken) throw new PptError(`${action}: VM ${vm}: ${broken.path}: ${broken.problem}; nothing was changed: fix the config first`, 1);
  const found = inv.configs.filter((c) => c.vm === vm);
  if (found.length > 1) {
    throw new PptError(`${action}: VM ${vm} has configs in ${found.map((c) => c.path).join(" and ")}; pptctl does not guess which one its manager reads: remove the other one`, 1);
  }
  const state = vmState(inv, vm);
  const running = isActive(state);
  const cfg = found[0];
  let target: Target;
  if (cfg) {
    target = { manager: cfg.layout, vm, path: cfg.path, entries: cfg.entries, running };
  } else if (inv.cbsd?.names.includes(vm)) {
    target = { manager: "cbsd", vm, path: null, entries: [], running };
  } else {
    throw new PptError(`${action}: no VM named '${vm}': ${knownVms(inv)}`);
  }
  if (state.kind === "unknown" && target.manager !== "cbsd") {
    throw new PptError(`${action}: pptctl cannot tell whether ${vm} is running (${state.reason}); run it as root`, 1);
  }
  if (running && !force && target.manager !== "cbsd") {
    const first = state.kind === "left-behind" ? `destroy it first (${destroyCommand(vm)})` : "stop it first";
    throw new PptError(`${action}: ${vm} ${runningWords(state, vm)}; a change to its config applies only at its next start: ${first}, or add --force to write it now`, 1);
  }
  return target;
}

/**
 * A file of another format given as a bhyve config: JSON (Hoster's vm_config.json), or vm-bhyve's
 * settings, whose names bhyve_config(5) does not have (loader, cpu, memory, passthruN, …; see
 * vm-bhyve's sample-templates/config.sample, https://github.com/churchers/vm-bhyve).
 */
function foreignFormat(text: string): string | null {
  if (/^\s*[{[]/.test(text)) return "JSON (a Hoster vm_config.json?)";
  if (/^(loader|cpu|memory|guest|passthru\d+|network\d+_type|disk\d+_(type|name)|uefi|graphics)=/m.test(text)) return "a vm-bhyve config";
  return null;
}

/** `is running (bhyve pid 4242)`: what holds a VM's instance, for assign's messages. */
export function runningWords(s: VmState, vm: string): string {
  if (s.kind === "running") return `is running (bhyve pid ${s.pid})`;
  if (s.kind === "starting") return `is starting (${processText(s.procs)})`;
  return `has an instance left behind in /dev/vmm/${vm}, which its next start trips on`;
}

function knownVms(inv: VmInventory): string {
  const names = [...new Set([...inv.configs.map((c) => c.vm), ...(inv.cbsd?.names ?? []).map((n) => `${n} (CBSD)`)])];
  if (names.length > 0) return `the VMs pptctl found are ${names.join(", ")}`;
  const why = inv.problems[0] ? ` (${inv.problems[0].path}: ${inv.problems[0].problem})` : "";
  return `pptctl found no Hoster, vm-bhyve or CBSD VMs${why}; point it at the VM directory with --vms PATH, or edit a bhyve config with --config FILE`;
}

/** A bhyve_config(5) file given with --config; `before` null when it does not exist yet. */
export function configTarget(action: Action, path: string, before: string | null, devices: readonly PciDevice[], inv: VmInventory): Target {
  const known = [...inv.configs, ...inv.problems].find((c) => c.path === path && c.vm !== null);
  if (known) {
    throw new PptError(`${action}: ${path} is ${known.vm}'s ${known.layout === "hoster" ? "Hoster" : "vm-bhyve"} config, not a bhyve_config(5) file: use --vm ${shellWord(known.vm!)}`, 1);
  }
  const entries: string[] = [];
  if (before !== null) {
    const look = foreignFormat(before);
    if (look) throw new PptError(`${action}: ${path} looks like ${look}, not a bhyve_config(5) file, and its manager would never read pci.0.S.F lines: give the VM with --vm NAME (and its directory with --vms PATH)`, 1);
    const config = parseBhyveConfig(before);
    if ("error" in config) throw new PptError(`${action}: ${path}: ${config.error}; nothing was changed`, 1);
    for (const p of config.passthru) {
      const host = p.host ?? devices.find((d) => d.name === p.pptdev)?.addr;
      if (host) entries.push(formatBhyve(host));
    }
  }
  return { manager: "bhyve-config", vm: null, path, entries, running: false };
}
