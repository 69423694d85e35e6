import { describe, expect, test } from "bun:test";
import { parseVmBhyveConf } from "../src/core/vm/vm-bhyve.ts";

/**
 * vm-bhyve configs line by line as lib/vm-config reads them (issue 36): which lines it reads,
 * which names it matches, and the one line pptctl says for each it cannot pass on.
 * https://github.com/churchers/vm-bhyve/blob/master/lib/vm-config
 */
const BASE = 'loader="uefi"\ncpu=2\nmemory=8G\n';
const read = (text: string) => parseVmBhyveConf(text);
const error = (text: string) => {
  const r = read(text);
  return "error" in r ? r.error : null;
};
const entries = (text: string) => {
  const r = read(text);
  if ("error" in r) throw new Error(r.error);
  return r.entries;
};

describe("bytes vm-bhyve's grep does not read as text", () => {
  test("a NUL as the first byte, and at the end of grep's 32 KiB probe", () => {
    expect(error("\0passthru0=1/0/0\n")).toStartWith("holds a NUL byte, so FreeBSD's grep");
    expect(error(`${"#".repeat(32 * 1024 - 1)}\0`)).toStartWith("holds a NUL byte, so FreeBSD's grep");
    expect(error(`${"#".repeat(32 * 1024)}\0`)).toBe("holds a NUL byte (line 1): not a text file pptctl can read with confidence");
    expect(error(`${"#\n".repeat(20000)}\0`)).toBe("holds a NUL byte (line 20001): not a text file pptctl can read with confidence");
  });
  test("a control byte, named with its line", () => {
    expect(error("\nx=\x01")).toBe("holds binary data (byte 0x01 on line 2): not a text file pptctl can read with confidence");
    expect(error("a=1\nb=2\nc=\x7f")).toBe("holds binary data (byte 0x7f on line 3): not a text file pptctl can read with confidence");
  });
});

describe("lines vm-bhyve skips or misnames", () => {
  test.each([
    ["\tpassthru0=1/0/0", "line 4, 'passthru0=1/0/0', is skipped by vm-bhyve, which reads only lines that start with a lower-case letter"],
    ["PASSTHRU0 = 1/0/0", "line 4, 'PASSTHRU0 = 1/0/0', is skipped by vm-bhyve, which reads only lines that start with a lower-case letter"],
    [" passthru10=1/0/0", "line 4, 'passthru10=1/0/0', is skipped by vm-bhyve, which reads only lines that start with a lower-case letter"],
    ["\texport  passthru0=1/0/0", "line 4, 'export  passthru0=1/0/0', is skipped by vm-bhyve, which reads only lines that start with a lower-case letter"],
    ["passthru10_options=rom=/x\r", "line 4, 'passthru10_options=rom=/x', ends in a carriage return (a DOS line ending), which vm-bhyve keeps in the value it gives bhyve: save the file with Unix line endings"],
    ["passthru10\t=1/0/0", "line 4, 'passthru10\t=1/0/0': vm-bhyve matches the name exactly, so the blank before '=' hides it"],
    ["export passthru10=1/0/0", "line 4, 'export passthru10=1/0/0': vm-bhyve takes everything before '=' as the name, 'export passthru10', so it never reads this line: remove 'export'"],
    ["export  passthru0=1/0/0", "line 4, 'export  passthru0=1/0/0': vm-bhyve takes everything before '=' as the name, 'export  passthru0', so it never reads this line: remove 'export'"],
    ["passthru0=1/0/0\npassthru12=2/0/0", "line 5, passthru12: vm-bhyve stops at the first missing number (passthru1), so it never passes this device: renumber from passthru0 without gaps"],
  ])("%p", (line, want) => {
    expect(error(`${BASE}${line}\n`)).toBe(want);
  });
  test.each([
    [" #passthru0=1/0/0"],
    [" my_passthru0=1/0/0"],
    ["mypassthru0=1/0/0\r"],
    ["mypassthru0\t=1/0/0"],
    ["passthru0x\t=1/0/0"],
    ["myexport passthru0=1/0/0"],
    ["export passthru0x=1/0/0"],
    ["mypassthru5=1/0/0"],
    ["passthru0"],
    ["passthru0\t"],
  ])("%p is not a passthru line: nothing to say", (line) => {
    expect(read(`${BASE}${line}\n`)).toMatchObject({ entries: [] });
  });
});

describe("entries bhyve would refuse", () => {
  test.each([
    ["'1/0/0'", `vm-bhyve removes only double quotes, so bhyve would get '1/0/0' with its single quotes and refuse it: write passthruN="1/0/0"`],
    ["10:11:12", "bhyve reads B/S/F, pci0:B:S:F or pptN and refuses '10:11:12' (\"passthru: invalid options\"): write 10/11/12"],
    ["1:0:0=2:0", "bhyve reads B/S/F, pci0:B:S:F or pptN and refuses '1:0:0' (\"passthru: invalid options\"): write 1/0/0"],
  ])("%p", (value, want) => {
    expect(error(`${BASE}passthru0=${value}\n`)).toBe(`line 4, passthru0=${value}: ${want}`);
  });
  test.each([["a'1/0/0'"], ["'1/0/0'x"], ["1:0:0x"], ["xppt0"], ["ppt0x"]])("%p is refused as bhyve refuses it, not as something else", (value) => {
    const e = error(`${BASE}passthru0=${value}\n`);
    expect(e).toStartWith(`line 4, passthru0=${value}: `);
    expect(e).not.toContain("single quotes");
    expect(e).not.toContain("refuses '");
    expect(e).not.toContain("passthru entry");
  });
  test("pptN of any number is the device of that name on the host", () => {
    expect(entries(`${BASE}passthru0=ppt10\npassthru1=ppt0\n`)).toEqual(["ppt10", "ppt0"]);
  });
});

describe("how the guest boots (vm::run)", () => {
  test.each([
    ['loader="uefi"', "uefi"],
    ['loader="uefi"\nuefi="csm"', "bios"],
    ['loader="uefi-csm"', "bios"],
    ['loader="grub"', "grub"],
    ['loader="bhyveload"', "bhyveload"],
    ['uefi="CSM"', "bios"],
    ['uefi="yes"', "uefi"],
    ['uefi="On"', "uefi"],
    ['uefi="1"', "uefi"],
    ['uefi="yesno"', null],
    ['uefi="maybe1"', null],
    ['uefi="no"', null],
    ["", null],
  ])("%p: %p", (lines, want) => {
    expect(read(`cpu=2\nmemory=8G\n${lines}\n`)).toMatchObject({ firmware: want });
  });
});
