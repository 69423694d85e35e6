import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { addr } from "../src/core/pci/address.ts";
import { parseBhyveConfig } from "../src/core/vm/bhyve-config.ts";
import { parseHosterHost, parseHosterVm } from "../src/core/vm/hoster.ts";
import { parsePassthruEntry, pptUnits, splitEntries } from "../src/core/vm/passthru-entry.ts";
import { allocateSlots, slotArgv, slotConfig } from "../src/core/vm/slots.ts";
import { parseVmBhyveConf } from "../src/core/vm/vm-bhyve.ts";
import { goFold } from "../src/core/text/go-json.ts";
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
    ["1/0/0=3:10", { error: "passthru entry '1/0/0=3:10': guest function 10 does not exist; functions are 0-7" }],
    ["1/0/0,rom", { error: "passthru entry '1/0/0,rom': option 'rom' is not key=value (e.g. rom=/path/gpu.rom, bootindex=1)" }],
    ["ppt3,rom", { error: "passthru entry 'ppt3,rom': option 'rom' is not key=value (e.g. rom=/path/gpu.rom, bootindex=1)" }],
    ["ppt3", { addr: addr(0, 13, 0), ownSlot: false, options: [], pin: null, text: "ppt3" }],
    ["xppt3", { error: "passthru entry 'xppt3': 'xppt3' is not a device address; write B/S/F as pciconf shows it (1/0/0)" }],
    ["ppt3x", { error: "passthru entry 'ppt3x': 'ppt3x' is not a device address; write B/S/F as pciconf shows it (1/0/0)" }],
    ["ppt12=6:0", { error: "passthru entry 'ppt12=6:0': 'ppt12' names a device by its ppt unit, and no device is ppt12 on this host now" }],
    ["1/0/0,rom=/a b", { error: "passthru entry '1/0/0,rom=/a b': option 'rom=/a b' is not key=value (e.g. rom=/path/gpu.rom, bootindex=1)" }],
    ["1/0/0,x rom=/a", { error: "passthru entry '1/0/0,x rom=/a': option 'x rom=/a' is not key=value (e.g. rom=/path/gpu.rom, bootindex=1)" }],
    ["1/0/0=6", { addr: addr(1, 0, 0), ownSlot: false, options: [], pin: { slot: 6, func: 0 }, text: "1/0/0=6" }],
    ["=6:0", { error: "passthru entry '=6:0': '' is not a device address; write B/S/F as pciconf shows it (1/0/0)" }],
    ["1/0/0=12:5", { addr: addr(1, 0, 0), ownSlot: false, options: [], pin: { slot: 12, func: 5 }, text: "1/0/0=12:5" }],
    ["1/0/0=6:", { error: "passthru entry '1/0/0=6:': pin '=6:' is not =SLOT:FUNC (e.g. 0/2/0=2:0)" }],
    ["1/0/0=x6:0", { error: "passthru entry '1/0/0=x6:0': pin '=x6:0' is not =SLOT:FUNC (e.g. 0/2/0=2:0)" }],
    ["1/0/0=6:0x", { error: "passthru entry '1/0/0=6:0x': pin '=6:0x' is not =SLOT:FUNC (e.g. 0/2/0=2:0)" }],
    ["1/0/0=30:7", { addr: addr(1, 0, 0), ownSlot: false, options: [], pin: { slot: 30, func: 7 }, text: "1/0/0=30:7" }],
    ["1/40/0", { error: "passthru entry '1/40/0': slot 40 is above 31" }],
    ["vgapci0", { error: "passthru entry 'vgapci0': 'vgapci0' is not a device address; write B/S/F as pciconf shows it (1/0/0)" }],
    ["10de:1cb2", { error: "passthru entry '10de:1cb2': '10de:1cb2' is not a device address; write B/S/F as pciconf shows it (1/0/0)" }],
    ["pci1:0:0:0", { error: "passthru entry 'pci1:0:0:0': domain 1: bhyve passthru and pptdevs reach only PCI domain 0" }],
  ];
  for (const [input, want] of rows) test(JSON.stringify(input), () => expect(parsePassthruEntry(input, units)).toEqual(want as never));
  test("splitEntries: a piece that only starts like an address is an option of the entry before it", () => {
    expect(splitEntries(["1/0/0,rom=/x.rom", "2/0/0junk"])).toEqual(["1/0/0,rom=/x.rom,2/0/0junk"]);
  });
  test("splitEntries: commas and blanks, empty pieces dropped", () => {
    expect(splitEntries(["1/0/0,2/0/0", " 3/0/0 ", "", "-4/0/0,rom=/x.rom"])).toEqual(["1/0/0", "2/0/0", "3/0/0", "-4/0/0,rom=/x.rom"]);
    expect(splitEntries(["1/0/0\t2/0/0  3/0/0"])).toEqual(["1/0/0", "2/0/0", "3/0/0"]);
  });
  test("splitEntries, property: entries of every form joined with commas come apart where they began", () => {
    const n = fc.integer({ min: 0, max: 300 });
    const device = fc.oneof(
      fc.tuple(n, n, n).map(([b, s, f]) => `${b}/${s}/${f}`),
      fc.tuple(n, n, n, n, fc.boolean()).map(([d, b, s, f, colon]) => `pci${d}:${b}:${s}:${f}${colon ? ":" : ""}`),
      fc.tuple(n, n, n).map(([b, s, f]) => `pci${b}:${s}:${f}`),
      fc.tuple(n, n, n, fc.option(n)).map(([b, s, f, d]) => (d === null ? `${b}:${s}:${f}` : `${d}:${b}:${s}:${f}`)),
    );
    // Option values that end like an address (a ROM under a numbered folder) are still options.
    const option = fc.oneof(fc.constant("rom=/roms/1/0/0"), fc.constant("bootindex=1"), fc.constant("rom=/x.rom"), fc.constant("x=pci0:1:0:0"));
    const entry = fc.tuple(fc.boolean(), device, fc.option(fc.tuple(n, n)), fc.array(option, { maxLength: 2 })).map(([own, d, pin, opts]) => [`${own ? "-" : ""}${d}${pin ? `=${pin[0]}:${pin[1]}` : ""}`, ...opts].join(","));
    fc.assert(fc.property(fc.array(entry, { minLength: 1, maxLength: 5 }), (entries) => expect(splitEntries([entries.join(",")])).toEqual(entries)));
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
      const renumbered = p.assignments.filter((a) => a.renumbered).map((a) => `${a.slot}:${a.func}`);
      return { argv: slotArgv(p, false).join(" "), wired: slotArgv(p, true)[0], config: slotConfig(p, true), unwired: slotConfig(p, false)[0], next: p.nextSlot, notes: p.notes, renumbered };
    } catch (err) {
      return { error: (err as Error).message };
    }
  };
  const rows: [string, string[], number?, number[]?][] = [
    ["one card, functions share a slot", ["1/0/0", "1/0/1"]],
    ["own slots with -", ["-1/0/0", "-1/0/1"]],
    ["a group without function 0 is renumbered", ["1/0/1"]],
    ["eight ARI functions without 0 fill one slot, no more", ["3/0/1", "3/0/2", "3/0/3", "3/0/4", "3/0/5", "3/0/6", "3/0/7", "3/0/8"]],
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
    ["two pinned slots, the second without function 0", ["1/0/0=5:0", "2/0/1=6:1"]],
    ["function 0 pinned after another function of its slot", ["2/0/1=6:1", "2/0/0=6:0"]],
    ["functions in any order: bhyve gets them sorted", ["1/0/2", "1/0/1"]],
    ["a gap in the functions is kept when function 0 is there", ["1/0/0", "1/0/2"]],
    ["function 7 is a function a slot has", ["1/0/0", "1/0/7"]],
    ["function 7 alone has no function 0", ["1/0/7"]],
    ["a group renumbered still takes one slot", ["1/0/1", "-2/0/0"]],
    ["a pin to another function is renumbered", ["1/0/1=6:0"]],
    ["a pin above the automatic slots comes last", ["1/0/0=9:0", "2/0/0"]],
    ["listed function 1 first: bhyve gets function 0 first", ["1/0/1", "1/0/0"]],
    ["no slot left after 29", ["-1/0/0", "-2/0/0"], 29, [30]],
    ["no slot left at 30", ["-1/0/0", "-2/0/0"], 30],
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

describe("goFold: Go's foldName (encoding/json fold.go)", () => {
  test("ASCII: letters up, everything else kept", () => {
    expect(goFold("pass_Thru-9.x")).toBe("PASS_THRU-9.X");
    fc.assert(
      fc.property(fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)) }), (k) => {
        expect(goFold(k)).toBe([...k].map((c) => (c >= "a" && c <= "z" ? c.toUpperCase() : c)).join(""));
      }),
    );
  });
  test("beyond ASCII: a rune folds to one rune or stays", () => {
    // U+017F (long s) lower-cases to s; U+00DF (sharp s) upper-cases to two letters, so it stays.
    expect(goFold("pa\u017f\u017fthru")).toBe("PASSTHRU");
    expect(goFold("stra\u00dfe")).toBe("STRA\u00dfE");
  });
});
