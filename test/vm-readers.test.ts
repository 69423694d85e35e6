import { describe, expect, test } from "bun:test";
import { type PciAddress, addr } from "../src/core/pci/address.ts";
import { WIRED_MARK, appendConfigLines, parseBhyveConfig, removeConfigDevices } from "../src/core/vm/bhyve-config.ts";
import { parseHosterVm } from "../src/core/vm/hoster.ts";
import { parseVmBhyveConf } from "../src/core/vm/vm-bhyve.ts";

/**
 * The VM config readers line by line, every rule with the case it exists for (issue 36: the
 * first mutation run found these paths covered only by slow CLI tests, or not at all). Each
 * result was read against vm-bhyve's lib/vm-config and Hoster's get_config.go before it was kept.
 */
const HEAD = 'loader="uefi"\ncpu=2\nmemory=4G\n';
const PROBE = 32 * 1024;

describe("parseVmBhyveConf: what vm-bhyve reads, and the lines it skips or mangles", () => {
  const rows: [string, string][] = [
    ["a NUL in the first 32 KiB: grep calls the file binary", `${HEAD}passthru0="1/0/0"\n\0\n`],
    ["a NUL at the last byte grep probes", `${"#".repeat(PROBE - 1)}\0\n`],
    ["a NUL just past what grep probes, on line 3", `a=1\nb=2\n${"#".repeat(PROBE)}\0\n`],
    ["binary data: the byte and its line", `${HEAD}\x01passthru0="1/0/0"\n`],
    ["DEL is binary too", `${HEAD}x=\x7f\n`],
    ["an indented passthru line is skipped", `${HEAD}  passthru0="1/0/0"\n`],
    ["export before it: vm-bhyve reads the name 'export passthru0'", `${HEAD}export passthru0="1/0/0"\n`],
    ["an indented export: skipped", `${HEAD}  export passthru0="1/0/0"\n`],
    ["an upper-case name: skipped", `${HEAD}Passthru0="1/0/0"\n`],
    ["an indented option line, blanks before '='", `${HEAD}passthru0="1/0/0"\n\tpassthru0_options = "rom=/x.rom"\n`],
    ["a commented-out entry is no problem, indented or not", `${HEAD}# passthru0="9/0/0"\n  #passthru1="9/0/1"\n`],
    ["an indented line that is not passthru: no problem", `${HEAD}  disk0_type="nvme"\n`],
    ["trailing spaces go, a comment is cut", `${HEAD}passthru0="1/0/0"   \npassthru1=1/0/1 # audio\n`],
    ["a tab before the comment stays in the value", `${HEAD}passthru0=1/0/0\t# gpu\n`],
    ["a CR: DOS line ending", `${HEAD}passthru0="1/0/0"\r\n`],
    ["a CR on an option line", `${HEAD}passthru0="1/0/0"\npassthru0_options="rom=/x.rom"\r\n`],
    ["a blank before '=' hides the name", `${HEAD}passthru0 ="1/0/0"\n`],
    ["a line without '=' is no setting", `${HEAD}passthru0\npassthru0="1/0/0"\n`],
    ["the first line of a name wins", `${HEAD}passthru0="1/0/0"\npassthru0="2/0/0"\n`],
    ["single quotes stay, and bhyve refuses them", `${HEAD}passthru0='1/0/0'\n`],
    ["a blank inside the value", `${HEAD}passthru0="1/0/0 1/0/1"\n`],
    ["a blank inside the options", `${HEAD}passthru0="1/0/0"\npassthru0_options="rom=/my roms/x.rom"\n`],
    ["pptN names a device by its unit", `${HEAD}passthru0="ppt3"\n`],
    ["a pin and options", `${HEAD}passthru0="0/2/0=2:0"\npassthru0_options="rom=/gop.rom"\n`],
    ["B:S:F, which bhyve refuses", `${HEAD}passthru0="1:0:0"\n`],
    ["pci0:B:S:F, which bhyve reads", `${HEAD}passthru0="pci0:1:0:0"\n`],
    ["not an address at all", `${HEAD}passthru0="gpu"\n`],
    ["Hoster's leading '-'", `${HEAD}passthru0="-1/0/0"\n`],
    ["a gap: vm-bhyve stops at passthru1", `${HEAD}passthru0="1/0/0"\npassthru2="2/0/0"\n`],
    ["no passthru0 at all", `${HEAD}passthru1="1/0/0"\n`],
    ["a two-digit number after a gap", `${HEAD}passthru0="1/0/0"\npassthru10="2/0/0"\n`],
    ["passthru01 is a name vm-bhyve never asks for", `${HEAD}passthru0="1/0/0"\npassthru01="2/0/0"\n`],
    ["several problems, each with its line", `${HEAD}  passthru0="1/0/0"\npassthru1 ="1/0/1"\npassthru3='3/0/0'\n`],
    ["nothing vm-bhyve needs: loader, cpu and memory missing", 'passthru0="1/0/0"\n'],
    ["empty values count as missing", 'loader=""\ncpu=\nmemory=2G\n'],
    ["an empty file", ""],
  ];
  for (const [name, text] of rows) test(name, () => expect(parseVmBhyveConf(text)).toMatchSnapshot());
});

describe("parseHosterVm: what Hoster's Go decoder reads", () => {
  const rows: [string, string][] = [
    ["not JSON", "{ passthru: "],
    ["JSON, not an object", '["1/0/0"]'],
    ["null is not an object", "null"],
    ["passthru not a list", '{"passthru": "1/0/0"}'],
    ["passthru null: none", '{"passthru": null}'],
    ["an entry with blanks around it", '{"passthru": [" 1/0/0"]}'],
    ["empty entries are skipped, as Hoster skips them", '{"passthru": ["", "1/0/0"]}'],
    ["B:S:F: Hoster skips it", '{"passthru": ["1:0:0", "1/0/1"]}'],
    ["pptN: Hoster skips it", '{"passthru": ["ppt0"]}'],
    ["B/S/F that is not an address", '{"passthru": ["1/0/x"]}'],
    ["a leading '-': a slot of its own", '{"passthru": ["1/0/0", "-1/0/1"]}'],
    ["a pin Hoster cannot give", '{"passthru": ["1/0/0=6:0"]}'],
    ["the slot layout: 2 NICs, 2 disks, a 9p share", '{"passthru": ["1/0/0"], "networks": [{}, {}], "disks": [{}, {}], "9p_shares": [{}], "memory": "8G", "disable_xhci": true}'],
    ["no NIC, no disk", '{"passthru": ["1/0/0"], "networks": [], "disks": []}'],
    ["keys in any case, the last one wins", '{"PASSTHRU": ["9/0/0"], "Passthru": ["1/0/0"], "Memory": "2G"}'],
    ["memory that is not a string", '{"memory": 4096}'],
  ];
  for (const [name, text] of rows) test(name, () => expect(parseHosterVm(text)).toMatchSnapshot());
});

describe("parseBhyveConfig: a bhyve -k file as bhyve reads it", () => {
  const rows: [string, string][] = [
    ["booleans: true, on, yes, 1", "memory.wired=On\n"],
    ["booleans: false, off, no, 0", "memory.wired=0\n"],
    ["a word that only starts like a boolean", "memory.wired=truely\n"],
    ["a word that only ends like one", "memory.wired=untrue\n"],
    ["no final newline: the last line still counts", "memory.wired=yes"],
    ["a line with '=' and nothing after it", "name=vm\nmemory.size=\n"],
    ["a line without '=', on line 2", "name=vm\njunk\n"],
    ["a line starting with '='", "=x\n"],
    ["pptdev names the device", "pci.0.6.0.device=passthru\npci.0.6.0.pptdev=ppt1\npci.0.6.0.rom=/gop.rom\n"],
    ["bus, slot and func", "pci.0.7.1.device=passthru\npci.0.7.1.bus=12\npci.0.7.1.slot=0\npci.0.7.1.func=1\n"],
    ["func missing", "pci.0.6.0.device=passthru\npci.0.6.0.bus=1\npci.0.6.0.slot=0\n"],
    ["func not a plain number", "pci.0.6.0.device=passthru\npci.0.6.0.bus=1\npci.0.6.0.slot=0\npci.0.6.0.func=0x1\n"],
    ["func with a sign", "pci.0.6.0.device=passthru\npci.0.6.0.bus=1\npci.0.6.0.slot=0\npci.0.6.0.func=1a\n"],
    ["a node on guest bus 1 holds no slot of bus 0", "pci.1.3.0.device=virtio-net\npci.0.4.0.device=ahci\n"],
    ["pci.00.6.0 is a name bhyve never asks for", "pci.00.6.0.device=passthru\npci.00.6.0.pptdev=ppt0\n"],
    ["the last setting of a name wins", "pci.0.6.0.device=passthru\npci.0.6.0.pptdev=ppt0\npci.0.6.0.pptdev=ppt2\n"],
  ];
  const shape = (r: ReturnType<typeof parseBhyveConfig>) => ("error" in r ? r : { passthru: r.passthru, usedSlots: [...r.usedSlots], wired: r.wired, settings: [...r.settings.keys()] });
  for (const [name, text] of rows) test(name, () => expect(shape(parseBhyveConfig(text))).toMatchSnapshot());
});

describe("appendConfigLines and removeConfigDevices: every other byte stays", () => {
  const G = "pci.0.6.0.device=passthru\npci.0.6.0.bus=1\npci.0.6.0.slot=0\npci.0.6.0.func=0\n";
  const A = "pci.0.6.1.device=passthru\npci.0.6.1.pptdev=ppt1\n";
  const mine = (n: string) => (n === "ppt1" ? addr(1, 0, 1) : null);
  const remove = (text: string, hosts: PciAddress[]) => {
    const c = parseBhyveConfig(text);
    if ("error" in c) throw new Error(c.error);
    return removeConfigDevices(text, c, hosts, mine);
  };
  test("append: an empty file, a file with a final newline, one without", () => {
    expect(appendConfigLines("", ["a=1", "b=2"])).toBe("a=1\nb=2\n");
    expect(appendConfigLines("x=1\n", ["a=1", "b=2"])).toBe("x=1\na=1\nb=2\n");
    expect(appendConfigLines("x=1", ["a=1", "b=2"])).toBe("x=1\na=1\nb=2");
  });
  test("remove: the node's lines, by address or through its pptdev, and what was removed", () => {
    const r = remove(`name=vm\n${G}${A}memory.size=2G\n`, [addr(1, 0, 1)]);
    expect(r).toEqual({ text: `name=vm\n${G}memory.size=2G\n`, removed: ["pci.0.6.1 (1/0/1)"], nodes: [{ guest: { bus: 0, slot: 6, func: 1 }, host: addr(1, 0, 1) }] });
    expect(remove(`${G}${A}`, [addr(2, 0, 0)]).removed).toEqual([]);
  });
  test("a pptdev that is no device now is not removed", () => {
    const text = "pci.0.6.0.device=passthru\npci.0.6.0.pptdev=ppt9\n";
    expect(remove(text, [addr(1, 0, 1)]).text).toBe(text);
  });
  test("the last device takes the memory.wired assign added, and its mark, with it; not before", () => {
    const wired = `${WIRED_MARK}\nmemory.wired=true\n`;
    expect(remove(`name=vm\n${G}${A}${wired}`, [addr(1, 0, 0)]).text).toBe(`name=vm\n${A}${wired}`);
    expect(remove(`name=vm\n${G}${A}${wired}`, [addr(1, 0, 0), addr(1, 0, 1)]).text).toBe("name=vm\n");
  });
  test("a memory.wired the admin wrote stays, and so does a mark without its line", () => {
    expect(remove(`memory.wired=true\n${G}`, [addr(1, 0, 0)]).text).toBe("memory.wired=true\n");
    expect(remove(`${WIRED_MARK}\nname=vm\n${G}`, [addr(1, 0, 0)]).text).toBe(`${WIRED_MARK}\nname=vm\n`);
    expect(remove(`${G}name=vm\nmemory.wired=true\n`, [addr(1, 0, 0)]).text).toBe("name=vm\nmemory.wired=true\n");
  });
  test("a file without a final newline: the new last line keeps none", () => {
    expect(remove(`name=vm\n${G.slice(0, -1)}`, [addr(1, 0, 0)]).text).toBe("name=vm");
    expect(remove(`${G}name=vm`, [addr(1, 0, 0)]).text).toBe("name=vm");
    expect(remove(G.slice(0, -1), [addr(1, 0, 0)]).text).toBe("");
  });
});
