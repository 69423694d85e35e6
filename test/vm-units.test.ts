import { describe, expect, test } from "bun:test";
import { addr } from "../src/core/pci/address.ts";
import { parseBhyveConfig } from "../src/core/vm/bhyve-config.ts";
import { parseHosterHost, parseHosterVm } from "../src/core/vm/hoster.ts";
import { parsePassthruEntry, pptUnits, splitEntries } from "../src/core/vm/passthru-entry.ts";
import { allocateSlots, slotArgv, slotConfig } from "../src/core/vm/slots.ts";
import { parseVmBhyveConf } from "../src/core/vm/vm-bhyve.ts";
import { fileResult } from "../src/core/snapshot.ts";
import { recordedSnapshot } from "./model-of.ts";
import { recordedHosts } from "./recorded-hosts.ts";

/**
 * The VM-config readers and the slot allocator function by function (issue 36): whole results
 * compared, for the configs of every recorded host and for the cases each rule exists for.
 */
describe("every VM config of every recorded host, read as its manager reads it", () => {
  test("snapshot", async () => {
    const out: Record<string, unknown> = {};
    for (const h of recordedHosts()) {
      const snap = await recordedSnapshot(h.dir);
      for (const path of [...snap.files.keys()].sort()) {
        const f = fileResult(snap, path);
        if (f.kind !== "file") continue;
        if (path.endsWith("/vm_config.json")) out[`${h.name}:${path}`] = parseHosterVm(f.text);
        else if (path.endsWith("/host_config.json")) out[`${h.name}:${path}`] = parseHosterHost(f.text);
        else if (/\/([^/]+)\/\1\.conf$/.test(path)) out[`${h.name}:${path}`] = parseVmBhyveConf(f.text);
      }
    }
    expect(out).toMatchSnapshot();
  });
});

describe("parsePassthruEntry", () => {
  const units = new Map([["ppt3", addr(0, 13, 0)]]);
  const rows: [string, unknown][] = [
    ["1/0/0", { addr: addr(1, 0, 0), ownSlot: false, options: [], pin: null, text: "1/0/0" }],
    [" -2/0/1 ", { addr: addr(2, 0, 1), ownSlot: true, options: [], pin: null, text: "-2/0/1" }],
    ["0/2/0=2:0,rom=/gop.rom", { addr: addr(0, 2, 0), ownSlot: false, options: ["rom=/gop.rom"], pin: { slot: 2, func: 0 }, text: "0/2/0=2:0,rom=/gop.rom" }],
    ["ppt3,bootindex=1", { addr: addr(0, 13, 0), ownSlot: false, options: ["bootindex=1"], pin: null, text: "ppt3,bootindex=1" }],
    ["ppt9", { error: "passthru entry 'ppt9': 'ppt9' names a device by its ppt unit, and no device is ppt9 on this host now" }],
    ["", { error: "passthru entry '': empty entry" }],
    ["1/0/0=32:0", { error: "passthru entry '1/0/0=32:0': guest slot 32 does not exist; slots are 1-30" }],
    ["1/0/0=3:8", { error: "passthru entry '1/0/0=3:8': guest function 8 does not exist; functions are 0-7" }],
    ["1/0/0,rom", { error: "passthru entry '1/0/0,rom': option 'rom' is not key=value (e.g. rom=/path/gpu.rom, bootindex=1)" }],
    ["ppt3,rom", { error: "passthru entry 'ppt3,rom': option 'rom' is not key=value (e.g. rom=/path/gpu.rom, bootindex=1)" }],
  ];
  for (const [input, want] of rows) test(JSON.stringify(input), () => expect(parsePassthruEntry(input, units)).toEqual(want as never));
  test("splitEntries: commas and blanks, empty pieces dropped", () => {
    expect(splitEntries(["1/0/0,2/0/0", " 3/0/0 ", "", "-4/0/0,rom=/x.rom"])).toEqual(["1/0/0", "2/0/0", "3/0/0", "-4/0/0,rom=/x.rom"]);
  });
  test("pptUnits: only devices on ppt", () => {
    expect([...pptUnits([{ name: "ppt0", driver: "ppt", addr: addr(1, 0, 0) }, { name: "em0", driver: "em", addr: addr(2, 0, 0) }])]).toEqual([["ppt0", addr(1, 0, 0)]]);
  });
});

describe("allocateSlots, slotArgv and slotConfig", () => {
  const e = (t: string) => parsePassthruEntry(t) as Exclude<ReturnType<typeof parsePassthruEntry>, { error: string }>;
  const run = (entries: string[], firstSlot = 6, reserved: number[] = []) => {
    const bad = entries.map((t) => parsePassthruEntry(t)).find((x) => "error" in x);
    if (bad) return bad;
    try {
      const p = allocateSlots(entries.map(e), { firstSlot, reserved: new Set(reserved) });
      return { argv: slotArgv(p, false).join(" "), wired: slotArgv(p, true)[0], config: slotConfig(p, true), next: p.nextSlot, notes: p.notes };
    } catch (err) {
      return { error: (err as Error).message };
    }
  };
  const rows: [string, string[], number?, number[]?][] = [
    ["one card, functions share a slot", ["1/0/0", "1/0/1"]],
    ["own slots with -", ["-1/0/0", "-1/0/1"]],
    ["a group without function 0 is renumbered", ["1/0/1"]],
    ["SR-IOV functions above 7 are renumbered", ["3/0/129", "3/0/130"]],
    ["reserved slots and 31 are skipped", ["-1/0/0", "-2/0/0"], 30, []],
    ["reserved in the middle", ["-1/0/0", "-2/0/0", "-3/0/0"], 6, [7]],
    ["a pin takes its slot; automatic allocation skips it", ["0/2/0=2:0", "1/0/0", "1/0/1"]],
    ["a pin to slot 0", ["1/0/0=0:0"]],
    ["a pin to 31", ["1/0/0=31:0"]],
    ["two pins on one place", ["1/0/0=5:0", "2/0/0=5:0"]],
    ["a pinned slot without function 0", ["1/0/1=5:1"]],
    ["a pin to a reserved slot", ["1/0/0=7:0"], 6, [7]],
    ["options become config keys", ["1/0/0,rom=/gpu.rom,bootindex=1"]],
    ["the last free slot", ["-1/0/0"], 30],
    ["duplicates", ["1/0/0", "-1/0/0"]],
    ["nine functions of one device", Array.from({ length: 9 }, (_, i) => `4/0/${i}`)],
  ];
  for (const [name, entries, first, reserved] of rows) test(name, () => expect(run(entries, first, reserved)).toMatchSnapshot());
});

describe("parseBhyveConfig", () => {
  const rows: [string, string][] = [
    ["booleans", "memory.wired=on\npci.0.6.0.device=passthru\npci.0.6.0.pptdev=ppt0\npci.0.6.0.rom=/r.rom\n"],
    ["false", "memory.wired=0\n"],
    ["not a boolean", "memory.wired=maybe\n"],
    ["a passthru node without its address", "pci.0.6.0.device=passthru\n"],
    ["slots on another bus do not count", "pci.1.6.0.device=virtio-net\npci.0.7.0.device=virtio-net\n"],
    ["no final newline", "name=x"],
    ["an empty line in the middle", "a=1\n\nb=2\n"],
  ];
  for (const [name, text] of rows) {
    test(name, () => {
      const r = parseBhyveConfig(text);
      expect("error" in r ? r : { settings: [...r.settings], passthru: r.passthru, usedSlots: [...r.usedSlots], wired: r.wired }).toMatchSnapshot();
    });
  }
});

describe("the guest and its firmware, as the config says them (compat, issue 34)", () => {
  const conf = (lines: string) => parseVmBhyveConf(`cpu=1\nmemory=1G\n${lines}`);
  const rows: [string, string | null, string | null][] = [
    ['guest="windows"\nloader="uefi"\n', "windows", "uefi"],
    ['loader="uefi"\nuefi="csm"\n', null, "bios"],
    ['loader="uefi-csm"\n', null, "bios"],
    ['guest="freebsd"\nloader="bhyveload"\n', "freebsd", "bhyveload"],
    ['guest="linux"\nloader="grub"\n', "linux", "grub"],
    ['uefi="yes"\n', null, "uefi"],
    ['uefi="csm"\n', null, "bios"],
    ['guest=""\nloader="something"\n', null, null],
  ];
  for (const [lines, guest, firmware] of rows) {
    test(JSON.stringify(lines), () => expect(conf(lines)).toMatchObject({ guest, firmware }));
  }
  test("Hoster: os_type and loader, by Go's rules for keys", () => {
    expect(parseHosterVm('{"OS_Type": "win11", "loader": "bios"}')).toMatchObject({ guest: "win11", firmware: "bios" });
    expect(parseHosterVm('{"os_type": 7, "loader": "grub"}')).toMatchObject({ guest: null, firmware: null });
  });
});
