/**
 * `pptctl explain`: bhyve's, vmm's and vm-bhyve's passthrough lines (explain-catalogue.ts), each
 * with the cause on this host. An explanation never contradicts what doctor measures here: where
 * the host's state rules a cause out, it says what holds instead, or that pptctl cannot tell.
 * Pure: the ROM files' state comes in from the host layer.
 */
import { cpuVirtCheck, iommuCheck, vmmCheck } from "../doctor/platform.ts";
import { ARM64_NO_PASSTHROUGH, isArm64 } from "../model/virt.ts";
import { readPptdevsConfig } from "../loader/pptdevs-config.ts";
import type { HostModel } from "../model/model.ts";
import { type PciAddress, addr, formatBhyve, formatSelector, sameAddr } from "../pci/address.ts";
import type { PciDevice } from "../pci/device.ts";
import { capsListed, isBridgeHeader } from "../pci/device.ts";
import type { StatResult } from "../snapshot.ts";
import { assignmentsOf } from "../vm/assignments.ts";
import { holderWords, holdersOf } from "../vm/holders.ts";
import { CATALOGUE, PASSTHROUGH_WORDS, type SourceRef } from "./explain-catalogue.ts";
import { memoryCause } from "./explain-memory.ts";

export interface Explanation {
  readonly line: string;
  /** The catalogue entry, null when no entry matched. */
  readonly id: string | null;
  /** The line is about passthrough (an entry matched, or it has a passthrough word). */
  readonly passthrough: boolean;
  readonly source: SourceRef | null;
  readonly cause: string | null;
  readonly fix: string | null;
}

export interface ExplainContext {
  /** The VM the lines come from (explain --vm NAME); bhyve's lines do not name it. */
  readonly vm: string | null;
  /** rom= files named by the lines, as the host sees them now. */
  readonly roms: ReadonlyMap<string, StatResult>;
}

type Cause = { cause: string; fix: string | null };
type Match = RegExpExecArray;

export function explainLine(m: HostModel, line: string, ctx: ExplainContext): Explanation {
  for (const form of CATALOGUE) {
    const x = form.pattern.exec(line);
    if (!x) continue;
    // The host's ppt, IOMMU and MSI state cannot explain a passthru device on a host that has none.
    const cause = isArm64(m) && form.source.file === PASSTHRU_FILE ? ARM64 : CAUSES[form.id]!(m, x, ctx);
    return { line, id: form.id, passthrough: true, source: form.source, ...cause };
  }
  return { line, id: null, passthrough: PASSTHROUGH_WORDS.test(line), source: null, cause: null, fix: null };
}

/** The rom= paths a set of lines names, for the host layer to look at. */
export function romPathsIn(lines: readonly string[]): string[] {
  return [...new Set(lines.flatMap((l) => [...l.matchAll(/romfile "([^"]*)"/g)].map((x) => x[1]!)))];
}

const bdf = (x: Match, i = 1) => addr(Number(x[i]), Number(x[i + 1]), Number(x[i + 2]));
const deviceAt = (m: HostModel, a: PciAddress) => (m.pci.ok ? (m.pci.value.devices.find((d) => sameAddr(d.addr, a)) ?? null) : null);
const where = (d: PciDevice) => (d.driver === "none" ? "without a driver" : `on ${d.name}`);
const GUESS_NOTHING = "pptctl cannot tell more from what it reads on this host";
const PASSTHRU_FILE = "usr.sbin/bhyve/pci_passthru.c";
const ARM64: Cause = {
  cause: `${ARM64_NO_PASSTHROUGH}, so no state of the device here can make this line go away`,
  fix: "run VMs that pass devices through on an amd64 host",
};

const CAUSES: Record<string, (m: HostModel, x: Match, ctx: ExplainContext) => Cause> = {
  "not-ppt": (m, x, ctx) => assignCause(m, bdf(x), x[4] ? null : "ENOENT", ctx),
  "assign-errno": (m, x, ctx) => assignCause(m, null, errnoName(x[1]!), ctx),
  "not-wired": () => ({
    cause: "bhyve ran without -S, so guest memory is not wired, and a passthru device needs it",
    fix: "plain bhyve: add -S (pptctl args --wired prints it); bhyve -k FILE: memory.wired=true; vm-bhyve adds -S when passthru0 is set and Hoster when the passthru list is not empty, so under them check that the list is read (pptctl doctor --vm NAME)",
  }),
  "msi-init": (m, x) => msiCause(m, bdf(x)),
  "bar-align": (_m, x) => ({ cause: `BAR ${x[4]} of ${formatBhyve(bdf(x))} is not aligned to a 4 KiB page or is smaller than one, and bhyve maps device memory to the guest only in whole pages`, fix: "this bhyve cannot pass the device through; pass another device" }),
  "bar-64": (_m, x) => ({ cause: `${formatBhyve(bdf(x))} reports a 64-bit BAR in its last BAR register, where the upper half has no room`, fix: "this bhyve cannot pass the device through; pass another device" }),
  "bar-init": (_m, x) => ({ cause: `bhyve could not give ${formatBhyve(bdf(x))}'s BARs a place in the guest: the line before this one says why when a BAR is not page aligned; otherwise its BARs did not fit the guest's PCI address space (pci_emul_alloc_bar)`, fix: "read the line before this one; with several large devices, pass fewer to one guest" }),
  "msix-table": (m, x) => msixCause(m, bdf(x), null),
  "msix-map": (m, x) => msixCause(m, bdf(x), x[4] ?? null),
  "pba-map": (m, x) => msixCause(m, bdf(x), null),
  "rom-empty": (_m, x, ctx) => romCause(x[1]!, ctx, "empty"),
  "rom-open": (_m, x, ctx) => romCause(x[1]!, ctx, "open"),
  // Stryker disable next-line StringLiteral: romCause says "could not read" for any kind but empty and open
  "rom-read": (_m, x, ctx) => romCause(x[1]!, ctx, "read"),
  "rom-alloc": () => ({ cause: "bhyve found no room for the device's ROM in the guest's ROM window (pci_emul_alloc_rom): the ROMs given to this guest are too big together", fix: "give rom= only to the device that boots (the GPU), with the ROM file of that card" }),
  "pptdev-not-found": (m, x) => pptdevCause(m, x[1]!, "not-found"),
  "pptdev-name": (_m, x) => ({ cause: `pptdev=${x[1] ?? x[2]} is not a driver name and unit such as ppt0`, fix: "name the device by bus/slot/func instead (pptctl assign SEL --config FILE writes them)" }),
  "pptdev-getconf": () => ({ cause: "bhyve could not ask /dev/pci for the device it was given by name", fix: "name it by bus/slot/func instead, and run bhyve as root" }),
  // Stryker disable next-line StringLiteral: pptdevCause takes any kind but not-found as the domain line
  "unsupported-domain": (m, x) => pptdevCause(m, x[1]!, "domain"),
  "invalid-options": () => ({ cause: "the passthru option is not B/S/F, pciB:S:F, pci0:B:S:F or pptN, optionally followed by ,rom=FILE and other options", fix: "write -s SLOT,passthru,B/S/F ('pptctl args B/S/F' prints it)" }),
  "missing-setting": (_m, x) => ({ cause: `a pci.B.S.F node with device=passthru has no .${x[1]}`, fix: "give each passthru node .bus, .slot and .func (pptctl assign SEL --config FILE writes them)" }),
  "dev-open": (_m, x) => ({
    cause: `bhyve could not open /dev/${x[1]}${x[2] ? ` (${x[2]})` : ""}, through which it reaches the host device`,
    fix: "run bhyve as root; in a jail, /dev/pci must be in the jail's devfs ruleset and the jail must allow vmm",
  }),
  "msi-setup": (_m, x) => msiSetupCause(x[1]!, x[2]!),
  // Stryker disable next-line StringLiteral: the pattern has one of its two groups, so x[2] is there whenever x[1] is not
  "setup-memory": (m, x, ctx) => memoryCause(m, x[1] !== undefined ? Number(x[1]) : errnoNumber(x[2] ?? ""), ctx.vm, x[2]?.trim() ?? null),
  "vm-create": (m, x) => vmCreateCause(m, x[1]!),
  "device-init": () => ({
    cause: "bhyve stops because a device's set-up failed (init_pci); the line before this one names the device and why. The text after the colon is whatever errno was left over, not init_pci's own error",
    fix: "explain the line before this one (give pptctl the whole log)",
  }),
  "slot-occupied": (_m, x) => ({ cause: `two -s options name guest slot ${x[1]}:${x[2]}:${x[3]}`, fix: "give each device its own slot:function ('pptctl args --vm NAME' allocates them without clashes)" }),
  "slot-invalid": (_m, x) => ({ cause: `-s ${x[1]} is not SLOT[:FUNC],DEVICE[,OPTIONS] with slot 0-31 and function 0-7`, fix: "write -s SLOT:FUNC,passthru,B/S/F ('pptctl args' prints it)" }),
  "invalid-config-option": (_m, x) => ({ cause: `line ${x[1]} of the bhyve -k file is not name=value with a value; only lines starting with '#' and empty lines may be anything else`, fix: `fix line ${x[1]} of the config file` }),
  "vm-bhyve-no-iommu": (m) => vmBhyveIommuCause(m),
  "vm-bhyve-missing-config": (m, _x, ctx) => missingConfigCause(m, ctx.vm),
};

/** strerror text back to the errno name, for the ones vm_assign_pptdev returns. */
function errnoName(text: string): string {
  const t = text.toLowerCase();
  if (t.includes("device not configured")) return "ENXIO";
  if (t.includes("device busy")) return "EBUSY";
  if (t.includes("no such file or directory")) return "ENOENT";
  if (t.includes("operation not permitted")) return "EPERM";
  return text.trim() || "an error it did not name";
}

function errnoNumber(text: string): number {
  const t = text.toLowerCase();
  return t.includes("file exists") ? 17 : t.includes("cannot allocate memory") ? 12 : Number.NaN;
}

/**
 * Why vm_assign_pptdev failed. errno null: the older bhyve line that stands for every errno, so
 * the host decides; ENXIO: no IOMMU domain (sys/amd64/vmm/vmm.c vm_assign_pptdev); ENOENT: not a
 * ppt device, EBUSY: another VM owns it (sys/amd64/vmm/io/ppt.c ppt_assign_device); EPERM: a jail
 * without the ppt privilege (https://reviews.freebsd.org/D55066).
 */
function assignCause(m: HostModel, a: PciAddress | null, errno: string | null, ctx: ExplainContext): Cause {
  const iommu = iommuCheck(m);
  const d = a ? deviceAt(m, a) : null;
  const b = a ? formatBhyve(a) : "the device";
  if (a && m.pci.ok && !d) return { cause: `no device at ${b} on this host`, fix: "correct the address ('pptctl list --all' shows the devices)" };
  if (errno === "EPERM") return { cause: "EPERM: vmm refused the ppt request for lack of privilege: bhyve runs in a jail, or not as root", fix: "run bhyve as root outside a jail, or allow ppt in the jail (allow.vmm_ppt where the release has it)" };
  if (errno === "ENXIO" || (errno === null && d?.driver === "ppt" && iommu.status === "fail")) {
    if (iommu.status === "fail") return { cause: `ENXIO: vmm has no IOMMU to put ${b} behind: ${iommu.summary}`, fix: iommu.fix };
    if (iommu.status === "unknown") return { cause: `ENXIO: vmm had no IOMMU domain for the VM, and whether this host's IOMMU is in order is unknown (${iommu.summary})`, fix: iommu.fix };
    return {
      cause: `ENXIO: vmm had no IOMMU domain for the VM, yet the IOMMU pptctl checks is in order here (${iommu.summary}): vmm's own IOMMU start-up (iommu_init, sys/amd64/vmm/io/iommu.c) failed, which ${GUESS_NOTHING.replace("pptctl cannot tell more", "pptctl cannot see")}`,
      fix: "look for DMAR, AMD-Vi or iommu errors in 'dmesg'; 'pptctl doctor' checks the rest",
    };
  }
  if (errno === "EBUSY" || errno === null) {
    const held = heldBy(m, a, ctx.vm);
    if (held) return held;
    if (errno === "EBUSY") return { cause: `EBUSY: another VM instance owned ${b} when bhyve ran; pptctl sees none holding it now`, fix: "start the VM again; if it fails the same way, 'pptctl list' and 'ls /dev/vmm' show the instances" };
  }
  if (d && d.driver !== "ppt" && isBridgeHeader(d)) return { cause: `${b} is a bridge (${d.name}), and ppt claims only endpoint devices`, fix: "pass the devices behind it instead ('pptctl list --all' shows which can be passed)" };
  if (d && d.driver !== "ppt") return { cause: `${b} is ${where(d)}, not ppt`, fix: `pptctl attach ${b} --persist` };
  if (errno === "ENOENT" && d) return { cause: `ENOENT: ${b} was not a ppt device when bhyve ran; it is on ppt (${d.name}) now, so it was moved since`, fix: "start the VM again" };
  if (!m.pci.ok) return { cause: `cannot list PCI devices: ${m.pci.reason}`, fix: "run 'pciconf -lvc' by hand" };
  // Here ENOENT comes without an address: the line does not say which device was not on ppt.
  if (errno === "ENOENT") return { cause: "ENOENT: a device bhyve was given was not on ppt when bhyve ran; the line does not say which", fix: "'pptctl doctor --vm NAME' shows which of the VM's devices are not on ppt" };
  // An errno not named above: errnoName left bhyve's own words.
  if (errno) return { cause: `vm_assign_pptdev failed: ${errno}`, fix: "pptctl doctor --vm NAME" };
  const mmu = iommu.status === "pass" ? `the IOMMU is in order (${iommu.summary})` : `whether the IOMMU is in order is unknown (${iommu.summary})`;
  // Stryker disable next-line StringLiteral: only the not-ppt line comes here, with an address on a listed bus, so d is the device there
  return { cause: `${b} is on ppt${d ? ` (${d.name})` : ""}, ${mmu} and no instance pptctl sees holds it: ${GUESS_NOTHING}`, fix: "start the VM again; if it fails the same way, 'pptctl doctor --vm NAME'" };
}

/** The instances holding the device (or, without one, any device of the VM). */
function heldBy(m: HostModel, a: PciAddress | null, vm: string | null): Cause | null {
  const inv = m.vms;
  const asg = assignmentsOf(inv);
  const addrs = a ? [a] : vm ? [...asg.byDevice.values()].filter((u) => u.uses.some((x) => x.vm === vm)).map((u) => u.addr) : everyNamed(inv, asg);
  const words = addrs.flatMap((x) => holdersOf(inv, asg, x, vm ?? undefined).map((h) => holderWords(h, x)));
  if (words.length === 0) return null;
  return { cause: `EBUSY: ${[...new Set(words.map((w) => w.text))].join("; ")}`, fix: [...new Set(words.map((w) => w.fix))].join("; ") };
}

/** Every device a VM config or a starting bhyve's command line names, once each. */
function everyNamed(inv: HostModel["vms"], asg: ReturnType<typeof assignmentsOf>): PciAddress[] {
  const out = [...asg.byDevice.values()].map((u) => u.addr);
  // Stryker disable next-line ConditionalExpression,ArrowFunction: a device named twice gives the same words twice, and heldBy keeps each once
  for (const p of inv.processes ?? []) for (const x of p.passthru) if (!out.some((o) => sameAddr(o, x))) out.push(x);
  return out;
}

function msiCause(m: HostModel, a: PciAddress): Cause {
  const d = deviceAt(m, a);
  const b = formatBhyve(a);
  if (!m.pci.ok) return { cause: `cannot list PCI devices: ${m.pci.reason}`, fix: "run 'pciconf -lvc' by hand" };
  if (!d) return { cause: `no device at ${b} on this host`, fix: "correct the address ('pptctl list --all' shows the devices)" };
  if (!d.hasCapInfo && capsListed(m.pci.value.devices)) {
    return { cause: `${b} (${d.name}) has no PCI capability list at all (pciconf -c shows none), so bhyve cannot offer the guest an MSI capability for it, and passes only devices with one`, fix: "this device cannot be passed through by bhyve; pass another device" };
  }
  if (!d.hasCapInfo) return { cause: `the PCI listing has no capability lines, so whether ${b} has a capability list is unknown`, fix: "run 'pciconf -lvc' by hand" };
  return { cause: `${b} (${d.name}) has a capability list on this host, from which bhyve can build an MSI capability: bhyve read something else through /dev/pci when it ran; ${GUESS_NOTHING}`, fix: "check that the device answers ('pciconf -lvc' shows it whole) and start the VM again" };
}

function msixCause(m: HostModel, a: PciAddress, why: string | null): Cause {
  const d = deviceAt(m, a);
  const b = formatBhyve(a);
  const now = d ? (d.driver === "ppt" ? `${b} is on ppt (${d.name}) now` : `${b} is ${where(d)} now, not ppt`) : `${b} is not on the bus now`;
  return { cause: `bhyve could not map the BAR that holds ${b}'s MSI-X table through /dev/pci${why ? ` (${why})` : ""}; ${now}`, fix: d && d.driver !== "ppt" ? `pptctl attach ${b} --persist` : `start the VM again; if it fails the same way, ${GUESS_NOTHING}` };
}

function romCause(path: string, ctx: ExplainContext, what: "empty" | "open" | "read"): Cause {
  const st = ctx.roms.get(path) ?? { kind: "unknown" as const, reason: "not looked at" };
  const said = what === "empty" ? "bhyve refuses an empty ROM file" : what === "open" ? "bhyve could not open the ROM file" : "bhyve could not read the ROM file";
  const fix = "put the card's ROM file there (a dump of this very card's ROM), or correct the rom= path";
  switch (st.kind) {
    case "absent":
      return { cause: `${said}: ${path} does not exist on this host`, fix };
    case "other":
      return { cause: `${said}: ${path} is ${st.what}, not a regular file`, fix };
    case "file":
      return st.size === 0
        ? { cause: `${said}: ${path} is empty (0 bytes)`, fix }
        : { cause: `${said}: ${path} is a ${st.size}-byte file now, so it was missing or unreadable when bhyve ran, or bhyve runs where that path is another file (a jail)`, fix: "start the VM again" };
    case "unknown":
      return { cause: `${said}; whether ${path} is there cannot be told from here (${st.reason})`, fix: `ls -l ${path} as root` };
  }
}

function pptdevCause(m: HostModel, name: string, said: "not-found" | "domain"): Cause {
  if (!m.pci.ok) return { cause: `cannot list PCI devices: ${m.pci.reason}`, fix: "run 'pciconf -lvc' by hand" };
  const d = m.pci.value.devices.find((x) => x.name === name);
  const ppt = m.pci.value.devices.filter((x) => x.driver === "ppt").map((x) => `${x.name} = ${formatBhyve(x.addr)}`);
  const now = ppt.length > 0 ? `the ppt devices here are ${ppt.join(", ")}` : "no device is on ppt here";
  const fix = "name the device by bus/slot/func, which does not change when devices move (pptctl assign SEL --config FILE writes them)";
  if (said === "not-found") {
    return d ? { cause: `${name} is ${formatSelector(d.addr)} on this host now: the ppt numbering changed since bhyve ran (ppt units are renumbered when devices come and go)`, fix } : { cause: `no device is named ${name} on this host; ${now}`, fix };
  }
  if (!d) return { cause: `no device is named ${name} on this host now, so whether it is outside domain 0 cannot be checked; ${now}`, fix };
  if (d.addr.domain === 0) return { cause: `${name} is ${formatSelector(d.addr)} on this host, in domain 0: bhyve would not say this here, so the line comes from another host, or ${name} named another device when bhyve ran`, fix };
  return { cause: `${name} is ${formatSelector(d.addr)}, in PCI domain ${d.addr.domain}: bhyve passes only domain 0`, fix: "pass a device in domain 0 ('pptctl list --all' shows which)" };
}

/** ppt_setup_msi / ppt_setup_msix in sys/amd64/vmm/io/ppt.c: EINVAL more vectors than the device has, ENOSPC not all allocated, EBUSY another VM owns it. */
function msiSetupCause(call: string, err: string): Cause {
  const t = err.toLowerCase();
  const why = t.includes("invalid argument")
    ? "the guest asked for more interrupt vectors than the device offers"
    : t.includes("no space left") ? "the host could not allocate every interrupt vector the guest asked for" : t.includes("device busy") ? "another VM owns the device" : err.trim();
  return { cause: `vmm could not set up the device's interrupts for the guest (${call}: ${why})`, fix: "restart the guest; if it recurs, limit the guest driver's interrupt vectors, or pass the device to a guest that uses fewer" };
}

function vmCreateCause(m: HostModel, err: string): Cause {
  // bhyverun.c do_open takes EEXIST as a VM its loader set up and goes on; perror is for the rest.
  // https://github.com/freebsd/freebsd-src/blob/main/usr.sbin/bhyve/bhyverun.c
  if (/file exists/i.test(err)) {
    return {
      cause: "vm_create found the VM's instance in /dev/vmm already; bhyve itself never prints this (do_open takes an existing instance as one its loader set up and goes on), so another program that creates VMs did",
      fix: "'pptctl list' or 'pptctl doctor --vm NAME' shows whether a process runs that instance; destroy it only when none does",
    };
  }
  const vmm = vmmCheck(m, readPptdevsConfig(m.loader).records.length > 0);
  const cpu = cpuVirtCheck(m);
  const bad = [vmm, cpu].find((c) => c.status === "fail");
  if (bad) return { cause: `vmm could not create the VM (${err.trim()}): ${bad.summary}`, fix: bad.fix };
  const state = vmm.status === "pass" ? `pptctl finds vmm in order here (${vmm.summary})` : `pptctl cannot tell whether vmm is in order here (${vmm.summary})`;
  return { cause: `vmm could not create the VM (${err.trim()}); ${state}, so ${GUESS_NOTHING}`, fix: "'kldstat -m vmm' and 'dmesg | tail' as root" };
}

/** vm-bhyve's util::check_bhyve_iommu: 'acpidump -t | grep DMAR' or 'vmm.amdvi.enable: 1' in 'sysctl hw'. */
function vmBhyveIommuCause(m: HostModel): Cause {
  if (isArm64(m)) return { cause: `vm-bhyve found no IOMMU: ${ARM64_NO_PASSTHROUGH}`, fix: ARM64.fix };
  const iommu = iommuCheck(m);
  const dmar = m.acpi.ok && m.acpi.value.status === "ok" ? m.acpi.value.tables.includes("DMAR") : null;
  const amdvi = m.vmm.ok ? m.vmm.value.get("hw.vmm.amdvi.enable")?.trim() === "1" : null;
  if (dmar || amdvi) {
    return { cause: `vm-bhyve looks for a DMAR table (acpidump -t) or hw.vmm.amdvi.enable: 1, and this host has ${dmar ? "a DMAR table" : "hw.vmm.amdvi.enable=1"} now, so the check passes today: it failed when vm-bhyve ran, before a change or a reboot`, fix: "start the VM again" };
  }
  // Stryker disable next-line StringLiteral: what cannot be read is an unknown IOMMU check, which always has a fix
  if (dmar === null && amdvi === null) return { cause: `vm-bhyve found neither a DMAR table nor hw.vmm.amdvi.enable: 1; pptctl cannot read either here (${iommu.summary})`, fix: iommu.fix ?? "run pptctl as root" };
  return { cause: `vm-bhyve found neither a DMAR table (acpidump -t) nor hw.vmm.amdvi.enable: 1 (sysctl hw): ${iommu.summary}`, fix: iommu.fix ?? "enable VT-d / AMD-Vi in the firmware; on AMD set hw.vmm.amdvi.enable=1 in loader.conf" };
}

function missingConfigCause(m: HostModel, vm: string | null): Cause {
  const c = vm ? m.vms.configs.find((x) => x.vm === vm) : undefined;
  const missing = c?.missing ?? null;
  if (c && missing !== null && missing.length > 0) return { cause: `${c.path} sets no ${missing.join(", no ")}, which vm-bhyve needs to start ${vm}`, fix: `add ${missing.map((k) => `${k}=…`).join(" and ")} to ${c.path}` };
  if (c && missing !== null) return { cause: `${c.path} sets loader, cpu and memory now, so vm-bhyve would start it: the config was changed since`, fix: "start the VM again" };
  return { cause: "the VM's vm-bhyve config does not set loader, cpu or memory, which vm-bhyve needs before it starts bhyve", fix: `add them to the VM's .conf (pptctl explain --vm NAME names which; 'pptctl doctor --vm NAME' checks the config)` };
}

