/**
 * `doctor --vm NAME`: will this VM start with its devices? One check per thing bhyve needs, each
 * with a fix that works. Pure: the ROM files' state comes in from the host layer.
 */
import { type Check, check } from "../doctor/types.ts";
import { listSome } from "../doctor/pptdevs.ts";
import { indexListing, quirksFor } from "../knowledge/quirks.ts";
import { resetMethod } from "../knowledge/reset.ts";
import { readPptdevsConfig } from "../loader/pptdevs-config.ts";
import type { HostModel } from "../model/model.ts";
import { addrKey, formatBhyve, sameAddr } from "../pci/address.ts";
import { type PciDevice, capsListed, isBridgeHeader } from "../pci/device.ts";
import { assignmentsOf, isLeftBehind } from "../vm/assignments.ts";
import { slotsCheck } from "./slots.ts";
import { memoryCheck } from "./memory.ts";
import type { VmDevice, VmSpec } from "./spec.ts";

export type RomState = { readonly kind: "file" } | { readonly kind: "absent" } | { readonly kind: "unknown"; readonly reason: string };

export function preflight(m: HostModel, spec: VmSpec, roms: ReadonlyMap<string, RomState>): Check[] {
  const id = (s: string) => `vm.${s}`;
  if (spec.problem !== null) {
    return [check(id("config"), "config", "fail", `${spec.path}: ${spec.problem}`, `fix ${spec.path}: ${spec.manager === "bhyve-config" ? "bhyve" : spec.manager} reads it differently from what it says`)];
  }
  const n = spec.devices.length;
  const checks = [check(id("config"), "config", "pass", `${spec.path} (${spec.manager}): ${n} passthru ${n === 1 ? "device" : "devices"}${n > 0 ? ` (${spec.devices.map((d) => formatBhyve(d.addr)).join(" ")})` : ""}`)];
  if (n === 0) return [...checks, check(id("devices"), "devices", "skip", "the VM has no passthru devices")];
  if (!m.pci.ok) return [...checks, check(id("devices"), "devices", "unknown", `cannot list PCI devices: ${m.pci.reason}`, "run 'pciconf -lvc' by hand")];
  const devices = m.pci.value.devices;
  const on = spec.devices.map((v) => ({ v, d: devices.find((x) => sameAddr(x.addr, v.addr)) ?? null }));
  return [
    ...checks,
    devicesCheck(on, capsListed(devices)),
    pptCheck(m, on),
    holdersCheck(m, spec),
    instanceCheck(m, spec),
    slotsCheck(spec, on, indexListing(devices), capsListed(devices)),
    romCheck(spec.devices, roms),
    memoryCheck(m, spec),
    resetCheck(on, devices),
  ];
}

type On = { readonly v: VmDevice; readonly d: PciDevice | null };
const b = (x: On) => formatBhyve(x.v.addr);

function devicesCheck(on: readonly On[], listed: boolean): Check {
  const bad = on.flatMap((x) => {
    if (!x.d) return [`${b(x)} is not on the PCI bus`];
    if (x.v.addr.domain !== 0) return [`${b(x)} is in PCI domain ${x.v.addr.domain}, which bhyve does not reach`];
    if (isBridgeHeader(x.d)) return [`${b(x)} is a bridge, which ppt never claims`];
    if ((x.d.hasCapInfo || listed) && !x.d.msi && !x.d.msix) return [`${b(x)} has neither MSI nor MSI-X`];
    return [];
  });
  if (bad.length > 0) return check("vm.devices", "devices", "fail", listSome(bad), "correct the VM's passthru list ('pptctl list --all' shows the devices and whether each can be passed through)");
  return check("vm.devices", "devices", "pass", `every device is on the bus and can be passed through`);
}

function pptCheck(m: HostModel, on: readonly On[]): Check {
  const reserved = readPptdevsConfig(m.loader).entries;
  const off = on.filter((x) => x.d && x.d.driver !== "ppt");
  if (off.length > 0) {
    const sels = off.map(b).join(" ");
    const where = off.map((x) => `${b(x)} is ${x.d!.driver === "none" ? "without a driver" : `on ${x.d!.name}`}`);
    return check("vm.ppt", "ppt", "fail", `${listSome(where)}, not ppt: bhyve says "not using the ppt(4) driver"`, `pptctl attach ${sels} --persist`);
  }
  const loose = on.filter((x) => x.d && !reserved.some((r) => sameAddr(r, x.v.addr)));
  if (loose.length > 0) {
    return check("vm.ppt", "ppt", "warn", `${loose.map(b).join(" ")} ${loose.length === 1 ? "is" : "are"} on ppt now but not in pptdevs: the next boot gives ${loose.length === 1 ? "it" : "them"} back to the host`, `pptctl plan ${loose.map(b).join(" ")} --write`);
  }
  return check("vm.ppt", "ppt", "pass", "every device is attached to ppt now and reserved in pptdevs");
}

/** Another VM whose instance exists holds its devices: bhyve's vm_assign_pptdev fails (EBUSY). */
function holdersCheck(m: HostModel, spec: VmSpec): Check {
  const uses = assignmentsOf(m.vms).byDevice;
  const held: string[] = [];
  const shared: string[] = [];
  let fix: string | null = null;
  for (const v of spec.devices) {
    for (const u of uses.get(addrKey(v.addr))?.uses ?? []) {
      if (u.vm === spec.vm) continue;
      if (u.leftBehind) {
        held.push(`${formatBhyve(v.addr)} is held by ${u.vm}'s instance, left behind with no bhyve process`);
        fix = `bhyvectl --destroy --vm=${u.vm}`;
      } else if (u.running) {
        held.push(`${formatBhyve(v.addr)} is in use by the running VM ${u.vm}`);
        fix ??= `stop ${u.vm} first, or take the device out of one of the two configs ('pptctl unassign ${formatBhyve(v.addr)} --vm ${u.vm}')`;
      } else shared.push(`${formatBhyve(v.addr)} is also in ${u.vm}'s config`);
    }
  }
  if (held.length > 0) return check("vm.holders", "holders", "fail", listSome(held), fix);
  if (shared.length > 0) return check("vm.holders", "holders", "warn", `${listSome(shared)}: whichever VM starts first gets it, the other fails`, "give each device to one VM ('pptctl unassign SEL --vm NAME')");
  if (m.vms.running === null) return check("vm.holders", "holders", "unknown", "/dev/vmm cannot be read, so running VMs are unknown", "run pptctl as root");
  return check("vm.holders", "holders", "pass", "no other VM holds these devices");
}

function instanceCheck(m: HostModel, spec: VmSpec): Check {
  if (spec.manager === "bhyve-config") return check("vm.instance", "instance", "skip", "a config file does not name the VM; check /dev/vmm for it by hand");
  const inv = m.vms;
  if (inv.running === null) return check("vm.instance", "instance", "unknown", "/dev/vmm cannot be read", "run pptctl as root");
  if (!inv.running.includes(spec.vm)) return check("vm.instance", "instance", "pass", `no instance of ${spec.vm} in /dev/vmm`);
  if (inv.procs === null) return check("vm.instance", "instance", "unknown", `/dev/vmm/${spec.vm} exists, and the process list cannot be read to tell whether bhyve runs it`, "ps -ax | grep 'bhyve: '");
  const pid = inv.procs.get(spec.vm);
  if (pid !== undefined) return check("vm.instance", "instance", "pass", `${spec.vm} is running now (bhyve pid ${pid}); these checks are for its next start`);
  if (isLeftBehind(inv, spec.vm)) {
    return check(
      "vm.instance",
      "instance",
      "fail",
      `/dev/vmm/${spec.vm} exists but no bhyve process runs it: an instance left behind (or a loader is running), which holds its devices and memory, and bhyve may fail with "Unable to setup memory (17)"`,
      `bhyvectl --destroy --vm=${spec.vm}`,
    );
  }
  return check("vm.instance", "instance", "pass", `no instance of ${spec.vm} left behind`);
}

function romCheck(devices: readonly VmDevice[], roms: ReadonlyMap<string, RomState>): Check {
  const wanted = devices.filter((d) => d.rom !== null);
  if (wanted.length === 0) return check("vm.rom", "ROM", "skip", "no rom= option");
  const missing = wanted.filter((d) => roms.get(d.rom!)?.kind === "absent");
  const unknown = wanted.filter((d) => (roms.get(d.rom!)?.kind ?? "unknown") === "unknown");
  if (missing.length > 0) return check("vm.rom", "ROM", "fail", `${listSome(missing.map((d) => `${formatBhyve(d.addr)}: ${d.rom} does not exist`))}`, "put the ROM file there, or correct the rom= path");
  if (unknown.length > 0) {
    const why = unknown.map((d) => { const r = roms.get(d.rom!); return `${d.rom}: ${r?.kind === "unknown" ? r.reason : "not read"}`; });
    return check("vm.rom", "ROM", "unknown", listSome(why), "check that root can read the file");
  }
  return check("vm.rom", "ROM", "pass", `${wanted.map((d) => d.rom).join(", ")} ${wanted.length === 1 ? "is" : "are"} there`);
}

function resetCheck(on: readonly On[], devices: readonly PciDevice[]): Check {
  const listed = capsListed(devices);
  const index = indexListing(devices);
  const risks: string[] = [];
  for (const { d } of on) {
    if (!d) continue;
    const reset = resetMethod(d, listed);
    if (reset === "none") risks.push(`${d.name} (${formatBhyve(d.addr)}) has neither FLR nor power management: ppt cannot reset it between guests`);
    for (const q of quirksFor(d, index, reset)) if (q.risk) risks.push(`${d.name} (${formatBhyve(d.addr)}): ${q.title}`);
  }
  if (!listed) return check("vm.reset", "reset", "unknown", "the PCI listing has no capability lines (made without pciconf -c)", "run 'pciconf -lvc' by hand");
  if (risks.length > 0) return check("vm.reset", "reset", "warn", listSome(risks), "reboot the host between guest runs if the device comes back broken ('pptctl list --all --json' has each quirk's source)");
  return check("vm.reset", "reset", "pass", "ppt can reset every device between guests");
}
