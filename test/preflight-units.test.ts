import { describe, expect, test } from "bun:test";
import { shippedReports } from "../src/core/compat/known.ts";
import { preflight } from "../src/core/preflight/checks.ts";
import { explainLine } from "../src/core/preflight/explain.ts";
import { parseMemSize } from "../src/core/preflight/memory.ts";
import { specOfConfig, specOfVm } from "../src/core/preflight/spec.ts";
import { REAL, VARIANTS } from "./bhyve-lines.ts";
import { modelOf } from "./model-of.ts";
import { recordedHosts } from "./recorded-hosts.ts";

/**
 * doctor --vm and explain on every recorded host, whole, against reviewed snapshots (issue 36):
 * each VM's checks, and every catalogue line explained on each host, for no VM and for its VMs.
 */
const line = (c: { status: string; id: string; summary: string; fix: string | null }) => `${c.status.toUpperCase()} ${c.id} ${c.summary}${c.fix ? ` | fix: ${c.fix}` : ""}`;

describe("doctor --vm on every VM of every recorded host", () => {
  for (const h of recordedHosts()) {
    test(h.name, async () => {
      const m = await modelOf(h.dir);
      const vms = [...new Set(m.vms.configs.map((c) => c.vm))];
      const out: Record<string, string[]> = {};
      for (const vm of vms) {
        const spec = specOfVm(m, vm);
        out[vm] = spec ? preflight(m, spec, new Map(), shippedReports()).map(line) : ["no spec"];
      }
      expect(out).toMatchSnapshot();
    });
  }
  test("a bhyve config file: read, wired, slots, ROMs", async () => {
    const m = await modelOf(recordedHosts().find((h) => h.name === "vm-preflight")!.dir);
    const text = "pci.0.6.0.device=passthru\npci.0.6.0.bus=0\npci.0.6.0.slot=20\npci.0.6.0.func=0\npci.0.6.0.rom=/gop.rom\npci.0.7.1.device=passthru\npci.0.7.1.pptdev=ppt3\nmemory.size=2G\n";
    const roms = new Map([["/gop.rom", { kind: "file" as const, size: 0 }]]);
    expect(preflight(m, specOfConfig("/vm/x.conf", text, "", m), roms, shippedReports()).map(line)).toMatchSnapshot();
    expect(preflight(m, specOfConfig("/vm/y.conf", null, "no such file", m), new Map(), shippedReports()).map(line)).toMatchSnapshot();
  });
});

describe("explain: every catalogue line on every recorded host", () => {
  for (const h of recordedHosts()) {
    test(h.name, async () => {
      const m = await modelOf(h.dir);
      const vm = m.vms.configs[0]?.vm ?? null;
      const out = Object.entries({ ...REAL, ...VARIANTS }).map(([id, l]) => {
        const a = explainLine(m, l, { vm: null, roms: new Map() });
        const b = vm ? explainLine(m, l, { vm, roms: new Map() }) : null;
        return `${id}: ${a.cause} | ${a.fix}${b && (b.cause !== a.cause || b.fix !== a.fix) ? ` || --vm ${vm}: ${b.cause} | ${b.fix}` : ""}`;
      });
      expect(out).toMatchSnapshot();
    });
  }
});

describe("explain: which form each line is, and where it comes from", () => {
  test("every line's id, whether it is about passthrough, and its source", async () => {
    const m = await modelOf(recordedHosts().find((h) => h.name === "vm-preflight")!.dir);
    const out = Object.entries({ ...REAL, ...VARIANTS }).map(([name, l]) => {
      const e = explainLine(m, l, { vm: null, roms: new Map() });
      return `${name}: ${e.id ?? "-"} ${e.passthrough ? "passthrough" : "other"}${e.source ? ` | ${e.source.file} ${e.source.func} | ${e.source.seen} | ${e.source.url}` : ""}`;
    });
    expect(out).toMatchSnapshot();
  });
});

describe("parseMemSize reads -m as bhyve does", () => {
  const rows: [string, number | null][] = [["512M", 512 * 2 ** 20], ["8G", 8 * 2 ** 30], ["8g", 8 * 2 ** 30], ["1T", 2 ** 40], ["4096", 4096 * 2 ** 20], ["2048K", 2048 * 2 ** 10], ["0x100M", null], ["", null], ["G", null], ["1.5G", null]];
  for (const [text, want] of rows) test(JSON.stringify(text), () => expect(parseMemSize(text)).toBe(want));
});
