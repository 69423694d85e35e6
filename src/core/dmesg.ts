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
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trimEnd();
    const hv = /\bHypervisor:\s*Origin\s*=\s*"([^"]*)"/.exec(line);
    if (hv) {
      // FreeBSD running as a guest: the outer hypervisor's signature, not the CPU's vendor.
      hypervisor = hv[1] ?? null;
      continue;
    }
    const o = /Origin\s*=\s*"([^"]+)"/.exec(line);
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
    if (/^\s*VT-x:/.test(line)) vtx = true;
    if (/^\s*SVM:/.test(line) || /AMD Features2=0x[0-9a-f]+<[^>]*\bSVM\b/.test(line)) svm = true;
    const why = VIRT_FAILURE.exec(line);
    if (why) lastVirtMessage = line.slice(why.index).trim();
    const err = /MOD_LOAD \(vmm, [^)]*\) error (\d+)/.exec(line);
    if (err) {
      vmmLoadError = Number(err[1]);
      vmmLoadReason = lastVirtMessage;
    }
    if (/hw\.vmm\.amdvi\.enable=1/.test(line)) amdviHint = true;
    const d = /^(dmar\d+): <DMA remap>/.exec(line);
    if (d) dmar.add(d[1] ?? "");
    const v = /^(ivhd\d+):/.exec(line);
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
