import { describe, expect, test } from "bun:test";
import { buildReports, type ReportInput } from "../src/core/preflight/report-build.ts";
import type { SpecManager, VmSpec } from "../src/core/preflight/spec.ts";
import type { HostModel } from "../src/core/model/model.ts";
import { parsePassthruEntry } from "../src/core/vm/passthru-entry.ts";
import { acpi, dev, host, kv, no, ok, pci } from "./doctor-model.ts";

/**
 * `pptctl report` built case by case (issue 36): which devices make a card, what of the host
 * goes in, and what stays out. The command's own tests (compat.test.ts) run it end to end.
 */
const FLR = "    cap 10[ac] = PCI-Express 2 endpoint max data 128(256) FLR RO NS";
const PM = "    cap 01[60] = powerspec 3  supports D0 D3  current D0";
const MSI = "    cap 05[68] = MSI supports 1 message, 64 bit";

/** pciconf's vendor line after the header line, as pciconf -lv prints it. */
const nvidia = (block: string) => block.replace("\n", "\n    vendor     = 'NVIDIA Corporation'\n");
const GPU = nvidia(dev("ppt0", "1:0:0", { caps: [FLR, MSI], label: "GM107 [GeForce GTX 750]" }));
const AUDIO = nvidia(dev("ppt1", "1:0:1", { cls: "0x040300", caps: [PM, MSI], label: "GM107 High Definition Audio" }));
const NIC = dev("ppt2", "2:0:0", { vendor: 0x15b3, cls: "0x020000", caps: [MSI], label: "MT27710 Family" });

function spec(entries: string[], over: Partial<VmSpec> = {}): VmSpec {
  const devices = entries.map((text) => {
    const e = parsePassthruEntry(text, new Map());
    if ("error" in e) throw new Error(e.error);
    return { addr: e.addr, text, entry: e, guest: e.pin, rom: null };
  });
  const manager: SpecManager = "vm-bhyve";
  return { vm: "desk", manager, path: "/vm/desk/desk.conf", problem: null, devices, memory: "8G", wired: { ok: true, how: "" }, hoster: null, config: null, missing: [], guest: "windows", firmware: "uefi", ...over };
}

const INPUT: ReportInput = { result: "works", guest: "Windows 11 23H2", note: null, diagnosis: [], date: "2026-12-07" };
const onHost = (over: Partial<HostModel> = {}) =>
  host({ pci: pci(GPU, AUDIO, NIC), platform: ok(kv({ "kern.osrelease": "14.1-RELEASE-p5", "hw.machine_arch": "amd64" })), ...over });

function build(m: HostModel, s: VmSpec, input: Partial<ReportInput> = {}) {
  const r = buildReports(m, s, { ...INPUT, ...input });
  if ("error" in r) throw new Error(r.error);
  return r.reports;
}

describe("buildReports", () => {
  test("a GPU and its audio are one card: the audio goes in 'with'", () => {
    const [r, ...rest] = build(onHost(), spec(["1/0/0", "1/0/1"]));
    expect(rest).toEqual([]);
    expect(r).toEqual({
      format: "pptctl-report/1",
      id: "10de-1cb2-windows-11-23h2-2026-12-07",
      device: { vendor: "0x10de", device: "0x1cb2", subvendor: "0x10de", subdevice: "0x11bd", class: "0x030000", rev: "0xa1", name: "NVIDIA Corporation GM107 [GeForce GTX 750]" },
      with: [{ vendor: "0x10de", device: "0x1cb2", subvendor: "0x10de", subdevice: "0x11bd", class: "0x040300", rev: "0xa1", name: "NVIDIA Corporation GM107 High Definition Audio" }],
      reset: "flr",
      host: { release: "14.1-RELEASE-p5", arch: "amd64", cpu: "intel", iommu: "vt-d" },
      manager: "vm-bhyve",
      passed: { grouping: "one-slot", options: [], wired: true, loader: "uefi" },
      guest: "Windows 11 23H2",
      result: "works",
      symptoms: [],
      source: { kind: "contributed", date: "2026-12-07" },
    });
  });
  test("the card is named by function 0 whatever the order of the entries", () => {
    const [r] = build(onHost(), spec(["1/0/1", "1/0/0"]));
    expect(r!.device.class).toBe("0x030000");
    expect(r!.with.map((w) => w.class)).toEqual(["0x040300"]);
  });
  test("two cards, two reports; a function on its own slot makes the grouping own-slots", () => {
    const rs = build(onHost(), spec(["1/0/0", "-1/0/1", "2/0/0"]));
    expect(rs.map((r) => r.id)).toEqual(["10de-1cb2-windows-11-23h2-2026-12-07", "15b3-1cb2-windows-11-23h2-2026-12-07"]);
    expect(rs.map((r) => r.passed.grouping)).toEqual(["own-slots", "one-slot"]);
    expect(rs[1]!.reset).toBe("none");
  });
  test("two cards of one model: the second id gets -2", () => {
    const twin = dev("ppt3", "3:0:0", { caps: [FLR, MSI], label: "GM107 [GeForce GTX 750]" });
    const rs = build(onHost({ pci: pci(GPU, twin) }), spec(["1/0/0", "3/0/0"]));
    expect(rs.map((r) => r.id)).toEqual(["10de-1cb2-windows-11-23h2-2026-12-07", "10de-1cb2-windows-11-23h2-2026-12-07-2"]);
  });
  test("options: a ROM by its file name, bootindex kept, anything else left out", () => {
    const [r] = build(onHost(), spec(["1/0/0,rom=/home/alice/roms/gtx750.rom,bootindex=1,foo=bar"]));
    expect(r!.passed.options).toEqual(["rom=gtx750.rom", "bootindex=1"]);
    const [s] = build(onHost(), spec(["1/0/0,rom=gtx750.rom,bootindex=12,xbootindex=1,bootindex=1x"]));
    expect(s!.passed.options).toEqual(["rom=gtx750.rom", "bootindex=12"]);
  });
  test("a device is the VM's only at its whole address: bus, slot and function", () => {
    expect(buildReports(onHost(), spec(["1/1/0"]), INPUT)).toEqual({ error: "desk has no passthru device on this host's bus to report on" });
    expect(buildReports(onHost(), spec(["2/0/1"]), INPUT)).toEqual({ error: "desk has no passthru device on this host's bus to report on" });
  });
  test("reset: D3→D0 is 'power'; a listing without capabilities says nothing", () => {
    expect(build(onHost(), spec(["1/0/1"]))[0]!.reset).toBe("power");
    const bare = dev("ppt0", "1:0:0", { caps: [] });
    expect(build(onHost({ pci: pci(bare) }), spec(["1/0/0"]))[0]!.reset).toBeNull();
  });
  test.each([
    ["14.1-RELEASE-p5", "14.1-RELEASE-p5"],
    ["15.0-CURRENT", "15.0-CURRENT"],
    ["14.2", "14.2"],
    ["14.10-RELEASE-p12", "14.10-RELEASE-p12"],
    ["14.1-RELEASE-p5 (host-x)", null],
    ["my-host 14.1", null],
  ])("release %p goes in as %p", (rel, want) => {
    expect(build(onHost({ platform: ok(kv({ "kern.osrelease": rel, "hw.machine_arch": "arm64" })) }), spec(["2/0/0"]))[0]!.host).toMatchObject({ release: want, arch: "arm64" });
  });
  test("an architecture bhyve passthrough does not run on, and no platform facts, are null", () => {
    expect(build(onHost({ platform: ok(kv({ "kern.osrelease": "14.1-RELEASE", "hw.machine_arch": "i386" })) }), spec(["2/0/0"]))[0]!.host.arch).toBeNull();
    expect(build(onHost({ platform: no("sysctl failed") }), spec(["2/0/0"]))[0]!.host).toMatchObject({ release: null, arch: null });
  });
  test("the IOMMU from the ACPI tables", () => {
    const iommu = (m: HostModel) => build(m, spec(["2/0/0"]))[0]!.host.iommu;
    expect(iommu(onHost({ acpi: ok(acpi(["IVRS", "APIC"])) }))).toBe("amd-vi");
    expect(iommu(onHost({ acpi: ok(acpi(["APIC"])) }))).toBeNull();
    expect(iommu(onHost({ acpi: no("acpidump failed") }))).toBeNull();
  });
  test("a bhyve -k file's VM is reported as plain bhyve; Hoster as Hoster", () => {
    expect(build(onHost(), spec(["2/0/0"], { manager: "bhyve-config" }))[0]!.manager).toBe("bhyve");
    expect(build(onHost(), spec(["2/0/0"], { manager: "hoster", wired: { ok: false, how: "" }, firmware: null }))[0]).toMatchObject({ manager: "hoster", passed: { wired: false, loader: null } });
  });
  test("symptoms: the note, then each bhyve line with explain's cause; paths cut to their last part, 300 characters at most", () => {
    const [r] = build(onHost(), spec(["2/0/0"]), {
      note: "hangs with /home/alice/vm/win.img at boot",
      diagnosis: [
        { line: '  passthru_init_rom: can\'t open romfile "/zroot/vm/rom/p600.rom"  ', cause: "the ROM file is not there" },
        { line: "  vm exit[0]  ", cause: null },
        { line: "x".repeat(400), cause: null },
      ],
    });
    expect(r!.symptoms).toEqual(["hangs with win.img at boot", 'passthru_init_rom: can\'t open romfile "p600.rom" — the ROM file is not there', "vm exit[0]", "x".repeat(300)]);
  });
  test("a path at the start, after '(' or '=' is cut; a fraction or a B/S/F is not a path", () => {
    const [r] = build(onHost(), spec(["2/0/0"]), { note: "/usr/home/a/b.rom (/tmp/x/y.log) rom=/r/s.rom 1/0/0 and 3/4 done" });
    expect(r!.symptoms).toEqual(["b.rom (y.log) rom=s.rom 1/0/0 and 3/4 done"]);
  });
  test("the id's guest part: lower case, one dash between words, 24 characters at most", () => {
    const [r] = build(onHost(), spec(["2/0/0"]), { guest: "  Windows Server 2022 (Datacenter) — Evaluation  " });
    expect(r!.id).toBe("15b3-1cb2-windows-server-2022-data-2026-12-07");
  });
  test("a device with no vendor name is '?'", () => {
    const [r] = build(onHost(), spec(["2/0/0"]));
    expect(r!.device.name).toBe("? MT27710 Family");
    const long = dev("ppt2", "2:0:0", { vendor: 0x15b3, cls: "0x020000", caps: [MSI], label: "L".repeat(200) });
    expect(build(onHost({ pci: pci(long) }), spec(["2/0/0"]))[0]!.device.name).toBe(`? ${"L".repeat(118)}`);
  });
  test("a device pciconf names nothing and whose IDs it did not print: '?' and null IDs, an id without them", () => {
    const nameless = dev("ppt2", "2:0:0", { vendor: 0x15b3, cls: "0x020000", caps: [MSI] }).replace(/\n {4}device {5}= .*/, "");
    const m = onHost({ pci: pci(nameless) });
    const d = m.pci.ok ? m.pci.value.devices[0]! : null;
    const bare = { ...m, pci: ok({ ...(m.pci.ok ? m.pci.value : { devices: [] }), devices: [{ ...d!, vendorId: null, deviceId: null, subvendorId: null }] }) } as HostModel;
    const [r] = build(bare, spec(["2/0/0"]));
    expect(r!.device).toMatchObject({ vendor: null, device: null, subvendor: null, subdevice: "0x11bd", name: "?" });
    expect(r!.id).toBe("unknown-windows-11-23h2-2026-12-07");
    // Either ID missing is enough: half an ID would name another chip.
    const only = (over: object) => build({ ...bare, pci: ok({ devices: [{ ...d!, ...over }], unparsed: [] }) } as HostModel, spec(["2/0/0"]))[0]!.id;
    expect(only({ vendorId: null })).toBe("unknown-windows-11-23h2-2026-12-07");
    expect(only({ deviceId: null })).toBe("unknown-windows-11-23h2-2026-12-07");
    expect(only({})).toBe("15b3-1cb2-windows-11-23h2-2026-12-07");
  });
  test("a bhyve -k file's devices have no passthru entry: no options, one slot", () => {
    const k = spec(["2/0/0"], { manager: "bhyve-config" });
    const [r] = build(onHost(), { ...k, devices: k.devices.map((v) => ({ ...v, entry: null })) });
    expect(r!.passed).toMatchObject({ grouping: "one-slot", options: [] });
  });
  test("pciconf unreadable, or none of the VM's devices on the bus: one line why", () => {
    expect(buildReports(onHost({ pci: no("pciconf: permission denied") }), spec(["1/0/0"]), INPUT)).toEqual({ error: "cannot list PCI devices: pciconf: permission denied" });
    expect(buildReports(onHost(), spec(["9/0/0"]), INPUT)).toEqual({ error: "desk has no passthru device on this host's bus to report on" });
    expect(build(onHost(), spec(["9/0/0", "2/0/0"])).map((r) => r.device.vendor)).toEqual(["0x15b3"]);
  });
  test("a MAC in the note: refused with what was found", () => {
    expect(buildReports(onHost(), spec(["2/0/0"]), { ...INPUT, note: "port 58:9c:fc:00:11:22 up" })).toEqual({ error: expect.stringMatching(/^the report would carry what it must not: symptoms\[0\] holds a MAC address/) });
  });
});
