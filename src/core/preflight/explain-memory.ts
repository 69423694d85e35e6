/**
 * "Unable to setup memory (N)" (usr.sbin/bhyve/bhyverun.c main, after vm_setup_memory). EEXIST
 * (17) comes from libvmmapi vm_mmap_memseg when the failing VM's own instance already has its
 * memory mapped with other flags: made by an earlier bhyve that died, or by a loader
 * (bhyveload, grub-bhyve) run without the -S bhyve now asks for. ENOMEM (12): wiring failed
 * (vm_map_wire with VM_MAP_WIRE_USER against vm.max_user_wired, sys/vm/vm_map.c). Pure.
 */
import type { HostModel } from "../model/model.ts";
import { processText, vmState } from "../vm/instances.ts";
import { parseMemSize } from "./memory.ts";
import { destroyCommand } from "../text/shell.ts";

const MIB = 2 ** 20;

export function memoryCause(m: HostModel, errno: number, vm: string | null, said: string | null = null): { cause: string; fix: string | null } {
  if (errno === 17) return existsCause(m, vm);
  if (errno === 12) {
    const w = m.wiring.ok ? m.wiring.value : null;
    const room = w ? Math.max(0, w.maxPages - w.wiredPages) * w.pageSize : null;
    const size = vm ? (m.vms.configs.find((c) => c.vm === vm)?.memory ?? null) : null;
    const bytes = size ? parseMemSize(size) : null;
    const need = bytes !== null ? `; ${vm} asks for ${Math.round(bytes / MIB)} MiB` : "";
    const now = room !== null ? `; ${Math.round(room / MIB)} MiB more may be wired now (vm.max_user_wired ${w!.maxPages} pages, ${w!.wiredPages} wired)${need}` : "";
    return { cause: `ENOMEM: the guest memory could not be wired${now}`, fix: "raise vm.max_user_wired (sysctl, and /etc/sysctl.conf) or give the VM less memory; 'pptctl doctor --vm NAME' does the sum" };
  }
  // Older bhyve printed the error's words (perror); newer ones its number.
  return { cause: `vm_setup_memory failed: ${said ?? `errno ${errno}`}`, fix: null };
}

const EEXIST = "EEXIST: the VM's own instance in /dev/vmm already had its memory mapped differently (wired or not) when bhyve started";

function existsCause(m: HostModel, vm: string | null): { cause: string; fix: string | null } {
  if (vm) {
    const s = vmState(m.vms, vm);
    switch (s.kind) {
      case "left-behind":
        return { cause: `${EEXIST}: ${vm}'s instance is still there and no process names it, left behind by an earlier bhyve or made by a loader run without -S`, fix: `${destroyCommand(vm)}; if a loader (bhyveload, grub-bhyve) starts ${vm}, give it -S as bhyve gets` };
      case "stopped":
        return { cause: `${EEXIST}; there is no instance of ${vm} now (its manager destroyed it after bhyve stopped)`, fix: `if a loader (bhyveload, grub-bhyve) starts ${vm}, give it -S as bhyve gets; otherwise start ${vm} again` };
      case "running":
      case "starting":
        return { cause: `${EEXIST}; ${vm} is ${s.kind === "running" ? `running now (bhyve pid ${s.pid})` : `starting now (${processText(s.procs)})`}, so its instance is in use`, fix: `stop ${vm} with its manager before you start it again; do not destroy an instance in use` };
      case "unknown":
        return { cause: `${EEXIST}; the state of ${vm}'s instance is unknown: ${s.reason}`, fix: `find what runs ${vm} ('ps -axww | grep ${vm}') before you change anything` };
    }
  }
  const names = m.vms.instances;
  if (names === null) return { cause: `${EEXIST}; /dev/vmm cannot be read to show the instances`, fix: "run pptctl as root, and give the VM's name: pptctl explain --vm NAME" };
  const left = names.filter((n) => vmState(m.vms, n).kind === "left-behind");
  const shown = names.map((n) => `${n} (${describe(vmState(m.vms, n).kind)})`);
  return {
    cause: `${EEXIST}; bhyve's line does not name the VM. Instances now: ${shown.length > 0 ? shown.join(", ") : "none"}`,
    fix: left.length > 0 ? left.map((n) => `if the VM that failed is ${n}: ${destroyCommand(n)}`).join("; ") : "give the VM's name to see its instance: pptctl explain --vm NAME '…'",
  };
}

function describe(kind: string): string {
  return kind === "left-behind" ? "left behind, no process names it" : kind === "unknown" ? "state unknown" : kind;
}
