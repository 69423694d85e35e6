import { describe, expect, test } from "bun:test";
import { cpuVirtCheck, iommuCheck, platformCheck, vmmCheck } from "../src/core/doctor/platform.ts";
import type { CheckStatus } from "../src/core/doctor/types.ts";
import type { HostModel } from "../src/core/model/model.ts";
import { acpi, boot, host, kld, kv, line, loader, no, ok, checkTable } from "./doctor-model.ts";

/**
 * The host-level checks case by case (issue 36): each row is a host as doctor may meet it, with the
 * status it must get; the whole line (summary and fix) is held by the snapshot, so a changed
 * word shows as a diff to review.
 */
const table = checkTable;

const plat = (osrelease: string | null, machine: string | null = "amd64", model = "Intel(R) Xeon(R)") =>
  host({ platform: ok(kv({ ...(osrelease === null ? {} : { "kern.osrelease": osrelease }), ...(machine === null ? {} : { "hw.machine": machine }), "hw.model": model })) });

table("platform", platformCheck, [
  ["sysctl could not run", host({ platform: no("sysctl: not found") }), "unknown"],
  ["14.1-RELEASE-p5 on amd64", plat("14.1-RELEASE-p5"), "pass"],
  ["15.0-CURRENT", plat("15.0-CURRENT"), "pass"],
  ["14.2-STABLE", plat("14.2-STABLE"), "pass"],
  ["14.3-PRERELEASE", plat("14.3-PRERELEASE"), "pass"],
  ["15.0-BETA3", plat("15.0-BETA3"), "pass"],
  ["14.2-RC1", plat("14.2-RC1"), "pass"],
  ["15.0-ALPHA1", plat("15.0-ALPHA1"), "pass"],
  ["a two-digit minor", plat("14.10-RELEASE"), "pass"],
  ["13.2-RELEASE is too old", plat("13.2-RELEASE"), "fail"],
  ["9.3-RELEASE is too old", plat("9.3-RELEASE"), "fail"],
  ["text before the release is not FreeBSD's", plat("FreeBSD 14.1-RELEASE"), "fail"],
  ["a release kind FreeBSD does not use", plat("14.1-LTS"), "fail"],
  ["no kern.osrelease", plat(null), "fail"],
  ["arm64", plat("15.0-RELEASE", "arm64"), "fail"],
  ["i386", plat("14.1-RELEASE", "i386"), "fail"],
  ["no hw.machine", plat("14.1-RELEASE", null), "fail"],
]);

const intel = { cpuVendor: "intel" as const, cpuOrigin: "GenuineIntel" };
const amd = { cpuVendor: "amd" as const, cpuOrigin: "AuthenticAMD" };
const noModel = ok(kv({ "kern.osrelease": "14.1-RELEASE", "hw.machine": "amd64", "hw.model": "QEMU Virtual CPU version 2.5+" }));
/** vmm.ko loaded after boot, with nothing that tells whether it started. */
const unsure = { vmmModule: no<boolean>("kldstat -m vmm timed out"), kenv: ok(kv({})), vmm: ok(kv({})) };
const notLoaded = { kld: kld("kernel") };

table("CPU virtualisation", cpuVirtCheck, [
  ["arm64 is skipped", plat("15.0-RELEASE", "arm64"), "skip"],
  ["vmm registered, Intel", host(), "pass"],
  ["vmm registered, AMD", host({ boot: ok(boot({ ...amd, svm: true })) }), "pass"],
  ["vmm registered, vendor unknown", host({ boot: ok(boot()), platform: noModel }), "pass"],
  ["vmm failed with the kernel's reason", host({ vmmModule: ok(false), boot: ok(boot({ ...intel, vmmLoadError: 6, vmmLoadReason: "vmx_init: processor does not support VMX operation." })) }), "fail"],
  ["vmm failed, no reason printed", host({ vmmModule: ok(false) }), "fail"],
  ["not loaded, no dmesg.boot nor message buffer", host({ ...notLoaded, boot: no("/var/run/dmesg.boot does not exist"), liveDmesg: no("dmesg: not found") }), "unknown"],
  ["not loaded, the message buffer stands in for dmesg.boot", host({ ...notLoaded, boot: no("/var/run/dmesg.boot does not exist"), liveDmesg: ok(boot({ ...intel, vtx: true })) }), "pass"],
  ["not loaded, Intel with VT-x", host(notLoaded), "pass"],
  ["not loaded, Intel without VT-x", host({ ...notLoaded, boot: ok(boot(intel)) }), "fail"],
  ["not loaded, AMD with SVM", host({ ...notLoaded, boot: ok(boot({ ...amd, svm: true })) }), "pass"],
  ["not loaded, AMD without SVM", host({ ...notLoaded, boot: ok(boot(amd)) }), "fail"],
  ["not loaded, Intel per hw.model only, VT-x listed", host({ ...notLoaded, boot: ok(boot({ vtx: true })) }), "pass"],
  ["not loaded, a vendor pptctl does not know", host({ ...notLoaded, boot: ok(boot({ cpuVendor: "other", cpuOrigin: "HygonGenuine" })), platform: noModel }), "unknown"],
  ["not loaded, no CPU line at all", host({ ...notLoaded, boot: ok(boot()), platform: noModel }), "unknown"],
  ["loaded after boot, start unknown, VT-x listed", host(unsure), "unknown"],
  ["loaded after boot, start unknown, no VT-x listed", host({ ...unsure, boot: ok(boot(intel)) }), "unknown"],
  ["loaded after boot, hw.vmm.vmx.initialized=1", host({ ...unsure, vmm: ok(kv({ "hw.vmm.vmx.initialized": "1" })) }), "pass"],
  ["loaded after boot, hw.vmm.vmx.initialized=0", host({ ...unsure, vmm: ok(kv({ "hw.vmm.vmx.initialized": "0" })) }), "fail"],
]);

const amdHost = (over: Partial<HostModel> = {}) =>
  host({ boot: ok(boot({ ...amd, svm: true })), platform: ok(kv({ "kern.osrelease": "14.1-RELEASE", "hw.machine": "amd64", "hw.model": "AMD EPYC 7302P" })), acpi: ok(acpi(["IVRS"])), loader: loader('vmm_load="YES"\nhw.vmm.amdvi.enable="1"\n'), ...over });
const vendorless = (tables: string[]) => host({ boot: ok(boot()), platform: noModel, acpi: ok(acpi(tables)) });

table("IOMMU", iommuCheck, [
  ["arm64 is skipped", plat("15.0-RELEASE", "arm64"), "skip"],
  ["Intel with DMAR", host(), "pass"],
  ["hw.vmm.iommu.enable=0 in loader.conf", host({ loader: loader('hw.vmm.iommu.enable=" 0 "\n') }), "fail"],
  ["hw.vmm.iommu.enable=0 only in the running kernel's kenv", host({ loader: loader(""), kenv: ok(kv({ "hw.vmm.iommu.enable": "0" })) }), "fail"],
  ["hw.vmm.iommu.enable=0 only as a sysctl", host({ loader: loader(""), kenv: ok(kv({})), vmm: ok(kv({ "hw.vmm.iommu.enable": "0" })) }), "fail"],
  ["loader.conf's hw.vmm.iommu.enable=1 outranks the kernel's 0", host({ loader: loader('hw.vmm.iommu.enable="1"\n'), kenv: ok(kv({ "hw.vmm.iommu.enable": "0" })) }), "pass"],
  ["hw.vmm.iommu.enable=10 is not 0", host({ loader: loader('hw.vmm.iommu.enable="10"\n') }), "pass"],
  ["acpidump could not run", host({ acpi: no("acpidump: not found") }), "unknown"],
  ["acpidump denied", host({ acpi: ok(acpi([], { status: "denied" })) }), "unknown"],
  ["acpidump failed with a message", host({ acpi: ok(acpi([], { status: "failed", message: "acpidump: RSDP not found" })) }), "unknown"],
  ["acpidump failed silently", host({ acpi: ok(acpi([], { status: "failed" })) }), "unknown"],
  ["Intel with only IVRS", host({ acpi: ok(acpi(["IVRS"])) }), "fail"],
  ["Intel with neither table", host({ acpi: ok(acpi(["APIC"])) }), "fail"],
  ["AMD with IVRS and amdvi enabled", amdHost(), "pass"],
  ["AMD, amdvi given as ' 1 '", amdHost({ loader: loader('hw.vmm.amdvi.enable=" 1 "\n') }), "pass"],
  ["AMD, amdvi from the running kernel only", amdHost({ loader: loader(""), kenv: ok(kv({ "hw.vmm.amdvi.enable": "1" })) }), "pass"],
  ["AMD, amdvi as a sysctl only", amdHost({ loader: loader(""), kenv: ok(kv({})), vmm: ok(kv({ "hw.vmm.amdvi.enable": "1" })) }), "pass"],
  ["AMD, amdvi not set", amdHost({ loader: loader(""), kenv: ok(kv({})), vmm: ok(kv({})) }), "fail"],
  ["AMD, amdvi set to 0", amdHost({ loader: loader('hw.vmm.amdvi.enable="0"\n') }), "fail"],
  ["AMD with only DMAR (QEMU's intel-iommu)", amdHost({ acpi: ok(acpi(["DMAR"])) }), "fail"],
  ["AMD with neither table", amdHost({ acpi: ok(acpi([])) }), "fail"],
  ["vendor unknown, DMAR: VT-d", vendorless(["DMAR"]), "pass"],
  ["vendor unknown, IVRS: AMD-Vi wants amdvi", vendorless(["IVRS"]), "fail"],
  ["vendor unknown, neither table", vendorless(["APIC"]), "fail"],
]);

const afterBoot = { kenv: ok(kv({})), loader: loader("") };

describe("vmm", () => {
  const rows: readonly (readonly [string, HostModel, boolean, CheckStatus])[] = [
    ["arm64 is skipped", plat("15.0-RELEASE", "arm64"), true, "skip"],
    ["kldstat could not run", host({ kld: no("kldstat: not found") }), true, "unknown"],
    ["loaded by the loader and registered", host(), true, "pass"],
    ["not loaded, vmm_load set: next boot", host({ ...notLoaded, kenv: ok(kv({})) }), true, "warn"],
    ["not loaded, vmm_load not set", host({ ...notLoaded, ...afterBoot }), false, "fail"],
    ["not loaded, vmm_load=NO", host({ ...notLoaded, loader: loader('vmm_load="NO"\n') }), false, "fail"],
    ["loaded but failed, with the reason", host({ vmmModule: ok(false), boot: ok(boot({ ...intel, vmmLoadError: 6, vmmLoadReason: "vmx_init: VMX disabled by BIOS." })) }), true, "fail"],
    ["loaded but failed, no reason", host({ vmmModule: ok(false) }), true, "fail"],
    ["kenv could not run", host({ kenv: no("kenv: not found") }), true, "unknown"],
    ["loaded by the loader, start unknown", host({ vmmModule: no("kldstat -m vmm timed out"), boot: no("/var/run/dmesg.boot does not exist") }), true, "unknown"],
    ["loaded by the loader, start known from dmesg.boot", host({ vmmModule: no("kldstat -m vmm timed out") }), true, "pass"],
    ["kldloaded, vmm_load set now", host({ kenv: ok(kv({})) }), true, "warn"],
    ["kldloaded, pptdevs configured", host(afterBoot), true, "fail"],
    ["kldloaded, no pptdevs", host(afterBoot), false, "warn"],
    ["in kld_list, pptdevs configured", host({ ...afterBoot, rc: new Map([["kld_list", "nmdm vmm"]]) }), true, "fail"],
    ["kld_list names vmm_foo, not vmm", host({ ...afterBoot, rc: new Map([["kld_list", "vmm_foo"]]) }), true, "fail"],
    ["kldloaded, start unknown", host({ ...afterBoot, vmmModule: no("kldstat -m vmm timed out"), vmm: ok(kv({})) }), false, "warn"],
  ];
  for (const [name, m, configured, status] of rows) {
    test(name, () => {
      const c = vmmCheck(m, configured);
      expect(c.status).toBe(status);
      expect(line(c)).toMatchSnapshot();
    });
  }
});
