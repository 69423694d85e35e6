/**
 * Writes the recorded hosts under test/fixtures/hosts/ from the sample host and real outputs in
 * test/fixtures/corpus/. Each scenario states what it changes; run `bun scripts/make-fixtures.ts`
 * after editing and commit the result (test/fixtures.test.ts checks they are current).
 */
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { vmHosts } from "./fixture-vm-hosts.ts";
import { ARGV, type Spec, blockAt, blocks, fromRecording, moved, plainPciconf, rename, withKenv, writeHost } from "./fixture-host.ts";

export type { Spec };

const ROOT = join(import.meta.dir, "..");
const SAMPLE = join(ROOT, "examples/hosts/gpu-workstation");
const CORPUS = join(ROOT, "test/fixtures/corpus");
export const OUT = join(ROOT, "test/fixtures/hosts");

const sample = (f: string) => readFileSync(join(SAMPLE, f), "utf8");
const corpus = (f: string) => readFileSync(join(CORPUS, f), "utf8");

const REAL = join(ROOT, "test/fixtures/real-hosts");
const QEMU = join(CORPUS, "freebsd-14.0-qemu");
const qemu = (f: string) => readFileSync(join(QEMU, f), "utf8");

/**
 * Issue 9's host: the NUC with its Intel IGD (0/2/0) reserved, an AMD Navi 23 GPU and its HDMI
 * audio (real blocks from an MSI MS-7C95) in place of the P600, and QEMU's xHCI (real block from
 * the 14.0 capture), which has neither FLR nor power management. A vm-bhyve VM gets the IGD
 * without pinning it to slot 2.
 */
function gpuQuirks(): Spec {
  const s = base("NUC with the Intel IGD 0/2/0 on ppt (vm-bhyve VM igd, not pinned to slot 2), an AMD RX 6600 + HDMI audio at 1/0/0-1 (no FLR), and a QEMU xHCI at 2/0/0 with neither FLR nor power management.");
  const amd = corpus("pciconf-lvc/bsdhw-gpu-amd-desktop-msi-ms7c95.txt");
  const qemuXhci = readFileSync(join(REAL, "qemu-14.0-amd/pciconf-lvc.txt"), "utf8");
  const kept = blocks(sample("pciconf-lvc.txt")).filter((b) => !/@pci0:1:0:[01]:/.test(b.split("\n")[0]!));
  const igd = kept.findIndex((b) => b.startsWith("vgapci0@pci0:0:2:0:"));
  kept[igd] = moved(kept[igd]!, "ppt0", "pci0:0:2:0");
  kept.push(
    moved(blockAt(amd, "pci0:18:0:0"), "ppt1", "pci0:1:0:0"),
    moved(blockAt(amd, "pci0:18:0:1"), "ppt2", "pci0:1:0:1"),
    moved(blockAt(qemuXhci, "pci0:1:0:0"), "ppt3", "pci0:2:0:0"),
  );
  s.commands.pciconf = { stdout: `${kept.join("\n")}\n` };
  const pptdevs = "0/2/0 1/0/0 1/0/1 2/0/0";
  s.files["/boot/loader.conf"] = loaderConf(`pptdevs="${pptdevs}"`);
  s.commands.kenv = { stdout: withKenv(sample("kenv.txt"), { pptdevs }) };
  s.commands.vmm = { stdout: sample("sysctl-hw.vmm.txt").replace("hw.vmm.ppt.devices: 2", "hw.vmm.ppt.devices: 4") };
  s.files["/etc/rc.conf"] += 'vm_enable="YES"\nvm_dir="/vm"\n';
  s.dirs["/vm"] = ["igd", "lab"];
  s.files["/vm/igd/igd.conf"] = 'loader="uefi"\ncpu=2\nmemory=4G\npassthru0="0/2/0"\npassthru0_options="rom=/boot/gop.rom"\n';
  s.files["/vm/lab/lab.conf"] = 'loader="uefi"\npassthru0="2/0/0=7:0"\npassthru0_options="bootindex=1"\n';
  s.dirs["/dev/vmm"] = ["test-vm-1"];
  return s;
}

/** Scenarios on the real FreeBSD 14.0 hosts under QEMU (issue 14), each one change from a capture. */
function realScenarios(h: Record<string, Spec>): void {
  // The e1000 (no capability list) on ppt0 and the root port in pptdevs.
  const bridge = fromRecording(join(REAL, "qemu-14.0-amd"), "Real 14.0 AMD host, changed: pptdevs=\"0/28/0 0/3/0\" (0/28/0 is the PCIe root port) and the e1000 at 0/3/0 attached to ppt0; the xHCI/HDA card back to no driver.");
  const amdPci = bridge.commands.pciconf!.stdout;
  bridge.commands.pciconf = { stdout: rename(rename(rename(amdPci, "ppt0", "none2"), "ppt1", "none3"), "em0", "ppt0") };
  bridge.files["/boot/loader.conf"] = bridge.files["/boot/loader.conf"]!.replace('pptdevs="1/0/0 1/0/1"', 'pptdevs="0/28/0 0/3/0"');
  bridge.commands.kenv = { stdout: bridge.commands.kenv!.stdout.replace('pptdevs="1/0/0 1/0/1"', 'pptdevs="0/28/0 0/3/0"') };
  bridge.commands.vmm = { stdout: bridge.commands.vmm!.stdout.replace("hw.vmm.ppt.devices: 2", "hw.vmm.ppt.devices: 1") };
  h["qemu-amd-bridge-e1000"] = bridge;

  // Half of the two-function card reserved; the other function has no driver.
  const half = fromRecording(join(REAL, "qemu-14.0-amd"), "Real 14.0 AMD host, changed: pptdevs=\"1/0/0\" only; 1/0/1 (HDA) has no driver.");
  half.commands.pciconf = { stdout: rename(amdPci, "ppt1", "none2") };
  half.files["/boot/loader.conf"] = half.files["/boot/loader.conf"]!.replace('pptdevs="1/0/0 1/0/1"', 'pptdevs="1/0/0"');
  half.commands.kenv = { stdout: half.commands.kenv!.stdout.replace('pptdevs="1/0/0 1/0/1"', 'pptdevs="1/0/0"') };
  half.commands.vmm = { stdout: half.commands.vmm!.stdout.replace("hw.vmm.ppt.devices: 2", "hw.vmm.ppt.devices: 1") };
  h["qemu-amd-half-card"] = half;

  // The run-time kldload case with the two signals this pptctl records: kldstat -m vmm (exit 1)
  // and the live message buffer, both real outputs of the same kernel.
  const live = fromRecording(join(REAL, "qemu-14.0-intel"), "Real 14.0 host (AMD CPU, Intel IOMMU) after a run-time kldload vmm, plus 'kldstat -m vmm' (real: exit 1) and the live dmesg (real), which the 0.1.0 capture lacked.");
  live.commands.kldVmm = { stdout: "", exit: 1, stderr: qemu("devctl-extra/03-kldstat-m-vmm.stderr") };
  live.commands.dmesg = { stdout: qemu("intel/dmesg") };
  h["qemu-intel-kldload-failed"] = live;

  // arm64: the raw outputs of the arm64 boot (no capture was made there).
  const arm: Spec = {
    note: "Real FreeBSD 14.0 arm64 (QEMU virt) outputs: pciconf, kenv, kldstat, sysctl, dmesg as dmesg.boot. FreeBSD has no PCI passthrough on arm64.",
    commands: {
      pciconf: { stdout: qemu("arm64/pciconf-lvc") },
      kenv: { stdout: qemu("arm64/kenv") },
      kldstat: { stdout: qemu("arm64/kldstat") },
      platform: { stdout: qemu("arm64/sysctl-osrelease-machine-model") },
      vmm: { stdout: "", exit: 1, stderr: "sysctl: unknown oid 'hw.vmm'\n" },
      acpidump: { stdout: "" },
    },
    files: {
      "/boot/loader.conf": "",
      "/boot/loader.conf.local": null,
      "/var/run/dmesg.boot": qemu("arm64/dmesg"),
      "/etc/rc.conf": "",
      "/etc/rc.conf.local": null,
      ...Object.fromEntries(["/opt/hoster-core/config_files", "/opt/hoster/config_files", "/usr/local/etc/hoster", "/etc/hoster", "/root/hoster/config_files"].map((d) => [`${d}/host_config.json`, null])),
    },
    dirs: { "/dev/vmm": null, "/boot/loader.conf.d": null },
  };
  h["qemu-arm64"] = arm;
}

function base(note: string): Spec {
  return {
    note,
    commands: {
      pciconf: { stdout: sample("pciconf-lvc.txt") },
      acpidump: { stdout: sample("acpidump-t.txt") },
      kenv: { stdout: sample("kenv.txt") },
      kldstat: { stdout: sample("kldstat.txt") },
      platform: { stdout: sample("sysctl-platform.txt") },
      vmm: { stdout: sample("sysctl-hw.vmm.txt") },
      route: { stdout: sample("route-default.txt") },
      zfs: { stdout: sample("zfs-list.txt") },
      kldVmm: { stdout: sample("kldstat-m-vmm.txt") },
      dmesg: { stdout: sample("dmesg.txt") },
      ps: { stdout: sample("ps.txt") },
      wired: { stdout: sample("sysctl-wired.txt") },
    },
    files: {
      "/boot/loader.conf": sample("files/boot/loader.conf"),
      "/boot/loader.conf.local": null,
      "/var/run/dmesg.boot": sample("files/var/run/dmesg.boot"),
      "/etc/rc.conf": 'hostname="nuc11"\nifconfig_igc0="DHCP"\nzfs_enable="YES"\nsshd_enable="YES"\n',
      "/etc/rc.conf.local": null,
      "/opt/hoster-core/config_files/host_config.json": sample("files/opt/hoster-core/config_files/host_config.json"),
      "/opt/hoster/config_files/host_config.json": null,
      "/usr/local/etc/hoster/host_config.json": null,
      "/etc/hoster/host_config.json": null,
      "/root/hoster/config_files/host_config.json": null,
      "/zroot/vm-encrypted/test-vm-1/vm_config.json": sample("files/zroot/vm-encrypted/test-vm-1/vm_config.json"),
      "/zroot/vm-encrypted/test-vm-2/vm_config.json": sample("files/zroot/vm-encrypted/test-vm-2/vm_config.json"),
    },
    dirs: {
      "/dev/vmm": ["test-vm-1"],
      "/boot/loader.conf.d": null,
      "/zroot/vm-encrypted": ["test-vm-1", "test-vm-2"],
    },
  };
}

const loaderConf = (pptdevs: string, extra = "") =>
  sample("files/boot/loader.conf").replace('pptdevs="1/0/0 1/0/1"', pptdevs) + extra;

/** The NUC's real RTX 2060 functions (vgapci, hdac, xhci, none) in place of the P600 pair. */
function nucWithRtx(gpuDriver: string): string {
  const real = plainPciconf(corpus("pciconf-lvc/bsdhw-ppt-intel-nuc11-14current-igpu-tb4.txt"));
  let t = rename(rename(rename(rename(real, "ppt0", "vgapci1"), "ppt1", "xhci2"), "ppt2", "none6"), "ppt3", "none7");
  if (gpuDriver !== "vgapci0") t = rename(t, "vgapci0", gpuDriver);
  return t;
}

function amdHost(note: string): Spec {
  const s = base(note);
  const dmesg = corpus("dmesg/bsdhw-b550m-ppt-gpu-ivhd-errors-multiboot.txt").split("\n");
  s.commands.pciconf = { stdout: plainPciconf(corpus("pciconf-lvc/bsdhw-ppt-gigabyte-b550m-gt710-audio.txt")) };
  // Older acpidump has no IVRS decoder: it prints the header only.
  s.commands.acpidump = {
    stdout: sample("acpidump-t.txt")
      .replace(/\/\*\n {2}DMAR:[\s\S]*$/, "")
      .replaceAll("INTEL ", "ALASKA")
      .concat("/*\n  IVRS: Length=208, Revision=2, Checksum=47,\n\tOEMID=AMD, OEM Table ID=AmdTable, OEM Revision=0x1,\n\tCreator ID=AMD , Creator Revision=0x1\n */\n"),
  };
  s.commands.platform = { stdout: "kern.osrelease: 14.2-RELEASE-p1\nhw.machine: amd64\nhw.machine_arch: amd64\nhw.model: AMD Ryzen 7 5700X 8-Core Processor             \n" };
  s.commands.vmm = { stdout: sample("sysctl-hw.vmm.txt").replace(/^hw\.vmm\.vmx\..*\n/gm, "").replace("hw.vmm.iommu.initialized: 1", "hw.vmm.iommu.initialized: 0").concat("hw.vmm.svm.num_asids: 32768\nhw.vmm.svm.disable_npf_assist: 0\nhw.vmm.svm.features: 113919\nhw.vmm.svm.vmcb_clean: 1023\n") };
  s.commands.route = { stdout: sample("route-default.txt").replace("igc0", "re0") };
  s.commands.kenv = { stdout: withKenv(sample("kenv.txt"), { pptdevs: "3/0/0 3/0/1" }) };
  s.files["/var/run/dmesg.boot"] = `${dmesg.slice(0, 160).join("\n")}\n`;
  s.files["/boot/loader.conf"] = loaderConf('pptdevs="3/0/0 3/0/1"');
  s.files["/zroot/vm-encrypted/test-vm-1/vm_config.json"] = sample("files/zroot/vm-encrypted/test-vm-1/vm_config.json").replace('["1/0/0", "1/0/1"]', '["3/0/0", "3/0/1"]');
  s.dirs["/dev/vmm"] = [];
  s.commands.ps = { stdout: "" };
  return s;
}

export function scenarios(): Record<string, Spec> {
  const h: Record<string, Spec> = {};

  h["intel-healthy"] = base("The sample host: Intel, DMAR, vmm by the loader, Quadro P600 + audio on ppt, test-vm-1 running.");

  h["amd-no-amdvi"] = amdHost("AMD B550M (real pciconf + dmesg), IVRS present, GT 710 + audio on ppt, but hw.vmm.amdvi.enable not set.");
  h["amd-healthy"] = amdHost("AMD B550M with hw.vmm.amdvi.enable=1.");
  h["amd-healthy"]!.files["/boot/loader.conf"] = loaderConf('pptdevs="3/0/0 3/0/1"', 'hw.vmm.amdvi.enable="1"\n');
  h["amd-healthy"]!.commands.kenv = { stdout: withKenv(sample("kenv.txt"), { pptdevs: "3/0/0 3/0/1", "hw.vmm.amdvi.enable": "1" }) };

  h["no-dmar"] = base("Intel host whose firmware has VT-d off: no DMAR table.");
  h["no-dmar"].commands.acpidump = { stdout: sample("acpidump-t.txt").replace(/\/\*\n {2}DMAR:[\s\S]*$/, "") };

  h["vmm-kld-list"] = base("vmm.ko loaded from rc.conf kld_list, not the loader: pptdevs never took effect, the GPU stayed on vgapci/hdac.");
  h["vmm-kld-list"].files["/boot/loader.conf"] = sample("files/boot/loader.conf").replace('vmm_load="YES"\n', "");
  h["vmm-kld-list"].files["/etc/rc.conf"] += 'kld_list="vmm nmdm"\n';
  h["vmm-kld-list"].commands.kenv = { stdout: withKenv(sample("kenv.txt"), { vmm_load: null }) };
  h["vmm-kld-list"].commands.pciconf = { stdout: sample("pciconf-lvc.txt").replace("ppt0@pci0:1:0:0:", "vgapci1@pci0:1:0:0:").replace("ppt1@pci0:1:0:1:", "hdac0@pci0:1:0:1:") };
  h["vmm-kld-list"].commands.vmm = { stdout: sample("sysctl-hw.vmm.txt").replace("hw.vmm.ppt.devices: 2", "hw.vmm.ppt.devices: 0") };
  h["vmm-kld-list"].dirs["/dev/vmm"] = [];
  h["vmm-kld-list"].commands.ps = { stdout: "" };

  h["ppt-on-host-driver"] = base("pptdevs lists 89/0/0, the igc0 NIC that carries the default route; the kernel got it but igc0 kept the device.");
  h["ppt-on-host-driver"].files["/boot/loader.conf"] = loaderConf('pptdevs="1/0/0 1/0/1 89/0/0"');
  h["ppt-on-host-driver"].commands.kenv = { stdout: withKenv(sample("kenv.txt"), { pptdevs: "1/0/0 1/0/1 89/0/0" }) };

  h["entry-not-on-bus"] = base("pptdevs lists 5/0/0, which is not on the bus (card removed).");
  h["entry-not-on-bus"].files["/boot/loader.conf"] = loaderConf('pptdevs="1/0/0 1/0/1 5/0/0"');
  h["entry-not-on-bus"].commands.kenv = { stdout: withKenv(sample("kenv.txt"), { pptdevs: "1/0/0 1/0/1 5/0/0" }) };

  h["bridge-in-pptdevs"] = base("pptdevs lists 0/28/0, a PCI-PCI bridge (pcib6).");
  h["bridge-in-pptdevs"].files["/boot/loader.conf"] = loaderConf('pptdevs="0/28/0 1/0/0 1/0/1"');
  h["bridge-in-pptdevs"].commands.kenv = { stdout: withKenv(sample("kenv.txt"), { pptdevs: "0/28/0 1/0/0 1/0/1" }) };

  const long = Array.from({ length: 26 }, (_, i) => `${100 + i}/0/0`).join(" ");
  h["pptdevs-overlong"] = base(`A pptdevs record of ${long.length} characters and a pptdevs4 the kernel never reads.`);
  h["pptdevs-overlong"].files["/boot/loader.conf"] = loaderConf(`pptdevs="1/0/0 1/0/1"\npptdevs2="${long}"\npptdevs4="2/0/0"`);
  h["pptdevs-overlong"].commands.kenv = { stdout: withKenv(sample("kenv.txt"), { pptdevs2: long, pptdevs4: "2/0/0" }) };

  h["gpu-audio-left"] = base("Only the GPU function (1/0/0) is reserved; its HDMI audio (hdac0), USB (xhci0) stay on the host. Real NUC11 RTX 2060 functions.");
  h["gpu-audio-left"].commands.pciconf = { stdout: nucWithRtx("ppt0") };
  h["gpu-audio-left"].files["/boot/loader.conf"] = loaderConf('pptdevs="1/0/0"');
  h["gpu-audio-left"].commands.kenv = { stdout: withKenv(sample("kenv.txt"), { pptdevs: "1/0/0" }) };
  h["gpu-audio-left"].commands.vmm = { stdout: sample("sysctl-hw.vmm.txt").replace("hw.vmm.ppt.devices: 2", "hw.vmm.ppt.devices: 1") };
  h["gpu-audio-left"].files["/zroot/vm-encrypted/test-vm-1/vm_config.json"] = sample("files/zroot/vm-encrypted/test-vm-1/vm_config.json").replace('["1/0/0", "1/0/1"]', '["1/0/0"]');

  h["reboot-pending"] = base("loader.conf gained 0/20/0 (xhci1) since boot; the running kernel still has the old list.");
  h["reboot-pending"].files["/boot/loader.conf"] = loaderConf('pptdevs="1/0/0 1/0/1 0/20/0"');

  h["acpidump-denied"] = base("Captured by a non-root user: acpidump cannot open /dev/mem.");
  h["acpidump-denied"].commands.acpidump = { stdout: "", exit: 1, stderr: "acpidump: opening /dev/mem: Permission denied\n" };

  h["missing-commands"] = base("A partial recording: only pciconf and the loader.conf were captured.");
  for (const k of Object.keys(ARGV)) if (k !== "pciconf") h["missing-commands"].commands[k] = null;
  h["missing-commands"].files = { "/boot/loader.conf": sample("files/boot/loader.conf") };
  h["missing-commands"].dirs = {};

  Object.assign(h, vmHosts(base, sample, loaderConf));

  // The seed's plan example: the Supermicro 12.1 host with its iGPU and xHCI back on host drivers.
  const sm = base("Supermicro X11 (real pciconf, 12.1 card= format) with vgapci0 at 0:2:0 and xhci0 at 0:20:0 not yet reserved; no pptdevs.");
  sm.commands.pciconf = {
    // Probe order puts the chipset xHCI (bus 0) first, so it becomes xhci0 and the card's xhci1.
    stdout: rename(rename(rename(plainPciconf(corpus("pciconf-lvc/bsdhw-ppt-supermicro-igpu-xhci-cardfmt-12.1.txt")), "xhci0", "xhci1"), "ppt0", "vgapci0"), "ppt1", "xhci0"),
  };
  sm.files["/boot/loader.conf"] = 'zfs_load="YES"\n';
  sm.commands.kenv = { stdout: withKenv(sample("kenv.txt"), { pptdevs: null, vmm_load: null }) };
  sm.commands.kldstat = { stdout: sample("kldstat.txt").replace(/^.*vmm\.ko\n/m, "") };
  sm.commands.vmm = { stdout: "", exit: 1, stderr: "sysctl: unknown oid 'hw.vmm'\n" };
  sm.commands.route = { stdout: sample("route-default.txt").replace("igc0", "em0") };
  sm.dirs["/dev/vmm"] = null;
  sm.commands.ps = { stdout: "" };
  sm.files["/opt/hoster-core/config_files/host_config.json"] = null;
  h["supermicro-igpu-xhci"] = sm;

  // Issue 11.5: a recording with only the PCI listing. Loader files not recorded = unknown.
  h["pciconf-only"] = { note: "Only 'pciconf -lvc' was recorded (the sample host's): nothing about the loader.conf family is known.", commands: { pciconf: { stdout: sample("pciconf-lvc.txt") } }, files: {}, dirs: {} };
  // Issue 11.6: a file that is not pciconf output at all, recorded as if it were.
  h["not-pciconf"] = { note: "The pciconf slot holds a kenv dump and binary noise: not pciconf output at all.", commands: { pciconf: { stdout: `${sample("kenv.txt")}\u0000\u0001\u00ff garbage\n` }, kenv: { stdout: sample("kenv.txt") } }, files: {}, dirs: {} };
  realScenarios(h);
  h["gpu-quirks"] = gpuQuirks();
  return h;
}

export function writeAll(out = OUT): string[] {
  const names: string[] = [];
  for (const [name, spec] of Object.entries(scenarios())) {
    writeHost(join(out, name), spec);
    names.push(name);
  }
  return names;
}

if (import.meta.main) {
  rmSync(OUT, { recursive: true, force: true });
  console.log(`wrote ${writeAll().length} recorded hosts into ${OUT}`);
}
