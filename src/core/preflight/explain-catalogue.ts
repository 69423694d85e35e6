/**
 * The passthrough messages bhyve, vmm and vm-bhyve print, each with the file and function that
 * prints it and the sources it was read in. Three revisions of usr.sbin/bhyve/pci_passthru.c were
 * read: an old one (sscanf option parser, /dev/io and /dev/mem, commit 02df1902 on
 * github.com/freebsd/freebsd-src), one of the bhyve_config(5) era (pptdev= lookup, rom=), and the
 * current main (errno told apart, empty ROM refused). bhyve(8) of 13.0-RELEASE has no -k/-o
 * (so no config-file parser yet); bhyve(8) of 14.3 and 15.1 have them
 * (https://man.freebsd.org/cgi/man.cgi?manpath=FreeBSD+13.0-RELEASE&query=bhyve&sektion=8,
 * …+14.3-RELEASE…, …+15.1-RELEASE…). Where a form's first release was not established, `seen`
 * says which of those sources have it, and no more. Pure data.
 */

const GH = "https://github.com/freebsd/freebsd-src/blob/main";

export interface SourceRef {
  readonly file: string;
  readonly func: string;
  /** The sources the form was read in, or the release range where it is known. */
  readonly seen: string;
  readonly url: string;
}

export interface MessageForm {
  readonly id: string;
  readonly pattern: RegExp;
  readonly source: SourceRef;
}

const PT = (func: string, seen: string): SourceRef => ({ file: "usr.sbin/bhyve/pci_passthru.c", func, seen, url: `${GH}/usr.sbin/bhyve/pci_passthru.c` });
const RUN = (func: string, seen: string): SourceRef => ({ file: "usr.sbin/bhyve/bhyverun.c", func, seen, url: `${GH}/usr.sbin/bhyve/bhyverun.c` });
const EMUL = (func: string, seen: string): SourceRef => ({ file: "usr.sbin/bhyve/pci_emul.c", func, seen, url: `${GH}/usr.sbin/bhyve/pci_emul.c` });
const VMBHYVE = (func: string, seen: string): SourceRef => ({ file: "vm-bhyve lib/vm-run", func, seen, url: "https://github.com/churchers/vm-bhyve/blob/master/lib/vm-run" });

const ALL = "every pci_passthru.c revision read (old, bhyve_config(5) era, main)";
const CONFIG_ERA = "the bhyve_config(5) era and main (after 13.0-RELEASE, whose bhyve has no -k)";
const MAIN = "current main only";
const OLD = "the old pci_passthru.c (13.0-RELEASE and before)";
const BDF = String.raw`(\d+)\/(\d+)\/(\d+)`;

/**
 * In the order they are tried: the first whose pattern matches a line explains it. Lines come one
 * at a time, so a greedy (.+) at the end runs to the line's end without a $.
 */
export const CATALOGUE: readonly MessageForm[] = [
  { id: "not-ppt", pattern: new RegExp(`PCI device at ${BDF} is not using the ppt(\\(4\\))? driver`), source: PT("passthru_init", `"ppt(4) driver" for every vm_assign_pptdev() errno in ${ALL} but main; "ppt driver" for ENOENT only in main`) },
  { id: "assign-errno", pattern: /vm_assign_pptdev: (.+)/, source: PT("passthru_init", `${MAIN}: vm_assign_pptdev() failed with an errno other than ENOENT`) },
  { id: "not-wired", pattern: /passthru requires guest memory to be wired/, source: PT("passthru_init", ALL) },
  { id: "msi-init", pattern: new RegExp(`failed to initialize MSI for PCI ${BDF}`), source: PT("cfginit / cfginitmsi", `${ALL}: the device has no capability list, so bhyve cannot offer the guest an MSI capability`) },
  { id: "bar-align", pattern: new RegExp(`passthru device ${BDF} BAR (\\d+): base \\S+ or size \\S+ not page aligned`), source: PT("cfginitbar", ALL) },
  { id: "bar-64", pattern: new RegExp(`passthru device ${BDF} has an invalid 64-bit BAR`), source: PT("cfginitbar", MAIN) },
  { id: "bar-init", pattern: new RegExp(`failed to initialize BARs for PCI ${BDF}`), source: PT("cfginit", `${ALL}: a BAR not page aligned (said on the line before), or no guest address space left for it (pci_emul_alloc_bar)`) },
  { id: "msix-table", pattern: new RegExp(`failed to initialize MSI-X table for PCI ${BDF}`), source: PT("cfginit / init_msix_table", "the bhyve_config(5) era and main") },
  { id: "msix-map", pattern: new RegExp(`Failed to map MSI-X table BAR on ${BDF}(?::\\s*(.*))?`), source: PT("init_msix_table", "the bhyve_config(5) era and main: the PCIOCBARMMAP ioctl on /dev/pci failed") },
  { id: "pba-map", pattern: new RegExp(`Failed to map PBA page for MSI-X on ${BDF}`), source: PT("init_msix_table", `${OLD}: mmap of /dev/mem failed`) },
  { id: "rom-empty", pattern: /romfile "(.*)" is empty/, source: PT("passthru_init_rom", MAIN) },
  { id: "rom-open", pattern: /can't open romfile "(.*)"/, source: PT("passthru_init_rom", "the bhyve_config(5) era and main") },
  { id: "rom-read", pattern: /(?:can't fstat|unable to mmap) romfile "(.*)"/, source: PT("passthru_init_rom", "the bhyve_config(5) era and main") },
  { id: "rom-alloc", pattern: /passthru_init_rom: failed to alloc rom segment/, source: PT("passthru_init_rom / pci_emul_alloc_rom", "the bhyve_config(5) era and main") },
  { id: "pptdev-not-found", pattern: /Passthru device (\S+) not found/, source: PT("passthru_lookup_pptdev", CONFIG_ERA) },
  { id: "pptdev-name", pattern: /Invalid passthru device name (\S+)|Passthru device name (\S+) is too long/, source: PT("passthru_lookup_pptdev", CONFIG_ERA) },
  { id: "pptdev-getconf", pattern: /ioctl\(PCIOCGETCONF\): (.+)|error returned from PCIOCGETCONF ioctl/, source: PT("passthru_lookup_pptdev", CONFIG_ERA) },
  { id: "unsupported-domain", pattern: /Passthru device (\S+) on unsupported domain/, source: PT("passthru_lookup_pptdev", CONFIG_ERA) },
  { id: "invalid-options", pattern: /passthru: invalid options "(.*)"|invalid passthru options/, source: PT("passthru_legacy_config (old: passthru_init)", `'passthru: invalid options "…"' in ${CONFIG_ERA}; 'invalid passthru options' in ${OLD}`) },
  { id: "missing-setting", pattern: /passthru: missing required (\w+) setting/, source: PT("passthru_init", CONFIG_ERA) },
  { id: "dev-open", pattern: /failed to open \/dev\/(pci|io|mem)(?::\s*(.*))?$/, source: PT("pcifd_open (old: passthru_init)", `/dev/pci in ${ALL}; /dev/io and /dev/mem in ${OLD}`) },
  { id: "msi-setup", pattern: /(vm_setup_pptdev_msix?|vm_disable_pptdev_msix)(?: failed)?: (.+)/, source: PT("passthru_cfgwrite_default", `err(1, …) ends bhyve in the older sources; main warns "… failed" and goes on`) },
  { id: "setup-memory", pattern: /Unable to setup memory \((\d+)\)|vm_setup_memory: (.+)/, source: RUN("main", `"Unable to setup memory (errno)" in the sources read; older bhyve printed "vm_setup_memory: <error>" (perror)`) },
  { id: "vm-create", pattern: /vm_create: (.+)/, source: RUN("do_open", "every bhyverun.c revision read (perror)") },
  { id: "device-init", pattern: /device emulation initialization error: ?(.*)/i, source: RUN("main, after init_pci()", `"device emulation …" in older bhyve, "Device emulation …" in newer: printed after any device's init failed`) },
  { id: "slot-occupied", pattern: /pci slot (\d+):(\d+):(\d+) already occupied/, source: EMUL("pci_parse_slot", "every pci_emul.c revision read") },
  { id: "slot-invalid", pattern: /Invalid PCI slot info field "(.*)"/, source: EMUL("pci_parse_slot_usage", "every pci_emul.c revision read") },
  { id: "invalid-config-option", pattern: /line (\d+): invalid config option '(.*)'/, source: RUN("parse_simple_config_file", CONFIG_ERA) },
  { id: "vm-bhyve-no-iommu", pattern: /fatal; pci passthrough not supported on this system/, source: VMBHYVE("vm::run, util::check_bhyve_iommu (lib/vm-util)", `"(no VT-d or amdvi)" in current vm-bhyve, "(no VT-d)" in older: 'acpidump -t | grep DMAR' and 'sysctl hw | grep vmm.amdvi.enable: 1' both found nothing`) },
  { id: "vm-bhyve-missing-config", pattern: /fatal; unable to start - missing required configuration/, source: VMBHYVE("vm::run", "current vm-bhyve: loader, cpu or memory is not set; older: cpu, memory or disk0_name") },
];

/**
 * Words that mark a line as being about passthrough. A line with one of them that no entry of
 * the catalogue matches is one pptctl should know and does not (exit 1); any other line is
 * passed over.
 */
export const PASSTHROUGH_WORDS =
  /passthru|\bppt\d*\b|pptdev|\bppt\(4\)|vm_assign_pptdev|vm_(?:setup|disable)_pptdev|\bMSI(?:-X)?\b|\bBARs?\b|romfile|\/dev\/(?:pci|io|mem)\b|PCI device at|pci slot|unable to setup memory|vm_setup_memory|vm_create|emulation initialization|\bVT-d\b|amdvi|iommu/i;
