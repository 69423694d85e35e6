/**
 * Wired guest memory. bhyve refuses a passthru device without it ("passthru requires guest memory
 * to be wired", usr.sbin/bhyve/pci_passthru.c), and wiring it fails once the user-wired pages
 * would pass vm.max_user_wired: vm_mmap_memseg wires with VM_MAP_WIRE_USER (sys/amd64/vmm/vmm_mem.c),
 * which vm_map_wire_user_count_add checks against vm_page_max_user_wired (sys/vm/vm_map.c), and
 * bhyve then says "Unable to setup memory (12)".
 */
import { type Check, check } from "../doctor/types.ts";
import { vmState } from "../vm/instances.ts";
import type { HostModel } from "../model/model.ts";
import type { VmSpec } from "./spec.ts";

const MIB = 1024 * 1024;
const SUFFIX: Record<string, number> = { k: 1, m: 2, g: 3, t: 4, p: 5, e: 6 };

/**
 * A size as bhyve -m reads it (lib/libvmmapi vm_parse_memsize): a plain number below 1 MiB is in
 * MiB, otherwise expand_number(3) with a binary suffix. Null when bhyve would refuse it.
 */
export function parseMemSize(text: string): number | null {
  const t = text.trim();
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    return n < MIB ? n * MIB : n;
  }
  const m = /^(\d+)([kmgtpe])b?$/i.exec(t);
  if (!m) return null;
  return Number(m[1]) * 1024 ** SUFFIX[m[2]!.toLowerCase()]!;
}

const mib = (bytes: number) => `${Math.round(bytes / MIB)} MiB`;

export function memoryCheck(m: HostModel, spec: VmSpec): Check {
  if (!spec.wired.ok) {
    return check("vm.memory", "memory", "fail", `${spec.wired.how}: bhyve stops with "passthru requires guest memory to be wired"`, `add memory.wired=true to ${spec.path}`);
  }
  const running = vmState(m.vms, spec.vm).kind === "running";
  if (running) return check("vm.memory", "memory", "pass", `wired (${spec.wired.how}); ${spec.vm} runs now, so its memory is wired already`);
  if (spec.memory === null) return check("vm.memory", "memory", "unknown", `wired (${spec.wired.how}), but the config sets no memory size`, null);
  const bytes = parseMemSize(spec.memory);
  if (bytes === null) return check("vm.memory", "memory", "fail", `memory "${spec.memory}" is not a size bhyve -m reads`, "write it as 8G, 8192M or 8192");
  if (!m.wiring.ok) return check("vm.memory", "memory", "unknown", `wired (${spec.wired.how}); how much the host lets users wire is unknown: ${m.wiring.reason}`, "sysctl vm.max_user_wired vm.stats.vm.v_user_wire_count");
  const w = m.wiring.value;
  const pages = Math.ceil(bytes / w.pageSize);
  const free = w.maxPages - w.wiredPages;
  if (pages > free) {
    return check(
      "vm.memory",
      "memory",
      "fail",
      `${spec.memory} of guest memory needs ${mib(bytes)} wired, and only ${mib(Math.max(free, 0) * w.pageSize)} more may be (vm.max_user_wired ${w.maxPages} pages, ${w.wiredPages} wired now): bhyve would stop with "Unable to setup memory (12)"`,
      `raise it: sysctl vm.max_user_wired=${w.wiredPages + pages} (and in /etc/sysctl.conf), or give the VM less memory`,
    );
  }
  return check("vm.memory", "memory", "pass", `wired (${spec.wired.how}); ${mib(bytes)} fits in the ${mib(free * w.pageSize)} the host may still wire`);
}
