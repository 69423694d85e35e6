import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parseAcpidump } from "../src/core/parse/acpidump.ts";
import { parseDmesg } from "../src/core/parse/dmesg.ts";
import { parseKldstat } from "../src/core/parse/kldstat.ts";
import { parseKenv } from "../src/core/parse/kenv.ts";
import { parsePciconf, unparsedLines } from "../src/core/parse/pciconf.ts";
import { parseSysctl } from "../src/core/parse/sysctl.ts";
import { idPair } from "../src/core/pci/device.ts";
import { CORPUS } from "./helpers.ts";

/** Which parser reads which corpus folder (iasl dumps are Linux's format: parsed for no crash). */
const PARSERS: Record<string, (text: string) => unknown> = {
  "pciconf-lvc": parsePciconf,
  "pciconf-lv": parsePciconf,
  "pciconf-l": parsePciconf,
  acpidump: (t) => parseAcpidump(t),
  dmesg: parseDmesg,
  other: (t) => [parseKldstat(t), parseAcpidump(t), parsePciconf(t)],
};

function filesOf(root: string): [string, string][] {
  return Object.keys(PARSERS).flatMap((dir) =>
    existsSync(join(root, dir)) ? readdirSync(join(root, dir)).map((f) => [dir, f] as [string, string]) : [],
  );
}

const read = (rel: string) => readFileSync(join(CORPUS, rel), "utf8");

describe("every corpus file parses without an exception", () => {
  const files = filesOf(CORPUS);
  test("the copied corpus is complete", () => {
    expect(files.length).toBeGreaterThanOrEqual(120);
  });
  for (const [dir, f] of files) {
    test(`${dir}/${f}`, () => {
      const parse = PARSERS[dir]!;
      expect(() => parse(read(`${dir}/${f}`))).not.toThrow();
    });
  }

  // The shared corpus grows; whatever lands there must parse too, copied or not.
  const shared = join(import.meta.dir, "..", "..", "shared", "corpus");
  test.skipIf(!existsSync(shared))("files in ../shared/corpus parse too", () => {
    for (const [dir, f] of filesOf(shared)) {
      expect(() => PARSERS[dir]!(readFileSync(join(shared, dir, f), "utf8"))).not.toThrow();
    }
  });
});

/** Every file under `dir`, relative to it, folders walked. */
function walk(dir: string, rel = ""): string[] {
  return readdirSync(join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const r = rel ? `${rel}/${e.name}` : e.name;
    return e.isDirectory() ? walk(dir, r) : [r];
  });
}

for (const folder of ["freebsd-14.0-qemu", "freebsd-14.0-qemu-r2"]) {
  describe(`the real FreeBSD 14.0 outputs (${folder}) parse with the parser for each`, () => {
    const root = join(CORPUS, folder);
    const pick = (name: string): ((t: string) => unknown) | null => {
      if (/pciconf/.test(name)) return (t) => parsePciconf(t);
      if (/acpidump/.test(name)) return (t) => parseAcpidump(t);
      if (/kldstat/.test(name)) return (t) => parseKldstat(t);
      if (/dmesg/.test(name)) return (t) => parseDmesg(t);
      if (/kenv/.test(name)) return (t) => parseKenv(t);
      if (/sysctl/.test(name)) return (t) => parseSysctl(t);
      return null;
    };
    const files = walk(root).filter((f) => !f.endsWith(".md") && !f.endsWith(".rc") && !f.endsWith(".time"));
    test("copied folders are there", () => {
      expect(files.length).toBeGreaterThan(100);
    });
    for (const rel of files) {
      const parse = pick(rel);
      if (!parse) continue;
      test(rel, () => {
        expect(() => parse(readFileSync(join(root, rel), "utf8"))).not.toThrow();
      });
    }
    test("every real pciconf listing is understood line by line", () => {
      const listings = files.filter((f) => /pciconf-l(vc)?(\.stdout|\.txt)?$/.test(f));
      expect(listings.length).toBeGreaterThan(3);
      for (const rel of listings) {
        const l = parsePciconf(readFileSync(join(root, rel), "utf8"));
        expect({ rel, devices: l.devices.length > 5, unparsed: unparsedLines(l).count }).toEqual({ rel, devices: true, unparsed: 0 });
      }
    });
  });
}

describe("facts read from real outputs", () => {
  test("Dell R720: 113 devices, I350 ×4 and 82599 function 1 on ppt", () => {
    const r = parsePciconf(read("pciconf-lvc/bsdhw-ppt-dell-r720-i350x4-82599-fn1.txt"));
    expect(r.devices).toHaveLength(113);
    const ppt = r.devices.filter((d) => d.driver === "ppt");
    expect(ppt.map((d) => `${d.name}@${d.addr.bus}:${d.addr.slot}:${d.addr.func}`)).toEqual([
      "ppt0@1:0:0",
      "ppt1@1:0:1",
      "ppt2@1:0:2",
      "ppt3@1:0:3",
      "ppt4@3:0:1",
    ]);
    expect(ppt.every((d) => d.msix !== null)).toBe(true);
  });

  test("Supermicro 12.1 card= format: ppt0 is the P630 iGPU at 0:2:0", () => {
    const r = parsePciconf(read("pciconf-lvc/bsdhw-ppt-supermicro-igpu-xhci-cardfmt-12.1.txt"));
    const ppt0 = r.devices.find((d) => d.name === "ppt0")!;
    expect(ppt0.addr).toEqual({ domain: 0, bus: 0, slot: 2, func: 0 });
    expect(idPair(ppt0)).toBe("8086:591d");
    expect(ppt0.subvendorId).toBe(0x15d9);
    expect(ppt0.msi?.count).toBe(1);
  });

  test("Gigabyte Z370M: SR-IOV VFs on ppt with ARI functions 130, 132, 134", () => {
    const r = parsePciconf(read("pciconf-lvc/bsdhw-ppt-gigabyte-z370m-82599-vfs-ari-func130.txt"));
    const funcs = r.devices.filter((d) => d.driver === "ppt").map((d) => d.addr.func);
    expect(funcs).toEqual([130, 132, 134]);
  });

  test("ASRock Rack: hundreds of noneN devices, first one on bus 254", () => {
    const r = parsePciconf(read("pciconf-lvc/bsdhw-big-asrockrack-2u4n-235dev-many-none.txt"));
    expect(r.devices).toHaveLength(235);
    expect(r.devices[0]).toMatchObject({ name: "none0", addr: { bus: 254, slot: 8, func: 0 } });
    expect(r.devices.filter((d) => d.driver === "none").length).toBeGreaterThan(100);
  });

  test("Precision 5820: VMD domain 65535", () => {
    const r = parsePciconf(read("pciconf-lvc/bsdhw-vmd-dell-precision5820-domain65535.txt"));
    expect(r.devices.some((d) => d.addr.domain === 65535)).toBe(true);
  });

  test("bcm43602 on ppt0: MSI supports 16, enabled with 1", () => {
    const d = parsePciconf(read("pciconf-lvc/joshuarogers-bcm43602-ppt0-selector-caps.txt")).devices[0]!;
    expect(d.name).toBe("ppt0");
    expect(d.msi).toMatchObject({ count: 16, bits64: true, enabledWith: 1 });
  });

  test("acpidump -t | grep DMAR header line", () => {
    expect(parseAcpidump(read("acpidump/vm-bhyve-issue93-acpidump-t-grep-DMAR.txt")).tables).toEqual(["DMAR"]);
  });

  test("kldstat on 15.0 lists vmm.ko as entry 14; elided old header still yields vmm.ko", () => {
    expect(parseKldstat(read("other/kldstat-vm-bhyve-pr118-15release-vmm.txt")).files.at(-1)).toBe("vmm.ko");
    expect(parseKldstat(read("other/kldstat-vm-bhyve-issue199-user-elided-old-header.txt")).files).toEqual(["vmm.ko"]);
    const padded = parseKldstat(read("other/kldstat-docker-machine-driver-bhyve-issue1-13current-trailing-spaces.txt"));
    expect(padded.files).toContain("vmm.ko");
    expect(padded.unparsed).toEqual([]);
  });

  test("dmesg: CPU vendor, VT-x / SVM, vmm load errors, AMD-Vi hint", () => {
    expect(parseDmesg(read("dmesg/bsdhw-dell-r720-ppt-intel.txt"))).toMatchObject({ cpuVendor: "intel", vtx: true });
    expect(parseDmesg(read("dmesg/bsdhw-b550m-ppt-gpu-ivhd-errors-multiboot.txt"))).toMatchObject({ cpuVendor: "amd", svm: true });
    expect(parseDmesg(read("dmesg/bsdhw-msi-ms7b09-vmm-modload-error6.txt")).vmmLoadError).toBe(6);
    expect(parseDmesg(read("dmesg/wifibox-issue54-syslog-ppt-amdvi-hint.txt")).amdviHint).toBe(true);
  });
});
