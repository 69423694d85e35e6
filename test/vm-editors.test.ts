import { describe, expect, test } from "bun:test";
import { type PciAddress, addr } from "../src/core/pci/address.ts";
import { checkHosterEdit, editHosterPassthru } from "../src/core/vm/hoster-edit.ts";
import { addVmBhyveEntries, removeVmBhyveEntries } from "../src/core/vm/vm-bhyve-edit.ts";

/**
 * The Hoster editor shape by shape (issue 36): each layout a vm_config.json comes in, the list
 * grown and shrunk, every other byte kept. The wanted texts were written by hand from what
 * json.MarshalIndent and a person editing by hand produce.
 */
type Row = { name: string; text: string; add?: string[]; remove?: string[]; want: string | { error: RegExp }; removed?: string[] };

const edit = (r: Row) => editHosterPassthru(r.text, { remove: (e) => (r.remove ?? []).includes(e), add: r.add ?? [] });

describe("editHosterPassthru: each layout keeps its shape", () => {
  const rows: Row[] = [
    { name: "nothing to do: the text as it was, even an empty list", text: '{"passthru": []}', remove: ["9/0/0"], want: '{"passthru": []}', removed: [] },
    { name: "a one-entry list on one line, compact: ',' between", text: '{"passthru":["1/0/0"]}', add: ["2/0/0"], want: '{"passthru":["1/0/0","2/0/0"]}' },
    { name: "a one-entry list on one line, spaced: ', ' between", text: '{"passthru": ["1/0/0"]}', add: ["2/0/0"], want: '{"passthru": ["1/0/0", "2/0/0"]}' },
    { name: "a one-entry list on one line with blanks inside the brackets", text: '{"passthru": [ "1/0/0" ]}', add: ["2/0/0"], want: '{"passthru": [ "1/0/0", "2/0/0" ]}' },
    { name: "a one-entry multi-line list: the next entry on its own line", text: '{\n   "passthru": [\n      "1/0/0"\n   ]\n}', add: ["2/0/0"], want: '{\n   "passthru": [\n      "1/0/0",\n      "2/0/0"\n   ]\n}' },
    { name: "removed entries are named", text: '{"passthru": ["1/0/0", "-1/0/1", "2/0/0"]}', remove: ["-1/0/1", "2/0/0"], want: '{"passthru": ["1/0/0"]}', removed: ["-1/0/1", "2/0/0"] },
    { name: "an empty entry Hoster skips stays, and is no device", text: '{"passthru": ["", "1/0/0"]}', remove: ["1/0/0"], want: '{"passthru": [""]}', removed: ["1/0/0"] },
    { name: "a new list in a CRLF file is CRLF", text: '{\r\n   "memory": "8G"\r\n}\r\n', add: ["1/0/0"], want: '{\r\n   "memory": "8G",\r\n   "passthru": [\r\n      "1/0/0"\r\n   ]\r\n}\r\n' },
    { name: "a null list filled in a CRLF file", text: '{\r\n   "passthru": null\r\n}', add: ["1/0/0"], want: '{\r\n   "passthru": [\r\n      "1/0/0"\r\n   ]\r\n}' },
    { name: "a new list follows the file's other one-line lists", text: '{\n  "memory": "8G",\n  "tags": ["a", "b"]\n}', add: ["1/0/0", "2/0/0"], want: '{\n  "memory": "8G",\n  "tags": ["a", "b"],\n  "passthru": ["1/0/0", "2/0/0"]\n}' },
    { name: "an empty one-line list elsewhere says nothing about the layout", text: '{\n  "tags": [],\n  "memory": "8G"\n}', add: ["1/0/0"], want: '{\n  "tags": [],\n  "memory": "8G",\n  "passthru": [\n    "1/0/0"\n  ]\n}' },
    { name: "a multi-line list elsewhere: the new one is multi-line", text: '{\n  "tags": [\n    "a"\n  ]\n}', add: ["1/0/0"], want: '{\n  "tags": [\n    "a"\n  ],\n  "passthru": [\n    "1/0/0"\n  ]\n}' },
    { name: "the colon as the file writes it", text: '{\n   "memory" : "8G"\n}', add: ["1/0/0"], want: '{\n   "memory" : "8G",\n   "passthru" : [\n      "1/0/0"\n   ]\n}' },
    { name: "tabs as the indent", text: '{\n\t"memory": "8G"\n}', add: ["1/0/0"], want: '{\n\t"memory": "8G",\n\t"passthru": [\n\t\t"1/0/0"\n\t]\n}' },
    { name: "the first member on the brace's line: Hoster's three spaces", text: '{ "memory": "8G",\n  "cpu": 2\n}', add: ["1/0/0"], want: '{ "memory": "8G",\n  "cpu": 2,\n   "passthru": [\n      "1/0/0"\n   ]\n}' },
    { name: "a compact object with a final newline stays compact", text: '{"memory":"8G"}\n', add: ["1/0/0"], want: '{"memory":"8G","passthru":["1/0/0"]}\n' },
    { name: "an empty object over two lines", text: "{\n}\n", add: ["1/0/0"], want: '{\n   "passthru": [\n      "1/0/0"\n   ]\n}\n' },
    { name: "an empty one-line object", text: "{}", add: ["1/0/0"], want: '{"passthru":["1/0/0"]}' },
    { name: "the last member emptied: it goes with the comma before it", text: '{\n   "memory": "8G",\n   "passthru": [\n      "1/0/0"\n   ]\n}', remove: ["1/0/0"], want: '{\n   "memory": "8G"\n}', removed: ["1/0/0"] },
    { name: "the first member emptied: it goes with the blanks after it", text: '{\n   "passthru": ["1/0/0"],\n   "memory": "8G"\n}', remove: ["1/0/0"], want: '{\n   "memory": "8G"\n}', removed: ["1/0/0"] },
    { name: "a file Hoster cannot read is refused as it says", text: '{"passthru": "1/0/0"}', add: ["2/0/0"], want: { error: /^passthru: Invalid type: Expected Array/ } },
  ];
  for (const r of rows) {
    test(r.name, () => {
      const got = edit(r);
      if (typeof r.want === "string") {
        expect(got).toEqual({ text: r.want, removed: r.removed ?? [] });
      } else {
        expect("error" in got && got.error).toMatch(r.want.error);
      }
    });
  }
});

describe("checkHosterEdit: the last guard before a write", () => {
  const before = '{"memory": "8G", "passthru": ["1/0/0"]}';
  test("an edit that changed only the list passes", () => {
    const after = '{"memory": "8G", "passthru": ["1/0/0", "2/0/0"]}';
    expect(checkHosterEdit(before, after, ["1/0/0", "2/0/0"])).toEqual({ text: after });
  });
  test("a list that does not read back as meant, or does not read at all, is refused", () => {
    expect(checkHosterEdit(before, '{"memory": "8G", "passthru": ["2/0/0"]}', ["1/0/0", "2/0/0"])).toEqual({ error: "pptctl could not edit the passthru list safely (the result did not read back as written); nothing was written: edit it by hand" });
    expect(checkHosterEdit(before, '{"memory": "8G", "passthru": [', ["1/0/0"])).toHaveProperty("error");
  });
  test("any other member changed is refused, whatever the case of the list's key", () => {
    expect(checkHosterEdit(before, '{"memory": "4G", "PassThru": ["1/0/0"]}', ["1/0/0"])).toEqual({ error: "pptctl could not edit the passthru list without touching other settings; nothing was written: edit it by hand" });
    expect(checkHosterEdit(before, '{"memory": "8G", "PassThru": ["1/0/0"]}', ["1/0/0"])).toEqual({ text: '{"memory": "8G", "PassThru": ["1/0/0"]}' });
  });
});

describe("addVmBhyveEntries and removeVmBhyveEntries: numbered from 0, no gaps, every other byte kept", () => {
  const HEAD = 'loader="uefi"\ncpu=2\nmemory=4G\n';
  const add = (text: string, ...entries: string[]) => addVmBhyveEntries(text, entries);
  const remove = (text: string, ...addrs: PciAddress[]) => removeVmBhyveEntries(text, addrs, new Map([["ppt4", addr(4, 0, 0)]]));
  test("the first entry of a file goes at its end, double-quoted", () => {
    expect(add(HEAD, "1/0/0", "1/0/1")).toEqual({ text: `${HEAD}passthru0="1/0/0"\npassthru1="1/0/1"\n` });
    expect(add("", "1/0/0")).toEqual({ text: 'passthru0="1/0/0"\n' });
  });
  test("after the last passthru line, in its quoting; a '=\"' in a comment says nothing", () => {
    expect(add(`${HEAD}passthru0=1/0/0 # gpu="big"\nuuid=x\n`, "2/0/0")).toEqual({ text: `${HEAD}passthru0=1/0/0 # gpu="big"\npassthru1=2/0/0\nuuid=x\n` });
    expect(add(`passthru0="1/0/0"\npassthru0_options="rom=/r.rom"\nuuid=x\n`, "2/0/0")).toEqual({ text: 'passthru0="1/0/0"\npassthru0_options="rom=/r.rom"\npassthru1="2/0/0"\nuuid=x\n' });
  });
  test("a CR on any line vm-bhyve reads: refused; on a comment: fine", () => {
    expect(add('loader="uefi"\r\ncpu=2\r\n', "1/0/0")).toEqual({ error: "line 1 ends in a carriage return (DOS line endings): vm-bhyve keeps it in every value it reads, so a new passthru line would reach bhyve as 'B/S/F\\r'; save the file with Unix line endings first" });
    expect(add(`${HEAD}# vm\r\n`, "1/0/0")).toEqual({ text: `${HEAD}# vm\r\npassthru0="1/0/0"\n` });
  });
  test("a name set twice: vm-bhyve reads the first, so pptctl does not renumber around it", () => {
    expect(add(`${HEAD}passthru0="1/0/0"\npassthru0="2/0/0"\n`, "3/0/0")).toEqual({ error: "passthru0 is set twice (lines 4 and 5); vm-bhyve reads only the first: remove one by hand" });
    expect(add(`${HEAD}passthru0="1/0/0"\npassthru0_options="a=1"\npassthru0_options="a=2"\n`, "3/0/0")).toEqual({ error: "passthru0_options is set twice (lines 5 and 6); vm-bhyve reads only the first: remove one by hand" });
  });
  test("an options line waiting for a number the new entries take is refused; one past them is not", () => {
    const text = `${HEAD}passthru0="1/0/0"\npassthru2_options="rom=/r.rom"\n`;
    expect(add(text, "2/0/0")).toEqual({ text: `${HEAD}passthru0="1/0/0"\npassthru2_options="rom=/r.rom"\npassthru1="2/0/0"\n` });
    expect(add(text, "2/0/0", "3/0/0")).toEqual({ error: "line 5, passthru2_options, has no passthru2: vm-bhyve would add it to the new passthru2 (3/0/0); remove that line, or give it to the device it was meant for, first" });
    expect(add(`${HEAD}passthru0_options="bootindex=1"\n`, "2/0/0")).toEqual({ error: "line 4, passthru0_options, has no passthru0: vm-bhyve would add it to the new passthru0 (2/0/0); remove that line, or give it to the device it was meant for, first" });
  });
  test("a file vm-bhyve reads differently is refused before any edit", () => {
    expect(remove(`${HEAD}passthru1="1/0/0"\n`, addr(1, 0, 0))).toHaveProperty("error");
  });
  test("remove: the entry, its options, and every later entry one down with its options", () => {
    const text = `${HEAD}passthru0="1/0/0"\npassthru0_options="rom=/a.rom"\npassthru1="ppt4"\npassthru2="2/0/0"\npassthru2_options="bootindex=2"\nuuid=x\n`;
    expect(remove(text, addr(1, 0, 0))).toEqual({ text: `${HEAD}passthru0="ppt4"\npassthru1="2/0/0"\npassthru1_options="bootindex=2"\nuuid=x\n`, removed: ["1/0/0,rom=/a.rom"] });
    expect(remove(text, addr(4, 0, 0), addr(1, 0, 0))).toEqual({ text: `${HEAD}passthru0="2/0/0"\npassthru0_options="bootindex=2"\nuuid=x\n`, removed: ["1/0/0,rom=/a.rom", "ppt4"] });
    expect(remove(text, addr(9, 0, 0))).toEqual({ text, removed: [] });
  });
  test("the last line gone from a file without a final newline: the new last line keeps none", () => {
    expect(remove(`${HEAD}passthru0="1/0/0"`, addr(1, 0, 0))).toEqual({ text: HEAD.slice(0, -1), removed: ["1/0/0"] });
    expect(remove('passthru0="1/0/0"', addr(1, 0, 0))).toEqual({ text: "", removed: ["1/0/0"] });
    expect(remove(`passthru0="1/0/0"\n${HEAD.slice(0, -1)}`, addr(1, 0, 0))).toEqual({ text: HEAD.slice(0, -1), removed: ["1/0/0"] });
  });
});
