/**
 * attach / release: moving devices to and from ppt at run time with devctl(8). Pure: what to
 * run, what to refuse, and how to read what happened from pciconf listings before and after.
 *
 * Facts from a real FreeBSD 14.0 kernel (../shared/corpus/freebsd-14.0-qemu/devctl/):
 * - `devctl set driver -f DEV ppt` detaches the host driver and attaches ppt; `clear driver -f
 *   DEV` gives the device back. Both are silent on success.
 * - `clear driver -f` on a device with no host driver exits 1 ("Device not configured") although
 *   the device was released: judge by re-reading pciconf, never by the exit status alone.
 * - `set driver -f` on a bridge exits 1 after detaching the bridge and everything behind it:
 *   never send devctl a bridge.
 * - noneN and pptN names shift and are reused: address devctl by pciD:B:S:F, match by address.
 * devctl(8): https://man.freebsd.org/cgi/man.cgi?query=devctl&sektion=8
 */
import { assignmentsOf } from "../vm/assignments.ts";
import { holderWords, holdersOf } from "../vm/holders.ts";
import { PptError } from "../errors.ts";
import { dangersOf } from "../model/guards.ts";
import { NO_CAPS_WORDS, interruptsOf, intxWords } from "../knowledge/interrupts.ts";
import { hasModule } from "../parse/kldstat.ts";
import type { HostModel } from "../model/model.ts";
import { ARM64_NO_PASSTHROUGH, isArm64 } from "../model/virt.ts";
import { type PciAddress, addrKey, formatBhyve, formatSelector, sameAddr } from "../pci/address.ts";
import { type PciDevice, capsListed, isBridgeHeader } from "../pci/device.ts";
import { type KenvChange, reattachChanges, releaseChanges } from "./kenv.ts";
import { type Selector, describe, resolveOne } from "../pci/selector.ts";
import { platformFunction } from "../pci/platform.ts";

export const DEVCTL = "/usr/sbin/devctl";

export type Action = "attach" | "release";

export interface Step {
  readonly addr: PciAddress;
  /** The device as it was before anything ran. */
  readonly before: PciDevice;
  readonly argv: readonly string[];
  /** kenv calls that run first (release of a device the environment's pptdevs names). */
  readonly kenv: readonly KenvChange[];
  /** The kenv calls that undo `kenv`, should the device stay on ppt. */
  readonly kenvUndo: readonly KenvChange[];
  /** devctl calls for when `argv` leaves the device on ppt (a driver ppt got by probing). */
  readonly fallback: readonly (readonly string[])[];
  /** kenv calls that run once the device moved (attach of a device pptctl released). */
  readonly kenvAfter: readonly KenvChange[];
}

export interface RuntimePlan {
  readonly action: Action;
  readonly steps: readonly Step[];
  readonly warnings: readonly string[];
  /** Devices already where the action puts them: nothing to move (with --persist, loader.conf only). */
  readonly already: readonly PciDevice[];
}

export function devctlArgv(action: Action, a: PciAddress): string[] {
  const dev = formatSelector(a);
  return action === "attach" ? [DEVCTL, "set", "driver", "-f", dev, "ppt"] : [DEVCTL, "clear", "driver", "-f", dev];
}

/** Who asks (assign --attach says so itself), the flag that lifts the host-device guards, and --persist. */
export interface Asker {
  readonly command: string;
  readonly flag: string;
  /** With --persist a device already where it should be still gets its loader.conf change. */
  readonly persist?: boolean;
}

/** Every refusal happens here, before devctl runs at all. Usage problems exit 2, host state 1. */
export function planRuntime(m: HostModel, action: Action, selectors: readonly Selector[], force: boolean, asker: Asker = { command: action, flag: "--force" }): RuntimePlan {
  if (selectors.length === 0) throw new PptError(`${action}: name at least one device, e.g. 'pptctl ${action} pci0:1:0:0'`);
  if (!m.pci.ok) throw new PptError(`${action}: cannot list PCI devices: ${m.pci.reason}`, 1);
  const devices = m.pci.value.devices;
  const picked: PciDevice[] = [];
  const already: PciDevice[] = [];
  for (const s of selectors) {
    const d = resolveOne(s, devices);
    if (picked.some((p) => sameAddr(p.addr, d.addr)) || already.some((p) => sameAddr(p.addr, d.addr))) continue;
    // Already where asked: nothing to do (exit 0, as assign does), or with --persist loader.conf only.
    const there = !isBridgeHeader(d) && (action === "attach" ? d.driver === "ppt" : d.driver !== "ppt");
    if (there) already.push(d);
    else picked.push(d);
  }
  if (picked.length === 0) return { action, steps: [], warnings: [], already };
  if (action === "attach") {
    if (isArm64(m)) throw new PptError(`attach: ${ARM64_NO_PASSTHROUGH}; nothing was moved`, 1);
    if (!m.kld.ok) throw new PptError(`attach: cannot tell whether vmm.ko is loaded (${m.kld.reason}); run as root`, 1);
    if (!hasModule(m.kld.value, "vmm.ko")) {
      throw new PptError("attach: vmm.ko is not loaded, so there is no ppt driver to attach to; load it with 'kldload vmm' (and add vmm_load=\"YES\" to /boot/loader.conf for pptdevs)", 1);
    }
  }
  for (const d of picked) {
    if (d.addr.domain !== 0) throw new PptError(`${action}: ${describe(d)} is in PCI domain ${d.addr.domain}; bhyve reaches only domain 0`);
    if (isBridgeHeader(d)) {
      // On 14.0 devctl detaches the bridge and every device behind it, then fails.
      throw new PptError(`${action}: ${describe(d)} is a bridge; ppt never claims bridges and devctl would detach everything behind it: name the devices behind it instead`);
    }
    const platform = platformFunction(d);
    if (platform && action === "attach") throw new PptError(`attach: ${describe(d)} is the ${platform[0]}: ${platform[1]}`);
  }
  const busy = inUseByRunningVm(m, picked);
  if (busy.length > 0) throw new PptError(`${action}: ${busy.join("; ")}; nothing was changed`, 1);
  const warnings: string[] = [];
  if (action === "attach") {
    const dangers = dangersOf(m, devices, picked.map((d) => d.addr), { display: true, when: "as soon as it moves" });
    if (dangers.length > 0 && !force) throw new PptError(`${asker.command}: ${dangers.join("; ")}; add ${asker.flag} if that is what you want`);
    warnings.push(...dangers.map((x) => `${asker.flag}: ${x}`));
    const listed = capsListed(devices);
    for (const d of picked) {
      const irq = interruptsOf(d, listed);
      if (irq === "none") warnings.push(`${describe(d)} ${NO_CAPS_WORDS}, even on ppt`);
      if (irq === "intx") warnings.push(`${describe(d)} ${intxWords()}`);
    }
  }
  // The environment as each step will find it: devices released together share its records.
  const kenv = new Map(m.kenv.ok ? m.kenv.value : []);
  const loaderRecords = new Map([...m.loader.effective].map(([name, a]) => [name, a.value]));
  const steps = picked.map((d): Step => {
    const argv = devctlArgv(action, d.addr);
    if (action === "attach") return { addr: d.addr, before: d, argv, kenv: [], kenvUndo: [], fallback: [], kenvAfter: reattachChanges(kenv, d.addr, loaderRecords) };
    const { changes, undo } = releaseChanges(kenv, d.addr);
    const dev = formatSelector(d.addr);
    const fallback = changes.length > 0 ? [[DEVCTL, "detach", dev], [DEVCTL, "attach", dev]] : [];
    return { addr: d.addr, before: d, argv, kenv: changes, kenvUndo: undo, fallback, kenvAfter: [] };
  });
  return { action, steps, warnings, already };
}

/**
 * What puts devices an attach moved back where they were, for a command that must change all or
 * nothing (assign --attach): the environment's records as they were, then `clear driver`, which
 * undoes the forced ppt and lets the host driver probe again.
 */
export function undoAttach(moved: readonly { step: Step; now: PciDevice }[], kenvBefore: ReadonlyMap<string, string>): { kenv: KenvChange[]; steps: Step[] } {
  const names = [...new Set(moved.flatMap((m) => m.step.kenvAfter.map((c) => c.name)))];
  const kenv = names.map((name) => ({ name, value: kenvBefore.get(name) ?? null }));
  const steps = moved.map(({ step, now }): Step => ({ addr: step.addr, before: now, argv: devctlArgv("release", step.addr), kenv: [], kenvUndo: [], fallback: [], kenvAfter: [] }));
  return { kenv, steps };
}

/**
 * An instance that holds (or may hold) one of these devices: a VM that runs or starts, one left
 * behind, one whose state is unknown, or one no readable config describes.
 */
function inUseByRunningVm(m: HostModel, picked: readonly PciDevice[]): string[] {
  const asg = assignmentsOf(m.vms);
  const out: string[] = [];
  for (const d of picked) {
    const words = holdersOf(m.vms, asg, d.addr).map((h) => holderWords(h, d.addr));
    for (const w of words) out.push(`${describe(d)}: ${w.text}: ${w.fix}`);
    if (words.length === 0 && m.vms.instances === null && asg.byDevice.has(addrKey(d.addr))) {
      out.push(`${describe(d)} is in the config of ${asg.byDevice.get(addrKey(d.addr))!.uses.map((u) => u.vm).join(", ")}, and /dev/vmm cannot be read to tell whether it runs`);
    }
  }
  return out;
}

export interface DevctlRun {
  readonly exit: number | null;
  readonly stderr: string;
  /** Null when devctl finished; the seconds waited when it was killed. */
  readonly timedOut: number | null;
}

export type Outcome =
  | { readonly kind: "done"; readonly after: PciDevice; readonly note: string | null }
  | { readonly kind: "failed"; readonly after: PciDevice | null; readonly why: string; readonly vanished: readonly PciDevice[] };

/**
 * What happened, from the listing after the call, matched by address. A devctl that failed but
 * whose change is visible counts as done (with a note); one that left devices missing that were
 * there before is failed with the vanished devices named, for the caller to restore.
 */
export function judge(action: Action, step: Step, run: DevctlRun, before: readonly PciDevice[], after: readonly PciDevice[]): Outcome {
  const now = after.find((d) => sameAddr(d.addr, step.addr)) ?? null;
  const vanished = before.filter((b) => !after.some((a) => sameAddr(a.addr, b.addr)));
  const wanted = now !== null && (action === "attach" ? now.driver === "ppt" : now.driver !== "ppt");
  const said = run.timedOut !== null ? `devctl did not finish within ${run.timedOut} s` : run.exit !== 0 ? `devctl failed (exit ${run.exit}${firstLine(run.stderr) ? `: ${firstLine(run.stderr)}` : ""})` : null;
  if (wanted && vanished.length === 0) return { kind: "done", after: now, note: said ? `${said}, yet pciconf shows the change` : null };
  const unchanged = now !== null && now.name === step.before.name;
  const where = now === null ? "" : now.driver === "none" ? "without a driver" : `on ${now.name}`;
  const state = now === null ? `${formatBhyve(step.addr)} is no longer on the bus` : `${formatBhyve(step.addr)} is ${unchanged ? "still " : "now "}${where}`;
  const lost = vanished.length > 0 ? `; ${vanished.length} device${vanished.length === 1 ? "" : "s"} vanished from pciconf (${vanished.slice(0, 4).map((d) => formatBhyve(d.addr)).join(", ")}${vanished.length > 4 ? ", …" : ""})` : "";
  return { kind: "failed", after: now, why: `${said ?? "devctl exited 0"}, and ${state}${lost}`, vanished };
}

/** `attached 2/0/1 (em2 → ppt2)` */
export function outcomeLine(action: Action, step: Step, o: Outcome): string {
  const verb = action === "attach" ? "attached" : "released";
  const before = step.before.driver === "none" ? "no driver" : step.before.name;
  if (o.kind === "done") return `${verb} ${formatBhyve(step.addr)} (${before} → ${o.after.driver === "none" ? "no driver" : o.after.name})`;
  return `failed ${formatBhyve(step.addr)} (${before}): ${o.why}`;
}

function firstLine(s: string): string {
  return s.split("\n").find((l) => l.trim() !== "")?.trim() ?? "";
}
