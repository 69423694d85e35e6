import type { ArgsDef, CommandDef } from "citty";
import type { Ctx } from "../context.ts";

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
  color: { type: "boolean", description: "Colour output on a terminal (--no-color turns it off)", default: true },
} as const satisfies ArgsDef;

export const vmsArg = {
  type: "string",
  description: "Also read VM configs under this directory: */vm_config.json or */NAME.conf (repeatable)",
  valueHint: "PATH",
} as const;


export function ctxOf(data: unknown): Ctx {
  return data as Ctx;
}

/** Operands may also come comma- or space-separated in one argument. */
export function splitList(values: readonly string[]): string[] {
  return values.flatMap((v) => v.split(/[\s,]+/)).filter((v) => v !== "");
}
