import { afterAll, expect, test } from "bun:test";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildInventory } from "../src/core/inventory.ts";
import type { VmConfig } from "../src/core/vm/configs.ts";
import { listWarnings } from "../src/render/list-view.ts";
import { boundProblems } from "../src/core/preflight/bound.ts";
import { parsePassthruEntry } from "../src/core/vm/passthru-entry.ts";
import { dev, host, kv, loader, no, ok, pci } from "./doctor-model.ts";
import { SAMPLE, cli, removeTempDirs, tempDir } from "./helpers.ts";

afterAll(removeTempDirs);

/**
 * A device list shows (on ppt, in pptdevs, in a VM config) that bhyve cannot pass through is said
 * on stderr with the command that takes it out: its status alone (Available, Assigned) would read
 * as ready. Issue 34's list shows where the admin decides; doctor fails the same devices.
 */
const warningsOf = (m: ReturnType<typeof host>) => listWarnings(m, buildInventory(m, false), false);
const HOST_NIC = dev("em0", "0:25:0", { cls: "0x020000", vendor: 0x8086 });
const vm = (name: string, entries: string[]): VmConfig => ({ vm: name, manager: "vm-bhyve", path: `/vm/${name}/${name}.conf`, layout: "vm-bhyve", entries, memory: "4G", missing: [], guest: null, firmware: null, hoster: null });

test("a device that can be passed through: no warning", () => {
  expect(warningsOf(host({ pci: pci(dev("ppt0", "1:0:0"), HOST_NIC) }))).toEqual([]);
});

test("on ppt without a capability list: why bhyve refuses it, and release --persist", () => {
  const m = host({ pci: pci(dev("ppt0", "1:0:0", { caps: [] }), HOST_NIC) });
  expect(warningsOf(m)).toEqual([
    "ppt0 (1/0/0) cannot be passed through: it has no PCI capability list at all, so bhyve cannot offer the guest an MSI capability for it and refuses it ('failed to initialize MSI'); give it back to the host for good with 'pptctl release 1/0/0 --persist'",
  ]);
});

test("the host bridge on ppt: the platform's reason", () => {
  const m = host({ pci: pci(dev("ppt0", "0:0:0", { cls: "0x060000", vendor: 0x8086 }), HOST_NIC), loader: loader('vmm_load="YES"\npptdevs="0/0/0"\n') });
  expect(warningsOf(m)).toEqual([
    "ppt0 (0/0/0) cannot be passed through: the host bridge is the CPU's own root complex, not a device to give away; give it back to the host for good with 'pptctl release 0/0/0 --persist'",
  ]);
});

test("a bridge in pptdevs, which ppt never claims: plan --remove, since release refuses a bridge", () => {
  const m = host({ pci: pci(dev("pcib1", "0:28:0", { hdr: 1, cls: "0x060400", vendor: 0x8086 }), HOST_NIC), loader: loader('vmm_load="YES"\npptdevs="0/28/0"\n'), kenv: ok(kv({ pptdevs: "0/28/0" })) });
  expect(warningsOf(m)).toEqual([
    "pcib1 (0/28/0) cannot be passed through: it is a bridge, and ppt claims only endpoint devices, such as the ones behind it; take it out of pptdevs with 'pptctl plan --remove 0/28/0 --write'",
  ]);
});

test("only in VM configs: unassign from each VM that names it", () => {
  const m = host({
    pci: pci(dev("em1", "2:0:0", { cls: "0x020000", caps: [] }), HOST_NIC),
    loader: loader('vmm_load="YES"\n'),
    kenv: ok(kv({})),
    vms: { configs: [vm("a", ["2/0/0"]), vm("b 2", ["2/0/0"])], problems: [], instances: [], processes: [], locks: new Map(), pptNames: new Map(), cbsd: null },
  });
  expect(warningsOf(m)).toEqual([
    "em1 (2/0/0) cannot be passed through: it has no PCI capability list at all, so bhyve cannot offer the guest an MSI capability for it and refuses it ('failed to initialize MSI'); take it out with 'pptctl unassign 2/0/0 --vm a', 'pptctl unassign 2/0/0 --vm 'b 2''",
  ]);
});

test("list exits 1 for it, as for a device not bound: a script reading the exit code learns it too", async () => {
  const dir = tempDir();
  cpSync(SAMPLE, dir, { recursive: true });
  const listing = join(dir, "pciconf-lvc.txt");
  // The sample's GPU audio function (ppt1, 1/0/1) with its capability lines taken away.
  const text = readFileSync(listing, "utf8");
  const block = text.slice(text.indexOf("ppt1@pci0:1:0:1:"), text.indexOf("pcib4@pci0:45:0:0:"));
  writeFileSync(listing, text.replace(block, block.split("\n").filter((l) => !/^\s+cap |^\s{10,}/.test(l)).join("\n")));
  const r = await cli(["--from", dir, "list"]);
  expect(r.code).toBe(1);
  expect(r.stderr).toBe(
    "pptctl: warning: ppt1 (1/0/1) cannot be passed through: it has no PCI capability list at all, so bhyve cannot offer the guest an MSI capability for it and refuses it ('failed to initialize MSI'); give it back to the host for good with 'pptctl release 1/0/1 --persist'\n",
  );
  expect((await cli(["--from", SAMPLE, "list"])).code).toBe(0);
});

test("args --check's reasons (boundProblems): no listing, and a device without a driver", () => {
  const entry = (text: string) => {
    const e = parsePassthruEntry(text, new Map());
    if ("error" in e) throw new Error(e.error);
    return e;
  };
  expect(boundProblems(host({ pci: no("pciconf: permission denied") }), [entry("1/0/0")])).toEqual(["cannot check devices: pciconf: permission denied"]);
  const m = host({ pci: pci(dev("ppt0", "1:0:0"), dev("none0", "2:0:0"), dev("em0", "3:0:0")) });
  expect(boundProblems(m, [entry("1/0/0"), entry("2/0/0"), entry("3/0/0")])).toEqual([
    "2/0/0 is not attached to any driver, not ppt: move it and keep it there with 'pptctl attach 2/0/0 --persist'",
    "3/0/0 is attached to em0, not ppt: move it and keep it there with 'pptctl attach 3/0/0 --persist'",
  ]);
});
