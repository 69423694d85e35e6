import { describe, expect, test } from "bun:test";
import { WIRED_MARK, parseBhyveConfig, removeConfigDevices } from "../src/core/vm/bhyve-config.ts";
import { addr } from "../src/core/pci/address.ts";

/**
 * bhyve -k files as bhyve's parse_simple_config_file and config_bool read them, and the lines
 * unassign takes out (issue 36). https://man.freebsd.org/cgi/man.cgi?query=bhyve_config&sektion=5
 */
const NODE = "pci.0.6.0.device=passthru\npci.0.6.0.bus=1\npci.0.6.0.slot=0\npci.0.6.0.func=0\n";
const parse = (text: string) => parseBhyveConfig(text);

describe("memory.wired as config_bool reads it", () => {
  test.each([
    ["true", true],
    ["YES", true],
    ["on", true],
    ["1", true],
    ["false", false],
    ["Off", false],
    ["no", false],
    ["0", false],
  ])("%p is %p", (v, want) => {
    expect(parse(`${NODE}memory.wired=${v}\n`)).toMatchObject({ wired: want });
  });
  test.each([["nope"], ["xoff"], ["noway"], ["2"]])("%p is refused with its line", (v) => {
    expect(parse(`${NODE}memory.wired=${v}\n`)).toEqual({ error: `line 5: memory.wired=${v} is not a boolean bhyve reads (true or false)` });
  });
  test("unset: null", () => {
    expect(parse(NODE)).toMatchObject({ wired: null });
  });
});

describe("lines bhyve stops at", () => {
  test("a carriage return, on the line it is on", () => {
    expect(parse("memory.size=2G\npci.0.6.0.device=passthru\r\n")).toEqual({ error: "line 2 ends in a carriage return (a DOS line ending), which bhyve keeps in the value: save the file with Unix line endings" });
  });
  test("empty lines anywhere, the last one too, are nothing", () => {
    expect(parse(`\n\n${NODE}\n\n`)).toMatchObject({ passthru: [{ host: addr(1, 0, 0) }] });
  });
  test("a passthru node missing a number or with a word for it", () => {
    const bad = { error: "pci.0.6.0 is a passthru device without a plain bus, slot and func (bhyve needs pci.0.6.0.bus, .slot and .func as numbers, or .pptdev)" };
    expect(parse("pci.0.6.0.device=passthru\npci.0.6.0.bus=1\npci.0.6.0.slot=0\n")).toEqual(bad);
    expect(parse("pci.0.6.0.device=passthru\npci.0.6.0.bus=1\npci.0.6.0.slot=0\npci.0.6.0.func=x\n")).toEqual(bad);
  });
});

describe("unassign of the last device takes the wired memory assign added, and its comment", () => {
  const drop = (text: string) => {
    const c = parse(text);
    if ("error" in c) throw new Error(c.error);
    return removeConfigDevices(text, c, [addr(1, 0, 0)], () => null).text;
  };
  test("the mark and the setting go; a file without a final newline keeps none", () => {
    expect(drop(`memory.size=2G\n${NODE}${WIRED_MARK}\nmemory.wired=true\n`)).toBe("memory.size=2G\n");
    expect(drop(`memory.size=2G\n${NODE}${WIRED_MARK}\nmemory.wired=true`)).toBe("memory.size=2G");
  });
  test("a setting without the mark is the admin's, and stays", () => {
    expect(drop(`memory.size=2G\n${NODE}memory.wired=true\n`)).toBe("memory.size=2G\nmemory.wired=true\n");
  });
  test("the mark above another line: both stay", () => {
    expect(drop(`${NODE}${WIRED_MARK}\n#memory.wired=true\nmemory.wired=true\n`)).toBe(`${WIRED_MARK}\n#memory.wired=true\nmemory.wired=true\n`);
  });
  test("another passthru device left: the wired memory stays", () => {
    const two = `${NODE}pci.0.7.0.device=passthru\npci.0.7.0.bus=2\npci.0.7.0.slot=0\npci.0.7.0.func=0\n${WIRED_MARK}\nmemory.wired=true\n`;
    expect(drop(two)).toBe(`pci.0.7.0.device=passthru\npci.0.7.0.bus=2\npci.0.7.0.slot=0\npci.0.7.0.func=0\n${WIRED_MARK}\nmemory.wired=true\n`);
  });
  test("the last line is the node's and has no newline: the line before it loses its own", () => {
    expect(drop(`memory.size=2G\n${NODE.slice(0, -1)}`)).toBe("memory.size=2G");
  });
});
