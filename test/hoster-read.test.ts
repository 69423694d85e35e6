import { describe, expect, test } from "bun:test";
import { parseHosterHost, parseHosterVm } from "../src/core/vm/hoster.ts";
import { editHosterPassthru } from "../src/core/vm/hoster-edit.ts";

/**
 * Hoster's two JSON files as pptctl reads them (issue 36): host_config.json's active datasets and
 * a VM's vm_config.json, with the one-line errors an admin sees for each way they go wrong.
 */
describe("host_config.json", () => {
  test("the active datasets; other keys are Hoster's business", () => {
    expect(parseHosterHost('{"active_datasets": ["zroot/vm-encrypted", "tank/vms"], "public_vm_image_server": "x"}')).toMatchObject({ value: { active_datasets: ["zroot/vm-encrypted", "tank/vms"] } });
  });
  test.each([
    ["{", /^not valid JSON \(.+\)$/],
    ["3", /^Invalid type: Expected Object but received 3$/],
    ["{}", /^active_datasets: Invalid key: Expected "active_datasets" but received undefined$/],
    ['{"active_datasets": "zroot/vm"}', /^active_datasets: Invalid type: Expected Array but received "zroot\/vm"$/],
    ['{"active_datasets": ["a", 3]}', /^active_datasets\.1: Invalid type: Expected string but received 3$/],
  ])("%s: %p", (text, want) => {
    const r = parseHosterHost(text);
    expect("error" in r ? r.error : "").toMatch(want);
  });
});

describe("vm_config.json", () => {
  const vm = (o: Record<string, unknown>) => parseHosterVm(JSON.stringify(o, null, 2));
  test("what pptctl reads, and Hoster's slot layout from the counts", () => {
    expect(vm({ passthru: ["1/0/0", "-1/0/1"], memory: "8G", networks: [{}, {}], disks: [{}], "9p_shares": [{}], os_type: "windows10", loader: "uefi" })).toEqual({
      entries: ["1/0/0", "-1/0/1"],
      memory: "8G",
      firstSlot: 7,
      xhci: true,
      guest: "windows10",
      firmware: "uefi",
    });
    expect(vm({})).toEqual({ entries: [], memory: null, firstSlot: 4, xhci: true, guest: null, firmware: null });
    expect(vm({ passthru: null, networks: [{}], disable_xhci: true, os_type: "", loader: "grub", memory: 8 })).toEqual({ entries: [], memory: null, firstSlot: 4, xhci: false, guest: null, firmware: null });
    expect(vm({ loader: "bios", disable_xhci: "true", networks: "x" })).toMatchObject({ firmware: "bios", xhci: true, firstSlot: 4 });
  });
  test("empty and blank entries are nothing to Hoster, and to pptctl", () => {
    expect(vm({ passthru: ["", "  ", "2/0/0"] })).toMatchObject({ entries: ["2/0/0"] });
  });
  test("each problem named, all of them, '; ' between", () => {
    expect(vm({ passthru: [" 4/0/0 ", "ppt0", "0/2/0=2:0"] })).toEqual({
      error:
        'passthru entry " 4/0/0 " holds blanks, which Hoster keeps in the bhyve command it builds, so bhyve would not read the address: write "4/0/0"; ' +
        "passthru entry 'ppt0': Hoster passes only B/S/F entries (it splits them at '/') and skips this one, so the VM would start without it: write the device's B/S/F (pciconf -l shows pci0:B:S:F); " +
        "passthru entry '0/2/0=2:0': Hoster has no slot pins (it splits entries at '/' and would give bhyve '-s N:0=2:0,passthru,0/2/0=2:0'), so the VM would not start: remove '=2:0'",
    });
    expect(vm({ passthru: ["1/0"] })).toMatchObject({ error: expect.stringContaining("passthru entry '1/0': Hoster passes only B/S/F entries") });
    expect(vm({ passthru: ["1/0/x"] })).toMatchObject({ error: expect.stringMatching(/^passthru entry '1\/0\/x'/) });
  });
  test.each([
    ["{", /^not valid JSON \(.+\)$/],
    ["[1]", /^is not a JSON object$/],
    ["null", /^is not a JSON object$/],
    ['"x"', /^is not a JSON object$/],
    ['{"passthru": "1/0/0"}', /^passthru: Invalid type: Expected Array but received "1\/0\/0"$/],
    ['{"passthru": ["1/0/0", 2]}', /^passthru\.1: Invalid type: Expected string but received 2$/],
  ])("%s: %p", (text, want) => {
    const r = parseHosterVm(text);
    expect("error" in r ? r.error : "").toMatch(want);
  });
});

describe("vm_config.json edited in its own layout (hoster-edit.ts)", () => {
  const add = (text: string, ...entries: string[]) => {
    const r = editHosterPassthru(text, { remove: () => false, add: entries });
    if ("error" in r) throw new Error(r.error);
    return r.text;
  };
  test("a list on one line keeps the file's separator: none after the colon, none after commas", () => {
    expect(add('{"passthru":["1/0/0"],"cpu": 2}', "2/0/0")).toBe('{"passthru":["1/0/0","2/0/0"],"cpu": 2}');
    expect(add('{"passthru":[ "1/0/0" ]}', "2/0/0")).toBe('{"passthru":[ "1/0/0", "2/0/0" ]}');
    expect(add('{"passthru": ["1/0/0"]}', "2/0/0")).toBe('{"passthru": ["1/0/0", "2/0/0"]}');
  });
  test("a new list in a file on one line is compact", () => {
    expect(add('{"name":"x","passthru":[]}', "1/0/0", "2/0/0")).toBe('{"name":"x","passthru":["1/0/0","2/0/0"]}');
  });
  test("a new list in a multi-line file is multi-line, as Hoster writes it; an empty list elsewhere is no sign of one-line lists", () => {
    const text = '{\n   "name": "x",\n   "disks": [ ]\n}\n';
    expect(add(text, "1/0/0", "2/0/0")).toBe('{\n   "name": "x",\n   "disks": [ ],\n   "passthru": [\n      "1/0/0",\n      "2/0/0"\n   ]\n}\n');
  });
  test("a file whose object starts after blanks on its line: Hoster's indent, not the blanks and the brace", () => {
    expect(add('  {"name": "x",\n   "cpu": 2\n  }\n', "1/0/0")).toBe('  {"name": "x",\n   "cpu": 2,\n   "passthru": [\n      "1/0/0"\n   ]\n  }\n');
  });
  test("an empty entry Hoster skips stays, and the edit goes through", () => {
    expect(add('{"passthru": ["", "1/0/0"]}', "2/0/0")).toBe('{"passthru": ["", "1/0/0", "2/0/0"]}');
  });
});

test("host_config.json read first in a fresh process: the schemas are made on that first use", async () => {
  const fresh = (await import(`../src/core/vm/hoster.ts?fresh=${Date.now()}`)) as typeof import("../src/core/vm/hoster.ts");
  expect(fresh.parseHosterHost('{"active_datasets": ["tank/vms"]}')).toMatchObject({ value: { active_datasets: ["tank/vms"] } });
});
