import { describe, expect, test } from "bun:test";
import { runDoctor } from "../src/core/doctor/doctor.ts";
import { modelOf } from "./model-of.ts";
import { recordedHosts } from "./recorded-hosts.ts";

/**
 * Every check of doctor on every recorded host, whole, against a reviewed snapshot: a changed
 * word in a summary or a fix, or a status, shows here (issue 36: what mutation testing found
 * the CLI tests let through). `bun test -u` after a deliberate change, then read the diff.
 */
describe("doctor's checks on every recorded host", () => {
  for (const h of recordedHosts()) {
    test(h.name, async () => {
      const r = runDoctor(await modelOf(h.dir));
      expect({ status: r.status, checks: r.checks.map((c) => `${c.status.toUpperCase()} ${c.id} [${c.area}] ${c.summary}${c.fix ? ` | fix: ${c.fix}` : ""}`) }).toMatchSnapshot();
    });
  }
});
