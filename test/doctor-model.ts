import { describe, expect, test } from "bun:test";
import type { Check, CheckStatus } from "../src/core/doctor/types.ts";
import type { HostModel, Known } from "../src/core/model/model.ts";
import { type BootFacts, parseDmesg } from "../src/core/parse/dmesg.ts";
import { parseKldstat } from "../src/core/parse/kldstat.ts";
import { mergeLoaderFiles, parseLoaderConf } from "../src/core/parse/loader-conf.ts";
import { parsePciconf } from "../src/core/parse/pciconf.ts";
import { readPptdevsConfig, type PptdevsConfig } from "../src/core/loader/pptdevs-config.ts";
import type { AcpiTables } from "../src/core/parse/acpidump.ts";
import type { VmInventory } from "../src/core/vm/configs.ts";
import { pptUnits } from "../src/core/vm/passthru-entry.ts";

/**
 * A host model built field by field, for the doctor checks case by case: a healthy Intel
 * FreeBSD 14.1 host with vmm loaded by the loader, and whatever a case changes on top.
 */
export const ok = <T>(value: T): Known<T> => ({ ok: true, value });
export const no = <T>(reason: string): Known<T> => ({ ok: false, reason });
export const kv = (o: Record<string, string>): ReadonlyMap<string, string> => new Map(Object.entries(o));

export function boot(over: Partial<BootFacts> = {}): BootFacts {
  return { ...parseDmesg(""), ...over };
}

export function acpi(tables: string[], over: Partial<AcpiTables> = {}): AcpiTables {
  return { status: "ok", tables, entries: {}, message: null, ...over };
}

export function loader(text: string, path = "/boot/loader.conf"): HostModel["loader"] {
  return mergeLoaderFiles([parseLoaderConf(path, text)]);
}

export const kld = (...files: string[]) => ok(parseKldstat(["Id Refs Address                Size Name", ...files.map((f, i) => ` ${i + 1}    1 0xffffffff80200000  1000 ${f}`)].join("\n")));

/** One pciconf -lvc block: `dev("ppt0", "1:0:0", {…})`. */
export function dev(name: string, bsf: string, o: { hdr?: number; vendor?: number; cls?: string; caps?: string[]; label?: string } = {}): string {
  const hdr = (o.hdr ?? 0).toString(16).padStart(2, "0");
  const vendor = (o.vendor ?? 0x10de).toString(16).padStart(4, "0");
  return [
    `${name}@pci0:${bsf}:\tclass=${o.cls ?? "0x030000"} rev=0xa1 hdr=0x${hdr} vendor=0x${vendor} device=0x1cb2 subvendor=0x10de subdevice=0x11bd`,
    `    device     = '${o.label ?? name}'`,
    ...(o.caps ?? ["    cap 05[68] = MSI supports 1 message, 64 bit"]),
  ].join("\n");
}

export const MSIX = "    cap 11[78] = MSI-X supports 4 messages";
export const NO_MSI = "    cap 01[60] = powerspec 3  supports D0 D3  current D0";

export function pci(...blocks: string[]): HostModel["pci"] {
  return ok(parsePciconf(blocks.join("\n")));
}

const noVms: VmInventory = { configs: [], problems: [], instances: [], processes: [], locks: new Map(), pptNames: new Map(), cbsd: null };

export function host(over: Partial<HostModel> = {}): HostModel {
  const base: HostModel = {
    pci: pci(dev("ppt0", "1:0:0")),
    acpi: ok(acpi(["DMAR", "APIC"])),
    kenv: ok(kv({ vmm_load: "YES", pptdevs: "1/0/0" })),
    kld: kld("kernel", "vmm.ko"),
    platform: ok(kv({ "kern.osrelease": "14.1-RELEASE-p5", "hw.machine": "amd64", "hw.model": "Intel(R) Xeon(R) E-2236" })),
    vmm: ok(kv({ "hw.vmm.ppt.devices": "1" })),
    loader: loader('vmm_load="YES"\npptdevs="1/0/0"\n'),
    loaderUnknown: [],
    boot: ok(boot({ cpuVendor: "intel", cpuOrigin: "GenuineIntel", vtx: true })),
    liveDmesg: no("dmesg not run"),
    vmmModule: ok(true),
    defaultRouteInterface: ok("em0"),
    vms: noVms,
    wiring: ok({ maxPages: 1 << 20, wiredPages: 0, pageSize: 4096 }),
    rc: new Map(),
  };
  const m = { ...base, ...over };
  return m.pci.ok && !over.vms ? { ...m, vms: { ...m.vms, pptNames: pptUnits(m.pci.value.devices) } } : m;
}

export const cfgOf = (m: HostModel): PptdevsConfig => readPptdevsConfig(m.loader);

/** A check as one line, the way the snapshot and a reader see it. */
export function line(c: Check): string {
  return `${c.status.toUpperCase()} ${c.id} [${c.area}] ${c.summary}${c.fix ? ` | fix: ${c.fix}` : ""}`;
}

export type Row = readonly [name: string, m: HostModel, status: CheckStatus];

/** One test per row: the check's status asserted here, its whole line held by the snapshot. */
export function checkTable(title: string, run: (m: HostModel) => Check, rows: readonly Row[]) {
  describe(title, () => {
    for (const [name, m, status] of rows) {
      test(name, () => {
        const c = run(m);
        expect(c.status).toBe(status);
        expect(line(c)).toMatchSnapshot();
      });
    }
  });
}
