export interface BootFacts {
  readonly cpuVendor: "intel" | "amd" | "other" | null;
  readonly cpuOrigin: string | null;
  /** VT-x feature line present (Intel). */
  readonly vtx: boolean;
  /** SVM in AMD Features2 or an `SVM:` line (AMD). */
  readonly svm: boolean;
  /** `Hypervisor: Origin = "KVMKVMKVM"` when FreeBSD itself runs in a VM. */
  readonly hypervisor: string | null;
  /** `MOD_LOAD (vmm, …) error N` — vmm.ko failed to initialise. */
  readonly vmmLoadError: number | null;
  /** The vmx/svm message printed just before that error: why it failed. */
  readonly vmmLoadReason: string | null;
  /** Kernel printed the AMD-Vi hint (`use hw.vmm.amdvi.enable=1`). */
  readonly amdviHint: boolean;
  readonly dmarUnits: number;
  readonly ivhdUnits: number;
}

/**
 * What vmx_init/vmx_modinit and svm_available/check_svm_features print before vmm's MOD_LOAD fails.
 * https://github.com/freebsd/freebsd-src/blob/main/sys/amd64/vmm/intel/vmx.c (vmx_modinit)
 * https://github.com/freebsd/freebsd-src/blob/main/sys/amd64/vmm/amd/svm.c (svm_available, check_svm_features)
 */
const VIRT_FAILURE = /(?:^|\s)(?:vmx_(?:mod)?init: |SVM: (?:not available|disabled by BIOS|.*feature not available))/;

/**
 * Reads CPU and virtualization facts from dmesg.boot. The message buffer may hold several
 * boots; the last one wins, as it is the running kernel's.
 */
export function parseDmesg(text: string): BootFacts {
  let origin: string | null = null;
  let vtx = false;
  let svm = false;
  let vmmLoadError: number | null = null;
  let vmmLoadReason: string | null = null;
  let lastVirtMessage: string | null = null;
  let hypervisor: string | null = null;
  let amdviHint = false;
  const dmar = new Set<string>();
  const ivhd = new Set<string>();
  // Each pattern runs only on lines holding a word it needs: most of a dmesg matches none, and a
  // pattern that never runs is never compiled (10–30 µs each, for a run of a few ms).
  for (const raw of text.split("\n")) {
    const line = raw.trimEnd();
    const hv = line.includes("Hypervisor:") ? /\bHypervisor:\s*Origin\s*=\s*"([^"]*)"/.exec(line) : null;
    if (hv) {
      // FreeBSD running as a guest: the outer hypervisor's signature, not the CPU's vendor.
      hypervisor = hv[1] ?? null;
      continue;
    }
    const o = line.includes("Origin") ? /Origin\s*=\s*"([^"]+)"/.exec(line) : null;
    if (o) {
      // A new boot starts: forget what earlier boots said.
      if (origin !== null && /^CPU:|^\s*Origin/.test(line)) {
        vtx = false;
        svm = false;
        vmmLoadError = null;
        vmmLoadReason = null;
        lastVirtMessage = null;
        hypervisor = null;
      }
      origin = o[1] ?? null;
      continue;
    }
    if (line.includes("VT-x:") && /^\s*VT-x:/.test(line)) vtx = true;
    if (line.includes("SVM") && (/^\s*SVM:/.test(line) || /AMD Features2=0x[0-9a-f]+<[^>]*\bSVM\b/.test(line))) svm = true;
    const why = line.includes("vmx_") || line.includes("SVM: ") ? VIRT_FAILURE.exec(line) : null;
    if (why) lastVirtMessage = line.slice(why.index).trim();
    const err = line.includes("MOD_LOAD (vmm, ") ? /MOD_LOAD \(vmm, [^)]*\) error (\d+)/.exec(line) : null;
    if (err) {
      vmmLoadError = Number(err[1]);
      vmmLoadReason = lastVirtMessage;
    }
    if (line.includes("hw.vmm.amdvi.enable=1")) amdviHint = true;
    const d = line.startsWith("dmar") ? /^(dmar\d+): <DMA remap>/.exec(line) : null;
    if (d) dmar.add(d[1] ?? "");
    const v = line.startsWith("ivhd") ? /^(ivhd\d+):/.exec(line) : null;
    if (v) ivhd.add(v[1] ?? "");
  }
  const cpuVendor =
    origin === null
      ? null
      : origin === "GenuineIntel"
        ? "intel"
        : origin === "AuthenticAMD" || origin === "HygonGenuine"
          ? "amd"
          : "other";
  return {
    cpuVendor,
    cpuOrigin: origin,
    vtx,
    svm,
    hypervisor,
    vmmLoadError,
    vmmLoadReason,
    amdviHint,
    dmarUnits: dmar.size,
    ivhdUnits: ivhd.size,
  };
}
