import type { ArgsDef } from "citty";
import type { Ctx } from "../context.ts";
import * as arr from "../core/arrays.ts";

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
  return arr.filter(arr.flatMap(values, (v) => v.split(/[\s,]+/)), (v) => v !== "");
}
