/**
 * `pptctl explain`: bhyve's error lines about passthrough, each traced to the source that prints
 * it, and the cause on this host. bhyve's words mislead: 14.x prints "not using the ppt(4)
 * driver" whenever vm_assign_pptdev() fails, whatever the errno. Pure.
 */
import { iommuCheck } from "../doctor/platform.ts";
import type { HostModel } from "../model/model.ts";
import { addr, addrKey, formatBhyve, sameAddr } from "../pci/address.ts";
import { assignmentsOf, isLeftBehind } from "../vm/assignments.ts";

const SRC = "https://github.com/freebsd/freebsd-src/blob/main";
const PASSTHRU = `usr.sbin/bhyve/pci_passthru.c (passthru_init; ${SRC}/usr.sbin/bhyve/pci_passthru.c)`;
const BHYVERUN = `usr.sbin/bhyve/bhyverun.c (${SRC}/usr.sbin/bhyve/bhyverun.c)`;

export interface Explanation {
  readonly line: string;
  readonly id: string | null;
  readonly source: string | null;
  readonly cause: string | null;
  readonly fix: string | null;
}

interface Message {
  readonly id: string;
  readonly pattern: RegExp;
  readonly source: string;
  readonly explain: (m: HostModel, match: RegExpExecArray) => { cause: string; fix: string | null };
}

const MESSAGES: readonly Message[] = [
  {
    // 14.x: any vm_assign_pptdev() error; main: ENOENT only ("... ppt driver").
    id: "not-ppt",
    pattern: /PCI device at (\d+)\/(\d+)\/(\d+) is not using the ppt(?:\(4\))? driver/,
    source: `${PASSTHRU}: printed when vm_assign_pptdev() fails; 14.x prints it for every errno (EBUSY, ENXIO too)`,
    explain: (m, x) => deviceCause(m, addr(Number(x[1]), Number(x[2]), Number(x[3])), null),
  },
  {
    id: "assign-errno",
    pattern: /vm_assign_pptdev: (.+)$/,
    source: `${PASSTHRU}: vm_assign_pptdev() failed with this errno (sys/amd64/vmm/vmm.c: ENXIO without an IOMMU domain; sys/amd64/vmm/io/ppt.c: ENOENT not ppt, EBUSY another VM owns it)`,
    explain: (m, x) => deviceCause(m, null, x[1]!.trim()),
  },
  {
    id: "not-wired",
    pattern: /passthru requires guest memory to be wired/,
    source: `${PASSTHRU}: the VM's memory is not wired`,
    explain: () => ({
      cause: "bhyve ran without -S, so guest memory is not wired, and a passthru device needs it",
      fix: "plain bhyve: add -S (pptctl args --wired prints it); bhyve -k FILE: memory.wired=true; vm-bhyve adds -S when passthru0 is set and Hoster when the passthru list is not empty, so under them check that the list is read (pptctl doctor --vm NAME)",
    }),
  },
  {
    id: "setup-memory",
    pattern: /Unable to setup memory \((\d+)\)/,
    source: `${BHYVERUN}: vm_setup_memory() failed with this errno (lib/libvmmapi/vmmapi.c)`,
    explain: (m, x) => memoryCause(m, Number(x[1])),
  },
  {
    id: "unsupported-domain",
    pattern: /(?:Passthru device )?(\S+) on unsupported domain/,
    source: `${PASSTHRU} (passthru_lookup_pptdev): pptdev= names a device outside PCI domain 0`,
    explain: (_m, x) => ({ cause: `${x[1]} is in a PCI domain other than 0, which bhyve does not pass through`, fix: "pass a device in domain 0 ('pptctl list --all' shows which)" }),
  },
  {
    id: "missing-setting",
    pattern: /passthru: missing required (\w+) setting/,
    source: `${PASSTHRU}: a passthru node of a bhyve -k config lacks bus, slot or func`,
    explain: (_m, x) => ({ cause: `a pci.B.S.F node with device=passthru has no .${x[1]}`, fix: "give each passthru node .bus, .slot and .func (pptctl assign SEL --config FILE writes them)" }),
  },
  {
    id: "invalid-config-option",
    pattern: /line (\d+): invalid config option '(.*)'/,
    source: `${BHYVERUN} (parse_simple_config_file): a line of a bhyve -k file that is not name=value`,
    explain: (_m, x) => ({ cause: `line ${x[1]} ('${x[2]}') is not name=value with a value; only lines starting with '#' and empty lines may be anything else`, fix: `fix line ${x[1]} of the config file` }),
  },
];

export function explainLine(m: HostModel, line: string): Explanation {
  for (const msg of MESSAGES) {
    const x = msg.pattern.exec(line);
    if (x) return { line, id: msg.id, source: msg.source, ...msg.explain(m, x) };
  }
  return { line, id: null, source: null, cause: null, fix: null };
}

/** Why this device cannot be given to a VM now; errno text when bhyve printed one. */
function deviceCause(m: HostModel, a: ReturnType<typeof addr> | null, errno: string | null): { cause: string; fix: string | null } {
  const iommu = iommuCheck(m);
  if (errno && /Device not configured/i.test(errno)) {
    return { cause: `ENXIO: vmm has no IOMMU to put the device behind (${iommu.summary})`, fix: iommu.fix ?? "enable VT-d / AMD-Vi in the firmware, and on AMD set hw.vmm.amdvi.enable=1 in loader.conf" };
  }
  if (errno && /Device busy/i.test(errno)) {
    const holders = [...new Set([...assignmentsOf(m.vms).byDevice.values()].flatMap((u) => u.uses).filter((u) => u.running === true).map((u) => `${u.vm}${u.leftBehind ? " (left behind, no bhyve process)" : ""}`))];
    const now = holders.length > 0 ? `; instances whose configs name passthru devices: ${holders.join(", ")}` : "";
    return { cause: `EBUSY: another VM instance owns the device${now}`, fix: "stop that VM, or destroy an instance no bhyve process runs with bhyvectl --destroy --vm=NAME ('pptctl list' shows who has which device)" };
  }
  if (a === null) return { cause: `vm_assign_pptdev failed: ${errno}`, fix: "pptctl doctor --vm NAME" };
  const b = formatBhyve(a);
  const d = m.pci.ok ? m.pci.value.devices.find((x) => sameAddr(x.addr, a)) : undefined;
  if (!m.pci.ok) return { cause: `cannot list PCI devices: ${m.pci.reason}`, fix: "run 'pciconf -lvc' by hand" };
  if (!d) return { cause: `no device at ${b} on this host`, fix: "correct the address ('pptctl list --all' shows the devices)" };
  if (d.driver !== "ppt") {
    return { cause: `${b} is ${d.driver === "none" ? "without a driver" : `on ${d.name}`}, not ppt`, fix: `pptctl attach ${b} --persist` };
  }
  // Without an IOMMU no VM gets any device, whoever else names it.
  if (iommu.status === "fail" || iommu.status === "warn") {
    return { cause: `${b} is on ppt (${d.name}), but ${iommu.summary}: vm_assign_pptdev fails with ENXIO, which 14.x bhyve reports with this same line`, fix: iommu.fix };
  }
  const held = holderCause(m, a);
  if (held) return held;
  return { cause: `${b} is on ppt (${d.name}) and no VM pptctl knows holds it; another bhyve instance may (see /dev/vmm)`, fix: `ls /dev/vmm, and bhyvectl --destroy --vm=NAME for an instance no bhyve process runs; 'pptctl doctor --vm NAME' checks the rest` };
}

/** A VM instance (running or left behind) whose config names the device. */
function holderCause(m: HostModel, a: ReturnType<typeof addr>): { cause: string; fix: string | null } | null {
  const held = (assignmentsOf(m.vms).byDevice.get(addrKey(a))?.uses ?? []).find((u) => u.running === true);
  if (!held) return null;
  const what = formatBhyve(a);
  if (held.leftBehind) return { cause: `${what} is held by ${held.vm}'s instance, left behind in /dev/vmm with no bhyve process`, fix: `bhyvectl --destroy --vm=${held.vm}` };
  return { cause: `${what} is held by the running VM ${held.vm} (/dev/vmm/${held.vm}${m.vms.procs?.has(held.vm) ? `, bhyve pid ${m.vms.procs.get(held.vm)}` : ""})`, fix: `stop ${held.vm} first, or give the device to one VM only ('pptctl unassign ${what} --vm ${held.vm}')` };
}

function memoryCause(m: HostModel, errno: number): { cause: string; fix: string | null } {
  if (errno === 17) {
    // libvmmapi vm_mmap_memseg: EEXIST when a mapping at that address exists with other flags.
    const left = (m.vms.running ?? []).filter((vm) => isLeftBehind(m.vms, vm));
    const which = left.length > 0 ? `; left behind now: ${left.join(", ")}` : m.vms.procs === null ? "" : "; no instance is left behind now";
    return {
      cause: `EEXIST: the VM's instance in /dev/vmm already has its memory mapped differently (wired or not): an instance left behind by an earlier bhyve, or one a loader (bhyveload, grub-bhyve) set up without -S while bhyve now wires it${which}`,
      fix: left.length > 0 ? left.map((vm) => `bhyvectl --destroy --vm=${vm}`).join("; ") : "bhyvectl --destroy --vm=NAME before the start, and give the loader the same -S (bhyveload -S)",
    };
  }
  if (errno === 12) {
    const w = m.wiring.ok ? m.wiring.value : null;
    const room = w ? `; ${Math.round(((w.maxPages - w.wiredPages) * w.pageSize) / 2 ** 20)} MiB more may be wired now (vm.max_user_wired ${w.maxPages} pages, ${w.wiredPages} wired)` : "";
    return { cause: `ENOMEM: the guest memory could not be wired${room}`, fix: "raise vm.max_user_wired (sysctl, and /etc/sysctl.conf) or give the VM less memory; 'pptctl doctor --vm NAME' does the sum" };
  }
  return { cause: `vm_setup_memory failed with errno ${errno}`, fix: null };
}
