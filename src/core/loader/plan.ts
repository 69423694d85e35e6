import { dangersOf } from "../model/guards.ts";
import { cpuVendor } from "../model/virt.ts";
import { PptError } from "../errors.ts";
import { isYes, where } from "../parse/loader-conf.ts";
import type { Setting } from "./edit.ts";
import type { HostModel } from "../model/model.ts";
import { ARM64_NO_PASSTHROUGH, isArm64 } from "../model/virt.ts";
import { type PciAddress, addrKey, formatBhyve, sameAddr, sameDevice } from "../pci/address.ts";
import { baseClassName } from "../pci/classes.ts";
import { NO_CAPS_WORDS, interruptsOf, intxWords } from "../knowledge/interrupts.ts";
import { wholeCardCompanions } from "../knowledge/whole-card.ts";
import { type PciDevice, baseClass, capsListed, isBridgeHeader, leftBehind } from "../pci/device.ts";
import { PPTDEVS_NAMES, type PptdevsRecord, normalizeEntries, packPptdevs } from "./pptdevs.ts";
import { MANAGED_NAMES, readPptdevsConfig, replaceCommand } from "./pptdevs-config.ts";
import { type Selector, describe, resolveOne } from "../pci/selector.ts";
import { platformFunction } from "../pci/platform.ts";

export interface PlanRequest {
  readonly select: readonly Selector[];
  /** Class names (`display`, `network`) or codes (`0x03`): every device of that class. */
  readonly classes: readonly string[];
  readonly remove: readonly Selector[];
  readonly replace: boolean;
  readonly withFunctions: boolean;
  readonly force: boolean;
}

export interface Plan {
  readonly entries: readonly PciAddress[];
  readonly added: readonly PciAddress[];
  readonly removed: readonly PciAddress[];
  readonly records: readonly PptdevsRecord[];
  /** Settings the loader.conf family must have, in output order. */
  readonly settings: readonly Setting[];
  /** pptdevs records that must go (no longer needed). */
  readonly unset: readonly string[];
  readonly warnings: readonly string[];
  /** The family already says exactly this. */
  readonly inSync: boolean;
  /** Settings whose lines the edit takes over even where the loader cannot read them (--replace). */
  readonly takeOver: readonly string[];
}

/** From selectors to loader.conf settings. Pure; every refusal is a one-line PptError. */
export function makePlan(m: HostModel, req: PlanRequest): Plan {
  // Taking entries out still works there: an old pptdevs line may be cleaned up.
  if (req.select.length > 0 && isArm64(m)) throw new PptError(`plan: ${ARM64_NO_PASSTHROUGH}, so a pptdevs entry reserves nothing; nothing was changed`, 1);
  if (!m.pci.ok) throw new PptError(`plan: cannot list PCI devices: ${m.pci.reason}`, 1);
  const devices = m.pci.value.devices;
  if (m.loaderUnknown.length > 0) {
    // Merging with a list pptctl could not read would drop the entries it holds.
    throw new PptError(`plan: cannot read ${m.loaderUnknown.join(", ")}, so the configured pptdevs are unknown; run pptctl as root (with --from, give the host's loader.conf as --file PATH)`, 1);
  }
  const current = readPptdevsConfig(m.loader);
  const start = req.replace ? [] : [...current.entries];

  let picked: PciDevice[] = req.select.map((s) => resolveOne(s, devices));
  const bad = current.unreadable[0];
  if (bad && !req.replace) {
    // Merging with a list read differently from the loader would write a list nobody meant.
    throw new PptError(
      `plan: ${where(bad)}: ${bad.text}: ${bad.problem}; pptctl does not merge with a line the loader cannot read, so nothing was changed: fix the line, or rewrite the list with '${replaceCommand(current, picked.map((d) => d.addr))}'`,
      1,
    );
  }
  for (const c of req.classes) picked.push(...byClass(c, devices));
  if (req.withFunctions) {
    const more = devices.filter((d) => !isBridgeHeader(d) && picked.some((p) => p.addr.bus !== 0 && sameDevice(p.addr, d.addr)));
    picked = [...picked, ...more];
  }
  // A card whose functions go to one guest together comes whole, as assign brings it (and says so).
  const along = wholeCardCompanions(devices, picked.map((d) => d.addr));
  picked = [...picked, ...along.map((c) => c.device)];
  const removedAddrs = req.remove.map((s) => removalAddr(s, devices));
  const wanted = normalizeEntries([...start, ...picked.map((d) => d.addr)]).filter((a) => !removedAddrs.some((r) => sameAddr(r, a)));

  for (const a of wanted) {
    const d = devices.find((x) => sameAddr(x.addr, a));
    const fromConfig = !picked.some((p) => sameAddr(p.addr, a));
    const hint = fromConfig ? `; it is already in pptdevs: drop it with --remove ${formatBhyve(a)}` : "";
    if (a.domain !== 0) throw new PptError(`plan: ${describeAddr(a, d)} is in PCI domain ${a.domain}; pptdevs reaches only domain 0`);
    if (d && isBridgeHeader(d)) {
      throw new PptError(`plan: ${describe(d)} is a bridge (header type 0x${(d.hdr ?? 0).toString(16).padStart(2, "0")}); ppt never claims bridges, reserve the devices behind it${hint}`);
    }
    const platform = d ? platformFunction(d) : null;
    if (d && platform) throw new PptError(`plan: ${describe(d)} is the ${platform[0]}: ${platform[1]}${hint}`);
  }

  const added = wanted.filter((a) => !current.entries.some((c) => sameAddr(c, a)));
  const removed = current.entries.filter((c) => !wanted.some((a) => sameAddr(a, c)));
  const alongNotes = along.filter((c) => added.some((a) => sameAddr(a, c.device.addr))).map((c) => `${c.device.name} (${formatBhyve(c.device.addr)}) comes along: ${c.why}`);
  const warnings = [...footGuns(m, devices, added, req.force), ...alongNotes, ...addedWarnings(devices, added, wanted, req.withFunctions)];

  const packed = packPptdevs(wanted);
  if (!packed.ok) {
    throw new PptError(
      `plan: ${wanted.length} entries need more than the 3 records the kernel reads (pptdevs, pptdevs2, pptdevs3, 128 characters each): ${packed.fitted.length} fit, these do not: ${packed.overflow.map(formatBhyve).join(" ")}`,
    );
  }
  const settings: Setting[] = [];
  // What pptdevs needs from the loader; a plan that leaves no entry needs neither.
  const reserving = wanted.length > 0;
  if (reserving && !isYes(m.loader.effective.get("vmm_load")?.value)) settings.push({ name: "vmm_load", value: "YES" });
  if (reserving && cpuVendor(m) === "amd" && m.loader.effective.get("hw.vmm.amdvi.enable")?.value.trim() !== "1") {
    settings.push({ name: "hw.vmm.amdvi.enable", value: "1" });
  }
  settings.push(...packed.records);
  const needed = new Set(packed.records.map((r) => r.name));
  const unset = PPTDEVS_NAMES.filter((n) => !needed.has(n) && m.loader.effective.has(n));
  const inSync =
    unset.length === 0 &&
    settings.every((s) => m.loader.effective.get(s.name)?.value === s.value) &&
    current.errors.length === 0;
  // Stryker disable next-line ArrayDeclaration: a name no loader setting has takes no line over
  return { entries: wanted, added, removed, records: packed.records, settings, unset, warnings, inSync, takeOver: req.replace ? MANAGED_NAMES : [] };
}

function describeAddr(a: PciAddress, d: PciDevice | undefined): string {
  return d ? describe(d) : formatBhyve(a);
}

function byClass(c: string, devices: readonly PciDevice[]): PciDevice[] {
  // parseInt with radix 16 takes a leading 0x itself.
  const code = /^(0x)?[0-9a-f]{2}$/i.test(c) ? parseInt(c, 16) : null;
  const found = devices.filter((d) => {
    // A class names the devices to give away: never a bridge or the platform's own functions.
    if (isBridgeHeader(d) || d.classCode === null || platformFunction(d)) return false;
    if (code !== null) return baseClass(d) === code;
    // Stryker disable next-line StringLiteral: a device with no class name matches no --class text but this fallback's
    const name = (d.className ?? baseClassName(d.classCode) ?? "").toLowerCase();
    return name === c.toLowerCase();
  });
  if (found.length === 0) {
    throw new PptError(`plan: --class '${c}' matches no device; use a class name pciconf -lv prints (display, network, multimedia, serial bus) or a code like 0x03`);
  }
  return found;
}

/** A removal may name an address that is no longer on the bus (a card taken out). */
function removalAddr(s: Selector, devices: readonly PciDevice[]): PciAddress {
  if (s.kind === "addr") return s.addr;
  return resolveOne(s, devices).addr;
}

/** Reservations that can leave the host unbootable or unreachable after the reboot. */
function footGuns(m: HostModel, devices: readonly PciDevice[], added: readonly PciAddress[], force: boolean): string[] {
  const dangers = dangersOf(m, devices, added, { display: false, when: "after the reboot" });
  if (dangers.length === 0) return [];
  if (!force) throw new PptError(`plan: ${dangers.join("; ")}; add --force if that is what you want`);
  return dangers.map((d) => `--force: ${d}`);
}

function addedWarnings(devices: readonly PciDevice[], added: readonly PciAddress[], wanted: readonly PciAddress[], withFunctions: boolean): string[] {
  const warnings: string[] = [];
  // Every added address is a device on the bus: added ones come from the selectors.
  const addedDevices = devices.filter((d) => added.some((a) => sameAddr(a, d.addr)));
  for (const d of addedDevices) {
    const irq = interruptsOf(d, capsListed(devices));
    if (irq === "unknown") warnings.push(`${describe(d)}: pciconf showed no capabilities, so MSI/MSI-X support is unknown`);
    else if (irq === "none") warnings.push(`${describe(d)} ${NO_CAPS_WORDS}`);
    else if (irq === "intx") warnings.push(`${describe(d)} ${intxWords()}`);
  }
  const left = leftBehind(devices, wanted);
  if (left.length > 0 && !withFunctions) {
    warnings.push(`${left.map((d) => `${d.name} (${formatBhyve(d.addr)})`).join(", ")} stay${left.length === 1 ? "s" : ""} on the host beside the reserved functions; add ${left.length === 1 ? "it" : "them"} or use --with-functions`);
  }
  // The host's own displays: one already on ppt shows nothing on the host's console.
  const displays = devices.filter((d) => baseClass(d) === 0x03 && d.driver !== "ppt");
  const keys = new Set(wanted.map(addrKey));
  if (displays.length > 0 && displays.every((d) => keys.has(addrKey(d.addr))) && addedDevices.some((d) => baseClass(d) === 0x03)) {
    const which = displays.length === 1 ? "the host's only display device" : `every display device of the host (${displays.map((d) => d.name).join(", ")})`;
    warnings.push(`this reserves ${which}: the local console goes away after the reboot (fine on a headless host)`);
  }
  return warnings;
}

/** `sysrc -f FILE …` commands for the same change (sysrc quotes values itself). */
export function sysrcCommands(p: Plan, file: string): string[] {
  const q = (s: string) => (/^[A-Za-z0-9_.\/=:-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`);
  return [
    ...p.settings.map((s) => `sysrc -f ${q(file)} ${q(`${s.name}=${s.value}`)}`),
    ...p.unset.map((n) => `sysrc -f ${q(file)} -x ${n}`),
  ];
}
