import type { ConsolaInstance } from "consola/core";
import { printable } from "../core/text/printable.ts";

/**
 * Messages go to stderr only, one plain line each, in the base system's style
 * (`pptctl: warning: …`). stdout carries the payload alone: `$(pptctl args …)` must never
 * capture a log line.
 */
export function createLogger(writeErr: (s: string) => void): ConsolaInstance {
  // Required on first use, not imported: a run that logs nothing (most of args) never loads it.
  const { createConsola } = require("consola/core") as typeof import("consola/core");
  return createConsola({
    level: 3,
    throttle: 0,
    // No stream objects: consola only wraps them, and touching process.stderr costs ≈ 18 ms.
    reporters: [
      {
        log(obj) {
          const text = printable(obj.args.map((a) => (typeof a === "string" ? a : String(a))).join(" "));
          const prefix = obj.type === "warn" ? "pptctl: warning: " : "pptctl: ";
          writeErr(`${prefix}${text}\n`);
        },
      },
    ],
  });
}
