import type { ArgsDef, CommandDef } from "citty";
import { REPEATABLE, commandArgs, parseCli } from "./cli-args.ts";
import type { ConsolaInstance } from "consola/core";
import { type Ctx, type Io, openHost } from "./commands/_context.ts";
import { PptError } from "./core/errors.ts";
import { printable } from "./core/text/printable.ts";
import { colors, wantColor } from "./render/color.ts";
import { createLogger } from "./render/log.ts";
import { mark } from "./io/trace.ts";
import { VERSION } from "./version.ts";

type Loader = () => Promise<CommandDef<any>>;

/** Lazy: `args` must not pay for loading `doctor`. */
const COMMANDS: Record<string, { load: Loader; summary: string }> = {
  doctor: { load: () => import("./commands/doctor.ts").then((m) => m.default), summary: "Check that this host can pass PCI devices to bhyve guests" },
  plan: { load: () => import("./commands/plan.ts").then((m) => m.default), summary: "Turn device selectors into loader.conf pptdevs lines (--write to apply)" },
  list: { load: () => import("./commands/list.ts").then((m) => m.default), summary: "Show passthrough devices and which VM has them" },
  args: { load: () => import("./commands/args.ts").then((m) => m.default), summary: "Print bhyve -s slot arguments for a VM's passthru devices" },
  attach: { load: () => import("./commands/attach.ts").then((m) => m.default), summary: "Move devices to ppt now, without a reboot (devctl); --persist keeps them" },
  release: { load: () => import("./commands/release.ts").then((m) => m.default), summary: "Give ppt devices back to their host drivers now (devctl)" },
  assign: { load: () => import("./commands/assign.ts").then((m) => m.default), summary: "Add devices to a VM's own config (vm-bhyve, Hoster, bhyve config; CBSD's command)" },
  unassign: { load: () => import("./commands/unassign.ts").then((m) => m.default), summary: "Take devices out of a VM's own config" },
  explain: { load: () => import("./commands/explain.ts").then((m) => m.default), summary: "Explain bhyve's passthrough error lines with their real cause on this host" },
  compat: { load: () => import("./commands/compat.ts").then((m) => m.default), summary: "Which devices work in which guest: reports with their sources" },
  report: { load: () => import("./commands/report.ts").then((m) => m.default), summary: "Write a report for a VM's devices (JSON or Markdown), or check one (--check)" },
  capture: { load: () => import("./commands/capture.ts").then((m) => m.default), summary: "Record this host's outputs into a folder (for --from and bug reports)" },
};

const PLAIN_OUTPUT: ReadonlySet<string> = new Set(["args"]);

/**
 * Whether this command line may draw a table, so main can start the terminal probe (isatty; an
 * fstat on Bun's thread pool where that is missing, ≈ 0.5 ms) before anything else and have the
 * answer ready. `args` never probes. Options before the command are skipped as run() skips them.
 */
export function mayDrawTable(argv: readonly string[]): boolean {
  const name = commandOf(argv);
  return name !== undefined && !PLAIN_OUTPUT.has(name);
}

/** The command a command line runs: options before it are skipped as run() skips them. */
function commandOf(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i] ?? "";
    if (!tok.startsWith("-") || /^-\d/.test(tok)) return tok;
    if (tok === "--from") i++;
  }
  return undefined;
}

/**
 * Exit code when the output could not be written (a full disk, a read-only stdout): what was
 * printed is incomplete. doctor answers UNKNOWN, as monitoring plugins do for a check that could
 * not report; every other command 1.
 */
export function writeFailedExit(argv: readonly string[]): number {
  return commandOf(argv) === "doctor" ? 3 : 1;
}

function withTTY(io: Io, tty: boolean): Io {
  return {
    out: (s) => io.out(s),
    err: (s) => io.err(s),
    env: io.env,
    stdoutIsTTY: tty,
    stderrIsTTY: io.stderrIsTTY,
    get columns() {
      return tty ? io.columns : 0;
    },
    platform: io.platform,
    now: () => io.now(),
    readStdin: io.readStdin,
  };
}

/** Usage errors of doctor exit 3 (UNKNOWN), as monitoring plugins do. */
const USAGE_EXIT: Record<string, number> = { doctor: 3 };

export function rootUsage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const lines = Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(width)}  ${c.summary}`);
  return [
    `pptctl ${VERSION} — bhyve PCI passthrough for FreeBSD`,
    "",
    "usage: pptctl [--from DIR] [--no-color] COMMAND [options]",
    "       pptctl -h | --help | help [COMMAND]",
    "       pptctl -V | --version",
    "",
    "commands:",
    ...lines,
    "",
    "Run 'pptctl COMMAND --help' (or 'pptctl help COMMAND') for a command's options.",
    "",
  ].join("\n");
}

/** `--format nagios|prometheus` on a doctor command line, read without the parser (which may be what failed). */
function monitoringFormat(argv: readonly string[]): "nagios" | "prometheus" | null {
  let value: string | undefined;
  argv.forEach((t, i) => {
    if (t === "--format") value = argv[i + 1];
    else if (t.startsWith("--format=")) value = t.slice(9);
  });
  return value === "nagios" || value === "prometheus" ? value : null;
}

function stripAnsi(s: string): string {
  return s.replace(/\u001b\[[0-9;]*m/g, "");
}

/**
 * Every error names the command it comes from (`pptctl: args: passthru entry '1/0': …`): errors
 * raised by shared code (selectors, entries, recordings) do not know it themselves.
 */
function withCommand(name: string | undefined, message: string): string {
  if (name === undefined || !COMMANDS[name]) return message;
  return message.startsWith(`${name}:`) || message.startsWith(`${name} `) ? message : `${name}: ${message}`;
}

/** Our own entry point: returns the exit code; never prints a stack trace unless PPTCTL_DEBUG. */
export async function run(argv: readonly string[], io: Io): Promise<number> {
  let name: string | undefined;
  try {
    const pre: string[] = [];
    let i = 0;
    for (; i < argv.length; i++) {
      const tok = argv[i] ?? "";
      if (!tok.startsWith("-") || /^-\d/.test(tok)) break;
      if (tok === "-h" || tok === "--help") {
        io.out(rootUsage());
        return 0;
      }
      if (tok === "-V" || tok === "--version") {
        io.out(`pptctl ${VERSION}\n`);
        return 0;
      }
      // Before the command only the options every command takes: --from DIR and --no-color.
      if (tok !== "--no-color" && tok !== "--from" && !tok.startsWith("--from=")) {
        throw new PptError(`unknown option '${tok}' before the command; see 'pptctl --help'`);
      }
      pre.push(tok);
      if (tok === "--from") {
        const dir = argv[++i];
        if (dir === undefined || dir === "") throw new PptError("--from needs a directory: a recording made by 'pptctl capture DIR' (e.g. --from examples/hosts/gpu-workstation)");
        pre.push(dir);
      }
    }
    name = argv[i];
    if (name === undefined) {
      io.err(rootUsage());
      return 2;
    }
    if (name === "help") {
      const topic = argv[i + 1];
      if (topic === undefined) {
        io.out(rootUsage());
        return 0;
      }
      if (!COMMANDS[topic]) throw new PptError(`help: unknown command '${topic}'; commands: ${Object.keys(COMMANDS).join(", ")}`);
      return run([topic, "--help"], io);
    }
    const entry = COMMANDS[name];
    if (!entry) {
      throw new PptError(`unknown command '${name}'; commands: ${Object.keys(COMMANDS).join(", ")} (see 'pptctl --help')`);
    }
    const cmd = await entry.load();
    mark(`command ${name} loaded`);
    const rest = argv.slice(i + 1);
    const dashdash = rest.indexOf("--");
    const opts = dashdash >= 0 ? rest.slice(0, dashdash) : rest;
    if (opts.includes("--version") || opts.includes("-V")) {
      io.out(`pptctl ${VERSION}\n`);
      return 0;
    }
    if (opts.includes("--help") || opts.includes("-h")) {
      const { renderHelp } = await import("./render/help.ts");
      const def = typeof cmd.args === "function" ? await cmd.args() : await cmd.args;
      const meta = typeof cmd.meta === "function" ? await cmd.meta() : await cmd.meta;
      io.out(renderHelp(name, meta?.description ?? entry.summary, (def ?? {}) as ArgsDef));
      return 0;
    }
    const def = typeof cmd.args === "function" ? await cmd.args() : await cmd.args;
    // doctor checks several VMs at once; elsewhere --vm names one.
    const parsed = parseCli(name, [...pre, ...rest], def ?? {}, name === "doctor" ? new Set([...REPEATABLE, "vm"]) : REPEATABLE);
    // `args` prints for $(…) and never colours or draws a table: it skips the terminal probe.
    const tty = PLAIN_OUTPUT.has(name) ? false : io.probeTTY ? await io.probeTTY() : io.stdoutIsTTY;
    const ioFor: Io = io.probeTTY ? withTTY(io, tty) : io;
    const colorEnabled = wantColor({ isTTY: tty, env: io.env, noColorFlag: parsed.values["no-color"] === true });
    let log: ConsolaInstance | undefined;
    const ctx: Ctx = {
      io: ioFor,
      // Made on first use: most runs of args never log.
      get log() {
        log ??= createLogger((s) => io.err(s));
        return log;
      },
      color: await colors(colorEnabled),
      colorEnabled,
      lists: parsed.lists,
      positionals: parsed.positionals,
      openHost: (from) => openHost(ioFor, from),
    };
    // parseCli already did citty's part, strictly; calling run() directly also keeps citty's
    // runCommand (and the node:util it loads at start-up) out of the binary.
    const args = commandArgs(parsed, (def ?? {}) as ArgsDef);
    const result = await cmd.run?.({ rawArgs: [...rest], args: args as never, cmd, data: ctx });
    return typeof result === "number" ? result : 0;
  } catch (e) {
    const err = e as Error;
    const message =
      e instanceof PptError
        ? withCommand(name, e.message)
        : err?.name === "CLIError"
          ? `${name ?? ""}: ${stripAnsi(err.message)}; see 'pptctl ${name ?? ""} --help'`
          : `internal error: ${err?.message ?? String(e)} (please report it with a capture: 'pptctl capture DIR')`;
    io.err(`pptctl: ${printable(message)}\n`);
    if (!(e instanceof PptError) && err?.name !== "CLIError" && io.env.PPTCTL_DEBUG) io.err(`${err?.stack ?? ""}\n`);
    const monitoring = name === "doctor" ? monitoringFormat(argv) : null;
    if (monitoring) {
      const { renderMonitoringError } = await import("./render/monitoring.ts");
      io.out(renderMonitoringError(monitoring, message, io.now()));
    }
    if (e instanceof PptError) return e.exitCode === 2 && name ? (USAGE_EXIT[name] ?? 2) : e.exitCode;
    if (err?.name === "CLIError") return name ? (USAGE_EXIT[name] ?? 2) : 2;
    return name === "doctor" ? 3 : 1;
  }
}
