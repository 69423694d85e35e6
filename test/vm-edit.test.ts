import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { addr } from "../src/core/pci/address.ts";
import { appendConfigLines, parseBhyveConfig, removeConfigDevices } from "../src/core/vm/bhyve-config.ts";
import { parseHosterVm } from "../src/core/vm/hoster.ts";
import { editHosterPassthru } from "../src/core/vm/hoster-edit.ts";
import { destroyCommand, shellLine, shellWord } from "../src/core/text/shell.ts";
import { topObject } from "../src/core/text/json-spans.ts";
import { parseVmBhyveConf } from "../src/core/vm/vm-bhyve.ts";
import { addVmBhyveEntries, removeVmBhyveEntries } from "../src/core/vm/vm-bhyve-edit.ts";

const ok = <T>(r: T | { error: string }): T => {
  if (typeof r === "object" && r !== null && "error" in r) throw new Error((r as { error: string }).error);
  return r as T;
};

describe("vm-bhyve config edits", () => {
  const conf = [
    "# win11 — GPU guest",
    'loader="uefi"',
    "memory=8G   # wired by vm-bhyve",
    'passthru0="2/0/0"',
    'passthru1="1/0/0"',
    'passthru1_options="rom=/vm/.config/gpu.rom,bootindex=1"',
    "#passthru9=\"7/0/0\"  old card",
    'passthru2="1/0/1"',
    'passthru3="5/0/0=5:0"',
    'network0_type="virtio-net"',
    "",
  ].join("\n");

  test("assign appends after the last passthru line with the next number, keeping every other byte", () => {
    const out = ok(addVmBhyveEntries(conf, ["3/0/0", "0/2/0=2:0"])).text;
    expect(out).toBe(conf.replace('passthru3="5/0/0=5:0"\n', 'passthru3="5/0/0=5:0"\npassthru4="3/0/0"\npassthru5="0/2/0=2:0"\n'));
    expect(ok(parseVmBhyveConf(out)).entries).toEqual(["2/0/0", "1/0/0,rom=/vm/.config/gpu.rom,bootindex=1", "1/0/1", "5/0/0=5:0", "3/0/0", "0/2/0=2:0"]);
  });

  test("an entry written as pptN is the device that is pptN now: unassign finds it", () => {
    const conf = 'loader="uefi"\npassthru0="ppt1"\npassthru1="2/0/0"\n';
    const units = new Map([["ppt1", { domain: 0, bus: 1, slot: 0, func: 1 }]]);
    const r = ok(removeVmBhyveEntries(conf, [{ domain: 0, bus: 1, slot: 0, func: 1 }], units));
    expect(r).toEqual({ text: 'loader="uefi"\npassthru0="2/0/0"\n', removed: ["ppt1"] });
    // Without the host's units, ppt1 is nobody: nothing is taken out.
    expect(ok(removeVmBhyveEntries(conf, [{ domain: 0, bus: 1, slot: 0, func: 1 }])).removed).toEqual([]);
  });

  test("a config without a final newline keeps none, and unassign gives its bytes back", () => {
    // lib/vm-config reads with grep, which takes a last line without newline like any other.
    const added = ok(addVmBhyveEntries('loader="bhyveload"', ["1/0/0"])).text;
    expect(added).toBe('loader="bhyveload"\npassthru0="1/0/0"');
    expect(ok(parseVmBhyveConf(added)).entries).toEqual(["1/0/0"]);
    expect(ok(removeVmBhyveEntries(added, [{ domain: 0, bus: 1, slot: 0, func: 0 }])).text).toBe('loader="bhyveload"');
    expect(ok(addVmBhyveEntries("", ["1/0/0"])).text).toBe('passthru0="1/0/0"\n');
  });

  test("bare values stay bare", () => {
    expect(ok(addVmBhyveEntries("passthru0=1/0/0\n", ["2/0/0"])).text).toBe("passthru0=1/0/0\npassthru1=2/0/0\n");
  });

  test("unassign drops the entry and its _options and renumbers the later ones with theirs", () => {
    const r = ok(removeVmBhyveEntries(conf, [addr(2, 0, 0)]));
    expect(r.removed).toEqual(["2/0/0"]);
    expect(r.text).toBe(
      [
        "# win11 — GPU guest",
        'loader="uefi"',
        "memory=8G   # wired by vm-bhyve",
        'passthru0="1/0/0"',
        'passthru0_options="rom=/vm/.config/gpu.rom,bootindex=1"',
        "#passthru9=\"7/0/0\"  old card",
        'passthru1="1/0/1"',
        'passthru2="5/0/0=5:0"',
        'network0_type="virtio-net"',
        "",
      ].join("\n"),
    );
    const both = ok(removeVmBhyveEntries(conf, [addr(1, 0, 0), addr(1, 0, 1)]));
    expect(ok(parseVmBhyveConf(both.text)).entries).toEqual(["2/0/0", "5/0/0=5:0"]);
    expect(both.text).not.toContain("_options");
  });

  test("refuses a config vm-bhyve reads differently (a gap, a name set twice, a DOS line ending)", () => {
    expect(addVmBhyveEntries('passthru0="1/0/0"\npassthru2="2/0/0"\n', ["3/0/0"])).toHaveProperty("error");
    expect((addVmBhyveEntries('passthru0="1/0/0"\npassthru0="2/0/0"\n', ["3/0/0"]) as { error: string }).error).toContain("set twice");
    expect((parseVmBhyveConf('passthru0="1/0/0"\r\n') as { error: string }).error).toContain("carriage return");
  });

  test("property: assign then unassign gives back the same bytes; the list reads as vm-bhyve reads it", () => {
    const device = fc.tuple(fc.integer({ min: 1, max: 250 }), fc.integer({ min: 0, max: 31 }), fc.integer({ min: 0, max: 7 }));
    fc.assert(
      fc.property(fc.uniqueArray(device, { minLength: 1, maxLength: 12, selector: (d) => d.join("/") }), fc.integer({ min: 0, max: 11 }), (devs, cut) => {
        const k = Math.min(cut, devs.length - 1);
        const start = ok(addVmBhyveEntries('loader="uefi"\n', devs.slice(0, k).map((d) => d.join("/")))).text;
        const added = ok(addVmBhyveEntries(start, devs.slice(k).map((d) => d.join("/")))).text;
        expect(ok(parseVmBhyveConf(added)).entries).toEqual(devs.map((d) => d.join("/")));
        const back = ok(removeVmBhyveEntries(added, devs.slice(k).map(([b, s, f]) => addr(b, s, f)))).text;
        expect(back).toBe(start);
        // Removing from the front renumbers the rest without a gap.
        const front = ok(removeVmBhyveEntries(added, devs.slice(0, k).map(([b, s, f]) => addr(b, s, f)))).text;
        expect(ok(parseVmBhyveConf(front)).entries).toEqual(devs.slice(k).map((d) => d.join("/")));
      }),
    );
  });
});

describe("Hoster vm_config.json edits", () => {
  // As Hoster writes it: json.MarshalIndent with three spaces, no final newline.
  const hoster = '{\n   "cpu_sockets": 1,\n   "memory": "8G",\n   "passthru": [\n      "1/0/0",\n      "-1/0/1"\n   ],\n   "disable_xhci": false,\n   "big": 12345678901234567890\n}';
  const add = (text: string, ...entries: string[]) => ok(editHosterPassthru(text, { remove: () => false, add: entries })).text;
  const drop = (text: string, ...entries: string[]) => ok(editHosterPassthru(text, { remove: (e) => entries.includes(e), add: [] })).text;

  test("the list changes, every other byte stays (order, indentation, numbers as written, no final newline)", () => {
    const out = add(hoster, "3/0/0");
    expect(out).toBe(hoster.replace('"-1/0/1"\n', '"-1/0/1",\n      "3/0/0"\n'));
    expect(ok(parseHosterVm(out)).entries).toEqual(["1/0/0", "-1/0/1", "3/0/0"]);
    expect(drop(out, "3/0/0")).toBe(hoster);
    expect(drop(hoster, "1/0/0")).toBe(hoster.replace('"1/0/0",\n      ', ""));
  });

  test("a list emptied by unassign goes, as Hoster's omitempty writes it; assign then unassign gives the bytes back (issue 32, finding 17)", () => {
    const none = '{\n   "cpu_sockets": 1,\n   "memory": "8G"\n}';
    const added = add(none, "2/0/0");
    expect(added).toBe('{\n   "cpu_sockets": 1,\n   "memory": "8G",\n   "passthru": [\n      "2/0/0"\n   ]\n}');
    expect(drop(added, "2/0/0")).toBe(none);
    expect(drop(hoster, "1/0/0", "-1/0/1")).toBe(hoster.replace(/\n {3}"passthru": \[[^\]]*\],/, ""));
    const first = '{"passthru": ["2/0/0"], "memory": "8G"}';
    expect(drop(first, "2/0/0")).toBe('{"memory": "8G"}');
    expect(drop('{"passthru": ["2/0/0"]}', "2/0/0")).toBe("{}");
    // null and [] are an empty list to Go: filled, then emptied, the key goes.
    expect(add('{\n   "memory": "8G",\n   "passthru": null\n}', "2/0/0")).toBe('{\n   "memory": "8G",\n   "passthru": [\n      "2/0/0"\n   ]\n}');
  });

  test("an empty list in a file Hoster wrote becomes a multi-line list, as MarshalIndent writes it (finding 18)", () => {
    const empty = '{\n   "memory": "8G",\n   "passthru": [],\n   "tags": []\n}';
    expect(add(empty, "2/0/0")).toBe('{\n   "memory": "8G",\n   "passthru": [\n      "2/0/0"\n   ],\n   "tags": []\n}');
    expect(add('{"memory":"8G"}', "2/0/0")).toBe('{"memory":"8G","passthru":["2/0/0"]}');
    expect(add("{}", "2/0/0")).toBe('{"passthru":["2/0/0"]}');
  });

  test("a one-line list stays on one line; the entries left keep their bytes", () => {
    const inline = '{\n  "memory": "4G",\n  "passthru": ["0/13/0", "\\u0031/0/0"],\n  "x": [1, 2]\n}\n';
    expect(add(inline, "0/2/0")).toBe(inline.replace('"\\u0031/0/0"]', '"\\u0031/0/0", "0/2/0"]'));
    expect(drop(inline, "0/13/0")).toBe(inline.replace('"0/13/0", ', ""));
  });

  test("an entry with blanks is Hoster's problem too: said, never rewritten quietly (finding 18)", () => {
    const blank = '{"passthru": [" 4/0/0 "]}';
    expect((parseHosterVm(blank) as { error: string }).error).toContain('passthru entry " 4/0/0 " holds blanks');
    expect(editHosterPassthru(blank, { remove: () => false, add: ["2/0/0"] })).toHaveProperty("error");
  });

  test("keys as Go's decoder matches them: case-insensitively, the last one wins (finding 11)", () => {
    // Only "Passthru": it is Hoster's list, and it is the one edited.
    const upper = '{"memory": "8G", "Passthru": ["1/0/0"]}';
    expect(ok(parseHosterVm(upper)).entries).toEqual(["1/0/0"]);
    expect(add(upper, "2/0/0")).toBe('{"memory": "8G", "Passthru": ["1/0/0", "2/0/0"]}');
    // U+017F (long s) and U+212A (Kelvin sign) fold to s and k in Go's foldName.
    expect(ok(parseHosterVm('{"pa\u017f\u017fthru": ["1/0/0"]}')).entries).toEqual(["1/0/0"]);
    expect(ok(parseHosterVm('{"9P_SHARES": [{}, {}], "disks": []}')).firstSlot).toBe(6);
    // Two keys Go reads as one: the last wins when reading; an edit is refused.
    const both = '{"passthru": ["1/0/0"], "PASSTHRU": ["2/0/0"]}';
    expect(ok(parseHosterVm(both)).entries).toEqual(["2/0/0"]);
    expect((editHosterPassthru(both, { remove: () => false, add: ["3/0/0"] }) as { error: string }).error).toContain('names the passthru list 2 times ("passthru", "PASSTHRU")');
    expect(editHosterPassthru('{"passthru": [', { remove: () => false, add: ["1/0/0"] })).toHaveProperty("error");
  });

  test("property: adds and removes read back as Hoster reads them, the rest unchanged, and undo gives the bytes back", () => {
    const entry = fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 31 }), fc.integer({ min: 0, max: 7 })).map(([own, b, s, f]) => `${own ? "-" : ""}${b}/${s}/${f}`);
    fc.assert(
      fc.property(fc.uniqueArray(entry, { maxLength: 10 }), (extra) => {
        const fresh = extra.filter((e) => e !== "1/0/0" && e !== "-1/0/1");
        const a = add(hoster, ...fresh);
        expect(ok(parseHosterVm(a)).entries).toEqual(["1/0/0", "-1/0/1", ...fresh]);
        const top = topObject(a)!;
        expect(top.members.map((m) => m.key)).toEqual(["cpu_sockets", "memory", "passthru", "disable_xhci", "big"]);
        expect(a).toContain('"big": 12345678901234567890');
        expect(drop(a, ...fresh)).toBe(hoster);
      }),
    );
  });
});

describe("bhyve config files (bhyve -k)", () => {
  test("read as bhyve reads them: comments, empty lines, the last setting wins", () => {
    const c = ok(parseBhyveConfig("# vm\n\nname=win\npci.0.2.0.device=virtio-net\npci.0.6.0.device=passthru\npci.0.6.0.bus=1\npci.0.6.0.slot=0\npci.0.6.0.func=0\nmemory.wired=false\nmemory.wired=YES\n"));
    expect([...c.usedSlots]).toEqual([2, 6]);
    expect(c.passthru).toEqual([{ guest: { bus: 0, slot: 6, func: 0 }, host: addr(1, 0, 0), pptdev: null, rom: null }]);
    expect(c.wired).toBe(true);
  });

  test("bhyve's refusals are named: a line without a value, a DOS line ending, a passthru node without its address", () => {
    expect((parseBhyveConfig("memory.size=8G\n  \n") as { error: string }).error).toContain("line 2");
    expect((parseBhyveConfig("memory.size=\n") as { error: string }).error).toContain("invalid config option");
    expect((parseBhyveConfig("name=x\r\n") as { error: string }).error).toContain("carriage return");
    expect((parseBhyveConfig("pci.0.6.0.device=passthru\npci.0.6.0.bus=1\n") as { error: string }).error).toContain("pci.0.6.0");
    expect((parseBhyveConfig("memory.wired=maybe\n") as { error: string }).error).toContain("boolean");
  });

  test("removing a device drops every line of its node, nothing else", () => {
    const text = "name=win\npci.0.6.0.device=passthru\npci.0.6.0.bus=1\npci.0.6.0.slot=0\npci.0.6.0.func=0\npci.0.6.0.rom=/gpu.rom\npci.0.6.1.device=passthru\npci.0.6.1.pptdev=ppt1\nmemory.wired=true\n";
    const c = ok(parseBhyveConfig(text));
    const r = removeConfigDevices(text, c, [addr(1, 0, 0), addr(1, 0, 1)], (n) => (n === "ppt1" ? addr(1, 0, 1) : null));
    expect(r.text).toBe("name=win\nmemory.wired=true\n");
    expect(r.removed).toEqual(["pci.0.6.0 (1/0/0)", "pci.0.6.1 (1/0/1)"]);
    // A file without a final newline keeps none (bhyve reads a last line without one, getline).
    expect(appendConfigLines("name=win", ["a=b"])).toBe("name=win\na=b");
  });
});

describe("suggested commands are quoted for sh(1) (issue 32, finding 13)", () => {
  test("plain words stay plain; anything else is single-quoted, quotes included", () => {
    expect(shellLine(["pptctl", "unassign", "1/0/0", "--vm", "gw-1.lab"])).toBe("pptctl unassign 1/0/0 --vm gw-1.lab");
    expect(shellWord("a b")).toBe("'a b'");
    expect(shellWord("it's")).toBe("'it'\\''s'");
    expect(shellWord("$(reboot)")).toBe("'$(reboot)'");
    expect(destroyCommand("it's")).toBe("bhyvectl --destroy '--vm=it'\\''s'");
  });
  test("property: sh reads the quoted word back as the word", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !s.includes("\0")), (word) => {
        const r = Bun.spawnSync(["/bin/sh", "-c", `printf '%s' ${shellWord(word)}`]);
        expect(r.stdout.toString()).toBe(word);
      }),
      { numRuns: 60 },
    );
  });
});
