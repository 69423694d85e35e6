import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { parseAcpidump } from "../src/core/parse/acpidump.ts";
import { parseDmesg } from "../src/core/parse/dmesg.ts";
import { parseKenv } from "../src/core/parse/kenv.ts";
import { parseKldstat } from "../src/core/parse/kldstat.ts";
import { parseLoaderConf } from "../src/core/parse/loader-conf.ts";
import { formatBhyve, formatSelector } from "../src/core/pci/address.ts";
import { parsePciconf } from "../src/core/parse/pciconf.ts";
import { checkPptdevsValue } from "../src/core/loader/pptdevs.ts";
import { parseSelector } from "../src/core/pci/selector.ts";
import { parseSysctl } from "../src/core/parse/sysctl.ts";

/** Text that looks like the real thing often enough to reach deep branches. */
const fragments = fc.constantFrom(
  "vgapci0@pci0:1:0:0:\t",
  "class=0x030000 ",
  "card=0x",
  "chip=0x591d8086 ",
  "hdr=0x01",
  "    cap 05[68] = ",
  "MSI supports ",
  "MSI-X supports 64 messages, enabled",
  "    ecap 0001[100] = ",
  "    vendor     = '",
  "'",
  "\n",
  "\t",
  " ",
  "--",
  "@pci",
  "pci65535:",
  ":",
  "=",
  '"',
  "#",
  "  DMAR: Length=1,",
  "Type=DRHD",
  "Origin=\"GenuineIntel\"",
  "MOD_LOAD (vmm, 0x0, 0) error 6",
  "\r\n",
  "9999999999999999999999",
  "-1",
);
const text = fc.oneof(fc.string({ maxLength: 400 }), fc.array(fragments, { maxLength: 60 }).map((a) => a.join("")));

const parsers: [string, (t: string) => unknown][] = [
  ["pciconf", parsePciconf],
  ["acpidump", (t) => parseAcpidump(t, t, 1)],
  ["kenv", parseKenv],
  ["sysctl", parseSysctl],
  ["kldstat", parseKldstat],
  ["loader.conf", (t) => parseLoaderConf("/boot/loader.conf", t)],
  ["dmesg", parseDmesg],
  ["selector", parseSelector],
  ["pptdevs value", checkPptdevsValue],
];

describe("parsers never throw on arbitrary text", () => {
  for (const [name, parse] of parsers) {
    test(name, () => {
      fc.assert(fc.property(text, (t) => void parse(t)), { numRuns: 2000 });
    });
  }
});

test("pciconf parsing is linear: a 1 MB line of digits and a 10,000-device listing are quick", () => {
  const t0 = performance.now();
  parsePciconf(`${"0".repeat(1_000_000)}@pci`);
  parsePciconf(`a${" ".repeat(200_000)}b${"=".repeat(1000)}\n`);
  const many = Array.from({ length: 10_000 }, (_, i) => `none${i}@pci0:${i % 256}:${(i >> 8) % 32}:0:\tclass=0x020000 rev=0x01 hdr=0x00 vendor=0x8086 device=0x1521 subvendor=0x8086 subdevice=0x0001\n    cap 05[50] = MSI supports 1 message, 64 bit \n`).join("");
  expect(parsePciconf(many).devices).toHaveLength(10_000);
  expect(performance.now() - t0).toBeLessThan(2000);
});

const address = fc.record({
  domain: fc.integer({ min: 0, max: 65535 }),
  bus: fc.integer({ min: 0, max: 255 }),
  slot: fc.integer({ min: 0, max: 31 }),
  func: fc.integer({ min: 0, max: 255 }),
});

describe("selectors round-trip through every printed form", () => {
  test("pci<D>:B:S:F and its trailing-colon spelling", () => {
    fc.assert(
      fc.property(address, (a) => {
        for (const s of [formatSelector(a), `${formatSelector(a)}:`, `${a.domain}:${a.bus}:${a.slot}:${a.func}`]) {
          expect(parseSelector(s)).toMatchObject({ kind: "addr", addr: a });
        }
      }),
    );
  });
  test("B/S/F and B:S:F are domain 0", () => {
    fc.assert(
      fc.property(address, (a0) => {
        const a = { ...a0, domain: 0 };
        expect(parseSelector(formatBhyve(a))).toMatchObject({ kind: "addr", addr: a });
        expect(parseSelector(`${a.bus}:${a.slot}:${a.func}`)).toMatchObject({ kind: "addr", addr: a });
      }),
    );
  });
  test("device names and vendor:device ids", () => {
    expect(parseSelector("vgapci0")).toEqual({ kind: "name", name: "vgapci0", text: "vgapci0" });
    expect(parseSelector("mlx5_core1")).toMatchObject({ kind: "name", name: "mlx5_core1" });
    expect(parseSelector("10de:1cb2")).toMatchObject({ kind: "ids", vendor: 0x10de, device: 0x1cb2 });
    expect(parseSelector("0:32:0")).toEqual({ error: "selector '0:32:0': slot 32 is above 31" });
    expect(parseSelector("gpu")).toMatchObject({ error: expect.stringContaining("not understood") });
  });
});

describe("redaction (capture)", () => {
  const { redact } = require("../src/core/text/redact.ts") as typeof import("../src/core/text/redact.ts");
  const line = fc.oneof(
    fc.constantFrom('pptdevs="1/0/0 1/0/1"', 'passthru0="0/2/0=2:0"', '  "passthru": ["1/0/0", "-1/0/1"],', 'vmm_load="YES"', 'vnc_password="x y"', '"vnc_password": "a\\"b",', "smbios.system.serial=\"X\"", "igc0: Ethernet address: 00:11:22:33:44:55"),
    fc.string({ maxLength: 40 }),
  );
  test("never throws, is idempotent, and keeps every pptdevs/passthru line", () => {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 20 }), fc.constantFrom("kenv", "dmesg", "config") as fc.Arbitrary<"kenv" | "dmesg" | "config">, (lines, kind) => {
        const text = lines.join("\n");
        const once = redact(kind, text);
        expect(redact(kind, once.text).text).toBe(once.text);
        for (const l of lines) if (/pptdevs|passthru/.test(l) && !/([0-9a-f]{2}:){5}/i.test(l)) expect(once.text).toContain(l);
      }),
    );
  });
});

describe("posix paths without node:path", () => {
  const { joinPath, dirName, baseName } = require("../src/core/text/path.ts") as typeof import("../src/core/text/path.ts");
  const { posix } = require("node:path") as typeof import("node:path");
  const seg = fc.constantFrom("a", "b", "..", ".", "", "/", "x/y", "/abs", "c/", "..b");
  test("joinPath, dirName and baseName agree with node:path's posix functions", () => {
    fc.assert(
      fc.property(fc.array(seg, { minLength: 1, maxLength: 6 }), (parts) => {
        const nonEmpty = parts.filter((p) => p !== "");
        if (nonEmpty.length === 0) return;
        expect(joinPath(...nonEmpty)).toBe(posix.join(...nonEmpty));
        const p = posix.join(...nonEmpty);
        expect(dirName(p)).toBe(posix.dirname(p));
        expect(baseName(p)).toBe(posix.basename(p));
      }),
    );
  });
});
