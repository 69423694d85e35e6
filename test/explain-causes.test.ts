import { describe, expect, test } from "bun:test";
import { explainLine, romPathsIn } from "../src/core/preflight/explain.ts";
import type { HostModel } from "../src/core/model/model.ts";
import type { StatResult } from "../src/core/snapshot.ts";
import type { VmConfig, VmInventory } from "../src/core/vm/configs.ts";
import { vmProcesses } from "../src/core/vm/instances.ts";
import { acpi, boot, dev, host, kld, kv, loader, no, ok, pci } from "./doctor-model.ts";

/**
 * explain's causes case by case (issue 36): each catalogue form against the host states that
 * decide its cause. What a line gets is held whole by the snapshot; the tests below it pin the
 * rules an admin relies on (never blame what doctor finds in order, never destroy what runs).
 */
const MSI = "    cap 05[68] = MSI supports 1 message, 64 bit";
/** vgapci0 shows no capability list while the others do: pciconf -c ran and it has none. */
const BARE = host({ pci: pci(dev("ppt0", "1:0:0"), dev("vgapci0", "2:0:0", { caps: [] })) });

function vm(name: string, entries: string[], over: Partial<VmConfig> = {}): VmConfig {
  return { vm: name, manager: "vm-bhyve", path: `/vm/${name}/${name}.conf`, layout: "vm-bhyve", entries, memory: "8G", missing: [], guest: null, firmware: null, hoster: null, ...over };
}
const withVms = (m: HostModel, over: Partial<VmInventory>): HostModel => ({ ...m, vms: { ...m.vms, ...over } });
const ps = (...lines: string[]) => vmProcesses(lines.join("\n"));

const H = host({ pci: pci(dev("ppt0", "1:0:0"), dev("vgapci0", "2:0:0", { caps: [MSI] }), dev("none0", "3:0:0", { caps: [MSI] })) });
const NO_IOMMU = host({ ...H, acpi: ok(acpi(["APIC"])) });
const IOMMU_UNKNOWN = host({ ...H, acpi: no("acpidump: not found") });
const NO_PCI = host({ pci: no("pciconf: permission denied") });
const DESK = vm("desk", ["1/0/0"]);
const RUNNING = withVms(H, { configs: [DESK], instances: ["desk"], processes: ps("4242 bhyve: desk (bhyve)") });
const LEFT = withVms(H, { configs: [DESK], instances: ["desk"], processes: [] });
const STARTING = withVms(H, { configs: [DESK], instances: ["desk"], processes: ps("77 /usr/sbin/bhyveload -m 8G -d /vm/desk/disk0.img desk") });
const DOMAIN1 = host({ pci: pci(dev("ppt0", "1:0:0").replace("@pci0:", "@pci1:")) });

type Row = readonly [name: string, m: HostModel, line: string, vm?: string | null, roms?: [string, StatResult][]];

const ROWS: readonly Row[] = [
  // vm_assign_pptdev, the older line that stands for every errno: the host decides
  ["not-ppt: no device there", H, "bhyve: PCI device at 9/0/0 is not using the ppt(4) driver"],
  ["not-ppt: on its host driver", H, "bhyve: PCI device at 2/0/0 is not using the ppt(4) driver"],
  ["not-ppt: a bridge, which attach refuses", host({ pci: pci(dev("ppt0", "1:0:0"), dev("pcib1", "4:0:0", { hdr: 1, cls: "0x060400" })) }), "bhyve: PCI device at 4/0/0 is not using the ppt(4) driver"],
  ["not-ppt: on ppt, no IOMMU", NO_IOMMU, "bhyve: PCI device at 1/0/0 is not using the ppt(4) driver"],
  ["not-ppt: on ppt, IOMMU in order, nobody holds it", H, "bhyve: PCI device at 1/0/0 is not using the ppt(4) driver"],
  ["not-ppt: on ppt, held by a running VM", RUNNING, "bhyve: PCI device at 1/0/0 is not using the ppt(4) driver"],
  ["not-ppt: on ppt, held by a left-behind instance", LEFT, "bhyve: PCI device at 1/0/0 is not using the ppt(4) driver"],
  ["not-ppt: held, but by the VM explained", RUNNING, "bhyve: PCI device at 1/0/0 is not using the ppt(4) driver", "desk"],
  ["not-ppt: the newer ENOENT line, now on ppt", H, "bhyve: PCI device at 1/0/0 is not using the ppt driver"],
  ["not-ppt: the newer ENOENT line, on its host driver", H, "bhyve: PCI device at 2/0/0 is not using the ppt driver"],
  ["not-ppt: the newer ENOENT line, without a driver", H, "bhyve: PCI device at 3/0/0 is not using the ppt driver"],
  ["not-ppt: on ppt, IOMMU unknown, nobody holds it", IOMMU_UNKNOWN, "bhyve: PCI device at 1/0/0 is not using the ppt(4) driver"],
  ["not-ppt: on ppt, arm64 has no IOMMU check", host({ ...H, platform: ok(kv({ "kern.osrelease": "14.1-RELEASE", "hw.machine": "arm64" })) }), "bhyve: PCI device at 1/0/0 is not using the ppt(4) driver"],
  ["not-ppt: no PCI listing", NO_PCI, "bhyve: PCI device at 1/0/0 is not using the ppt(4) driver"],
  // vm_assign_pptdev with its errno
  ["assign: EPERM", H, "vm_assign_pptdev: Operation not permitted"],
  ["assign: ENXIO, no IOMMU", NO_IOMMU, "vm_assign_pptdev: Device not configured"],
  ["assign: ENXIO, IOMMU unknown", IOMMU_UNKNOWN, "vm_assign_pptdev: Device not configured"],
  ["assign: ENXIO, IOMMU in order", H, "vm_assign_pptdev: Device not configured"],
  ["assign: EBUSY, nobody holds anything", H, "vm_assign_pptdev: Device busy"],
  ["assign: EBUSY, a running VM holds its devices", RUNNING, "vm_assign_pptdev: Device busy"],
  ["assign: EBUSY with --vm, another VM holds its device", withVms(RUNNING, { configs: [DESK, vm("lab", ["1/0/0"])] }), "vm_assign_pptdev: Device busy", "lab"],
  ["assign: EBUSY with --vm of a VM pptctl does not know", RUNNING, "vm_assign_pptdev: Device busy", "ghost"],
  ["assign: EBUSY with a bhyve starting that names the device", withVms(H, { instances: ["x"], processes: ps("90 /usr/sbin/bhyve -S -s 6:0,passthru,1/0/0 x") }), "vm_assign_pptdev: Device busy"],
  ["assign: ENOENT", H, "vm_assign_pptdev: No such file or directory"],
  ["assign: an errno pptctl does not name, blanks after it", H, "vm_assign_pptdev: Invalid argument  "],
  ["assign: no errno at all", H, "vm_assign_pptdev:  "],
  ["assign: ENOENT, no PCI listing", NO_PCI, "vm_assign_pptdev: No such file or directory"],
  ["assign: another errno", H, "vm_assign_pptdev: Invalid argument  "],
  ["assign: another errno, no PCI listing", NO_PCI, "vm_assign_pptdev: Invalid argument"],
  // interrupts, BARs, MSI-X
  ["msi-init: no PCI listing", NO_PCI, "bhyve: failed to initialize MSI for PCI 1/0/0"],
  ["msi-init: no device", H, "bhyve: failed to initialize MSI for PCI 9/0/0"],
  ["msi-init: no capability lines anywhere", host({ pci: pci(dev("ppt0", "1:0:0", { caps: [] })) }), "bhyve: failed to initialize MSI for PCI 1/0/0"],
  ["msi-init: the device has a capability list", H, "bhyve: failed to initialize MSI for PCI 2/0/0"],
  ["msi-init: a device without caps among ones with", BARE, "bhyve: failed to initialize MSI for PCI 2/0/0"],
  ["bar-align", H, "bhyve: passthru device 0/20/0 BAR 3: base 0x6001100000 or size 0x100 not page aligned"],
  ["bar-64", H, "bhyve: passthru device 0/20/0 has an invalid 64-bit BAR"],
  ["bar-init", H, "bhyve: failed to initialize BARs for PCI 0/20/0"],
  ["msix-table: on ppt", H, "bhyve: failed to initialize MSI-X table for PCI 1/0/0: -1"],
  ["msix-map: on its host driver, with the reason", H, "bhyve: Failed to map MSI-X table BAR on 2/0/0: Invalid argument"],
  ["msix-map: not on the bus", H, "bhyve: Failed to map MSI-X table BAR on 9/0/0"],
  ["pba-map: on ppt", H, "bhyve: Failed to map PBA page for MSI-X on 1/0/0: Permission denied"],
  ["msi-setup: EINVAL", H, "bhyve: vm_setup_pptdev_msi: Invalid argument"],
  ["msi-setup: ENOSPC", H, "bhyve: vm_setup_pptdev_msix failed: No space left on device"],
  ["msi-setup: EBUSY", H, "vm_setup_pptdev_msi: Device busy"],
  ["msi-setup: another error", H, "vm_disable_pptdev_msix: Bad address "],
  // ROM files, as the host sees them now
  ["rom-open: absent", H, 'bhyve: passthru_init_rom: can\'t open romfile "/vm/gpu.rom"', null, [["/vm/gpu.rom", { kind: "absent" }]]],
  ["rom-open: a directory", H, 'bhyve: passthru_init_rom: can\'t open romfile "/vm/gpu.rom"', null, [["/vm/gpu.rom", { kind: "other", what: "a directory" }]]],
  ["rom-empty: empty", H, 'bhyve: passthru_init_rom: romfile "/vm/gpu.rom" is empty', null, [["/vm/gpu.rom", { kind: "file", size: 0 }]]],
  ["rom-read: there now", H, 'bhyve: passthru_init_rom: unable to mmap romfile "/vm/gpu.rom" (22)', null, [["/vm/gpu.rom", { kind: "file", size: 131072 }]]],
  ["rom-read: cannot tell", H, 'bhyve: passthru_init_rom: can\'t fstat romfile "/vm/gpu.rom"', null, [["/vm/gpu.rom", { kind: "unknown", reason: "permission denied" }]]],
  ["rom-open: not looked at", H, 'bhyve: passthru_init_rom: can\'t open romfile "/vm/gpu.rom"'],
  ["rom-alloc", H, "bhyve: passthru_init_rom: failed to alloc rom segment"],
  // names of devices
  ["pptdev-not-found: renumbered", H, "Passthru device ppt0 not found"],
  ["pptdev-not-found: no such device, one on ppt", H, "Passthru device ppt7 not found"],
  ["pptdev-not-found: no such device, none on ppt", host({ pci: pci(dev("em0", "1:0:0")) }), "Passthru device ppt7 not found"],
  ["pptdev-not-found: no PCI listing", NO_PCI, "Passthru device ppt7 not found"],
  ["pptdev-name", H, "Invalid passthru device name 0/20/0"],
  ["pptdev-name: too long", H, "Passthru device name pptpptpptpptppt0 is too long"],
  ["pptdev-getconf", H, "ioctl(PCIOCGETCONF): Operation not permitted"],
  ["unsupported-domain: in domain 0 here", H, "Passthru device ppt0 on unsupported domain"],
  ["unsupported-domain: in domain 1", DOMAIN1, "Passthru device ppt0 on unsupported domain"],
  ["unsupported-domain: no such device", H, "Passthru device ppt9 on unsupported domain"],
  ["invalid-options", H, 'passthru: invalid options "1:0:0"'],
  ["missing-setting", H, "passthru: missing required slot setting"],
  ["dev-open: /dev/pci with the reason", H, "bhyve: failed to open /dev/pci: Permission denied"],
  ["dev-open: /dev/io without", H, "failed to open /dev/io"],
  // memory and the VM
  ["setup-memory: ENOMEM with the VM's size and the wiring limit", withVms(host({ wiring: ok({ maxPages: 1 << 20, wiredPages: 1 << 19, pageSize: 4096 }) }), { configs: [DESK] }), "Unable to setup memory (12)", "desk"],
  ["setup-memory: ENOMEM, wiring unknown, no VM", host({ wiring: no("sysctl failed") }), "vm_setup_memory: Cannot allocate memory"],
  ["setup-memory: EEXIST, left behind", LEFT, "Unable to setup memory (17)", "desk"],
  ["setup-memory: EEXIST, stopped", withVms(H, { configs: [DESK], instances: [], processes: [] }), "Unable to setup memory (17)", "desk"],
  ["setup-memory: EEXIST, running", RUNNING, "Unable to setup memory (17)", "desk"],
  ["setup-memory: EEXIST, starting", STARTING, "vm_setup_memory: File exists", "desk"],
  ["setup-memory: EEXIST, unknown", withVms(H, { configs: [DESK], instances: ["desk"], processes: null }), "Unable to setup memory (17)", "desk"],
  ["setup-memory: EEXIST, no VM named, two instances", withVms(H, { configs: [DESK], instances: ["desk", "lab"], processes: ps("5 bhyve: lab") }), "Unable to setup memory (17)"],
  ["setup-memory: EEXIST, no VM named, two left behind: a fix for each", withVms(H, { configs: [DESK], instances: ["desk", "lab"], processes: [] }), "Unable to setup memory (17)"],
  ["setup-memory: EEXIST, no VM named, no instance", withVms(H, { instances: [], processes: [] }), "Unable to setup memory (17)"],
  ["setup-memory: EEXIST, no VM named, /dev/vmm unreadable", withVms(H, { instances: null }), "Unable to setup memory (17)"],
  ["setup-memory: another errno", H, "Unable to setup memory (22)"],
  ["setup-memory: another error in words", H, "vm_setup_memory: Invalid argument "],
  ["vm-create: vmm not loaded", host({ kld: kld("kernel"), vmmModule: ok(false), loader: loader(""), kenv: ok(kv({})) }), "vm_create: No such file or directory"],
  ["vm-create: EEXIST, which bhyve itself never prints", H, "vm_create: File exists"],
  ["vm-create: vmm not checked on arm64", host({ platform: ok(kv({ "kern.osrelease": "15.0-RELEASE", "hw.machine": "arm64" })) }), "vm_create: Device not configured"],
  ["a passthru line on arm64: no ppt state explains it", host({ platform: ok(kv({ "kern.osrelease": "15.0-RELEASE", "hw.machine": "arm64" })) }), "bhyve: PCI device at 1/0/0 is not using the ppt(4) driver"],
  ["vm-create: vmm not loaded, a blank after the errno", host({ kld: kld("kernel"), vmmModule: ok(false), loader: loader(""), kenv: ok(kv({})) }), "vm_create: No such file or directory "],
  [
    "vm-create: vmm.ko could not use VT-x",
    host({ vmmModule: ok(false), boot: ok(boot({ cpuVendor: "intel", cpuOrigin: "GenuineIntel", vtx: true, vmmLoadError: 6, vmmLoadReason: "vmx_init: processor does not support VMX operation." })) }),
    "vm_create: Device not configured",
  ],
  ["vm-create: all in order", H, "vm_create: Device not configured "],
  ["device-init", H, "Device emulation initialization error: Device busy"],
  ["slot-occupied", H, "pci slot 6:0:0 already occupied!"],
  ["slot-invalid", H, 'Invalid PCI slot info field "6:9"'],
  ["invalid-config-option", H, "/vm/w.conf line 3: invalid config option 'memory.wired'"],
  // vm-bhyve's own lines
  ["vm-bhyve no IOMMU: a DMAR table now", H, "fatal; pci passthrough not supported on this system (no VT-d or amdvi)"],
  ["vm-bhyve no IOMMU: amdvi now", host({ acpi: ok(acpi(["IVRS"])), vmm: ok(kv({ "hw.vmm.amdvi.enable": " 1" })) }), "fatal; pci passthrough not supported on this system (no VT-d)"],
  ["vm-bhyve no IOMMU: neither", host({ acpi: ok(acpi(["APIC"])), vmm: ok(kv({})) }), "fatal; pci passthrough not supported on this system (no VT-d or amdvi)"],
  ["vm-bhyve no IOMMU: cannot read either", host({ acpi: no("acpidump: not found"), vmm: no("sysctl failed") }), "fatal; pci passthrough not supported on this system (no VT-d or amdvi)"],
  ["vm-bhyve no IOMMU: arm64, where there is none", host({ acpi: no("acpidump: not found"), vmm: no("sysctl failed"), platform: ok(kv({ "kern.osrelease": "15.0-RELEASE", "hw.machine": "arm64" })) }), "fatal; pci passthrough not supported on this system (no VT-d or amdvi)"],
  ["vm-bhyve no IOMMU: a DMAR line from an acpidump that failed is not trusted", host({ acpi: ok(acpi(["DMAR"], { status: "failed", message: "acpidump: short read" })), vmm: no("sysctl failed") }), "fatal; pci passthrough not supported on this system (no VT-d or amdvi)"],
  ["vm-bhyve no IOMMU: no DMAR table, hw.vmm unreadable", host({ acpi: ok(acpi(["APIC"])), vmm: no("sysctl failed") }), "fatal; pci passthrough not supported on this system (no VT-d or amdvi)"],
  ["vm-bhyve no IOMMU: acpidump denied, no amdvi", host({ acpi: ok(acpi([], { status: "denied" })), vmm: ok(kv({ "hw.vmm.amdvi.enable": "0" })) }), "fatal; pci passthrough not supported on this system (no VT-d or amdvi)"],
  ["vm-bhyve missing config: which settings", withVms(H, { configs: [vm("desk", ["1/0/0"], { missing: ["cpu", "memory"] })] }), "fatal; unable to start - missing required configuration", "desk"],
  ["vm-bhyve missing config: set now", withVms(H, { configs: [DESK] }), "fatal; unable to start - missing required configuration", "desk"],
  ["vm-bhyve missing config: no VM named", H, "fatal; unable to start - missing required configuration"],
  ["vm-bhyve missing config: a Hoster VM", withVms(H, { configs: [vm("desk", ["1/0/0"], { missing: null, manager: "hoster", layout: "hoster" })] }), "fatal; unable to start - missing required configuration", "desk"],
  // not in the catalogue
  ["a passthrough line pptctl does not know", H, "bhyve: passthru: something new happened"],
  ["a line not about passthrough", H, "vm exit[0]"],
];

describe("explain's causes, host state by host state", () => {
  for (const [name, m, line, vmName = null, roms = []] of ROWS) {
    test(name, () => {
      const e = explainLine(m, line, { vm: vmName, roms: new Map(roms) });
      expect(`${e.id ?? "-"} ${e.passthrough ? "passthrough" : "other"}\n${e.cause}\nfix: ${e.fix}`).toMatchSnapshot();
    });
  }
});

const cause = (m: HostModel, line: string, vmName: string | null = null) => explainLine(m, line, { vm: vmName, roms: new Map() });

describe("the rules behind the causes", () => {
  test("a host whose IOMMU check passes is never blamed for a missing IOMMU", () => {
    for (const l of ["vm_assign_pptdev: Device not configured", "bhyve: PCI device at 1/0/0 is not using the ppt(4) driver"]) {
      expect(cause(H, l).cause).not.toMatch(/has no IOMMU/);
      expect(cause(NO_IOMMU, l).cause).toMatch(/^ENXIO: vmm has no IOMMU to put/);
    }
  });
  test("a VM that runs or starts never gets a destroy command", () => {
    for (const m of [RUNNING, STARTING]) {
      for (const l of ["Unable to setup memory (17)", "vm_assign_pptdev: Device busy"]) {
        expect(`${cause(m, l, "desk").fix}`).not.toContain("--destroy");
      }
    }
    expect(cause(LEFT, "Unable to setup memory (17)", "desk").fix).toStartWith("bhyvectl --destroy --vm=desk");
  });
  test("errno words map to their names whatever their case and blanks", () => {
    expect(cause(H, "vm_assign_pptdev: OPERATION NOT PERMITTED").cause).toStartWith("EPERM");
    expect(cause(H, "vm_assign_pptdev: device busy").cause).toStartWith("EBUSY");
    expect(cause(NO_IOMMU, "vm_assign_pptdev: DEVICE NOT CONFIGURED").cause).toStartWith("ENXIO");
    expect(cause(H, "vm_assign_pptdev:  Bad address ").cause).toBe("vm_assign_pptdev failed: Bad address");
  });
  test("romPathsIn: each rom= path once, in order", () => {
    expect(romPathsIn(['can\'t open romfile "/a.rom"', 'romfile "/b.rom" is empty', 'can\'t open romfile "/a.rom"', "other"])).toEqual(["/a.rom", "/b.rom"]);
    expect(romPathsIn([])).toEqual([]);
  });
});
