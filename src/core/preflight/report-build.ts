/**
 * `pptctl report`: reports for a VM's devices, from what this host says about them. One report
 * per card (a GPU with its audio is one report with the audio in `with`). Everything that could
 * name the host or its owner stays out: no addresses, no host name, ROM files by file name only,
 * paths in the diagnosis cut to their last part; what is left is checked like a contribution.
 */
import { leaksIn } from "../compat/check.ts";
import type { Report, ReportResult } from "../compat/schema.ts";
import { resetMethod } from "../knowledge/reset.ts";
import { cpuVendor } from "../model/virt.ts";
import type { HostModel } from "../model/model.ts";
import { sameAddr, sameDevice } from "../pci/address.ts";
import { type PciDevice, capsListed, hex4, hexId } from "../pci/device.ts";
import type { VmSpec } from "./spec.ts";

export interface ReportInput {
  readonly result: ReportResult;
  readonly guest: string;
  readonly note: string | null;
  /** Explained bhyve lines from --log: the line and explain's cause. */
  readonly diagnosis: readonly { line: string; cause: string | null }[];
  /** YYYY-MM-DD */
  readonly date: string;
}

function deviceOf(d: PciDevice): Report["device"] {
  return { vendor: hexId(d.vendorId), device: hexId(d.deviceId), subvendor: hexId(d.subvendorId), subdevice: hexId(d.subdeviceId), class: hexId(d.classCode, 6), rev: hexId(d.rev, 2), name: `${d.vendorName ?? "?"} ${d.deviceName ?? ""}`.trim().slice(0, 120) };
}

/** A path anywhere in a text, cut to its last part: a diagnosis says which ROM, not whose disk. */
// Stryker disable next-line Regex: the rest of the last part follows the match unchanged, so matching one character of it is the same
const scrub = (text: string) => text.replace(/(?:^|(?<=[\s'"(=]))\/(?:[^\s'"()/]+\/)+([^\s'"()/]+)/g, "$1");

/** vendor-device for a report's id, as in 10de-1cb2; "unknown" when pciconf printed neither. */
const ids = (d: PciDevice) => (d.vendorId === null || d.deviceId === null ? "unknown" : `${hex4(d.vendorId)}-${hex4(d.deviceId)}`);

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 24);

export function buildReports(m: HostModel, spec: VmSpec, input: ReportInput): { reports: Report[] } | { error: string } {
  if (!m.pci.ok) return { error: `cannot list PCI devices: ${m.pci.reason}` };
  const devices = m.pci.value.devices;
  const listed = capsListed(devices);
  const onHost = spec.devices.flatMap((v) => {
    const d = devices.find((x) => sameAddr(x.addr, v.addr));
    return d ? [{ v, d }] : [];
  });
  if (onHost.length === 0) return { error: `${spec.vm} has no passthru device on this host's bus to report on` };
  const cards: { v: (typeof onHost)[number]["v"]; d: PciDevice }[][] = [];
  for (const x of onHost) {
    const card = cards.find((c) => sameDevice(c[0]!.d.addr, x.d.addr));
    if (card) card.push(x);
    else cards.push([x]);
  }
  const rel = m.platform.ok ? (m.platform.value.get("kern.osrelease") ?? null) : null;
  const arch = m.platform.ok ? m.platform.value.get("hw.machine_arch") : undefined;
  // Stryker disable next-line ArrayDeclaration: a stand-in for unknown tables is neither DMAR nor IVRS
  const tables = m.acpi.ok ? m.acpi.value.tables : [];
  const iommu = tables.includes("DMAR") ? "vt-d" : tables.includes("IVRS") ? "amd-vi" : null;
  const manager = spec.manager === "bhyve-config" ? "bhyve" : spec.manager;
  const symptoms = [
    ...(input.note ? [scrub(input.note)] : []),
    ...input.diagnosis.map((x) => scrub(x.cause ? `${x.line.trim()} — ${x.cause}` : x.line.trim())).map((s) => s.slice(0, 300)),
  ];
  const reports: Report[] = cards.map((card) => {
    const main = card.find((x) => x.d.addr.func === 0) ?? card[0]!;
    // Stryker disable next-line ArrayDeclaration: a stand-in option is neither rom= nor bootindex=, so it is left out like any other
    const options = card.flatMap((x) => x.v.entry?.options ?? []).flatMap((o) => {
      if (o.startsWith("rom=")) return [`rom=${o.slice(4).split("/").pop()}`];
      return /^bootindex=\d+$/.test(o) ? [o] : [];
    });
    const reset = resetMethod(main.d, listed);
    return {
      format: "pptctl-report/1" as const,
      id: `${ids(main.d)}-${slug(input.guest)}-${input.date}`,
      device: deviceOf(main.d),
      with: card.filter((x) => x !== main).map((x) => deviceOf(x.d)),
      reset: reset === "unknown" ? null : reset,
      host: {
        release: rel && /^\d+\.\d+(?:-[A-Z0-9]+(?:-p\d+)?)?$/.test(rel) ? rel : null,
        arch: arch === "amd64" || arch === "arm64" ? arch : null,
        cpu: cpuVendor(m),
        iommu,
      },
      manager,
      passed: { grouping: card.some((x) => x.v.entry?.ownSlot) ? "own-slots" : "one-slot", options, wired: spec.wired.ok, loader: spec.firmware },
      guest: input.guest,
      result: input.result,
      symptoms,
      source: { kind: "contributed" as const, date: input.date },
    };
  });
  // Two cards of one model in one VM: each report still gets a file name of its own.
  const seen = new Map<string, number>();
  const named = reports.map((r) => {
    const n = (seen.get(r.id) ?? 0) + 1;
    seen.set(r.id, n);
    return n === 1 ? r : { ...r, id: `${r.id}-${n}` };
  });
  const leaks = named.flatMap((r) => leaksIn(r));
  if (leaks.length > 0) return { error: `the report would carry what it must not: ${leaks[0]}` };
  return { reports: named };
}
