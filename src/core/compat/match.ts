/**
 * Which reports are about a device on this host. A report names the device by vendor:device
 * (and, where its source gave them, the subsystem IDs, which tell one maker's board from
 * another's): those are this device's reports. Reports of the same vendor and device class that
 * name another chip are only related — shown as such, never as this device's.
 */
import { type PciDevice, hexId } from "../pci/device.ts";
import type { Report, ReportResult } from "./schema.ts";


export interface Matched {
  readonly exact: readonly Report[];
  readonly related: readonly Report[];
}

export function reportsFor(d: PciDevice, reports: readonly Report[]): Matched {
  const vendor = hexId(d.vendorId);
  const device = hexId(d.deviceId);
  const base = d.classCode === null ? null : d.classCode >> 16;
  const exact: Report[] = [];
  const related: Report[] = [];
  for (const r of reports) {
    for (const dev of [r.device, ...r.with]) {
      if (dev.vendor !== vendor) continue;
      const sameChip = dev.device !== null && dev.device === device;
      const sameBoard = (dev.subvendor === null || dev.subvendor === hexId(d.subvendorId)) && (dev.subdevice === null || dev.subdevice === hexId(d.subdeviceId));
      if (sameChip && sameBoard) {
        exact.push(r);
        break;
      }
      const reportBase = dev.class === null ? null : Number.parseInt(dev.class.slice(2, 4), 16);
      if (dev === r.device && base !== null && reportBase === base && !related.includes(r)) related.push(r);
    }
  }
  return { exact, related: related.filter((r) => !exact.includes(r)) };
}

/**
 * reportsFor's exact matches, with the reports indexed once by vendor:device: list asks for every
 * device of a listing, and 10,000 devices against every report took a third of the run.
 */
export function exactIndex(reports: readonly Report[]): (d: PciDevice) => readonly Report[] {
  const byChip = new Map<string, Report[]>();
  for (const r of reports) {
    for (const dev of [r.device, ...r.with]) {
      const key = `${dev.vendor}:${dev.device}`;
      const list = byChip.get(key) ?? [];
      if (!list.includes(r)) list.push(r);
      byChip.set(key, list);
    }
  }
  return (d) => {
    const candidates = byChip.get(`${hexId(d.vendorId)}:${hexId(d.deviceId)}`);
    return candidates ? reportsFor(d, candidates).exact : [];
  };
}

/** `works ×3, fails ×1`: what list shows for a device's own reports. */
export function tally(reports: readonly Report[]): string {
  const order: ReportResult[] = ["works", "partial", "fails"];
  return order
    .map((res) => [res, reports.filter((r) => r.result === res).length] as const)
    .filter(([, n]) => n > 0)
    .map(([res, n]) => `${res} ×${n}`)
    .join(", ");
}
