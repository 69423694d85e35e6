/**
 * The running kernel's environment and ppt. ppt claims a device whenever the device is probed
 * and the environment's pptdevs, pptdevs2 or pptdevs3 names it: vmm_is_pptdev() reads them
 * with kern_getenv() at probe time (sys/amd64/vmm/vmm.c,
 * https://github.com/freebsd/freebsd-src/blob/main/sys/amd64/vmm/vmm.c). So a device the
 * loader reserved goes back to ppt on every probe until the environment stops naming it; and
 * `devctl clear driver` undoes only a driver forced with `set driver` (DEV_CLEAR_DRIVER returns
 * 0 at once without DF_FIXEDCLASS, sys/kern/subr_bus.c devctl2_ioctl,
 * https://github.com/freebsd/freebsd-src/blob/main/sys/kern/subr_bus.c), as a real 14.0 kernel
 * showed (../shared/corpus/freebsd-14.0-qemu-r2, A/39, D/05, E/05-E/10).
 *
 * release therefore takes the device out of the environment's records (and only it), clears a
 * forced driver, and when ppt still holds it detaches and attaches it: the probe then finds the
 * host driver, with no guess of the driver's name. The devices pptctl released this way are
 * kept in the environment too, under RELEASED, so doctor can tell a run-time release from a
 * reservation that is not yet applied; both go away at the next boot, as the release does.
 */
import { type PciAddress, formatBhyve, sameAddr } from "../pci/address.ts";
import { PPTDEVS_NAMES, checkPptdevsValue } from "../loader/pptdevs.ts";

export const KENV = "/bin/kenv";
/** Where pptctl notes the devices it released at run time. */
export const RELEASED = "pptctl.released";

/** One kenv(1) call: set NAME to a value, or unset it (null). */
export interface KenvChange {
  readonly name: string;
  readonly value: string | null;
}

export function kenvArgv(c: KenvChange): string[] {
  return c.value === null ? [KENV, "-u", c.name] : [KENV, `${c.name}=${c.value}`];
}

function entries(value: string | undefined): PciAddress[] {
  return checkPptdevsValue(value ?? "").entries as PciAddress[];
}

function tokens(value: string | undefined): string[] {
  return (value ?? "").split(/\s+/).filter((t) => t !== "");
}

/** Devices pptctl released at run time since the boot. */
export function releasedAtRuntime(kenv: ReadonlyMap<string, string>): PciAddress[] {
  return entries(kenv.get(RELEASED));
}

/** The records of the environment that name `a`. */
export function recordsNaming(kenv: ReadonlyMap<string, string>, a: PciAddress): string[] {
  return PPTDEVS_NAMES.filter((n) => entries(kenv.get(n)).some((e) => sameAddr(e, a)));
}

/**
 * The kenv calls that take `a` out of the environment's pptdevs records (the other entries
 * stay) and note it under RELEASED, and the calls that undo them. `kenv` is the environment as
 * it will be when these run; it is updated, so devices released together compose.
 */
export function releaseChanges(kenv: Map<string, string>, a: PciAddress): { changes: KenvChange[]; undo: KenvChange[] } {
  const changes: KenvChange[] = [];
  const undo: KenvChange[] = [];
  const b = formatBhyve(a);
  for (const name of recordsNaming(kenv, a)) {
    const old = kenv.get(name)!;
    const rest = tokens(old).filter((t) => !entries(t).some((e) => sameAddr(e, a)));
    changes.push({ name, value: rest.length > 0 ? rest.join(" ") : null });
    undo.push({ name, value: old });
  }
  if (changes.length === 0) return { changes, undo };
  const mark = kenv.get(RELEASED);
  changes.push({ name: RELEASED, value: [...tokens(mark), b].join(" ") });
  undo.push({ name: RELEASED, value: mark ?? null });
  for (const c of changes) apply(kenv, c);
  return { changes, undo: undo.reverse() };
}

/**
 * After a device pptctl released is attached again: it leaves RELEASED, and goes back into the
 * environment record loader.conf puts it in, so the running kernel says what loader.conf says.
 */
export function reattachChanges(kenv: Map<string, string>, a: PciAddress, loaderRecords: ReadonlyMap<string, string>): KenvChange[] {
  if (!releasedAtRuntime(kenv).some((e) => sameAddr(e, a))) return reserveChanges(kenv, a, loaderRecords);
  return [...unmarkChanges(kenv, [a]), ...reserveChanges(kenv, a, loaderRecords)];
}

/**
 * A device on ppt that loader.conf reserves (the records given) goes into the environment record
 * loader.conf puts it in, when no record names it yet: an attach (--persist) then needs no
 * reboot to be in effect, and doctor's reboot check has nothing to report.
 */
export function reserveChanges(kenv: Map<string, string>, a: PciAddress, loaderRecords: ReadonlyMap<string, string>): KenvChange[] {
  if (recordsNaming(kenv, a).length > 0) return [];
  const name = PPTDEVS_NAMES.find((n) => entries(loaderRecords.get(n)).some((e) => sameAddr(e, a)));
  if (!name) return [];
  const change = { name, value: [...tokens(kenv.get(name)), formatBhyve(a)].join(" ") };
  apply(kenv, change);
  return [change];
}

/** Devices leave RELEASED: loader.conf no longer reserves them (release --persist), or they are back on ppt. */
export function unmarkChanges(kenv: Map<string, string>, addrs: readonly PciAddress[]): KenvChange[] {
  const marked = tokens(kenv.get(RELEASED));
  const rest = marked.filter((t) => !entries(t).some((e) => addrs.some((a) => sameAddr(e, a))));
  if (rest.length === marked.length) return [];
  const change = { name: RELEASED, value: rest.length > 0 ? rest.join(" ") : null };
  apply(kenv, change);
  return [change];
}

/**
 * Once loader.conf is written (attach/release --persist): an attached device goes into the
 * environment record the new loader.conf puts it in; a released one leaves RELEASED, since
 * loader.conf no longer reserves it and the next boot gives it to its host driver anyway.
 */
export function persistChanges(action: "attach" | "release", kenv: Map<string, string>, addrs: readonly PciAddress[], records: ReadonlyMap<string, string>): KenvChange[] {
  return action === "attach" ? addrs.flatMap((a) => reserveChanges(kenv, a, records)) : unmarkChanges(kenv, addrs);
}

/** The environment once these calls ran. */
export function applied(kenv: ReadonlyMap<string, string>, changes: readonly KenvChange[]): Map<string, string> {
  const out = new Map(kenv);
  for (const c of changes) apply(out, c);
  return out;
}

function apply(kenv: Map<string, string>, c: KenvChange): void {
  if (c.value === null) kenv.delete(c.name);
  else kenv.set(c.name, c.value);
}
