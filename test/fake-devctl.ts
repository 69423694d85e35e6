/**
 * Stand-ins for /usr/sbin/pciconf, /usr/sbin/devctl and /bin/kenv in a fake host tree, sharing
 * one state file so devctl and kenv change what pciconf prints. They behave as FreeBSD 14.0's
 * did on a real kernel (../shared/corpus/freebsd-14.0-qemu/devctl/ and
 * ../shared/corpus/freebsd-14.0-qemu-r2/, folders A, D and E):
 * - a device's driver is either forced (`devctl set driver`, a fixed devclass) or probed; probing
 *   gives ppt to a device the kernel environment's pptdevs/pptdevs2/pptdevs3 names (ppt_probe
 *   returns 0 for vmm_is_pptdev(), which reads the environment), else its host driver, else none;
 * - `set driver -f DEV X`: forces X and re-probes; silent, exit 0 (em needs no name guess: the
 *   lowest free unit, em2 beside em0 and em1, as on the real kernel);
 * - `clear driver -f DEV`: only undoes a forced driver and re-probes; on a probed device it does
 *   nothing and exits 0 (A/39, D/05); a device left with no driver makes it exit 1 "Device not
 *   configured" although it was released;
 * - `detach DEV` leaves it without a driver; `attach DEV` probes it (E/08, E/09);
 * - a bridge: `set driver` detaches it and everything behind it, exit 1 "Device not configured";
 *   `clear driver` on the bridge brings them all back;
 * - `kenv` prints the environment, `kenv NAME=VALUE` sets, `kenv -u NAME` unsets.
 * Per-device test switches: `busy` (exit 1 "Device busy", nothing changes), `vanish` (the device
 * drops off the bus and devctl fails), `hang` (devctl sleeps past any timeout), `hang-child`
 * (as hang, with a child process that keeps devctl's output pipes open), `slow` (set driver
 * sleeps FAKE_DEVCTL_SLOW_MS, default 2.5 s, then moves the device).
 *
 * Usage: bun fake-devctl.ts STATE pciconf|devctl|kenv ARGS…
 */
import { readFileSync, writeFileSync } from "node:fs";

export interface FakeDevice {
  addr: string;
  name: string;
  /** The host driver's unit name, or null when no driver attaches. */
  host: string | null;
  /** A driver set with `devctl set driver` (a fixed devclass), else null. */
  forced: string | null;
  bridge: boolean;
  /** Address of the bridge this device sits behind. */
  behind: string | null;
  /** The header's rest and the -v/-c lines, as pciconf prints them. */
  rest: string;
  body: string[];
  gone?: boolean;
  fail?: "busy" | "vanish" | "hang" | "hang-child" | "slow";
}

export interface FakeState {
  devices: FakeDevice[];
  log: string[];
  kenv: Record<string, string>;
  /** vmm.ko loaded: the ppt driver exists. */
  vmm: boolean;
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
  if (tool === "kenv") return kenv(state, args, save);
  // `sysctl hw.vmm` as recorded, with hw.vmm.ppt.devices counting the ppt devices now (ppt.c
  // keeps num_pptdevs: ppt_attach adds one, ppt_detach takes one away).
  if (tool === "sysctl-vmm") {
    const n = state.devices.filter((d) => !d.gone && d.name.startsWith("ppt")).length;
    process.stdout.write(readFileSync(args[0]!, "utf8").replace(/^hw\.vmm\.ppt\.devices: \d+$/m, `hw.vmm.ppt.devices: ${n}`));
    return;
  }
  state.log.push(args.join(" "));
  save();
  const fail = (msg: string): never => {
    save();
    process.stderr.write(`devctl: ${msg}\n`);
    process.exit(1);
  };
  const lowest = (prefix: string) => {
    for (let n = 0; ; n++) if (!state.devices.some((d) => !d.gone && d.name === `${prefix}${n}`)) return `${prefix}${n}`;
  };
  const named = (d: FakeDevice) => {
    const bsf = d.addr.replace(/^pci\d+:/, "").replaceAll(":", "/");
    return ["pptdevs", "pptdevs2", "pptdevs3"].some((k) => (state.kenv[k] ?? "").split(/\s+/).includes(bsf));
  };
  /** The driver a probe gives the device now; null: none attaches (ENXIO). */
  const probe = (d: FakeDevice): string | null => {
    const hostDriver = d.host?.replace(/\d+$/, "") ?? null;
    if (d.forced === "ppt") return state.vmm ? "ppt" : null;
    if (d.forced !== null) return d.forced === hostDriver ? hostDriver : null;
    if (state.vmm && !d.bridge && named(d)) return "ppt";
    return hostDriver;
  };
  const attachNow = (d: FakeDevice): boolean => {
    d.name = "detached";
    const driver = probe(d);
    // Its old unit when that is free (em1 comes back as em1), else the lowest free one.
    const own = d.host !== null && /\d$/.test(d.host) && driver === d.host.replace(/\d+$/, "") && !state.devices.some((x) => x !== d && !x.gone && x.name === d.host);
    d.name = driver === null ? lowest("none") : own ? d.host! : lowest(driver);
    return driver !== null;
  };
  const find = (sel: string | undefined) => state.devices.find((d) => d.addr === sel || (!d.gone && d.name === sel));
  const [verb, ...rest] = args;
  if (verb === "set" || verb === "clear") {
    const [what, flag, dev, driver] = rest;
    if (what !== "driver" || flag !== "-f") fail("usage");
    const d = find(dev);
    if (verb === "set") {
      if (!d || d.gone) fail(`Failed to set ${dev} driver to ${driver}: No such file or directory`);
      if (d!.fail === "hang") Bun.sleepSync(60_000);
      // A driver that takes its time to let go (em(4) took 46-55 s on 14.0), then moves.
      if (d!.fail === "slow") Bun.sleepSync(Number(process.env.FAKE_DEVCTL_SLOW_MS ?? 2500));
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
      d!.forced = driver ?? null;
      if (!attachNow(d!)) fail(`Failed to set ${dev} driver to ${driver}: Device not configured`);
      return save();
    }
    if (!d) fail(`Failed to clear ${dev} driver: No such file or directory`);
    if (d!.bridge) {
      d!.name = d!.host ?? lowest("none");
      for (const c of state.devices) if (c.behind === d!.addr) c.gone = false;
      return save();
    }
    // Only a forced driver is undone; a probed one (pptdevs at boot) stays: exit 0, no change.
    if (d!.forced === null) return save();
    d!.forced = null;
    if (!attachNow(d!)) fail(`Failed to clear ${dev} driver: Device not configured`);
    return save();
  }
  if (verb === "detach" || verb === "attach") {
    const dev = rest.at(-1);
    const d = find(dev);
    if (!d || d.gone) fail(`Failed to ${verb} ${dev}: No such file or directory`);
    if (d!.fail === "busy") fail(`Failed to ${verb} ${dev}: Device busy`);
    if (verb === "detach") {
      d!.name = lowest("none");
      return save();
    }
    if (!d!.name.startsWith("none")) fail(`Failed to attach ${dev}: Device busy`);
    if (!attachNow(d!)) fail(`Failed to attach ${dev}: Device not configured`);
    return save();
  }
  fail("usage");
}

function kenv(state: FakeState, args: string[], save: () => void): void {
  if (args.length === 0) {
    process.stdout.write(Object.entries(state.kenv).map(([k, v]) => `${k}="${v}"\n`).join(""));
    return;
  }
  state.log.push(`kenv ${args.join(" ")}`);
  if (args[0] === "-u") {
    const name = args[1] ?? "";
    if (!(name in state.kenv)) {
      save();
      process.stderr.write(`kenv: unable to unset ${name}\n`);
      process.exit(1);
    }
    delete state.kenv[name];
    return save();
  }
  const eq = (args[0] ?? "").indexOf("=");
  if (eq < 0) {
    const v = state.kenv[args[0] ?? ""];
    if (v === undefined) {
      process.stderr.write(`kenv: unable to get ${args[0]}\n`);
      process.exit(1);
    }
    process.stdout.write(`${v}\n`);
    return;
  }
  state.kenv[args[0]!.slice(0, eq)] = args[0]!.slice(eq + 1);
  process.stdout.write(`${args[0]!.slice(0, eq)}="${args[0]!.slice(eq + 1)}"\n`);
  save();
}

/**
 * The state as a boot with this kernel environment leaves it: every device the environment's
 * pptdevs names goes to ppt (its host driver kept for later), in bus order as the kernel probes.
 */
export function boot(state: FakeState, kenv: Record<string, string>): FakeState {
  state.kenv = { ...state.kenv, ...kenv };
  const named = (addr: string) => {
    const bsf = addr.replace(/^pci\d+:/, "").replaceAll(":", "/");
    return ["pptdevs", "pptdevs2", "pptdevs3"].some((k) => (state.kenv[k] ?? "").split(/\s+/).includes(bsf));
  };
  let unit = state.devices.filter((d) => d.name.startsWith("ppt")).length;
  for (const d of state.devices) {
    if (d.bridge || d.name.startsWith("ppt") || !state.vmm || !named(d.addr)) continue;
    if (!d.name.startsWith("none")) d.host = d.name;
    d.name = `ppt${unit++}`;
  }
  return state;
}

/** The kernel environment as `kenv` prints it. */
export function parseKenvText(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([^=]+)="(.*)"$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

/** The state of a real pciconf -lvc listing: every device as it is now. */
export function stateFromPciconf(
  text: string,
  behind: Record<string, string> = {},
  kenv: Record<string, string> = {},
  vmm = true,
  /** Host drivers of devices ppt holds at boot (pciconf cannot say): address -> driver, e.g. em. */
  hosts: Record<string, string> = {},
): FakeState {
  const devices: FakeDevice[] = [];
  const named = (addr: string) => {
    const bsf = addr.replace(/^pci\d+:/, "").replaceAll(":", "/");
    return ["pptdevs", "pptdevs2", "pptdevs3"].some((k) => (kenv[k] ?? "").split(/\s+/).includes(bsf));
  };
  for (const line of text.split("\n")) {
    const m = /^([a-z_]+\d*)@(pci\d+:\d+:\d+:\d+):\s+(.*)$/.exec(line);
    if (m) {
      const name = m[1]!;
      const bridge = /hdr=0x0[12]/.test(m[3]!);
      const ppt = name.startsWith("ppt");
      // A ppt device the environment does not name was put there with `devctl set driver`.
      devices.push({
        addr: m[2]!,
        name,
        host: name.startsWith("none") || ppt ? (hosts[m[2]!] ?? null) : name,
        forced: ppt && !named(m[2]!) ? "ppt" : null,
        bridge,
        behind: behind[m[2]!] ?? null,
        rest: m[3]!,
        body: [],
      });
    } else if (line !== "" && devices.length > 0) devices[devices.length - 1]!.body.push(line);
  }
  return { devices, log: [], kenv, vmm };
}
