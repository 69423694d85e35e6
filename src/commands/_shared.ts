import type { ArgsDef, CommandDef } from "citty";
import type { Ctx } from "./_context.ts";
import { PptError } from "../core/errors.ts";

/**
 * citty's defineCommand is the identity function (citty/dist/index.mjs). Imported from citty, it
 * would run citty's own start-up code in every command (its colour probe and its string helpers:
 * 26–32 µs of module start-up in an instrumented `args` run), for nothing: pptctl parses the
 * command line itself (src/cli-args.ts) and loads citty only for --help.
 */
export function defineCommand<const T extends ArgsDef = ArgsDef>(def: CommandDef<T>): CommandDef<T> {
  return def;
}

/** Options every command takes. */
export const commonArgs = {
  from: { type: "string", description: "Replay a recorded host folder instead of the live host", valueHint: "DIR" },
  json: { type: "boolean", description: "Print stable, versioned JSON on stdout" },
  "no-color": { type: "boolean", description: "Never colour the output (colour is used only on a terminal, and not when NO_COLOR is set)" },
} as const satisfies ArgsDef;

export const vmsArg = {
  type: "string",
  description: "Also read VM configs under this directory: */vm_config.json or */NAME.conf (repeatable)",
  valueHint: "PATH",
} as const;


/**
 * The output format from --json and --format, which must not disagree: `--json --format nagios`
 * is refused (one line, usage error) instead of one of them being quietly ignored.
 */
export function formatOf<F extends string>(command: string, args: { json?: boolean; format?: F }, fallback: F): F | "json" {
  if (args.json && args.format !== undefined && args.format !== "json") {
    throw new PptError(`${command}: --json and --format ${args.format} ask for two different outputs; give one`);
  }
  return args.json ? "json" : (args.format ?? fallback);
}

export function ctxOf(data: unknown): Ctx {
  return data as Ctx;
}

/** Operands may also come comma- or space-separated in one argument. */
export function splitList(values: readonly string[]): string[] {
  return values.flatMap((v) => v.split(/[\s,]+/)).filter((v) => v !== "");
}
