import type { BootFacts } from "../parse/dmesg.ts";
import { hasModule } from "../parse/kldstat.ts";
import { isYes } from "../parse/loader-conf.ts";
import type { HostModel } from "./model.ts";

export function cpuVendor(m: HostModel): "intel" | "amd" | null {
  for (const facts of [m.boot, m.liveDmesg]) {
    const v = facts.ok ? facts.value.cpuVendor : null;
    if (v === "intel" || v === "amd") return v;
  }
  const model = m.platform.ok ? (m.platform.value.get("hw.model") ?? "") : "";
  if (/\bIntel\b/i.test(model)) return "intel";
  if (/\bAMD\b/i.test(model)) return "amd";
  return null;
}

/**
 * FreeBSD 14 has no vmm on arm64; the arm64 vmm of later releases has no ppt driver and no IOMMU
 * code (sys/arm64/vmm/io holds only vgic and vtimer).
 * https://github.com/freebsd/freebsd-src/tree/main/sys/arm64/vmm
 */
export function isArm64(m: HostModel): boolean {
  return (m.platform.ok ? m.platform.value.get("hw.machine") : undefined) === "arm64";
}

/** Why nothing about passthrough can be set up or fixed on an arm64 host. */
export const ARM64_NO_PASSTHROUGH = "this host is arm64, where FreeBSD's bhyve passes no PCI device through (no ppt driver and no IOMMU code)";

/** Did vmm.ko's initialisation (VT-x / SVM set-up) succeed? */
export type VmmInit =
  | { readonly state: "not-loaded" }
  | { readonly state: "ok"; readonly how: string }
  | { readonly state: "failed"; readonly reason: string | null; readonly fix: string }
  | { readonly state: "unknown"; readonly why: string };

/**
 * What the kernel says about vmm's start. On FreeBSD 14.0 a vmm.ko whose init failed stays
 * loaded (kldstat lists it, ppt attaches) but its `vmm` module is not registered, and on AMD
 * `hw.vmm.svm.num_asids` is set before the feature checks run — so neither kldstat nor that
 * sysctl alone proves anything (../shared/corpus/freebsd-14.0-qemu, intel/ and devctl-extra/).
 */
export function vmmInit(m: HostModel): VmmInit {
  if (!m.kld.ok || !hasModule(m.kld.value, "vmm.ko")) return { state: "not-loaded" };
  const failure = loadFailure(m);
  if (m.vmmModule.ok) {
    if (m.vmmModule.value) return { state: "ok", how: "the vmm module is registered (kldstat -m vmm)" };
    return failed(failure?.reason ?? null);
  }
  if (failure) return failed(failure.reason);
  const vmm = m.vmm.ok ? m.vmm.value : new Map<string, string>();
  if (cpuVendor(m) === "intel") {
    const init = vmm.get("hw.vmm.vmx.initialized");
    if (init === "1") return { state: "ok", how: "hw.vmm.vmx.initialized is 1" };
    if (init === "0") return failed(null);
  }
  // Loaded by the loader: its start ran during boot, so a failure would be in dmesg.boot.
  const byLoader = m.kenv.ok && isYes(m.kenv.value.get("vmm_load"));
  if (byLoader && m.boot.ok) return { state: "ok", how: "loaded at boot without an error in /var/run/dmesg.boot" };
  return { state: "unknown", why: "neither 'kldstat -m vmm' nor the message buffer tells whether vmm started" };
}

function loadFailure(m: HostModel): { reason: string | null } | null {
  const boots: BootFacts[] = [];
  if (m.liveDmesg.ok) boots.push(m.liveDmesg.value);
  if (m.boot.ok) boots.push(m.boot.value);
  const hit = boots.find((b) => b.vmmLoadError !== null);
  if (!hit) return null;
  return { reason: boots.map((b) => b.vmmLoadReason).find((r) => r !== null) ?? null };
}

/** The kernel's sentence ends with a period; the reason is quoted inside pptctl's own sentences. */
function failed(reason: string | null): VmmInit {
  return { state: "failed", reason: reason === null ? null : reason.replace(/\.\s*$/, ""), fix: vmmFailureFix(reason) };
}

/**
 * The fix follows the kernel's own reason. Messages from vmx_modinit (sys/amd64/vmm/intel/vmx.c)
 * and svm_available / check_svm_features (sys/amd64/vmm/amd/svm.c):
 * https://github.com/freebsd/freebsd-src/blob/main/sys/amd64/vmm/intel/vmx.c
 * https://github.com/freebsd/freebsd-src/blob/main/sys/amd64/vmm/amd/svm.c
 */
export function vmmFailureFix(reason: string | null): string {
  if (reason === null) {
    return "read 'dmesg | grep -B2 MOD_LOAD' for the reason: usually VT-x / SVM is off in the firmware setup, or, when FreeBSD is itself a VM, the outer hypervisor does not offer nested virtualisation";
  }
  if (/disabled by BIOS/i.test(reason)) return "enable Intel VT-x / AMD SVM Mode in the firmware setup, then reboot";
  if (/does not support VMX operation|SVM: not available/.test(reason)) {
    return "the CPU offers no VT-x / SVM: on hardware, enable it in the firmware setup; when FreeBSD is itself a VM, turn on nested virtualisation in the outer hypervisor; then reboot";
  }
  const feature = /SVM: (.*?) feature not available/.exec(reason)?.[1] ?? /does not support desired (.*)$/.exec(reason)?.[1] ?? "a feature";
  return `the CPU lacks ${feature}, which bhyve requires: no firmware switch helps; when FreeBSD is itself a VM, have the outer hypervisor pass the host CPU's features through (for example QEMU/KVM -cpu host), otherwise use another CPU`;
}
