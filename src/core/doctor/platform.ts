import { hasModule } from "../kldstat.ts";
import { isYes } from "../loader-conf.ts";
import type { HostModel } from "../model.ts";
import { type Check, check } from "./types.ts";

const RELEASE = /^(\d+)\.(\d+)-(RELEASE|STABLE|CURRENT|PRERELEASE|BETA\d*|RC\d*|ALPHA\d*)(-p\d+)?/;

export function platformCheck(m: HostModel): Check {
  if (!m.platform.ok) return check("platform", "Platform", "unknown", `cannot tell the release: ${m.platform.reason}`, "run pptctl as root on the FreeBSD host");
  const rel = m.platform.value.get("kern.osrelease") ?? "";
  const machine = m.platform.value.get("hw.machine") ?? "";
  const r = RELEASE.exec(rel);
  if (!r) return check("platform", "Platform", "fail", `'${rel || "?"}' is not a FreeBSD release`, "pptctl and bhyve passthrough need FreeBSD 14 or later");
  const major = Number(r[1]);
  if (major < 14) {
    return check("platform", "Platform", "fail", `FreeBSD ${rel} is too old`, "upgrade to FreeBSD 14 or later (pptctl's binaries need the 14 ABI)");
  }
  if (machine !== "amd64" && machine !== "arm64") {
    return check("platform", "Platform", "fail", `FreeBSD ${rel} on ${machine || "?"}: bhyve runs on amd64 and arm64 only`, "use an amd64 or arm64 host");
  }
  return check("platform", "Platform", "pass", `FreeBSD ${rel} on ${machine}`);
}

export function cpuVirtCheck(m: HostModel): Check {
  const vmm = m.vmm.ok ? m.vmm.value : new Map<string, string>();
  const boot = m.boot.ok ? m.boot.value : null;
  if (boot?.vmmLoadError != null) {
    return check("cpu-virt", "CPU", "fail", `vmm.ko failed to initialise at boot (MOD_LOAD error ${boot.vmmLoadError})`, "enable Intel VT-x / AMD-V (SVM) in the firmware setup, then reboot");
  }
  if (vmm.get("hw.vmm.vmx.initialized") === "1") return check("cpu-virt", "CPU", "pass", "Intel VT-x, in use by vmm");
  // svm.c has no "initialized" knob; its tree exists only once SVM set up (num_asids > 0).
  if (Number(vmm.get("hw.vmm.svm.num_asids") ?? 0) > 0) return check("cpu-virt", "CPU", "pass", "AMD-V (SVM), in use by vmm");
  if (!boot) return check("cpu-virt", "CPU", "unknown", `cannot read the boot messages: ${m.boot.ok ? "" : m.boot.reason}`, "check that /var/run/dmesg.boot exists");
  if (boot.cpuVendor === "intel") {
    return boot.vtx
      ? check("cpu-virt", "CPU", "pass", "Intel VT-x offered by the CPU")
      : check("cpu-virt", "CPU", "fail", "the CPU offers no VT-x", "enable Intel Virtualization Technology (VT-x) in the firmware setup");
  }
  if (boot.cpuVendor === "amd") {
    return boot.svm
      ? check("cpu-virt", "CPU", "pass", "AMD-V (SVM) offered by the CPU")
      : check("cpu-virt", "CPU", "fail", "the CPU offers no SVM", "enable SVM Mode (AMD-V) in the firmware setup");
  }
  const machine = m.platform.ok ? m.platform.value.get("hw.machine") : undefined;
  if (machine === "arm64") return check("cpu-virt", "CPU", "skip", "arm64: virtualization extensions are not listed in dmesg");
  return check("cpu-virt", "CPU", "unknown", `CPU vendor ${boot.cpuOrigin ?? "not found in dmesg.boot"}`, "check the CPU's virtualization support by hand");
}

export function cpuVendor(m: HostModel): "intel" | "amd" | null {
  const boot = m.boot.ok ? m.boot.value.cpuVendor : null;
  if (boot === "intel" || boot === "amd") return boot;
  const model = m.platform.ok ? (m.platform.value.get("hw.model") ?? "") : "";
  if (/\bIntel\b/i.test(model)) return "intel";
  if (/\bAMD\b/i.test(model)) return "amd";
  return null;
}

/** The value the next boot uses: loader.conf family first, then what the kernel got. */
function tunable(m: HostModel, name: string): string | undefined {
  return m.loader.effective.get(name)?.value ?? (m.kenv.ok ? m.kenv.value.get(name) : undefined);
}

export function iommuCheck(m: HostModel): Check {
  const area = "IOMMU";
  const machine = m.platform.ok ? m.platform.value.get("hw.machine") : undefined;
  if (machine === "arm64") return check("iommu", area, "skip", "arm64: pptctl does not check the SMMU yet");
  const iommuEnable = tunable(m, "hw.vmm.iommu.enable") ?? (m.vmm.ok ? m.vmm.value.get("hw.vmm.iommu.enable") : undefined);
  if (iommuEnable !== undefined && iommuEnable.trim() === "0") {
    return check("iommu", area, "fail", "hw.vmm.iommu.enable=0 turns passthrough off", "remove hw.vmm.iommu.enable=0 from the loader.conf family and reboot");
  }
  if (!m.acpi.ok) return check("iommu", area, "unknown", `cannot read ACPI tables: ${m.acpi.reason}`, "run pptctl doctor as root on the host");
  const acpi = m.acpi.value;
  if (acpi.status === "denied") return check("iommu", area, "unknown", "acpidump was denied access to the ACPI tables", "run pptctl doctor as root");
  if (acpi.status === "failed") return check("iommu", area, "unknown", `acpidump failed: ${acpi.message ?? "no output"}`, "run 'acpidump -t' by hand to see why");
  const dmar = acpi.tables.includes("DMAR");
  const ivrs = acpi.tables.includes("IVRS");
  const vendor = cpuVendor(m) ?? (dmar ? "intel" : ivrs ? "amd" : null);
  if (vendor === "intel") {
    return dmar
      ? check("iommu", area, "pass", "Intel VT-d (ACPI DMAR table)")
      : check("iommu", area, "fail", "no ACPI DMAR table: VT-d is off or missing", "enable VT-d (Intel Virtualization Technology for Directed I/O) in the firmware setup");
  }
  if (vendor === "amd") {
    if (!ivrs) return check("iommu", area, "fail", "no ACPI IVRS table: AMD-Vi is off or missing", "enable IOMMU (AMD-Vi) in the firmware setup");
    const amdvi = tunable(m, "hw.vmm.amdvi.enable") ?? (m.vmm.ok ? m.vmm.value.get("hw.vmm.amdvi.enable") : undefined);
    if (amdvi?.trim() !== "1") {
      return check("iommu", area, "fail", "AMD-Vi (ACPI IVRS table) is present but hw.vmm.amdvi.enable is not 1 (its default is 0)", "add hw.vmm.amdvi.enable=\"1\" to /boot/loader.conf (sysrc -f /boot/loader.conf hw.vmm.amdvi.enable=1) and reboot");
    }
    return check("iommu", area, "pass", "AMD-Vi (ACPI IVRS table, hw.vmm.amdvi.enable=1)");
  }
  return check("iommu", area, "fail", "neither a DMAR nor an IVRS ACPI table", "enable VT-d or AMD-Vi in the firmware setup");
}

export function vmmCheck(m: HostModel, pptdevsConfigured: boolean): Check {
  const area = "vmm";
  if (!m.kld.ok) return check("vmm", area, "unknown", `cannot list kernel modules: ${m.kld.reason}`, "run 'kldstat' by hand");
  const loaded = hasModule(m.kld.value, "vmm.ko");
  const byLoader = m.kenv.ok ? isYes(m.kenv.value.get("vmm_load")) : null;
  const configured = isYes(m.loader.effective.get("vmm_load")?.value);
  const fixLoader = 'add vmm_load="YES" to /boot/loader.conf (sysrc -f /boot/loader.conf vmm_load=YES) and reboot';
  if (!loaded) {
    return configured
      ? check("vmm", area, "warn", "vmm.ko is not loaded yet; vmm_load=\"YES\" takes effect at the next boot", "reboot")
      : check("vmm", area, "fail", "vmm.ko is not loaded", fixLoader);
  }
  if (byLoader === null) return check("vmm", area, "unknown", `vmm.ko is loaded, but kenv cannot tell by whom: ${m.kenv.ok ? "" : m.kenv.reason}`, fixLoader);
  if (byLoader) return check("vmm", area, "pass", "vmm.ko loaded by the loader");
  if (configured) return check("vmm", area, "warn", 'vmm.ko was loaded after boot; vmm_load="YES" is configured now and takes effect at the next boot', "reboot");
  const via = /\bvmm\b/.test(rcValue(m, "kld_list")) ? "kld_list in rc.conf" : "kldload";
  const status = pptdevsConfigured ? "fail" : "warn";
  const why = pptdevsConfigured ? "pptdevs cannot take effect" : "pptdevs would not take effect";
  return check("vmm", area, status, `vmm.ko was loaded after boot (${via}), not by the loader: ${why}`, fixLoader);
}

function rcValue(m: HostModel, name: string): string {
  return m.rc.get(name) ?? "";
}
