import { describe, expect, test } from "bun:test";
import { readFileSync, readdirSync } from "node:fs";
import fc from "fast-check";
import { join } from "node:path";
import { parsePciconf, readMsi, readMsix, readPcie } from "../src/core/parse/pciconf.ts";
import { CORPUS } from "./helpers.ts";

const corpus = (rel: string) => readFileSync(join(CORPUS, rel), "utf8");
const one = (text: string) => {
  const r = parsePciconf(text);
  expect(r.devices).toHaveLength(1);
  return r.devices[0]!;
};

describe("pciconf header lines", () => {
  const rows: { name: string; line: string; expect: Record<string, unknown> }[] = [
    {
      name: "13.0+ vendor=/device= format",
      line: "vgapci0@pci0:1:0:0:\tclass=0x030000 rev=0xa1 hdr=0x00 vendor=0x10de device=0x1cb2 subvendor=0x10de subdevice=0x11bd",
      expect: { name: "vgapci0", driver: "vgapci", unit: 0, vendorId: 0x10de, deviceId: 0x1cb2, subvendorId: 0x10de, subdeviceId: 0x11bd, classCode: 0x030000, hdr: 0, rev: 0xa1 },
    },
    {
      name: "pre-13 card=/chip= format packs ids",
      line: "hostb0@pci0:0:0:0:\tclass=0x060000 card=0x18971043 chip=0x35808086 rev=0x02 hdr=0x00",
      expect: { vendorId: 0x8086, deviceId: 0x3580, subvendorId: 0x1043, subdeviceId: 0x1897 },
    },
    {
      name: "no driver, no unit",
      line: "none@pci0:3:0:0:\tclass=0x028000 rev=0x01 hdr=0x00 vendor=0x14e4 device=0x43ba subvendor=0x106b subdevice=0x0152",
      expect: { name: "none", driver: "none", unit: null },
    },
    {
      name: "driver name with underscore and digit",
      line: "mlx5_core0@pci0:59:0:0:\tclass=0x020000 rev=0x00 hdr=0x00 vendor=0x15b3 device=0x1017 subvendor=0x15b3 subdevice=0x0020",
      expect: { name: "mlx5_core0", driver: "mlx5_core", unit: 0 },
    },
    {
      name: "domain 65535 and ARI function 130",
      line: "ppt2@pci65535:6:0:130:\tclass=0x020000 rev=0x01 hdr=0x00 vendor=0x8086 device=0x10ed subvendor=0x8086 subdevice=0x7b11",
      expect: { addr: { domain: 65535, bus: 6, slot: 0, func: 130 } },
    },
    {
      name: "FreeBSD 6 three-part selector is bus:slot:func",
      line: "agp0@pci0:2:0:\tclass=0x030000 card=0x18971043 chip=0x35828086 rev=0x02 hdr=0x00",
      expect: { addr: { domain: 0, bus: 0, slot: 2, func: 0 } },
    },
    {
      name: "pciconf -ll long-list columns",
      line: "ppt0@pci0:136:0:4:      020000   00   00   1425   640d   1425   0000",
      expect: { classCode: 0x020000, vendorId: 0x1425, deviceId: 0x640d, addr: { domain: 0, bus: 136, slot: 0, func: 4 } },
    },
    {
      name: "tab turned to spaces by a paste",
      line: "ppt0@pci0:1:0:0:        class=0x028000 rev=0x1a hdr=0x00 vendor=0x8086 device=0x2723 subvendor=0x8086 subdevice=0x0084",
      expect: { name: "ppt0", deviceId: 0x2723 },
    },
  ];
  for (const row of rows) {
    test(row.name, () => {
      expect(one(row.line)).toMatchObject(row.expect);
    });
  }
});

describe("pciconf capability lines", () => {
  const dev = (caps: string) => one(`ppt0@pci0:1:0:0:\tclass=0x030000 rev=0xa1 hdr=0x00 vendor=0x10de device=0x1cb2 subvendor=0x10de subdevice=0x11bd\n${caps}`);
  const rows: { caps: string; msi?: unknown; msix?: unknown; flr?: boolean }[] = [
    { caps: "    cap 05[68] = MSI supports 1 message, 64 bit enabled with 1 message", msi: { count: 1, bits64: true, enabledWith: 1, vectorMasks: false } },
    { caps: "    cap 05[50] = MSI supports 16 messages, 64 bit ", msi: { count: 16, bits64: true, enabledWith: null } },
    { caps: "    cap 05[70] = MSI supports 8 messages, 64 bit, vector masks enabled with 8 messages", msi: { count: 8, bits64: true, vectorMasks: true, enabledWith: 8 } },
    { caps: "    cap 05[d0] = MSI supports 1 message ", msi: { count: 1, bits64: false, enabledWith: null } },
    { caps: "    cap 11[70] = MSI-X supports 64 messages, enabled\n                 Table in map 0x1c[0x0], PBA in map 0x1c[0x2000]", msix: { count: 64, enabled: true, masked: false } },
    { caps: "    cap 11[a0] = MSI-X supports 1 message\n                 Table in map 0x10[0x2000], PBA in map 0x10[0x3000]", msix: { count: 1, enabled: false } },
    { caps: "    cap 11[90] = MSI-X supports 1 message in map 0x10", msix: { count: 1, enabled: false } },
    { caps: "    cap 10[78] = PCI-Express 2 legacy endpoint max data 128(256) FLR RO NS", flr: true },
    { caps: "    cap 13[98] = PCI Advanced Features: FLR TP", flr: true },
    { caps: "    cap 10[78] = PCI-Express 2 endpoint max data 128(256) RO NS", flr: false },
  ];
  for (const row of rows) {
    test(row.caps.trim().split("\n")[0]!, () => {
      const d = dev(row.caps);
      if (row.msi !== undefined) expect(d.msi).toMatchObject(row.msi as object);
      if (row.msix !== undefined) expect(d.msix).toMatchObject(row.msix as object);
      if (row.flr !== undefined) expect(d.flr).toBe(row.flr);
      expect(d.unparsed).toEqual([]);
    });
  }

  test("continuation lines stay with their capability", () => {
    const d = dev("    cap 10[78] = PCI-Express 2 endpoint max data 128(256) RO NS\n                 max read 512\n                 link x16(x16) speed 8.0(8.0)");
    expect(d.caps[0]!.more).toEqual(["max read 512", "link x16(x16) speed 8.0(8.0)"]);
    expect(d.pcie).toEqual({ version: 2, portType: "endpoint", flr: false });
  });

  test("unknown lines are kept on the device, not thrown away", () => {
    const d = dev("    something new = 42\n    cap 05[68] = MSI supports 1 message");
    expect(d.unparsed).toEqual(["    something new = 42"]);
    expect(d.msi?.count).toBe(1);
  });
});

describe("pciconf -v names and paste damage", () => {
  test("quoted names, missing closing quote kept", () => {
    const r = parsePciconf(corpus("pciconf-lv/mcbride-sriov-x710-grep-A4-wrapped-header-before-vfs.txt"));
    expect(r.devices.map((d) => d.name)).toEqual(["ixl0", "ixl1"]);
    // The header was wrapped after vendor=; the next line completes it.
    expect(r.devices[0]).toMatchObject({ vendorId: 0x8086, deviceId: 0x1572, subdeviceId: 0x0007 });
    expect(r.devices[1]!.vendorName).toBe("Intel Corporation");
  });

  test("grep separator and collapsed indentation", () => {
    const r = parsePciconf(corpus("pciconf-lv/tumfatig-egpu-grep-B3-display-collapsed-ws.txt"));
    expect(r.devices.map((d) => d.name)).toEqual(["vgapci0", "vgapci1"]);
    expect(r.devices[1]).toMatchObject({ deviceName: "AD106 [GeForce RTX 4060 Ti 16GB]", className: "display", addr: { bus: 5 } });
    expect(r.unparsed.map((u) => u.text)).toEqual(["--"]);
  });

  test("a device whose -c output has no cap lines", () => {
    const d = parsePciconf(corpus("pciconf-lvc/joshuarogers-bcm43602-none0-after-ppt-detach-nocaps.txt")).devices[0]!;
    expect(d).toMatchObject({ name: "none0", hasCapInfo: false, msi: null, msix: null });
  });

  test("cap line without a device header is kept at top level", () => {
    const r = parsePciconf(corpus("pciconf-lvc/hostercore-doc-lc-vgapci0-grep-MSI.txt"));
    expect(r.devices).toEqual([]);
    expect(r.unparsed).toHaveLength(1);
  });
});

describe("the reader over the corpus and its damaged copies", () => {
  const texts = readdirSync(CORPUS, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /pciconf/.test(join(e.parentPath, e.name)))
    .map((e) => readFileSync(join(e.parentPath, e.name), "utf8"));
  const lines = texts.flatMap((t) => t.split("\n"));
  test("CRLF line ends and trailing blanks change nothing", () => {
    expect(texts.length).toBeGreaterThan(20);
    for (const t of texts) {
      const crlf = t.split("\n").map((l) => `${l}  \r`).join("\n");
      expect(parsePciconf(crlf)).toEqual(parsePciconf(t));
    }
  });
  test("lines cut, shuffled and salted: never a throw, every line kept or read, the devices before a cut unchanged", () => {
    const salt = ["\r", "\t", " ", "\u00a0", "\u2028", "\u000b", "\ufeff", "--", "@pci", "=0x", "A", "'", "cap ", "ecap ", "[", "]", "=", "0", ":", "vendor", "class"];
    const line = fc.oneof(
      fc.constantFrom(...lines),
      fc
        .tuple(fc.constantFrom(...lines), fc.array(fc.tuple(fc.nat(200), fc.constantFrom(...salt)), { minLength: 1, maxLength: 4 }))
        .map(([l, edits]) => edits.reduce((acc, [i, s]) => acc.slice(0, i % (acc.length + 1)) + s + acc.slice(i % (acc.length + 1)), l)),
      fc.string({ unit: fc.constantFrom(...salt, "a", "c", "1", "x") }),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 40 }), (ls) => {
        const t = ls.join("\n");
        const r = parsePciconf(t);
        // Each non-blank line is a header, read into a device, or kept as unparsed: count them.
        const heads = ls.filter((l) => /@pci\d+:\d+:\d+/.test(l) && /^\s*[A-Za-z0-9_]*@pci/.test(l)).length;
        expect(r.devices.length).toBeLessThanOrEqual(heads);
        const cut = parsePciconf(ls.slice(0, Math.floor(ls.length / 2)).join("\n"));
        expect(r.devices.slice(0, Math.max(0, cut.devices.length - 1))).toEqual(cut.devices.slice(0, -1));
      }),
      { numRuns: 3_000 },
    );
  });
});

describe("MSI, MSI-X and PCI Express capability texts (cap.c)", () => {
  const rows: [string, unknown][] = [
    ["MSI supports 1 message, 64 bit, vector masks ", { msi: { count: 1, bits64: true, vectorMasks: true, enabledWith: null } }],
    ["MSI supports 8 messages, 64 bit enabled with 4 messages", { msi: { count: 8, bits64: true, vectorMasks: false, enabledWith: 4 } }],
    ["MSI supports 1 message", { msi: { count: 1, bits64: false, vectorMasks: false, enabledWith: null } }],
    ["MSI-X supports 10 messages, enabled", { msix: { count: 10, enabled: true, masked: false } }],
    ["MSI-X supports 1 message, masked", { msix: { count: 1, enabled: false, masked: true } }],
    ["PCI-Express 2 endpoint max data 256(512) FLR RO NS", { pcie: { version: 2, portType: "endpoint", flr: true } }],
    ["PCI-Express 2 legacy endpoint max data 128(128)", { pcie: { version: 2, portType: "legacy endpoint", flr: false } }],
    ["MSI supports lots", { msi: null, msix: null }],
  ];
  for (const [text, want] of rows) {
    test(text, () => {
      expect({ msi: readMsi(text), msix: readMsix(text), pcie: readPcie(text) }).toMatchObject(want as object);
    });
  }
});
