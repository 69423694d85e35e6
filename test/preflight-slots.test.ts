import { describe, expect, test } from "bun:test";
import { line } from "./doctor-model.ts";
import { dev, host, pci } from "./doctor-model.ts";
import { indexListing } from "../src/core/knowledge/quirks.ts";
import type { PciDevice } from "../src/core/pci/device.ts";
import { slotsCheck } from "../src/core/preflight/slots.ts";
import { type VmSpec, specOfConfig } from "../src/core/preflight/spec.ts";
import { parsePassthruEntry } from "../src/core/vm/passthru-entry.ts";
import { sameAddr } from "../src/core/pci/address.ts";

/**
 * doctor --vm's guest-slot check case by case (issue 36): vm-bhyve pins, Hoster's fixed layout
 * (generate_bhyve_command.go passthruPciSplitter), bhyve -k files, and Intel IGD's slot 2.
 */
const IGD = dev("ppt0", "0:2:0", { vendor: 0x8086, cls: "0x030000", label: "UHD Graphics 630" });
const M = host({ pci: pci(IGD, dev("ppt1", "1:0:0"), dev("ppt2", "1:0:1", { cls: "0x040300" }), dev("ppt3", "2:0:0"), dev("ppt4", "3:0:0")) });
const devices = (M.pci.ok ? M.pci.value.devices : []) as PciDevice[];
const index = indexListing(devices);

function spec(manager: "vm-bhyve" | "hoster", entries: string[], hoster: VmSpec["hoster"] = null): VmSpec {
  const list = entries.map((text) => {
    const e = parsePassthruEntry(text, new Map());
    if ("error" in e) throw new Error(e.error);
    return { addr: e.addr, text, entry: e, guest: e.pin, rom: null };
  });
  return { vm: "desk", manager, path: "/vm/desk/desk.conf", problem: null, devices: list, memory: "8G", wired: { ok: true, how: "" }, hoster, config: null, missing: [], guest: null, firmware: null };
}

function run(s: VmSpec, listed = true) {
  const on = s.devices.map((v) => ({ v, d: devices.find((d) => sameAddr(d.addr, v.addr)) ?? null }));
  return slotsCheck(s, on, index, listed);
}

const H = (xhci = false, firstSlot = 5) => ({ firstSlot, xhci });
const kfile = (text: string) => specOfConfig("/vm/w.conf", text, "", M);

const ROWS: readonly [string, VmSpec][] = [
  ["vm-bhyve, no pins", spec("vm-bhyve", ["1/0/0", "1/0/1"])],
  ["vm-bhyve, pinned well", spec("vm-bhyve", ["1/0/0=6:0", "1/0/1=6:1"])],
  ["bhyve -k, a card at slot 0", kfile("pci.0.0.0.device=passthru\npci.0.0.0.bus=1\npci.0.0.0.slot=0\npci.0.0.0.func=0\n")],
  ["bhyve -k, a card at slot 31", kfile("pci.0.31.0.device=passthru\npci.0.31.0.bus=1\npci.0.31.0.slot=0\npci.0.31.0.func=0\n")],
  ["bhyve -k, a card at function 8", kfile("pci.0.6.0.device=passthru\npci.0.6.0.bus=1\npci.0.6.0.slot=0\npci.0.6.0.func=0\npci.0.6.8.device=passthru\npci.0.6.8.bus=1\npci.0.6.8.slot=0\npci.0.6.8.func=1\n")],
  ["vm-bhyve, a slot without function 0", spec("vm-bhyve", ["1/0/1=7:1"])],
  ["vm-bhyve, IGD pinned at 2", spec("vm-bhyve", ["0/2/0=2:0"])],
  ["vm-bhyve, IGD not pinned", spec("vm-bhyve", ["0/2/0"])],
  ["vm-bhyve, IGD pinned at 4", spec("vm-bhyve", ["0/2/0=4:0"])],
  ["Hoster, a card in one slot", spec("hoster", ["1/0/0", "1/0/1"], H())],
  ["Hoster, a '-' entry gets its own slot as function 0", spec("hoster", ["1/0/0", "-1/0/1"], H())],
  ["Hoster, function 1 alone has no function 0", spec("hoster", ["1/0/1"], H())],
  ["Hoster, three cards from slot 28 run to 30", spec("hoster", ["1/0/0", "2/0/0", "3/0/0"], H(false, 28))],
  ["Hoster, three cards from slot 29 run to 31", spec("hoster", ["1/0/0", "2/0/0", "3/0/0"], H(false, 29))],
  ["Hoster, two cards from 29 and the xHCI tablet after them", spec("hoster", ["1/0/0", "2/0/0"], H(true, 29))],
  ["Hoster, two cards from 28 and the xHCI tablet after them", spec("hoster", ["1/0/0", "2/0/0"], H(true, 28))],
  ["Hoster, IGD lands at 5", spec("hoster", ["0/2/0"], H())],
  ["Hoster without its layout: no pins to check", spec("hoster", ["1/0/0"], null)],
  ["bhyve -k, a card at 6", kfile("pci.0.6.0.device=passthru\npci.0.6.0.bus=1\npci.0.6.0.slot=0\npci.0.6.0.func=0\n")],
  ["bhyve -k, function 1 with another device at function 0", kfile("pci.0.6.0.device=virtio-net\npci.0.6.1.device=passthru\npci.0.6.1.bus=1\npci.0.6.1.slot=0\npci.0.6.1.func=1\n")],
  ["bhyve -k, function 1 alone", kfile("pci.0.6.1.device=passthru\npci.0.6.1.bus=1\npci.0.6.1.slot=0\npci.0.6.1.func=1\n")],
  ["bhyve -k, IGD at 2 with the LPC at 31", kfile("pci.0.2.0.device=passthru\npci.0.2.0.bus=0\npci.0.2.0.slot=2\npci.0.2.0.func=0\npci.0.31.0.device=lpc\n")],
  ["bhyve -k, IGD at 2 without the LPC", kfile("pci.0.2.0.device=passthru\npci.0.2.0.bus=0\npci.0.2.0.slot=2\npci.0.2.0.func=0\n")],
  ["bhyve -k, IGD at 3 without the LPC", kfile("pci.0.3.0.device=passthru\npci.0.3.0.bus=0\npci.0.3.0.slot=2\npci.0.3.0.func=0\n")],
  ["bhyve -k, a card before an IGD without the LPC: still wanted", kfile("pci.0.6.0.device=passthru\npci.0.6.0.bus=3\npci.0.6.0.slot=0\npci.0.6.0.func=0\npci.0.2.0.device=passthru\npci.0.2.0.bus=0\npci.0.2.0.slot=2\npci.0.2.0.func=0\n")],
  ["bhyve -k, two functions at slot 31", kfile("pci.0.31.0.device=passthru\npci.0.31.0.bus=1\npci.0.31.0.slot=0\npci.0.31.0.func=0\npci.0.31.1.device=passthru\npci.0.31.1.bus=1\npci.0.31.1.slot=0\npci.0.31.1.func=1\n")],
  ["vm-bhyve, function 7 is a function", spec("vm-bhyve", ["1/0/0=6:0", "1/0/1=6:7"])],
  ["Hoster, two ARI functions above 7 in one slot", spec("hoster", ["3/0/0", "3/0/8", "3/0/9"], H())],
  ["bhyve -k, a card without IGD needs no LPC", kfile("pci.0.6.0.device=passthru\npci.0.6.0.bus=3\npci.0.6.0.slot=0\npci.0.6.0.func=0\n")],
];

describe("guest slots", () => {
  for (const [name, s] of ROWS) test(name, () => expect(line(run(s))).toMatchSnapshot());
});

test("statuses: a layout the guest cannot use fails, an IGD off slot 2 warns", () => {
  const status = (name: string) => run(ROWS.find((r) => r[0] === name)![1]).status;
  expect(status("bhyve -k, a card at slot 0")).toBe("fail");
  expect(status("Hoster, three cards from slot 29 run to 31")).toBe("fail");
  expect(status("Hoster, three cards from slot 28 run to 30")).toBe("pass");
  expect(status("Hoster, two cards from 29 and the xHCI tablet after them")).toBe("fail");
  expect(status("vm-bhyve, IGD not pinned")).toBe("warn");
  expect(status("bhyve -k, function 1 with another device at function 0")).toBe("pass");
});

test("a device the listing does not show is not judged as an IGD", () => {
  const s = spec("vm-bhyve", ["9/0/0"]);
  expect(run(s).status).toBe("pass");
});
