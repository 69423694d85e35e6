/**
 * The recorded hosts with VM configs (scripts/make-fixtures.ts): list's statuses from Hoster and
 * vm-bhyve configs, and doctor --vm / explain's host with its process list and wiring limit.
 */
import { type Spec, withKenv } from "./fixture-host.ts";

export function vmHosts(base: (note: string) => Spec, sample: (f: string) => string, loaderConf: (pptdevs: string, extra?: string) => string): Record<string, Spec> {
  const h: Record<string, Spec> = {};
  // list: VM status from Hoster and vm-bhyve configs.
  const vb = base("vm-bhyve host (vm_dir=zfs:zroot/vm) plus Hoster: running, stopped, two VMs on one device, a broken config, an entry not bound.");
  vb.files["/etc/rc.conf"] += 'vm_enable="YES"\nvm_dir="zfs:zroot/vm"\n';
  vb.commands.zfs = { stdout: `${sample("zfs-list.txt")}zroot/vm\t/zroot/vm\nzroot/vm/win11\t/zroot/vm/win11\nzroot/vm/gw\t/zroot/vm/gw\n` };
  vb.dirs["/zroot/vm"] = [".config", ".iso", ".templates", "gw", "win11", "lab"];
  vb.files["/zroot/vm/win11/win11.conf"] = 'loader="uefi"\ncpu=4\nmemory=8G\nnetwork0_type="virtio-net"\nnetwork0_switch="public"\ndisk0_type="nvme"\ndisk0_name="disk0.img"\npassthru0="0/20/0"\n';
  vb.files["/zroot/vm/gw/gw.conf"] = 'loader="bhyveload"\ncpu=1\nmemory=512M\npassthru0="89/0/0"\npassthru1="1/0/1"\n';
  // lab.conf is left out of the recording: it reads as unknown, like a file root cannot read.
  vb.dirs["/zroot/vm-encrypted"] = ["test-vm-1", "test-vm-2", "test-vm-3"];
  vb.files["/zroot/vm-encrypted/test-vm-3/vm_config.json"] = '{ "passthru": ["1/0/0", ';
  vb.files["/boot/loader.conf"] = loaderConf('pptdevs="0/13/0 0/13/2 0/20/0 1/0/0 1/0/1 89/0/0"');
  vb.commands.kenv = { stdout: withKenv(sample("kenv.txt"), { pptdevs: "0/13/0 0/13/2 0/20/0 1/0/0 1/0/1 89/0/0" }) };
  vb.commands.pciconf = {
    stdout: sample("pciconf-lvc.txt")
      .replace("xhci1@pci0:0:20:0:", "ppt2@pci0:0:20:0:")
      .replace("xhci0@pci0:0:13:0:", "ppt3@pci0:0:13:0:")
      .replace("none6@pci0:0:13:2:", "ppt4@pci0:0:13:2:"),
  };
  vb.commands.vmm = { stdout: sample("sysctl-hw.vmm.txt").replace("hw.vmm.ppt.devices: 2", "hw.vmm.ppt.devices: 5") };
  // test-vm-2 (stopped) holds 0/13/0; 0/13/2 is in no readable config.
  vb.files["/zroot/vm-encrypted/test-vm-2/vm_config.json"] = sample("files/zroot/vm-encrypted/test-vm-2/vm_config.json").replace('"live_status"', '"passthru": ["0/13/0"],\n  "live_status"');
  vb.dirs["/dev/vmm"] = ["test-vm-1", "win11"];
  // win11 runs under vm-bhyve: its supervisor, its titled bhyve and its run.lock (redacted, as capture keeps it).
  vb.commands.ps = { stdout: `${sample("ps.txt")} 5120 /bin/sh /usr/local/sbin/vm -d /zroot/vm _run win11\n 5133 bhyve: win11 (bhyve)\n` };
  vb.files["/zroot/vm/win11/run.lock"] = "<redacted>\n";
  vb.files["/zroot/vm/gw/run.lock"] = null;
  h["list-vms"] = vb;

  // doctor --vm / explain: the list-vms host with its process list and wiring limit recorded.
  const pf = structuredClone(vb);
  pf.note = "list-vms with 'ps' and the wiring sysctls: test-vm-1 runs (bhyve pid 4242), win11's /dev/vmm instance is left behind with no bhyve process, gw names a ROM that is not there, and about 6.9 GiB may still be wired (win11 wants 8G).";
  pf.commands.ps = { stdout: "    1 /sbin/init --\n  812 /usr/sbin/sshd\n 4242 bhyve: test-vm-1 (bhyve)\n 4301 /usr/local/bin/tmux new -s main\n" };
  pf.files["/zroot/vm/win11/run.lock"] = null;
  pf.commands.wired = { stdout: "vm.max_user_wired: 6000000\nvm.stats.vm.v_user_wire_count: 4200000\nhw.pagesize: 4096\n" };
  pf.files["/zroot/vm/gw/gw.conf"] = 'loader="bhyveload"\ncpu=1\nmemory=512M\npassthru0="89/0/0"\npassthru1="1/0/1"\npassthru1_options="rom=/zroot/vm/.config/p600-audio.rom"\n';
  pf.files["/zroot/vm/.config/p600-audio.rom"] = null;
  h["vm-preflight"] = pf;

  h["reported-devices"] = reportedDevices(base, sample, loaderConf);
  return h;
}

/**
 * Devices others reported on (compat, issue 34): the sample host with its Quadro's IDs swapped
 * for the GTX 750 + audio of a shipped "fails in Windows" report (in Hoster's windows10 VM), and
 * its Aquantia NIC's for the ConnectX-4 Lx of a "works"/"fails" pair (in a vm-bhyve linux VM).
 * The IDs are changed, the listing's shape is the sample's.
 */
function reportedDevices(base: (note: string) => Spec, sample: (f: string) => string, loaderConf: (pptdevs: string, extra?: string) => string): Spec {
  const s = base("The sample host with reported devices: a GTX 750 + audio (10de:1381, 3842:2751) on ppt0-1 in Hoster's test-vm-1 (os_type windows10), a ConnectX-4 Lx (15b3:1015, 1590:00d4) on ppt2 in vm-bhyve's router (guest=linux). IDs swapped into the sample's listing.");
  s.commands.pciconf = {
    stdout: sample("pciconf-lvc.txt")
      .replace("rev=0xa1 hdr=0x00 vendor=0x10de device=0x1cb2 subvendor=0x10de subdevice=0x11bd", "rev=0xa2 hdr=0x00 vendor=0x10de device=0x1381 subvendor=0x3842 subdevice=0x2751")
      .replace("GP107GL [Quadro P600]", "GM107 [GeForce GTX 750]")
      .replace("vendor=0x10de device=0x0fb9 subvendor=0x10de subdevice=0x11bd", "vendor=0x10de device=0x0fbc subvendor=0x3842 subdevice=0x2751")
      .replace("GP107GL High Definition Audio Controller", "GM107 High Definition Audio Controller")
      .replace("aq0@pci0:47:0:0:\tclass=0x020000 rev=0x02 hdr=0x00 vendor=0x1d6a device=0x87b1 subvendor=0x1d6a subdevice=0x0001", "ppt2@pci0:47:0:0:\tclass=0x020000 rev=0x00 hdr=0x00 vendor=0x15b3 device=0x1015 subvendor=0x1590 subdevice=0x00d4")
      .replace("'Aquantia Corp.'", "'Mellanox Technologies'")
      .replace("AQC107 NBase-T/IEEE 802.3bz Ethernet Controller [AQtion]", "MT27710 Family [ConnectX-4 Lx]"),
  };
  const pptdevs = "1/0/0 1/0/1 47/0/0";
  s.files["/boot/loader.conf"] = loaderConf(`pptdevs="${pptdevs}"`);
  s.commands.kenv = { stdout: withKenv(sample("kenv.txt"), { pptdevs }) };
  s.commands.vmm = { stdout: sample("sysctl-hw.vmm.txt").replace("hw.vmm.ppt.devices: 2", "hw.vmm.ppt.devices: 3") };
  s.files["/etc/rc.conf"] += 'vm_enable="YES"\nvm_dir="/vm"\n';
  s.dirs["/vm"] = ["router"];
  s.files["/vm/router/router.conf"] = 'guest="linux"\nloader="grub"\ncpu=2\nmemory=2G\npassthru0="47/0/0"\n';
  return s;
}
