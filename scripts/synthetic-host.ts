import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A recorded host with `n` PCI devices, a tenth of them on ppt and in two VM configs (bench, tests). */
export function syntheticHost(n: number): string {
  const dir = mkdtempSync(join(tmpdir(), "pptctl-bench-"));
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const bus = 1 + Math.floor(i / 8);
    const func = i % 8;
    const name = i % 10 === 0 ? `ppt${i / 10}` : `em${i}`;
    lines.push(
      `${name}@pci0:${bus % 256}:${Math.floor(bus / 256)}:${func}:\tclass=0x020000 rev=0x01 hdr=0x00 vendor=0x8086 device=0x1521 subvendor=0x8086 subdevice=0x0001`,
      "    vendor     = 'Intel Corporation'",
      "    device     = 'I350 Gigabit Network Connection'",
      "    class      = network",
      "    subclass   = ethernet",
      "    cap 01[40] = powerspec 3  supports D0 D3  current D0",
      "    cap 05[50] = MSI supports 1 message, 64 bit, vector masks ",
      "    cap 11[70] = MSI-X supports 10 messages, enabled",
      "                 Table in map 0x1c[0x0], PBA in map 0x1c[0x2000]",
      "    cap 10[a0] = PCI-Express 2 endpoint max data 256(512) FLR RO NS",
      "                 max read 512",
      "    ecap 0001[100] = AER 2 0 fatal 0 non-fatal 0 corrected",
    );
  }
  writeFileSync(join(dir, "pciconf.txt"), `${lines.join("\n")}\n`);
  mkdirSync(join(dir, "files/vms/a"), { recursive: true });
  mkdirSync(join(dir, "files/vms/b"), { recursive: true });
  writeFileSync(join(dir, "files/vms/a/vm_config.json"), JSON.stringify({ passthru: ["1/0/0", "2/0/2"] }));
  writeFileSync(join(dir, "files/vms/b/b.conf"), 'passthru0="3/0/4"\n');
  const host = {
    format: "pptctl-host/1",
    commands: [{ argv: ["/usr/sbin/pciconf", "-lvc"], exit: 0, stdout: "pciconf.txt", stderr: null }],
    files: [
      { path: "/vms/a/vm_config.json", copy: "files/vms/a/vm_config.json" },
      { path: "/vms/a/a.conf", copy: null },
      { path: "/vms/b/vm_config.json", copy: null },
      { path: "/vms/b/b.conf", copy: "files/vms/b/b.conf" },
    ],
    dirs: [
      { path: "/vms", entries: ["a", "b"] },
      { path: "/dev/vmm", entries: ["a"] },
    ],
  };
  writeFileSync(join(dir, "host.json"), JSON.stringify(host));
  return dir;
}

/** A recorded host that holds one real pciconf -lvc listing and nothing else. */
export function listingHost(listing: string): string {
  const dir = mkdtempSync(join(tmpdir(), "pptctl-bench-"));
  writeFileSync(join(dir, "pciconf.txt"), readFileSync(listing));
  const host = { format: "pptctl-host/1", commands: [{ argv: ["/usr/sbin/pciconf", "-lvc"], exit: 0, stdout: "pciconf.txt", stderr: null }], files: [], dirs: [] };
  writeFileSync(join(dir, "host.json"), JSON.stringify(host));
  return dir;
}
