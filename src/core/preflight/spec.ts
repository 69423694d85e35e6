/**
 * One VM as its manager will start it: which devices, at which guest slots, with which ROMs and
 * how much wired memory. Built from what discovery read (Hoster, vm-bhyve) or from a bhyve
 * configuration file (--config). Pure.
 */
import type { HostModel } from "../model/model.ts";
import { type PciAddress, addr } from "../pci/address.ts";
import type { BhyveConfig } from "../vm/bhyve-config.ts";
import type { VmConfig } from "../vm/configs.ts";
import { parseBhyveConfig } from "../vm/bhyve-config.ts";
import { type PassthruEntry, parsePassthruEntry } from "../vm/passthru-entry.ts";

export type SpecManager = "vm-bhyve" | "hoster" | "bhyve-config";

export interface VmDevice {
  readonly addr: PciAddress;
  /** The entry as written (`1/0/0`, `-1/0/1`, `0/2/0=2:0,rom=/x.rom`, `pci.0.6.0`). */
  readonly text: string;
  readonly entry: PassthruEntry | null;
  /** The guest slot and function, where the manager's layout fixes them. */
  readonly guest: { readonly slot: number; readonly func: number } | null;
  readonly rom: string | null;
}

export interface VmSpec {
  readonly vm: string;
  readonly manager: SpecManager;
  readonly path: string;
  /** Why the config cannot be read as its manager reads it; the other checks are skipped. */
  readonly problem: string | null;
  readonly devices: readonly VmDevice[];
  readonly memory: string | null;
  /** Whether bhyve gets wired memory: the manager's -S, or memory.wired of a config file. */
  readonly wired: { readonly ok: boolean; readonly how: string };
  readonly hoster: { readonly firstSlot: number; readonly xhci: boolean } | null;
  readonly config: BhyveConfig | null;
  /** Settings the manager needs to start the VM and the config lacks (vm-bhyve: loader, cpu, memory). */
  readonly missing: readonly string[];
  /** The guest OS as the config names it (vm-bhyve guest=, Hoster os_type); a bhyve config has none. */
  readonly guest: string | null;
  readonly firmware: VmConfig["firmware"];
}

const romOf = (e: PassthruEntry) => e.options.find((o) => o.startsWith("rom="))?.slice(4) ?? null;

/** The VM named NAME in the configs discovery found; null when there is none. */
export function specOfVm(m: HostModel, vm: string): VmSpec | null {
  const broken = m.vms.problems.find((p) => p.vm === vm);
  const found = m.vms.configs.filter((c) => c.vm === vm);
  const cfg = found[0];
  const where = cfg ?? broken;
  if (!where) return null;
  // Stryker disable next-line StringLiteral: a problem found under a VM's name always carries its layout (vm/configs.ts sets both together)
  const manager: SpecManager = where.layout ?? "vm-bhyve";
  const base = { vm, manager, path: where.path, hoster: cfg?.hoster ?? null, config: null, memory: cfg?.memory ?? null, missing: cfg?.missing ?? [], guest: cfg?.guest ?? null, firmware: cfg?.firmware ?? null };
  const wired = { ok: true, how: manager === "hoster" ? "Hoster adds -S when the VM has passthru entries" : "vm-bhyve adds -S when passthru0 is set" };
  if (broken) return { ...base, problem: broken.problem, devices: [], wired };
  if (found.length > 1) return { ...base, problem: `configs in ${found.map((c) => c.path).join(" and ")} both claim it`, devices: [], wired };
  const devices: VmDevice[] = [];
  for (const text of cfg!.entries) {
    const e = parsePassthruEntry(text, m.vms.pptNames);
    if ("error" in e) return { ...base, problem: e.error, devices: [], wired };
    devices.push({ addr: e.addr, text, entry: e, guest: e.pin, rom: romOf(e) });
  }
  return { ...base, problem: null, devices, wired };
}

/** A bhyve -k configuration file; `text` null when it cannot be read (the reason in `why`). */
export function specOfConfig(path: string, text: string | null, why: string, m: HostModel): VmSpec {
  const base = { vm: path, manager: "bhyve-config" as const, path, hoster: null, missing: [], guest: null, firmware: null };
  const noWire = { ok: false, how: "memory.wired is not set" };
  if (text === null) return { ...base, problem: why, devices: [], memory: null, wired: noWire, config: null };
  const config = parseBhyveConfig(text);
  if ("error" in config) return { ...base, problem: config.error, devices: [], memory: null, wired: noWire, config: null };
  // Stryker disable next-line ArrayDeclaration: a stand-in for an unreadable listing has no name, so it matches no pptdev= either
  const devices = m.pci.ok ? m.pci.value.devices : [];
  const out: VmDevice[] = [];
  for (const p of config.passthru) {
    const host = p.host ?? devices.find((d) => d.name === p.pptdev)?.addr ?? null;
    const text = `pci.${p.guest.bus}.${p.guest.slot}.${p.guest.func}`;
    if (host === null) return { ...base, problem: `${text}.pptdev=${p.pptdev}: no device of that name is on the bus`, devices: [], memory: null, wired: noWire, config };
    out.push({ addr: addr(host.bus, host.slot, host.func, host.domain), text, entry: null, guest: p.guest.bus === 0 ? { slot: p.guest.slot, func: p.guest.func } : null, rom: p.rom });
  }
  const wired = config.wired === true ? { ok: true, how: "memory.wired=true" } : { ok: false, how: config.wired === false ? "memory.wired is false" : "memory.wired is not set" };
  // bhyve_config(5): memory.size defaults to 256M (https://man.freebsd.org/cgi/man.cgi?query=bhyve_config&sektion=5).
  return { ...base, problem: null, devices: out, memory: config.settings.get("memory.size")?.value ?? "256M", wired, config };
}
