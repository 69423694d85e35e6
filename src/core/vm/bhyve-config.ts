/**
 * bhyve configuration files (`bhyve -k FILE`, bhyve_config(5)), read the way bhyve reads them:
 * usr.sbin/bhyve/bhyverun.c parse_simple_config_file skips a line that starts with `#` or is
 * empty, and every other line must be `name=value` with a value (else bhyve exits: "invalid
 * config option"); the name is everything before the first `=`, nothing is trimmed, and a later
 * line replaces an earlier one (config.c set_config_value).
 * A passthru device is the node pci.B.S.F (guest bus, slot, function) with device=passthru and
 * either bus/slot/func of the host device or pptdev=pptN, and optionally rom=FILE
 * (usr.sbin/bhyve/pci_passthru.c passthru_init). Wired memory is memory.wired, a boolean that
 * bhyve reads as true/on/yes/1 or false/off/no/0 (config.c _bool_value).
 * https://man.freebsd.org/cgi/man.cgi?query=bhyve_config&sektion=5
 * Pure: byte strings in and out.
 */
import { type PciAddress, addr, formatBhyve, sameAddr } from "../pci/address.ts";

export interface ConfigSetting {
  readonly value: string;
  /** 1-based line of the line that won. */
  readonly line: number;
}

export interface ConfigPassthru {
  /** The guest position pci.BUS.SLOT.FUNC. */
  readonly guest: { readonly bus: number; readonly slot: number; readonly func: number };
  /** The host device: from bus/slot/func, or the ppt name of pptdev= (resolved by the caller). */
  readonly host: PciAddress | null;
  readonly pptdev: string | null;
  readonly rom: string | null;
}

export interface BhyveConfig {
  readonly settings: ReadonlyMap<string, ConfigSetting>;
  readonly passthru: readonly ConfigPassthru[];
  /** Guest slots of bus 0 that hold a device of any kind. */
  readonly usedSlots: ReadonlySet<number>;
  /** memory.wired as bhyve reads it; null when not set. */
  readonly wired: boolean | null;
}

const WIRED = "memory.wired=true";
// Stryker disable next-line Regex: the lines come from a split after each "\n", so one can only be at the end
const bare = (line: string) => line.replace(/\n$/, "");

/** bhyve finds nodes by names it prints with %d (pci_emul.c init_pci): pci.00.6.0 is never read. */
const NUM = "(0|[1-9]\\d*)";
const NODE = new RegExp(`^pci\\.${NUM}\\.${NUM}\\.${NUM}\\.([^.]+)$`);
const NODE_LINE = new RegExp(`^pci\\.${NUM}\\.${NUM}\\.${NUM}\\.`);
const TRUE = /^(true|on|yes)$/i;
const FALSE = /^(false|off|no)$/i;

export function parseBhyveConfig(text: string): BhyveConfig | { error: string } {
  const settings = new Map<string, ConfigSetting>();
  // The empty piece after a final "\n" is skipped like any empty line (getline's last line).
  for (const [i, line] of text.split("\n").entries()) {
    if (line === "" || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    // The line itself is not quoted: a path given by mistake (or a link to a secret file) must not be printed.
    if (eq < 0 || eq === line.length - 1) return { error: `line ${i + 1} is not name=value with a value (not a bhyve configuration file?); bhyve stops at it with "invalid config option"` };
    if (line.endsWith("\r")) return { error: `line ${i + 1} ends in a carriage return (a DOS line ending), which bhyve keeps in the value: save the file with Unix line endings` };
    settings.set(line.slice(0, eq), { value: line.slice(eq + 1), line: i + 1 });
  }
  const nodes = new Map<string, Map<string, string>>();
  const usedSlots = new Set<number>();
  for (const [name, { value }] of settings) {
    const m = NODE.exec(name);
    if (!m) continue;
    const key = `${m[1]}.${m[2]}.${m[3]}`;
    const node = nodes.get(key) ?? new Map<string, string>();
    node.set(m[4]!, value);
    nodes.set(key, node);
    if (Number(m[1]) === 0) usedSlots.add(Number(m[2]));
  }
  const passthru: ConfigPassthru[] = [];
  for (const [key, node] of nodes) {
    if (node.get("device") !== "passthru") continue;
    const [bus = 0, slot = 0, func = 0] = key.split(".").map(Number);
    const guest = { bus, slot, func };
    const where = `pci.${key}`;
    const pptdev = node.get("pptdev") ?? null;
    let host: PciAddress | null = null;
    if (pptdev === null) {
      // Stryker disable next-line StringLiteral: no stand-in text for a missing setting is a number
      const parts = ["bus", "slot", "func"].map((k) => node.get(k) ?? "");
      if (parts.some((p) => !/^\d+$/.test(p))) {
        return { error: `${where} is a passthru device without a plain bus, slot and func (bhyve needs ${where}.bus, .slot and .func as numbers, or .pptdev)` };
      }
      const [b, s, f] = parts.map(Number) as [number, number, number];
      host = addr(b, s, f);
    }
    passthru.push({ guest, host, pptdev, rom: node.get("rom") ?? null });
  }
  const wiredSetting = settings.get("memory.wired");
  let wired: boolean | null = null;
  if (wiredSetting) {
    const v = wiredSetting.value;
    if (TRUE.test(v) || v === "1") wired = true;
    else if (FALSE.test(v) || v === "0") wired = false;
    else return { error: `line ${wiredSetting.line}: memory.wired=${v} is not a boolean bhyve reads (true or false)` };
  }
  return { settings, passthru, usedSlots, wired };
}

/**
 * The comment pptctl writes above a memory.wired=true it adds, so that unassign of the last
 * passthru device takes both out again and the file is as it was before assign.
 */
export const WIRED_MARK = "# memory.wired=true below: added by pptctl assign for passthru; unassign of the last passthru device removes it";

/** Appends lines (slotConfig's) at the end of the file; a file without a final newline keeps none. */
export function appendConfigLines(text: string, lines: readonly string[]): string {
  if (text !== "" && !text.endsWith("\n")) return `${text}\n${lines.join("\n")}`;
  return `${text}${lines.map((l) => `${l}\n`).join("")}`;
}

/** Drops every line of the passthru nodes that hold these host devices. */
export function removeConfigDevices(
  text: string,
  config: BhyveConfig,
  hosts: readonly PciAddress[],
  resolve: (pptdev: string) => PciAddress | null,
): { text: string; removed: string[]; nodes: { guest: ConfigPassthru["guest"]; host: PciAddress }[] } {
  const gone = config.passthru.flatMap((p) => {
    const h = p.host ?? (p.pptdev ? resolve(p.pptdev) : null);
    return h !== null && hosts.some((a) => sameAddr(a, h)) ? [{ ...p, host: h }] : [];
  });
  const prefixes = gone.map((p) => `pci.${p.guest.bus}.${p.guest.slot}.${p.guest.func}.`);
  // parseBhyveConfig refuses a CR at a line's end, so every line here ends in "\n" or nothing.
  const lines = text.split(/(?<=\n)/);
  const last = gone.length === config.passthru.length;
  const kept = lines.filter((line, i) => {
    const m = NODE_LINE.exec(line);
    if (m && prefixes.includes(m[0])) return false;
    // The wired memory assign added goes with the last passthru device, and its comment with it.
    // Stryker disable next-line StringLiteral: no stand-in text for a missing line is the setting or the mark
    if (last && bare(line) === WIRED_MARK && bare(lines[i + 1] ?? "") === WIRED) return false;
    // Stryker disable next-line StringLiteral: no stand-in text for a missing line is the setting or the mark
    if (last && bare(line) === WIRED && bare(lines[i - 1] ?? "") === WIRED_MARK) return false;
    return true;
  });
  // The file's last line had no newline: the last line kept has none either.
  if (kept.length > 0 && !lines.at(-1)!.endsWith("\n")) kept[kept.length - 1] = bare(kept.at(-1)!);
  const removed = gone.map((p) => `pci.${p.guest.bus}.${p.guest.slot}.${p.guest.func} (${formatBhyve(p.host)})`);
  return { text: kept.join(""), removed, nodes: gone.map((p) => ({ guest: p.guest, host: p.host })) };
}
