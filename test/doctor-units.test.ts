import { describe, expect, test } from "bun:test";
import { runDoctor } from "../src/core/doctor/doctor.ts";
import { modelOf } from "./model-of.ts";
import { recordedHosts } from "./recorded-hosts.ts";
import { type CheckStatus, RECAPTURE, check, withRecordingFix } from "../src/core/doctor/types.ts";
import { NOT_RECORDED } from "../src/core/snapshot.ts";
import { host as HOSTS_DIR } from "./helpers.ts";

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

describe("a recording's gap is mended by capturing again, whatever the check", () => {
  const c = (status: CheckStatus, summary: string) => check("x", "x", status, summary, "run 'kldstat' by hand");
  test("UNKNOWN because the recording lacks something: the fix is to capture the host again", () => {
    expect(withRecordingFix(c("unknown", `cannot list kernel modules: /sbin/kldstat is ${NOT_RECORDED}`)).fix).toBe(RECAPTURE);
  });
  test("any other UNKNOWN, and any other status, keeps its own fix", () => {
    expect(withRecordingFix(c("unknown", "cannot list kernel modules: kldstat: permission denied")).fix).toBe("run 'kldstat' by hand");
    expect(withRecordingFix(c("warn", `a note that says ${NOT_RECORDED}`)).fix).toBe("run 'kldstat' by hand");
    expect(withRecordingFix(c("fail", `a note that says ${NOT_RECORDED}`)).fix).toBe("run 'kldstat' by hand");
  });
  test("on a recording without kldstat, doctor says so and nothing about running it by hand", async () => {
    const r = runDoctor(await modelOf(HOSTS_DIR("missing-commands")));
    const vmm = r.checks.find((x) => x.id === "vmm")!;
    expect(vmm.status).toBe("unknown");
    expect(vmm.fix).toBe(RECAPTURE);
  });
});
