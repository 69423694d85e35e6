export interface BootFacts {
  readonly cpuVendor: "intel" | "amd" | "other" | null;
  readonly cpuOrigin: string | null;
  /** VT-x feature line present (Intel). */
  readonly vtx: boolean;
  /** SVM in AMD Features2 or an `SVM:` line (AMD). */
  readonly svm: boolean;
  /** `MOD_LOAD (vmm, …) error N` — vmm.ko failed to initialise. */
  readonly vmmLoadError: number | null;
  /** Kernel printed the AMD-Vi hint (`use hw.vmm.amdvi.enable=1`). */
  readonly amdviHint: boolean;
  readonly dmarUnits: number;
  readonly ivhdUnits: number;
}

/**
 * Reads CPU and virtualization facts from dmesg.boot. The message buffer may hold several
 * boots; the last one wins, as it is the running kernel's.
 */
export function parseDmesg(text: string): BootFacts {
  let origin: string | null = null;
  let vtx = false;
  let svm = false;
  let vmmLoadError: number | null = null;
  let amdviHint = false;
  const dmar = new Set<string>();
  const ivhd = new Set<string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trimEnd();
    const o = /Origin\s*=\s*"([^"]+)"/.exec(line);
    if (o) {
      // A new boot starts: forget what earlier boots said.
      if (origin !== null && /^CPU:|^\s*Origin/.test(line)) {
        vtx = false;
        svm = false;
        vmmLoadError = null;
      }
      origin = o[1] ?? null;
      continue;
    }
    if (/^\s*VT-x:/.test(line)) vtx = true;
    if (/^\s*SVM:/.test(line) || /AMD Features2=0x[0-9a-f]+<[^>]*\bSVM\b/.test(line)) svm = true;
    const err = /MOD_LOAD \(vmm, [^)]*\) error (\d+)/.exec(line);
    if (err) vmmLoadError = Number(err[1]);
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
    vmmLoadError,
    amdviHint,
    dmarUnits: dmar.size,
    ivhdUnits: ivhd.size,
  };
}
