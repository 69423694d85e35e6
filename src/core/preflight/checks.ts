/**
 * `doctor --vm NAME`: will this VM start with its devices? One check per thing bhyve needs, each
 * with a fix that works. Pure: the ROM files' state comes in from the host layer.
 */
import { type Check, RECAPTURE, check } from "../doctor/types.ts";
import { listSome } from "../doctor/pptdevs.ts";
import { NO_CAPS_WORDS, interruptsOf, intxWords } from "../knowledge/interrupts.ts";
import { type QuirkIndex, indexListing, quirksFor } from "../knowledge/quirks.ts";
import { resetMethod } from "../knowledge/reset.ts";
import { readPptdevsConfig } from "../loader/pptdevs-config.ts";
import type { HostModel } from "../model/model.ts";
import { ARM64_NO_PASSTHROUGH, isArm64 } from "../model/virt.ts";
import { addrKey, formatBhyve, sameAddr, sameDevice } from "../pci/address.ts";
import { type PciDevice, capsListed, isBridgeHeader } from "../pci/device.ts";
import { assignmentsOf } from "../vm/assignments.ts";
import { holderWords, holdersOf } from "../vm/holders.ts";
import { processText, vmState } from "../vm/instances.ts";
import { slotsCheck } from "./slots.ts";
import { reportChecks } from "./reports-check.ts";
import type { Report } from "../compat/schema.ts";
import { memoryCheck } from "./memory.ts";
import { NOT_RECORDED, type StatResult } from "../snapshot.ts";
import type { VmDevice, VmSpec } from "./spec.ts";
import { destroyCommand, shellWord } from "../text/shell.ts";

export function preflight(m: HostModel, spec: VmSpec, roms: ReadonlyMap<string, StatResult>, reports: readonly Report[]): Check[] {
  if (spec.problem !== null) return [check("vm.config", "config", unread(spec.problem) ? "unknown" : "fail", `${spec.path}: ${spec.problem}`, configFix(spec, spec.problem))];
  const n = spec.devices.length;
  const checks = [configCheck(spec)];
  if (n === 0) return [...checks, check("vm.devices", "devices", "skip", "the VM has no passthru devices")];
  if (isArm64(m)) return [...checks, check("vm.devices", "devices", "fail", `${ARM64_NO_PASSTHROUGH}: ${spec.vm} cannot start with its passthru devices here`, "run the VM on an amd64 host, or take the passthru entries out of its config")];
  if (!m.pci.ok) return [...checks, check("vm.devices", "devices", "unknown", `cannot list PCI devices: ${m.pci.reason}`, "run 'pciconf -lvc' by hand")];
  const devices = m.pci.value.devices;
  const listed = capsListed(devices);
  const index = indexListing(devices);
  const on = spec.devices.map((v) => ({ v, d: devices.find((x) => sameAddr(x.addr, v.addr)) ?? null }));
  return [
    ...checks,
    devicesCheck(on, listed),
    cardCheck(spec, on, devices, index, listed),
    pptCheck(m, on, listed),
    holdersCheck(m, spec),
    instanceCheck(m, spec),
    slotsCheck(spec, on, index, listed),
    romCheck(spec.devices, roms),
    memoryCheck(m, spec),
    resetCheck(on, devices),
    ...reportChecks(spec, devices, reports),
  ];
}

/** A config that reads, and has what its manager needs to start the VM (vm-bhyve's vm::run). */
function configCheck(spec: VmSpec): Check {
  const n = spec.devices.length;
  const what = `${spec.path} (${spec.manager}): ${n} passthru ${n === 1 ? "device" : "devices"}${n > 0 ? ` (${spec.devices.map((d) => formatBhyve(d.addr)).join(" ")})` : ""}`;
  if (spec.missing.length > 0) {
    return check("vm.config", "config", "fail", `${what}, but no ${spec.missing.join(", no ")} is set: vm-bhyve stops with "fatal; unable to start - missing required configuration"`, `add ${spec.missing.map((k) => `${k}=…`).join(" and ")} to ${spec.path}`);
  }
  return check("vm.config", "config", "pass", what);
}

/**
 * Whether a reason says only that pptctl could not look at the config (not as root, missing from a
 * recording, over the bound it reads), so the VM may well start and the check is UNKNOWN, as
 * monitoring plugins answer what they cannot see. Denied even to root (node-fs.ts describeErrno:
 * a read-only mount, an ACL), the manager, run as root, cannot read it either: that FAILs.
 */
function unread(reason: string): boolean {
  return !reason.includes("even to root") && ["permission denied", "operation not permitted", NOT_RECORDED, "pptctl reads of one file"].some((w) => reason.includes(w));
}

/** What to do about a config pptctl cannot read as its manager reads it. */
function configFix(spec: VmSpec, p: string): string {
  if (p.includes("even to root")) return `make ${spec.path} readable to root: the VM's manager cannot read it either`;
  if (/permission denied|operation not permitted/.test(p)) return "run pptctl as root";
  if (p.includes(NOT_RECORDED)) return RECAPTURE;
  if (/both claim it/.test(p)) return "keep one config for the VM: remove or rename the other";
  if (/does not exist|not a regular file|FIFO|directory/i.test(p)) return `point pptctl at the VM's real config (${spec.path} is not a file it can read)`;
  return `correct ${spec.path} as said above, then run: pptctl doctor --vm ${shellWord(spec.vm)}`;
}

type On = { readonly v: VmDevice; readonly d: PciDevice | null };
const b = (x: On) => formatBhyve(x.v.addr);

/** Why bhyve cannot take this device at all, whatever its driver; null when it can. */
function unusable(x: On, listed: boolean): string | null {
  if (!x.d) return `${b(x)} is not on the PCI bus`;
  if (x.v.addr.domain !== 0) return `${b(x)} is in PCI domain ${x.v.addr.domain}, which bhyve does not reach`;
  if (isBridgeHeader(x.d)) return `${b(x)} is a bridge, which ppt never claims`;
  if (interruptsOf(x.d, listed) === "none") return `${b(x)} ${NO_CAPS_WORDS}`;
  return null;
}

function devicesCheck(on: readonly On[], listed: boolean): Check {
  const bad = on.flatMap((x) => unusable(x, listed) ?? []);
  if (bad.length > 0) return check("vm.devices", "devices", "fail", listSome(bad), "correct the VM's passthru list ('pptctl list --all' shows the devices and whether each can be passed through)");
  const intx = on.filter((x) => x.d && interruptsOf(x.d, listed) === "intx");
  if (intx.length > 0) return check("vm.devices", "devices", "warn", `${intx.map(b).join(" ")} ${intxWords(intx.length)}`, "fine for a device that needs one interrupt; for one that needs more, pass a device with MSI or MSI-X");
  return check("vm.devices", "devices", "pass", `every device is on the bus and can be passed through`);
}

/** Functions of one card that travel together (the quirks' wholeCard): all in this VM, or a warning. */
function cardCheck(spec: VmSpec, on: readonly On[], devices: readonly PciDevice[], index: QuirkIndex, listed: boolean): Check {
  const mine = spec.devices.map((v) => v.addr);
  const split: string[] = [];
  const add: string[] = [];
  for (const x of on) {
    if (!x.d || x.v.addr.bus === 0) continue;
    const card = devices.filter((d) => sameDevice(d.addr, x.v.addr) && !isBridgeHeader(d));
    const whole = card.flatMap((d) => quirksFor(d, index, resetMethod(d, listed))).find((q) => q.wholeCard);
    const out = whole ? card.filter((d) => !mine.some((a) => sameAddr(a, d.addr))) : [];
    for (const d of out) {
      const text = `${formatBhyve(d.addr)} (${d.name}) is on the same card as ${b(x)} and is not in ${spec.vm}'s config: ${whole!.title}`;
      if (!split.includes(text)) split.push(text);
      if (!add.includes(formatBhyve(d.addr))) add.push(formatBhyve(d.addr));
    }
  }
  if (split.length === 0) return check("vm.card", "card", "pass", "every card is passed whole where its functions go together");
  const fix = spec.manager === "bhyve-config" ? `pptctl assign ${add.join(" ")} --config ${shellWord(spec.path)}` : `pptctl assign ${add.join(" ")} --vm ${shellWord(spec.vm)}`;
  return check("vm.card", "card", "warn", listSome(split), fix);
}

function pptCheck(m: HostModel, all: readonly On[], listed: boolean): Check {
  const reserved = readPptdevsConfig(m.loader).entries;
  // A device bhyve cannot take at all (not on the bus, a bridge, no capability list): the devices
  // check fails it with its reason, and this check neither counts it nor says to attach it.
  const on = all.filter((x): x is On & { d: PciDevice } => unusable(x, listed) === null);
  if (on.length === 0) return check("vm.ppt", "ppt", "skip", "no device here that bhyve can take (see devices)");
  const off = on.filter((x) => x.d.driver !== "ppt");
  if (off.length > 0) {
    const sels = off.map(b).join(" ");
    const where = off.map((x) => `${b(x)} is ${x.d.driver === "none" ? "without a driver" : `on ${x.d.name}`}`);
    return check("vm.ppt", "ppt", "fail", `${listSome(where)}, not ppt: bhyve says "not using the ppt(4) driver"`, `pptctl attach ${sels} --persist`);
  }
  const loose = on.filter((x) => !reserved.some((r) => sameAddr(r, x.v.addr)));
  if (loose.length > 0) {
    return check("vm.ppt", "ppt", "warn", `${loose.map(b).join(" ")} ${loose.length === 1 ? "is" : "are"} on ppt now but not in pptdevs: the next boot gives ${loose.length === 1 ? "it" : "them"} back to the host`, `pptctl attach ${loose.map(b).join(" ")} --persist`);
  }
  const which = on.length === all.length ? "every device is" : `${on.map(b).join(" ")} ${on.length === 1 ? "is" : "are"}`;
  return check("vm.ppt", "ppt", "pass", `${which} attached to ppt now and reserved in pptdevs`);
}

/**
 * Another instance holds a device: bhyve's vm_assign_pptdev fails (EBUSY, sys/amd64/vmm/io/ppt.c
 * ppt_assign_device). Every instance that may hold one is named, also one no config describes.
 */
function holdersCheck(m: HostModel, spec: VmSpec): Check {
  const inv = m.vms;
  const asg = assignmentsOf(inv);
  const words = spec.devices.flatMap((v) => holdersOf(inv, asg, v.addr, spec.vm).map((h) => holderWords(h, v.addr)));
  const order = ["fail", "warn", "unknown"] as const;
  const worst = order.find((st) => words.some((w) => w.status === st));
  if (worst) {
    // Every instance that may hold a device is named, the worst first.
    const sorted = [...words].sort((a, b) => order.indexOf(a.status) - order.indexOf(b.status));
    return check("vm.holders", "holders", worst, listSome([...new Set(sorted.map((w) => w.text))], 6), [...new Set(sorted.map((w) => w.fix))].join("; "));
  }
  const shared = spec.devices.flatMap((v) => (asg.byDevice.get(addrKey(v.addr))?.uses ?? []).filter((u) => u.vm !== spec.vm).map((u) => `${formatBhyve(v.addr)} is also in ${u.vm}'s config`));
  if (shared.length > 0) return check("vm.holders", "holders", "warn", `${listSome(shared)}: whichever VM starts first gets it, the other fails`, "give each device to one VM ('pptctl unassign SEL --vm NAME')");
  if (inv.instances === null) return check("vm.holders", "holders", "unknown", "/dev/vmm cannot be read, so running VMs are unknown", "run pptctl as root");
  return check("vm.holders", "holders", "pass", "no other VM holds these devices");
}

/** The VM's own instance: running, starting, or left behind by a bhyve that died. */
function instanceCheck(m: HostModel, spec: VmSpec): Check {
  if (spec.manager === "bhyve-config") return check("vm.instance", "instance", "skip", "a config file does not name the VM; check /dev/vmm for it by hand");
  const vm = spec.vm;
  const s = vmState(m.vms, vm);
  switch (s.kind) {
    case "stopped":
      return check("vm.instance", "instance", "pass", `no instance of ${vm} in /dev/vmm and no process starts it`);
    case "running":
      return check("vm.instance", "instance", "pass", `${vm} is running now (bhyve pid ${s.pid}); these checks are for its next start`);
    case "starting":
      return check("vm.instance", "instance", "pass", `${vm} is starting now (${processText(s.procs)}); these checks are for its next start`);
    case "unknown":
      return check("vm.instance", "instance", "unknown", s.reason, `find what runs ${vm} ('ps -axww | grep ${vm}', and 'vm list' under vm-bhyve) before you change anything; run pptctl as root`);
    case "left-behind":
      return check(
        "vm.instance",
        "instance",
        "fail",
        `/dev/vmm/${vm} exists and no process runs, starts or supervises it: an instance left behind, which holds its devices and memory, and bhyve may fail with "Unable to setup memory (17)"`,
        destroyCommand(vm),
      );
  }
}

/** bhyve opens the ROM, refuses an empty one and maps it whole (pci_passthru.c passthru_init_rom). */
function romCheck(devices: readonly VmDevice[], roms: ReadonlyMap<string, StatResult>): Check {
  const wanted = devices.filter((d) => d.rom !== null);
  if (wanted.length === 0) return check("vm.rom", "ROM", "skip", "no rom= option");
  const state = (d: VmDevice): StatResult => roms.get(d.rom!) ?? { kind: "unknown", reason: "not looked at" };
  const bad = wanted.flatMap((d) => {
    const s = state(d);
    if (s.kind === "absent") return [`${formatBhyve(d.addr)}: ${d.rom} does not exist`];
    if (s.kind === "other") return [`${formatBhyve(d.addr)}: ${d.rom} is ${s.what}, not a regular file`];
    // Stryker disable next-line ConditionalExpression: only a file has a size; any other kind's is undefined, never 0
    if (s.kind === "file" && s.size === 0) return [`${formatBhyve(d.addr)}: ${d.rom} is empty (0 bytes), which bhyve refuses`];
    return [];
  });
  if (bad.length > 0) return check("vm.rom", "ROM", "fail", listSome(bad), "put the card's ROM file there, or correct the rom= path");
  const unknown = wanted.flatMap((d) => {
    const s = state(d);
    return s.kind === "unknown" ? [`${d.rom}: ${s.reason}`] : [];
  });
  if (unknown.length > 0) return check("vm.rom", "ROM", "unknown", listSome(unknown), "check that root can read the file");
  return check("vm.rom", "ROM", "pass", `${wanted.map((d) => d.rom).join(", ")} ${wanted.length === 1 ? "is a file" : "are files"} bhyve can map`);
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
