import { type Assignments, assignmentsOf } from "./vm/assignments.ts";
import type { VmInventory } from "./vm/configs.ts";
import { holdersOf, stateWord } from "./vm/holders.ts";
import type { HostModel } from "./model/model.ts";
import { ARM64_NO_PASSTHROUGH, isArm64 } from "./model/virt.ts";
import { type PciAddress, addrKey, compareAddr, formatBhyve, formatSelector } from "./pci/address.ts";
import { baseClassName, subClassName } from "./pci/classes.ts";
import { type PciDevice, capsListed, hexId, isBridgeHeader, looksWedged } from "./pci/device.ts";
import { type Quirk, indexListing, quirksFor } from "./knowledge/quirks.ts";
import { NO_CAPS_WORDS, interruptsOf, intxWords } from "./knowledge/interrupts.ts";
import { type ResetMethod, resetMethod } from "./knowledge/reset.ts";
import { readPptdevsConfig } from "./loader/pptdevs-config.ts";
import { releasedAtRuntime } from "./runtime/kenv.ts";
import { destroyCommand } from "./text/shell.ts";
import { platformFunction } from "./pci/platform.ts";

export type DeviceStatus =
  | { readonly kind: "available" }
  /** A process runs the VM (bhyve titled), or is starting it. */
  | { readonly kind: "in-use"; readonly vm: string; readonly starting: boolean }
  | { readonly kind: "left-behind"; readonly vm: string }
  | { readonly kind: "assigned"; readonly vm: string; readonly running: false | null }
  /** Two configs name it; `active` says which of them have an instance now, and in what state. */
  | { readonly kind: "conflict"; readonly vms: readonly string[]; readonly active: readonly { readonly vm: string; readonly state: string }[] }
  | { readonly kind: "not-bound"; readonly driver: string | null }
  /** In pptdevs, given back to the host at run time with `pptctl release`, until the next boot. */
  | { readonly kind: "released"; readonly driver: string | null }
  | { readonly kind: "not-on-bus" }
  | { readonly kind: "unknown"; readonly reason: string }
  /** --all: a device the host keeps. */
  | { readonly kind: "host"; readonly driver: string | null };

export interface Eligibility {
  readonly ok: boolean | null;
  /** Short, for the table: `no (host bridge)`. */
  readonly text: string;
  /** The whole reason, for JSON and for anyone asking why. */
  readonly reason?: string;
}

export interface InventoryRow {
  readonly addr: PciAddress;
  readonly device: PciDevice | null;
  /** ppt unit name, or the device's current name with --all. */
  readonly name: string;
  readonly selector: string;
  readonly type: string;
  readonly bhyve: string;
  readonly vendor: string;
  readonly model: string;
  readonly status: DeviceStatus;
  readonly inPptdevs: boolean;
  /** The VMs whose configs name it. */
  readonly vms: readonly string[];
  readonly eligibility: Eligibility;
  /** How ppt resets it between guests; unknown without a -c listing or a device. */
  readonly reset: ResetMethod;
  readonly quirks: readonly Quirk[];
}

export interface Inventory {
  readonly rows: readonly InventoryRow[];
  /** Unreadable or invalid VM configs: `path: problem`. */
  readonly problems: readonly string[];
}

export function deviceType(d: PciDevice | null): string {
  if (!d || d.classCode === null) return "?";
  const cls = d.className ?? baseClassName(d.classCode) ?? `class 0x${((d.classCode >> 16) & 0xff).toString(16).padStart(2, "0")}`;
  const sub = d.subclassName ?? subClassName(d.classCode);
  return sub ? `${cls}/${sub}` : cls;
}

/** Whether `d` can be a ppt device; `capsListed` says the listing was made with -c. */
export function eligibility(d: PciDevice, capsListed = true): Eligibility {
  if (d.addr.domain !== 0) return { ok: false, text: `no (domain ${d.addr.domain})`, reason: `it is in PCI domain ${d.addr.domain}, and bhyve passthru and pptdevs reach only domain 0` };
  // ppt_probe takes only a type 0 header, "an endpoint device" (sys/amd64/vmm/io/ppt.c).
  if (isBridgeHeader(d)) return { ok: false, text: "no (bridge)", reason: "it is a bridge, and ppt claims only endpoint devices, such as the ones behind it" };
  const platform = platformFunction(d);
  if (platform) return { ok: false, text: `no (${platform[0]})`, reason: platform[1] };
  if (looksWedged(d)) return { ok: false, text: "no (not answering)", reason: "its config header reads all ones: the device does not answer" };
  if (!d.hasCapInfo && !capsListed) return { ok: null, text: "maybe (no capability list)", reason: "the listing was made without pciconf -c, so MSI/MSI-X support is unknown" };
  const irq = interruptsOf(d, capsListed);
  if (irq === "none") return { ok: false, text: "no (no capability list)", reason: `it ${NO_CAPS_WORDS}` };
  if (irq === "intx") return { ok: true, text: "yes (INTx only)", reason: `it ${intxWords()}` };
  return { ok: true, text: irq === "msix" ? "yes (MSI-X)" : "yes (MSI)" };
}

/**
 * Rows list shows (on ppt, in pptdevs, in a VM config) whose device bhyve cannot pass through:
 * `Available` alone would read as ready, and doctor fails the same devices.
 */
export function unpassable(inv: Inventory): readonly InventoryRow[] {
  return inv.rows.filter((r) => r.device !== null && r.status.kind !== "host" && r.eligibility.ok === false);
}

/** The `list` table: ppt devices, configured entries and VM-referenced devices, with true status. Pure. */
export function buildInventory(m: HostModel, all: boolean): Inventory {
  const devices = m.pci.ok ? m.pci.value.devices : [];
  const pptdevs = readPptdevsConfig(m.loader).entries;
  const assignments = assignmentsOf(m.vms);
  const problems = [
    ...m.vms.problems.map((p) => `${p.path}: ${p.problem}`),
    ...assignments.badEntries.map((b) => `${b.path}: ${b.problem}`),
  ];
  const keys = new Map<number, PciAddress>();
  const add = (a: PciAddress) => keys.set(addrKey(a), a);
  for (const d of devices) if (all || d.driver === "ppt") add(d.addr);
  for (const a of pptdevs) add(a);
  for (const u of assignments.byDevice.values()) add(u.addr);

  const byAddr = new Map(devices.map((d) => [addrKey(d.addr), d]));
  const listed = capsListed(devices);
  const index = indexListing(devices);
  const reserved = new Set(pptdevs.map(addrKey));
  const released = new Set((m.kenv.ok ? releasedAtRuntime(m.kenv.value) : []).map(addrKey));
  const arm64: Eligibility | null = isArm64(m) ? { ok: false, text: "no (arm64)", reason: ARM64_NO_PASSTHROUGH } : null;
  const rows = inOrder([...keys.values()]).map((a): InventoryRow => {
    const key = addrKey(a);
    const d = byAddr.get(key) ?? null;
    const inPptdevs = reserved.has(key);
    const wanted = inPptdevs || d?.driver === "ppt" || assignments.byDevice.has(key);
    const reset = d ? resetMethod(d, listed) : "unknown";
    return {
      addr: a,
      device: d,
      name: d ? (d.driver === "ppt" || all ? d.name : "-") : "-",
      selector: `${formatSelector(a)}:`,
      type: deviceType(d),
      // bhyve reaches domain 0 only; a B/S/F for another domain would name a different device.
      bhyve: a.domain === 0 ? formatBhyve(a) : "-",
      vendor: d?.vendorName ?? (d ? (hexId(d.vendorId) ?? "?") : "?"),
      model: d?.deviceName ?? (d ? (hexId(d.deviceId) ?? "?") : "?"),
      status: wanted ? statusOf(a, d, m.vms, assignments, problems, released.has(key)) : { kind: "host", driver: d && d.driver !== "none" ? d.name : null },
      inPptdevs,
      vms: assignments.byDevice.get(key)?.uses.map((u) => u.vm) ?? [],
      eligibility: d ? (arm64 ?? eligibility(d, listed)) : { ok: false, text: "no (not on the bus)" },
      reset,
      quirks: d ? quirksFor(d, index, reset) : [],
    };
  });
  return { rows, problems };
}

/** Sorted by address; pciconf lists in that order already, so usually one pass and no sort. */
function inOrder(addrs: PciAddress[]): PciAddress[] {
  for (let i = 1; i < addrs.length; i++) if (addrKey(addrs[i - 1]!) > addrKey(addrs[i]!)) return addrs.sort(compareAddr);
  return addrs;
}

function statusOf(a: PciAddress, d: PciDevice | null, inv: VmInventory, asg: Assignments, problems: readonly string[], released: boolean): DeviceStatus {
  if (!d) return { kind: "not-on-bus" };
  if (d.driver !== "ppt") return { kind: released ? "released" : "not-bound", driver: d.driver === "none" ? null : d.name };
  const uses = asg.byDevice.get(addrKey(a))?.uses ?? [];
  if (uses.length > 1) {
    return { kind: "conflict", vms: uses.map((u) => u.vm), active: uses.filter((u) => u.state.kind !== "stopped").map((u) => ({ vm: u.vm, state: stateWord(u.state) })) };
  }
  const use = uses[0];
  if (use) {
    switch (use.state.kind) {
      case "running":
      case "starting":
        return { kind: "in-use", vm: use.vm, starting: use.state.kind === "starting" };
      case "left-behind":
        return { kind: "left-behind", vm: use.vm };
      default:
        return { kind: "assigned", vm: use.vm, running: use.state.kind === "stopped" ? false : null };
    }
  }
  // An instance no readable config describes may hold it; a bhyve command line may show it does.
  const others = holdersOf(inv, asg, a);
  const shown = others.find((h) => h.names);
  if (shown) return shown.state.kind === "left-behind" ? { kind: "left-behind", vm: shown.vm } : { kind: "in-use", vm: shown.vm, starting: shown.state.kind === "starting" };
  if (others.length > 0) return { kind: "unknown", reason: `${others.map((h) => h.vm).join(", ")} ${others.length === 1 ? "has an instance" : "have instances"} that no config pptctl can read describes, and may hold it` };
  // A config pptctl could not read may name this device: never claim it is free.
  if (problems.length > 0) return { kind: "unknown", reason: "a VM config could not be read" };
  return { kind: "available" };
}

export function statusText(s: DeviceStatus): string {
  switch (s.kind) {
    case "available":
      return "Available";
    case "in-use":
      return `In use by: ${s.vm}${s.starting ? " (starting)" : ""}`;
    case "left-behind":
      // The instance still holds the device: bhyve fails until it is destroyed.
      return `Left behind: ${s.vm} (${destroyCommand(s.vm)})`;
    case "assigned":
      return `Assigned to: ${s.vm} (${s.running === null ? "state unknown" : "stopped"})`;
    case "conflict":
      return `Conflict: ${s.vms.join(", ")}${s.active.length > 0 ? ` (${s.active.map((x) => `${x.vm} ${x.state}`).join(", ")})` : ""}`;
    case "not-bound":
      return `Not bound: ${s.driver ?? "no driver"}`;
    case "released":
      return `Released: ${s.driver ?? "no driver"} (until reboot)`;
    case "not-on-bus":
      return "Not on bus";
    case "unknown":
      return "Unknown";
    case "host":
      return s.driver ? `Host: ${s.driver}` : "Host: no driver";
  }
}

export type Severity = "ok" | "info" | "warn" | "bad";

export function severity(s: DeviceStatus): Severity {
  switch (s.kind) {
    case "available":
      return "ok";
    case "in-use":
    case "host":
      return "info";
    case "assigned":
    case "unknown":
    case "released":
      return "warn";
    default:
      return "bad";
  }
}
