import { describe, expect, test } from "bun:test";
import { parseAcpidump } from "../src/core/parse/acpidump.ts";
import { parseKenv } from "../src/core/parse/kenv.ts";
import { loaderFileOrder, mergeLoaderFiles, parseLoaderConf, readLoaderLine } from "../src/core/parse/loader-conf.ts";
import { parseSysctl } from "../src/core/parse/sysctl.ts";

describe("acpidump -t", () => {
  test("table headers and DMAR sub-tables", () => {
    const text = "/*\n  RSD PTR: OEM=INTEL, ACPI_Rev=2.0x (2)\n */\n/*\n  DMAR: Length=168, Revision=1, Checksum=206,\n\tHost Address Width=39\n\n\tType=DRHD\n\tLength=24\n\n\tType=DRHD\n\n\tType=RMRR\n */\n/*\n  IVRS: Length=208, Revision=2, Checksum=1,\n */\n";
    const r = parseAcpidump(text);
    expect(r).toMatchObject({ status: "ok", tables: ["DMAR", "IVRS"] });
    expect(r.entries.DMAR).toEqual({ DRHD: 2, RMRR: 1 });
  });
  test("not root: /dev/mem permission denied", () => {
    const r = parseAcpidump("", "acpidump: opening /dev/mem: Permission denied\n", 1);
    expect(r).toMatchObject({ status: "denied", tables: [], message: "acpidump: opening /dev/mem: Permission denied" });
  });
  test("other failure", () => {
    expect(parseAcpidump("", "acpidump: RSDP not found\n", 1).status).toBe("failed");
  });
});

describe("kenv and sysctl", () => {
  test("kenv name=\"value\" lines; odd lines kept", () => {
    const r = parseKenv('pptdevs="1/0/0 1/0/1"\nvmm_load="YES"\nkernel_options=""\ngarbage line\n');
    expect(r.values.get("pptdevs")).toBe("1/0/0 1/0/1");
    expect(r.values.get("kernel_options")).toBe("");
    expect(r.unparsed).toEqual([{ line: 4, text: "garbage line" }]);
  });
  test("sysctl name: value, multi-line values join", () => {
    const r = parseSysctl("hw.vmm.ppt.devices: 2\nhw.model: Intel(R) Xeon(R)\nkern.conftxt: options\tA\nB\n");
    expect(r.values.get("hw.vmm.ppt.devices")).toBe("2");
    expect(r.values.get("kern.conftxt")).toBe("options\tA\nB");
  });
});

describe("loader.conf family, read as FreeBSD's Lua loader reads it (stand/lua/config.lua)", () => {
  test("quotes, comments, unquoted values, malformed lines with file:line", () => {
    const f = parseLoaderConf(
      "/boot/loader.conf",
      '# comment\nvmm_load="YES"   # inline\nhw.vmm.amdvi.enable=1\n\npptdevs="2/0/0\nbad line here\n  pptdevs2 = "3/0/0"\r\n',
    );
    expect(f.assignments.map((a) => [a.name, a.value, a.line])).toEqual([
      ["vmm_load", "YES", 2],
      ["hw.vmm.amdvi.enable", "1", 3],
      ["pptdevs2", "3/0/0", 7],
    ]);
    expect(f.problems.map((p) => [p.line, p.text, p.problem, p.name])).toEqual([
      [5, 'pptdevs="2/0/0', "the closing double quote is missing", "pptdevs"],
      [6, "bad line here", "not a NAME=VALUE line", "bad"],
    ]);
  });
  // What the loader does with each line: "set" with the value it stores, or a line it refuses.
  const rows: { line: string; set?: [string, string]; inexact?: RegExp; refused?: RegExp }[] = [
    { line: 'pptdevs="1/0/0 1/0/1"', set: ["pptdevs", "1/0/0 1/0/1"] },
    { line: '  pptdevs =\t"1/0/0"  # the GPU', set: ["pptdevs", "1/0/0"] },
    { line: 'pptdevs="1/0/0"\r', set: ["pptdevs", "1/0/0"] },
    { line: "vmm_load=YES", set: ["vmm_load", "YES"] },
    { line: "hw.vmm.amdvi.enable=1 # AMD", set: ["hw.vmm.amdvi.enable", "1"] },
    { line: 'pptdevs="1\\/0/0"', set: ["pptdevs", "1/0/0"] },
    { line: 'pptdevs="$gpu 1/0/1"', set: ["pptdevs", "$gpu 1/0/1"], inexact: /expands from its own environment/ },
    { line: "pptdevs='1/0/0 1/0/1'", refused: /^single quotes/ },
    { line: 'pptdevs="1/0/0" junk', refused: /^text after the value \('junk'\)/ },
    { line: 'pptdevs="1/0/0" # see "notes"', refused: /refuses it for the quote inside/ },
    { line: 'pptdevs="1/0/0 \\', refused: /no continuation lines/ },
    { line: 'pptdevs="1/0/0 1/0/1', refused: /closing double quote is missing/ },
    { line: 'export pptdevs="1/0/0"', refused: /'export' is shell syntax/ },
    { line: "pptdevs=2/0/0", refused: /only up to the first character .*\('\/' here\)/ },
    { line: 'pptdevs[2]="1/0/0"', refused: /'\[' is not allowed/ },
    { line: '\xef\xbb\xbfpptdevs="1/0/0"', refused: /byte-order mark/ },
    { line: 'pptdevs="1/0/0\\"', refused: /Stray escape at end of line/ },
    // MODULE_load … MODULE_error are module settings, kept as written: no $ expansion to doubt.
    ...["load", "name", "type", "flags", "before", "after", "error"].map((k) => ({ line: `geom_eli_${k}="$x"`, set: [`geom_eli_${k}`, "$x"] as [string, string] })),
    { line: 'geom_eli_loader="$x"', set: ["geom_eli_loader", "$x"], inexact: /expands from its own environment/ },
  ];
  for (const r of rows) {
    test(JSON.stringify(r.line), () => {
      const got = readLoaderLine(r.line);
      if (r.set) {
        expect(got).toMatchObject({ kind: "set", name: r.set[0], value: r.set[1] });
        if (got.kind === "set") expect(got.inexact === null ? null : got.inexact).toEqual(r.inexact ? expect.stringMatching(r.inexact) : null);
      } else {
        expect(got.kind).toBe("malformed");
        if (got.kind === "malformed") expect(got.problem).toMatch(r.refused!);
      }
    });
  }
  test("a line ending in a backslash takes the lines it meant to join with it", () => {
    const f = parseLoaderConf("/boot/loader.conf", 'a="1"\npptdevs="1/0/0 \\\n  1/0/1"\nb="2"\n');
    expect(f.assignments.map((a) => a.name)).toEqual(["a", "b"]);
    expect(f.problems).toHaveLength(1);
    expect(f.problems[0]).toMatchObject({ line: 2, name: "pptdevs", extraLines: 1, fullText: 'pptdevs="1/0/0 \\\n  1/0/1"' });
  });
  test("reading order: loader.conf, loader.conf.d/*.conf sorted, then .local; last wins", () => {
    expect(loaderFileOrder(["b.conf", "a.conf", "README"])).toEqual([
      "/boot/loader.conf",
      "/boot/loader.conf.d/a.conf",
      "/boot/loader.conf.d/b.conf",
      "/boot/loader.conf.local",
    ]);
    const cfg = mergeLoaderFiles([
      parseLoaderConf("/boot/loader.conf", 'pptdevs="1/0/0"\n'),
      parseLoaderConf("/boot/loader.conf.local", 'pptdevs="2/0/0"\n'),
    ]);
    expect(cfg.effective.get("pptdevs")).toMatchObject({ value: "2/0/0", file: "/boot/loader.conf.local" });
  });
});
