/**
 * Stand-ins for /usr/sbin/pciconf and /usr/sbin/devctl in a fake host tree, sharing one state
 * file so devctl changes what pciconf prints. devctl behaves as FreeBSD 14.0's did on a real
 * kernel (../shared/corpus/freebsd-14.0-qemu/devctl/):
 * - `set driver -f DEV ppt`: the device becomes the lowest free pptN; exit 0, silent.
 * - `clear driver -f DEV`: back to its host driver, exit 0; a device with no host driver becomes
 *   noneN again *and* devctl exits 1 "Device not configured"; a device without an override: no-op.
 * - a bridge: `set driver` detaches it and everything behind it, exit 1 "Device not configured";
 *   `clear driver` on the bridge's address brings them all back.
 * - unknown device: exit 1 "No such file or directory".
 * Per-device test switches: `busy` (exit 1 "Device busy", nothing changes), `vanish` (the device
 * drops off the bus and devctl fails), `hang` (devctl sleeps past any timeout), `hang-child`
 * (as hang, with a child process that keeps devctl's output pipes open).
 *
 * Usage: bun fake-devctl.ts STATE pciconf … | bun fake-devctl.ts STATE devctl …
 */
import { readFileSync, writeFileSync } from "node:fs";

export interface FakeDevice {
  addr: string;
  name: string;
  /** The host driver's unit name, or null when no driver attaches. */
  host: string | null;
  bridge: boolean;
  /** Address of the bridge this device sits behind. */
  behind: string | null;
  /** The header's rest and the -v/-c lines, as pciconf prints them. */
  rest: string;
  body: string[];
  gone?: boolean;
  fail?: "busy" | "vanish" | "hang" | "hang-child";
}

export interface FakeState {
  devices: FakeDevice[];
  log: string[];
}

const [statePath, tool, ...args] = process.argv.slice(2);
if (import.meta.main && statePath && tool) main(statePath, tool, args);

function main(statePath: string, tool: string, args: string[]): void {
  const state = JSON.parse(readFileSync(statePath, "utf8")) as FakeState;
  const save = () => writeFileSync(statePath, JSON.stringify(state));
  if (tool === "pciconf") {
    const out = state.devices.filter((d) => !d.gone).flatMap((d) => [`${d.name}@${d.addr}:\t${d.rest}`, ...d.body]);
    process.stdout.write(`${out.join("\n")}\n`);
    return;
  }
  state.log.push(args.join(" "));
  save();
  const [verb, what, flag, dev, driver] = args;
  const fail = (msg: string): never => {
    save();
    process.stderr.write(`devctl: ${msg}\n`);
    process.exit(1);
  };
  const find = (sel: string | undefined) => state.devices.find((d) => d.addr === sel || (!d.gone && d.name === sel));
  const lowest = (prefix: string) => {
    for (let n = 0; ; n++) if (!state.devices.some((d) => !d.gone && d.name === `${prefix}${n}`)) return `${prefix}${n}`;
  };
  if (what !== "driver" || flag !== "-f") fail("usage");
  const d = find(dev);
  if (verb === "set") {
    if (!d || d.gone) fail(`Failed to set ${dev} driver to ${driver}: No such file or directory`);
    if (d!.fail === "hang") Bun.sleepSync(60_000);
    // A child left holding devctl's output pipes: waiting for the pipes to close never ends.
    if (d!.fail === "hang-child") {
      Bun.spawn(["sleep", "60"], { stdin: "ignore", stdout: "inherit", stderr: "inherit" });
      Bun.sleepSync(60_000);
    }
    if (d!.fail === "busy") fail(`Failed to set ${dev} driver to ${driver}: Device busy`);
    if (d!.fail === "vanish") {
      d!.gone = true;
      fail(`Failed to set ${dev} driver to ${driver}: Device not configured`);
    }
    if (d!.bridge) {
      d!.name = lowest("ppt");
      for (const c of state.devices) if (c.behind === d!.addr) c.gone = true;
      fail(`Failed to set ${dev} driver to ${driver}: Device not configured`);
    }
    d!.name = lowest("ppt");
    save();
    return;
  }
  if (verb === "clear") {
    if (!d) fail(`Failed to clear ${dev} driver: No such file or directory`);
    if (d!.bridge) {
      d!.name = d!.host ?? lowest("none");
      for (const c of state.devices) if (c.behind === d!.addr) c.gone = false;
      save();
      return;
    }
    if (!d!.name.startsWith("ppt")) return save();
    if (d!.host === null) {
      d!.name = lowest("none");
      fail(`Failed to clear ${dev} driver: Device not configured`);
    }
    d!.name = d!.host!;
    save();
    return;
  }
  fail("usage");
}

/** The state of a real pciconf -lvc listing: every device as it is now. */
export function stateFromPciconf(text: string, behind: Record<string, string> = {}): FakeState {
  const devices: FakeDevice[] = [];
  for (const line of text.split("\n")) {
    const m = /^([a-z_]+\d*)@(pci\d+:\d+:\d+:\d+):\s+(.*)$/.exec(line);
    if (m) {
      const name = m[1]!;
      const bridge = /hdr=0x0[12]/.test(m[3]!);
      devices.push({ addr: m[2]!, name, host: name.startsWith("none") ? null : name, bridge, behind: behind[m[2]!] ?? null, rest: m[3]!, body: [] });
    } else if (line !== "" && devices.length > 0) devices[devices.length - 1]!.body.push(line);
  }
  return { devices, log: [] };
}
