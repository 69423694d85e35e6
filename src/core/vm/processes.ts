/**
 * Which VMs a bhyve process runs. bhyve titles itself with the VM's name once the guest is set
 * up (usr.sbin/bhyve/bhyverun.c: setproctitle("%s", vmname)), so `ps -axww -o pid=,args=` shows
 * `1234 bhyve: win11`, with ` (bhyve)` after it where ps adds the command name; vm-bhyve finds
 * its running guests the same way (lib/vm-run, vm::running_load: pgrep -fl "bhyve:").
 * A /dev/vmm/NAME without such a process is an instance left behind.
 */
const TITLE = /^\s*(\d+)\s+bhyve: (\S+)(?: \(bhyve\))?\s*$/;

export function bhyveProcesses(stdout: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const line of stdout.split("\n")) {
    const m = TITLE.exec(line);
    if (m && !found.has(m[2]!)) found.set(m[2]!, Number(m[1]));
  }
  return found;
}
