/**
 * What is known about passing particular devices through bhyve, one entry per behaviour, each
 * with the source it comes from. No entry without a source. Matching is data: vendor id, class,
 * host address, and a condition pptctl can see in `pciconf -lvc`.
 */
export type QuirkCondition =
  /** ppt cannot reset it with a Function Level Reset (see reset.ts). */
  | "no-flr"
  /** Another function of the same card is an HD audio controller (class 04/03). */
  | "audio-sibling"
  /** Another function of the same card exists. */
  | "multifunction"
  /** A function on the bus of an SR-IOV physical function (ecap 0010), other than the PF. */
  | "sriov-vf";

export interface QuirkData {
  readonly id: string;
  readonly title: string;
  readonly advice: string;
  readonly source: string;
  /** Puts passthrough at risk: doctor's quirks check warns for a reserved device. */
  readonly risk: boolean;
  /** The card's functions go to one guest together (assign adds them, doctor --vm warns on a split). */
  readonly wholeCard?: boolean;
  readonly match: {
    readonly vendor?: number;
    /** Base class, or base class and subclass as 0xCCSS. */
    readonly cls?: number;
    readonly sub?: number;
    /** Host address B/S/F. */
    readonly addr?: string;
    readonly when?: QuirkCondition;
  };
}

export const QUIRKS: readonly QuirkData[] = [
  {
    id: "intel-igd",
    title: "Intel integrated graphics: GVT-d passthrough, expected at guest slot 2",
    advice:
      "bhyve passes an Intel IGD through with GVT-d (stolen memory and OpRegion set up for the guest). The Intel GOP and guest drivers expect it at guest slot 2 with the LPC bridge at 31: pin it there (vm-bhyve: passthru0=\"0/2/0=2:0\"; plain bhyve: -s 2:0,passthru,0/2/0) and add rom=/path/gop.rom for a picture while the guest boots. Hoster cannot do this: it has no slot pins (it splits passthru entries at '/', so '=2:0' breaks the VM's start) and its fixed layout puts the VM's NIC at slot 2, so under Hoster the IGD lands at slot 5 or later, not where the GOP and Intel's guest drivers expect it. bhyve knows only the IGD generations in its own table.",
    source:
      "https://reviews.freebsd.org/transactions/detail/PHID-XACT-DREV-db5n7g6glr6zidi/ (GVT-d review, Beckhoff); https://github.com/freebsd/freebsd-src/blob/main/usr.sbin/bhyve/amd64/pci_gvt-d.c; https://github.com/freebsd/freebsd-src/pull/2269 (the IGD generation table); https://github.com/yaroslav-gwit/HosterCore/blob/main/internal/pkg/hoster/vm/utils/generate_bhyve_command.go (Hoster: NIC at slot 2, passthruPciSplitter)",
    risk: false,
    match: { vendor: 0x8086, cls: 0x03, addr: "0/2/0" },
  },
  {
    id: "amd-gpu-reset",
    title: "AMD GPU without FLR: may not reset after the guest stops",
    advice:
      "Many AMD GPU generations (Vega 10, Vega 20 and Navi 10 among them) cannot be reset once a guest has used them, and the next VM start fails until the host reboots: plan a host reboot between guest runs, or pass a card that advertises FLR.",
    source: "https://github.com/gnif/vendor-reset/issues/35 (maintainer: affects Vega10, Vega20 and Navi10); https://github.com/gnif/vendor-reset",
    risk: true,
    match: { vendor: 0x1002, cls: 0x03, when: "no-flr" },
  },
  {
    id: "gpu-audio",
    title: "GPU with an HDMI/DisplayPort audio function on the same card",
    advice:
      "The audio function is part of the same card: reserve both (pptctl plan SEL --with-functions) and pass them together into one guest slot, as args does by default.",
    source: "https://wiki.freebsd.org/bhyve/pci_passthru (multi-function devices are not always independent)",
    risk: false,
    wholeCard: true,
    match: { cls: 0x03, when: "audio-sibling" },
  },
  {
    id: "qlogic-fc-functions",
    title: "QLogic Fibre Channel: functions must stay together",
    advice:
      "Function 0 loads the firmware the other functions run: pass every function into one guest slot with the host's function numbers (no leading '-'), as args does by default.",
    source: "https://wiki.freebsd.org/bhyve/pci_passthru (the QLogic FC example)",
    risk: false,
    wholeCard: true,
    match: { vendor: 0x1077, cls: 0x0c, sub: 0x04 },
  },
  {
    id: "intel-nic-split",
    title: "Intel network adapter: functions can be split",
    advice: "Each port is independent: ports may go to different guest slots or to different VMs (a leading '-' gives an entry a slot of its own).",
    source: "https://wiki.freebsd.org/bhyve/pci_passthru (Intel network adapters can be split out)",
    risk: false,
    match: { vendor: 0x8086, cls: 0x02, when: "multifunction" },
  },
  {
    id: "sriov-vf",
    title: "Looks like an SR-IOV virtual function",
    advice:
      "A VF exists only once iovctl(8) has created it, so pptdevs cannot reserve it at boot: list the PF in iovctl_files (rc.conf) and give the VF 'passthrough: true' in its VF section of iovctl.conf(5), which attaches it to ppt.",
    source: "https://man.freebsd.org/iovctl.conf; https://man.freebsd.org/cgi/man.cgi?query=iovctl&sektion=8",
    risk: false,
    match: { when: "sriov-vf" },
  },
];
