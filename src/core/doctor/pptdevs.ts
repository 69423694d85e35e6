import { formatBhyve, sameAddr } from "../pci/address.ts";
import { type PciDevice, capsListed, isBridgeHeader, leftBehind, looksWedged } from "../pci/device.ts";
import type { HostModel } from "../model/model.ts";
import { platformFunction } from "../pci/platform.ts";
import { interruptsOf, intxWords } from "../knowledge/interrupts.ts";
import { type PptdevsConfig, kenvPptdevs, removeCommand, replaceCommand } from "../loader/pptdevs-config.ts";
import { releasedAtRuntime } from "../runtime/kenv.ts";
import { PPTDEVS_NAMES } from "../loader/pptdevs.ts";
import { type Check, check } from "./types.ts";

const list = (items: readonly string[]) => listSome(items);

/** At most `max` items, then how many more. */
export function listSome(items: readonly string[], max = 4): string {
  return items.length <= max ? items.join(", ") : `${items.slice(0, max).join(", ")} and ${items.length - max} more`;
}

export function syntaxCheck(cfg: PptdevsConfig, loaderUnknown: readonly string[]): Check {
  const area = "pptdevs";
  if (loaderUnknown.length > 0) {
    // Not knowing a file is not the same as it saying nothing.
    const known = cfg.records.length > 0 ? `${cfg.entries.length} entr${cfg.entries.length === 1 ? "y" : "ies"} in ${cfg.records.map((r) => r.name).join(" + ")}, but ` : "";
    return check("pptdevs-syntax", area, "unknown", `${known}cannot read ${loaderUnknown.join(", ")}, which the loader also reads`, "run pptctl doctor as root, or capture the host again with 'pptctl capture DIR'");
  }
  if (cfg.errors.length > 0) return check("pptdevs-syntax", area, "fail", cfg.errors.join("; "), syntaxFix(cfg));
  if (cfg.records.length === 0) return check("pptdevs-syntax", area, "skip", "no pptdevs configured in the loader.conf family");
  const names = cfg.records.map((r) => r.name).join(" + ");
  if (cfg.warnings.length > 0) return check("pptdevs-syntax", area, "warn", cfg.warnings.join("; "), "run 'pptctl plan --write' to rewrite the records cleanly");
  return check("pptdevs-syntax", area, "pass", `${cfg.entries.length} entr${cfg.entries.length === 1 ? "y" : "ies"} in ${names}, well-formed, within 128 characters`);
}

/** A fix that works for what is wrong: plan refuses to merge with lines the loader cannot read. */
function syntaxFix(cfg: PptdevsConfig): string {
  const fixes: string[] = [];
  if (cfg.unreadable.some((u) => PPTDEVS_NAMES.includes(u.name as (typeof PPTDEVS_NAMES)[number]))) {
    fixes.push(`rewrite the list as the loader reads it with '${replaceCommand(cfg)}'`);
  } else if (cfg.valueErrors > 0) fixes.push("'pptctl plan --write' rewrites the records correctly");
  if (cfg.ignored.length > 0) {
    const lines = cfg.ignored.map((i) => `${i.name} at ${i.file}:${i.line}`).join(", ");
    fixes.push(`delete ${lines}, which the kernel never reads, and give ${cfg.ignored.length === 1 ? "its" : "their"} devices to 'pptctl plan B/S/F… --write'`);
  }
  return fixes.length > 0 ? fixes.join("; ") : "fix the lines named above";
}

/** The dependent checks cannot say "no entries" when the loader files were not read. */
function unknownConfig(id: string, area: string, m: HostModel, cfg: PptdevsConfig): Check | null {
  if (m.loaderUnknown.length === 0 || cfg.entries.length > 0) return null;
  return check(id, area, "unknown", `the pptdevs entries are unknown: cannot read ${m.loaderUnknown.join(", ")}`, "run pptctl doctor as root, or capture the host again with 'pptctl capture DIR'");
}

export function boundCheck(m: HostModel, cfg: PptdevsConfig): Check {
  const area = "ppt binding";
  const unknown = unknownConfig("pptdevs-bound", area, m, cfg);
  if (unknown) return unknown;
  if (cfg.entries.length === 0) return check("pptdevs-bound", area, "skip", "no pptdevs entries");
  if (!m.pci.ok) return check("pptdevs-bound", area, "unknown", `cannot list PCI devices: ${m.pci.reason}`, "run 'pciconf -lvc' by hand");
  const devices = m.pci.value.devices;
  const applied = m.kenv.ok ? kenvPptdevs(m.kenv.value) : null;
  // Stryker disable next-line ArrayDeclaration: what stands in for an unknown kenv is only compared with addresses, and a string equals none (its key is NaN)
  const released = m.kenv.ok ? releasedAtRuntime(m.kenv.value) : [];
  const freed: string[] = [];
  const fails: string[] = [];
  /** Entries on the bus with a host driver (movable now), and entries that are not on the bus at all. */
  const onHost: string[] = [];
  const gone: string[] = [];
  const pending: string[] = [];
  const attached: string[] = [];
  const bridges: string[] = [];
  for (const a of cfg.entries) {
    const b = formatBhyve(a);
    const d = devices.find((x) => sameAddr(x.addr, a));
    // Bridges are reported by their own check, and never count as attached.
    if (d && isBridgeHeader(d)) {
      bridges.push(b);
      continue;
    }
    if (d?.driver === "ppt") {
      attached.push(b);
      continue;
    }
    if (d && released.some((x) => sameAddr(x, a))) {
      freed.push(`${b} (${d.driver === "none" ? "no driver" : d.name})`);
      continue;
    }
    const notYet = applied !== null && !applied.some((x) => sameAddr(x, a));
    const what = d ? (d.driver === "none" ? `${b} has no driver` : `${b} is still ${d.name}`) : `${b} is not on the PCI bus`;
    if (notYet && d) pending.push(what);
    else {
      fails.push(what);
      (d ? onHost : gone).push(b);
    }
  }
  const pptCount = devices.filter((d) => d.driver === "ppt").length;
  const sysctl = m.vmm.ok ? m.vmm.value.get("hw.vmm.ppt.devices") : undefined;
  if (fails.length > 0) {
    // The same two commands doctor gives everywhere; each works for the state it is given for.
    const fixes = [
      ...(onHost.length > 0 ? [`move ${onHost.length === 1 ? "it" : "them"} to ppt now with 'pptctl attach ${onHost.join(" ")} --persist' (nothing on the host may be using ${onHost.length === 1 ? "it" : "them"})`] : []),
      ...(gone.length > 0 ? [`take what is not on the bus out of pptdevs with '${removeCommand(gone)}'`] : []),
    ];
    return check("pptdevs-bound", area, "fail", list(fails), fixes.join("; "));
  }
  if (pending.length > 0) return check("pptdevs-bound", area, "warn", `${list(pending)} (configured, not yet applied)`, "reboot to apply pptdevs");
  if (freed.length > 0) {
    const sels = freed.map((f) => f.split(" ")[0]).join(" ");
    return check(
      "pptdevs-bound",
      area,
      "warn",
      `${list(freed)} ${freed.length === 1 ? "was" : "were"} released at run time with 'pptctl release': on the host until the next boot, which reserves ${freed.length === 1 ? "it" : "them"} again`,
      `give ${freed.length === 1 ? "it" : "them"} back to ppt with 'pptctl attach ${sels} --persist', or keep ${freed.length === 1 ? "it" : "them"} on the host for good with 'pptctl release ${sels} --persist'`,
    );
  }
  if (sysctl !== undefined && Number(sysctl) !== pptCount) {
    return check("pptdevs-bound", area, "warn", `pciconf shows ${pptCount} ppt device${pptCount === 1 ? "" : "s"} but hw.vmm.ppt.devices is ${sysctl}`, "run 'pptctl list' to compare; a reboot re-reads pptdevs");
  }
  if (attached.length === 0) return check("pptdevs-bound", area, "skip", `no entries other than bridges (${list(bridges)}; see bridges)`);
  const all =
    bridges.length === 0 && attached.length > 1
      ? `all ${attached.length} entries are`
      : `${attached.length} entr${attached.length === 1 ? "y" : "ies"} (${list(attached)}) ${attached.length === 1 ? "is" : "are"}`;
  const also = bridges.length === 0 ? "" : `; ${list(bridges)} ${bridges.length === 1 ? "is a bridge" : "are bridges"} (see bridges)`;
  return check("pptdevs-bound", area, "pass", `${all} attached to ppt${also}`);
}

export function msiCheck(m: HostModel): Check {
  const area = "MSI/MSI-X";
  if (!m.pci.ok) return check("ppt-msi", area, "unknown", `cannot list PCI devices: ${m.pci.reason}`, "run 'pciconf -lvc' by hand");
  const ppt = m.pci.value.devices.filter((d) => d.driver === "ppt");
  if (ppt.length === 0) return check("ppt-msi", area, "skip", "no ppt devices");
  const listed = capsListed(m.pci.value.devices);
  const wedged = ppt.filter((d) => looksWedged(d));
  const sound = ppt.filter((d) => !looksWedged(d));
  const none = sound.filter((d) => interruptsOf(d, listed) === "none");
  const intx = sound.filter((d) => interruptsOf(d, listed) === "intx");
  const named = (d: PciDevice) => `${d.name} (${formatBhyve(d.addr)})`;
  if (none.length > 0) {
    const sels = none.map((d) => formatBhyve(d.addr)).join(" ");
    return check("ppt-msi", area, "fail", `${list(none.map(named))} ${none.length === 1 ? "has" : "have"} neither MSI nor MSI-X and no PCI capability list at all, so bhyve cannot offer a guest an MSI capability for ${none.length === 1 ? "it" : "them"} and refuses ${none.length === 1 ? "it" : "them"} ('failed to initialize MSI')`, `give ${none.length === 1 ? "it" : "them"} back to the host for good with 'pptctl release ${sels} --persist', and pass another device`);
  }
  if (wedged.length > 0) {
    return check("ppt-msi", area, "warn", list(wedged.map((d) => `${d.name} (${formatBhyve(d.addr)}) reads all ones: the device may be wedged`)), "reset it with a reboot; if it stays so, reseat or replace the card");
  }
  if (intx.length > 0) {
    return check("ppt-msi", area, "warn", `${list(intx.map(named))} ${intxWords(intx.length)}`, "fine for a device that needs one interrupt; for one that needs more, pass a device with MSI or MSI-X");
  }
  if (!listed) return check("ppt-msi", area, "unknown", "the PCI listing has no capability lines (made without pciconf -c)", "run 'pciconf -lvc' by hand, or capture the host again");
  return check("ppt-msi", area, "pass", `every ppt device has MSI or MSI-X (${ppt.map((d) => d.name).join(", ")})`);
}

export function bridgeCheck(m: HostModel, cfg: PptdevsConfig): Check {
  const area = "bridges";
  const unknown = unknownConfig("ppt-bridge", area, m, cfg);
  if (unknown) return unknown;
  if (cfg.entries.length === 0) return check("ppt-bridge", area, "skip", "no pptdevs entries");
  if (!m.pci.ok) return check("ppt-bridge", area, "unknown", `cannot list PCI devices: ${m.pci.reason}`, "run 'pciconf -lvc' by hand");
  const devices = m.pci.value.devices;
  const listed = cfg.entries.map((a) => devices.find((d) => sameAddr(d.addr, a))).filter((d): d is PciDevice => d !== undefined);
  const bridges = listed.filter(isBridgeHeader);
  // The chipset's own functions have type 0 headers, so ppt does claim them; plan and attach refuse them.
  const platform = listed.flatMap((d) => {
    const p = isBridgeHeader(d) ? null : platformFunction(d);
    return p ? [{ d, text: `${formatBhyve(d.addr)} is the ${p[0]} (${d.name}): ${p[1]}` }] : [];
  });
  if (bridges.length === 0 && platform.length === 0) return check("ppt-bridge", area, "pass", "no bridges in pptdevs");
  // Both kinds in one failure, so that one run of doctor names every entry to take out, and one
  // command takes out every entry that is not on ppt.
  // A bridge has a header type (isBridgeHeader).
  const named = (d: PciDevice) => `${formatBhyve(d.addr)} is a bridge (${d.name}, header type 0x${d.hdr!.toString(16).padStart(2, "0")})`;
  const problems = [...(bridges.length > 0 ? [`${list(bridges.map(named))}: ppt never claims bridges`] : []), ...platform.map((x) => x.text)];
  const onPpt = platform.some((x) => x.d.driver === "ppt");
  const released = onPpt ? platform.map((x) => formatBhyve(x.d.addr)) : [];
  const removed = [...bridges, ...(onPpt ? [] : platform.map((x) => x.d))].map((d) => formatBhyve(d.addr));
  const them = (n: number) => (n === 1 ? "it" : "them");
  const behind = removed.length === bridges.length ? them(bridges.length) : bridges.length === 1 ? "the bridge" : "the bridges";
  const fixes = [
    ...(removed.length > 0 ? [`take ${them(removed.length)} out of pptdevs with '${removeCommand(removed)}'${bridges.length > 0 ? `, and reserve the devices behind ${behind} instead` : ""}`] : []),
    ...(released.length > 0 ? [`give ${them(released.length)} back to the host for good with 'pptctl release ${released.join(" ")} --persist'`] : []),
  ];
  return check("ppt-bridge", area, "fail", problems.join("; "), fixes.join("; "));
}

export function siblingsCheck(m: HostModel, cfg: PptdevsConfig): Check {
  const area = "functions";
  const unknown = unknownConfig("siblings", area, m, cfg);
  if (unknown) return unknown;
  if (cfg.entries.length === 0) return check("siblings", area, "skip", "no pptdevs entries");
  if (!m.pci.ok) return check("siblings", area, "unknown", `cannot list PCI devices: ${m.pci.reason}`, "run 'pciconf -lvc' by hand");
  const left = leftBehind(m.pci.value.devices, cfg.entries);
  if (left.length > 0) {
    const add = left.map((d) => formatBhyve(d.addr));
    return check("siblings", area, "warn", `${list(left.map((d) => `${d.name} (${formatBhyve(d.addr)}${d.driver === "none" ? ", no driver" : ""})`))} stay${left.length === 1 ? "s" : ""} out of pptdevs beside reserved functions of the same device: the guest gets only part of it`, `add ${add.join(" ")} with 'pptctl plan ${add.join(" ")} --write' so the guest gets the whole device`);
  }
  return check("siblings", area, "pass", "every reserved device is passed whole");
}
