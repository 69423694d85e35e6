import { describe, expect, test } from "bun:test";
import { makeDevctlHost } from "./fake-devctl-host.ts";
import { vmTree } from "./vm-tree.ts";
import { SAMPLE, cli, host } from "./helpers.ts";

/**
 * One table of exit codes for every command (README "Exit codes", pptctl.8 EXIT STATUS), held
 * here by running each command in each case: 0 done or nothing to do, 1 the host's state refused
 * it or a change failed, 2 a usage error (doctor: 3), and doctor's monitoring codes.
 */
type Case = { name: string; run: () => Promise<{ code: number }>; code: number };

const live = (argv: string[], opts: Parameters<typeof makeDevctlHost>[0] = {}) => async () => {
  const h = makeDevctlHost(opts);
  return cli(argv, { env: { PPTCTL_ROOT: h.root } });
};
const tree = (argv: string[], setup?: (t: ReturnType<typeof vmTree>) => void) => async () => {
  const t = vmTree();
  setup?.(t);
  return t.run(...argv);
};
const rec = (dir: string, argv: string[]) => () => cli(["--from", dir, ...argv]);

const CASES: Record<string, Case[]> = {
  "0: done": [
    { name: "doctor on a healthy host", run: rec(SAMPLE, ["doctor"]), code: 0 },
    { name: "plan", run: rec(SAMPLE, ["plan", "0/20/0"]), code: 0 },
    { name: "list", run: rec(SAMPLE, ["list"]), code: 0 },
    { name: "args", run: () => cli(["args", "1/0/0"]), code: 0 },
    { name: "attach", run: live(["attach", "1/0/0"]), code: 0 },
    { name: "assign", run: tree(["assign", "47/0/0", "--vm", "gw"]), code: 0 },
    { name: "explain", run: rec(host("vm-preflight"), ["explain", "PCI device at 0/20/0 is not using the ppt(4) driver"]), code: 0 },
  ],
  "0: nothing to do": [
    { name: "attach of a device on ppt", run: live(["attach", "1/0/0"], { kenv: { pptdevs: "1/0/0" } }), code: 0 },
    { name: "release of a device not on ppt", run: live(["release", "em1"]), code: 0 },
    { name: "assign of a device already in the config", run: tree(["assign", "89/0/0", "--vm", "gw"]), code: 0 },
    { name: "unassign of a device not in the config", run: tree(["unassign", "47/0/0", "--vm", "gw"]), code: 0 },
    { name: "plan --check when loader.conf says it", run: rec(SAMPLE, ["plan", "--check"]), code: 0 },
  ],
  "1: refused by the host's state, or a change failed": [
    { name: "assign to a running VM without --force", run: tree(["assign", "47/0/0", "--vm", "gw"], (t) => t.running("gw")), code: 1 },
    { name: "assign of a device another VM has", run: tree(["assign", "1/0/0", "--vm", "gw"]), code: 1 },
    { name: "release of a device a running VM uses", run: live(["release", "0/4/0"], { runningVm: "web1", kenv: { pptdevs: "0/4/0" } }), code: 1 },
    { name: "attach when devctl fails", run: live(["attach", "1/0/0"], { fail: { "pci0:1:0:0": "busy" } }), code: 1 },
    { name: "plan --check when loader.conf does not say it yet", run: rec(SAMPLE, ["plan", "0/20/0", "--check"]), code: 1 },
    { name: "args --check of a device not on ppt", run: rec(SAMPLE, ["args", "0/2/0", "--check"]), code: 1 },
    { name: "list with a device in conflict", run: rec(host("list-vms"), ["list"]), code: 1 },
  ],
  "2: usage": [
    { name: "a selector that matches nothing (plan)", run: rec(SAMPLE, ["plan", "9/9/9"]), code: 2 },
    { name: "a selector that matches nothing (attach)", run: live(["attach", "9/9/9"]), code: 2 },
    { name: "an unknown option", run: () => cli(["list", "--bogus"]), code: 2 },
    { name: "an unknown VM (assign)", run: tree(["assign", "47/0/0", "--vm", "nope"]), code: 2 },
    { name: "an unknown VM (args)", run: rec(SAMPLE, ["args", "--vm", "nope"]), code: 2 },
    { name: "a host device without the flag that allows it (attach)", run: live(["attach", "em0"]), code: 2 },
    { name: "a malformed passthru entry", run: () => cli(["args", "1/0"]), code: 2 },
  ],
  "doctor: monitoring codes, usage is UNKNOWN": [
    { name: "a warning", run: rec(host("reboot-pending"), ["doctor"]), code: 1 },
    { name: "an unknown VM", run: rec(SAMPLE, ["doctor", "--vm", "nope"]), code: 3 },
    { name: "an unknown option", run: () => cli(["doctor", "--bogus"]), code: 3 },
  ],
};

describe("one table of exit codes for every command (issue 33, finding 4)", () => {
  for (const [group, cases] of Object.entries(CASES)) {
    for (const c of cases) {
      test(`${group}: ${c.name}`, async () => {
        expect((await c.run()).code).toBe(c.code);
      });
    }
  }
});
