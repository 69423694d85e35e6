import { expect, test } from "bun:test";
import { PptError } from "../src/core/errors.ts";
import { planAssign } from "../src/core/assign/plan.ts";
import { parseSelectorOrThrow } from "../src/core/pci/selector.ts";
import { preflight } from "../src/core/preflight/checks.ts";
import { parsePassthruEntry } from "../src/core/vm/passthru-entry.ts";
import { dev, host as model, kv, line, ok, pci } from "./doctor-model.ts";
import { cli, host } from "./helpers.ts";

/**
 * On arm64 FreeBSD's bhyve passes no PCI device through (no ppt driver, no IOMMU code): what sets
 * passthrough up is refused with that reason, what takes it away still works, and nothing advises
 * a ppt or IOMMU fix there. The recording is the real FreeBSD 14.0 arm64 kernel under QEMU.
 */
const ARM = host("qemu-arm64");
const REASON = "this host is arm64, where FreeBSD's bhyve passes no PCI device through (no ppt driver and no IOMMU code)";

test("plan and attach of a device: one line with the reason, exit 1, nothing written", async () => {
  const plan = await cli(["--from", ARM, "plan", "1/0/0"]);
  expect(plan).toEqual({ code: 1, stdout: "", stderr: `pptctl: plan: ${REASON}, so a pptdevs entry reserves nothing; nothing was changed\n` });
  const attach = await cli(["--from", ARM, "attach", "1/0/0", "--dry-run"]);
  expect(attach).toEqual({ code: 1, stdout: "", stderr: `pptctl: attach: ${REASON}; nothing was moved\n` });
});

test("taking passthrough away still works: plan --remove, release", async () => {
  expect((await cli(["--from", ARM, "plan", "--remove", "1/0/0"])).code).toBe(0);
  expect((await cli(["--from", ARM, "release", "1/0/0", "--dry-run"])).code).toBe(0);
});

const ARM_MODEL = model({ pci: pci(dev("none0", "1:0:0")), platform: ok(kv({ "kern.osrelease": "15.0-RELEASE", "hw.machine": "arm64" })) });
const target = { manager: "vm-bhyve" as const, vm: "desk", path: "/vm/desk/desk.conf", entries: ["1/0/0"], running: false };

test("assign is refused, unassign is not", () => {
  const go = (action: "assign" | "unassign") => {
    try {
      return planAssign(ARM_MODEL, { action, selectors: [parseSelectorOrThrow("1/0/0")], target, before: 'passthru0="1/0/0"\n' }).after;
    } catch (e) {
      if (!(e instanceof PptError)) throw e;
      return `exit ${e.exitCode}: ${e.message}`;
    }
  };
  expect(go("assign")).toBe(`exit 1: assign: ${REASON}, so the VM could not start with the device; nothing was changed`);
  expect(go("unassign")).toBe("");
});

test("doctor --vm: the VM cannot start with its devices, and no ppt fix is offered", () => {
  const e = parsePassthruEntry("1/0/0", new Map());
  if ("error" in e) throw new Error(e.error);
  const spec = { vm: "desk", manager: "vm-bhyve" as const, path: target.path, problem: null, devices: [{ addr: e.addr, text: "1/0/0", entry: e, guest: null, rom: null }], memory: "8G", wired: { ok: true, how: "" }, hoster: null, config: null, missing: [], guest: null, firmware: null };
  expect(preflight(ARM_MODEL, spec, new Map(), []).map(line)).toEqual([
    "PASS vm.config [config] /vm/desk/desk.conf (vm-bhyve): 1 passthru device (1/0/0)",
    `FAIL vm.devices [devices] ${REASON}: desk cannot start with its passthru devices here | fix: run the VM on an amd64 host, or take the passthru entries out of its config`,
  ]);
});

test("list --all: no device there can be passed through, with the reason in JSON", async () => {
  const r = await cli(["--from", ARM, "list", "--all", "--json"]);
  const devices = JSON.parse(r.stdout).devices as { eligible: boolean; eligibility: string; eligibilityReason: string }[];
  expect(devices.length).toBeGreaterThan(3);
  for (const d of devices) expect(d).toMatchObject({ eligible: false, eligibility: "no (arm64)", eligibilityReason: REASON });
});
