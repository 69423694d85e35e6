import type { PciAddress } from "../pci/address.ts";
import { isSelectorError, parseSelector } from "../pci/selector.ts";

/** One entry of a VM's passthru list: `1/0/0`, `-1/0/1`, `2/0/0,rom=/path/gpu.rom,bootindex=1`. */
export interface PassthruEntry {
  readonly addr: PciAddress;
  /** `-` prefix: the device gets a guest slot of its own (Hoster's rule). */
  readonly ownSlot: boolean;
  /** bhyve passthru options after the address, as `key=value` strings, in order. */
  readonly options: readonly string[];
  /** `=S:F` after the address (vm-bhyve's syntax): this exact guest slot and function. */
  readonly pin: { readonly slot: number; readonly func: number } | null;
  readonly text: string;
}

const OPTION = /^[A-Za-z_][A-Za-z0-9_]*=[^\s,]+$/;

/**
 * `pptN` as the device: bhyve takes it (pci_passthru.c passthru_legacy_config, "ppt" prefix →
 * pptdev=, looked up by driver name and unit when bhyve starts) and vm-bhyve passes it through.
 * It names whatever device is pptN at that moment; `pptNames` says which that is now.
 */
const PPT_NAME = /^ppt\d+$/;

export function parsePassthruEntry(input: string, pptNames?: ReadonlyMap<string, PciAddress>): PassthruEntry | { error: string } {
  const text = input.trim();
  const bad = (why: string) => ({ error: `passthru entry '${input}': ${why}` });
  if (text === "") return bad("empty entry");
  const ownSlot = text.startsWith("-");
  const [first, ...options] = (ownSlot ? text.slice(1) : text).split(",") as [string, ...string[]];
  const eq = first.indexOf("=");
  const device = eq >= 0 ? first.slice(0, eq) : first;
  let pin: { slot: number; func: number } | null = null;
  // Stryker disable next-line EqualityOperator: a pin with no device before it ('=6:0') is refused as no address either way
  if (eq >= 0) {
    const spec = first.slice(eq + 1);
    const m = /^(\d{1,3})(?::(\d{1,3}))?$/.exec(spec);
    if (!m) return bad(`pin '=${spec}' is not =SLOT:FUNC (e.g. 0/2/0=2:0)`);
    const slot = Number(m[1]);
    const func = Number(m[2] ?? 0);
    if (slot === 0) return bad("guest slot 0 is the hostbridge; pin to another slot");
    if (slot === 31) return bad("guest slot 31 is the LPC bridge; pin to another slot");
    // Stryker disable next-line EqualityOperator: slot 31 was refused just above
    if (slot > 31) return bad(`guest slot ${slot} does not exist; slots are 1-30`);
    if (func > 7) return bad(`guest function ${func} does not exist; functions are 0-7`);
    pin = { slot, func };
  }
  if (PPT_NAME.test(device)) {
    if (!pptNames) return bad(`'${device}' names a device by its ppt unit, which only the host knows: give its B/S/F address (pciconf -l shows ${device}@pci0:B:S:F), or use --vm`);
    const at = pptNames.get(device);
    if (!at) return bad(`'${device}' names a device by its ppt unit, and no device is ${device} on this host now`);
    for (const o of options) if (!OPTION.test(o)) return bad(`option '${o}' is not key=value (e.g. rom=/path/gpu.rom, bootindex=1)`);
    return { addr: at, ownSlot, options, pin, text };
  }
  const sel = parseSelector(device);
  if (isSelectorError(sel) && / is above /.test(sel.error)) return bad(sel.error.replace(`selector '${device}': `, ""));
  if (isSelectorError(sel) || sel.kind !== "addr") {
    return bad(`'${device}' is not a device address; write B/S/F as pciconf shows it (1/0/0)`);
  }
  if (sel.addr.domain !== 0) {
    return bad(`domain ${sel.addr.domain}: bhyve passthru and pptdevs reach only PCI domain 0`);
  }
  for (const o of options) {
    if (!OPTION.test(o)) return bad(`option '${o}' is not key=value (e.g. rom=/path/gpu.rom, bootindex=1)`);
  }
  return { addr: sel.addr, ownSlot, options, pin, text };
}

/**
 * Splits operands into entries: `1/0/0 1/0/1`, `"1/0/0,1/0/1"`, and `1/0/0,rom=/x.rom,bootindex=1`
 * all work. A comma-separated piece that is a device address starts a new entry; anything else
 * is an option of the entry before it.
 */
export function splitEntries(operands: readonly string[]): string[] {
  const out: string[] = [];
  // Stryker disable next-line Regex: the empty words a split at each blank leaves are filtered out
  for (const word of operands.flatMap((o) => o.split(/\s+/)).filter((w) => w !== "")) {
    for (const piece of word.split(",")) {
      const looksLikeDevice = /^-?(\d+\/\d+\/\d+|pci\d+:\d+:\d+(:\d+)?:?|\d+:\d+:\d+(:\d+)?)(=[^,]*)?$/.test(piece);
      if (looksLikeDevice || out.length === 0) out.push(piece);
      else out[out.length - 1] += `,${piece}`;
    }
  }
  return out;
}

/** The ppt units of a listing (ppt0 → its address), for entries that name a device as pptN. */
export function pptUnits(devices: readonly { name: string; driver: string | null; addr: PciAddress }[]): Map<string, PciAddress> {
  return new Map(devices.filter((d) => d.driver === "ppt").map((d) => [d.name, d.addr]));
}
