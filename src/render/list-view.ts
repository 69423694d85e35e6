import { type Inventory, type InventoryRow, statusText, unpassable } from "../core/inventory.ts";
import { sourceUrl } from "../core/compat/words.ts";
import { exactIndex, tally } from "../core/compat/match.ts";
import type { Report } from "../core/compat/schema.ts";
import { RESET_TEXT } from "../core/knowledge/reset.ts";
import type { HostModel } from "../core/model/model.ts";
import { pciNotes, unparsedLines } from "../core/parse/pciconf.ts";
import { vmmInit } from "../core/model/virt.ts";
import { namesWithoutConfig } from "../core/vm/instances.ts";
import { shellWord } from "../core/text/shell.ts";
import { removeCommand } from "../core/loader/pptdevs-config.ts";

const HEADER = ["PPT Device", "PCI ID Raw", "Type", "Bhyve PCI ID", "Vendor", "Model", "Status"];
const HEADER_ALL = ["Device", "PCI ID Raw", "Type", "Bhyve PCI ID", "Vendor", "Model", "Passthrough", "Reset", "Reported", "Notes", "Status"];

/** The cells of `list`'s table (and its TSV): the Notes column only with --all, or on a terminal wide enough for it. */
export function listTable(inv: Inventory, all: boolean, term: { tty: boolean; box: boolean; columns: number }, reports: readonly Report[] = []): { header: string[]; rows: string[][] } {
  const wideNotes =
    !all &&
    term.tty &&
    inv.rows.some((r) => r.quirks.length > 0) &&
    naturalWidth([...HEADER, "Notes"], inv.rows.map((r) => [r.name, r.selector, r.type, r.bhyve, r.vendor, r.model, notes(r), statusText(r.status)]), term.box) <= term.columns;
  const header = all ? HEADER_ALL : wideNotes ? [...HEADER.slice(0, -1), "Notes", "Status"] : HEADER;
  const rows = inv.rows.map((r) => [
    r.name,
    r.selector,
    r.type,
    r.bhyve,
    r.vendor,
    r.model,
    ...(all ? [r.eligibility.text, RESET_TEXT[r.reset], tally(reportsOf(r, reports)) || "-", notes(r)] : []),
    ...(!all && wideNotes ? [notes(r)] : []),
    statusText(r.status),
  ]);
  return { header, rows };
}

function naturalWidth(header: readonly string[], rows: readonly string[][], box: boolean): number {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  return w.reduce((a, b) => a + b, 0) + (box ? 3 * w.length + 1 : 2 * (w.length - 1));
}

function notes(r: { quirks: readonly { id: string }[] }): string {
  return r.quirks.map((q) => q.id).join(", ") || "-";
}

// One index per set of reports, made on the first device asked about.
const indexes = new WeakMap<readonly Report[], ReturnType<typeof exactIndex>>();

/** The reports about this very device (compat's exact matches). */
function reportsOf(r: InventoryRow, reports: readonly Report[]): readonly Report[] {
  if (!r.device || reports.length === 0) return [];
  let find = indexes.get(reports);
  if (!find) indexes.set(reports, (find = exactIndex(reports)));
  return find(r.device);
}

/** One device of `list --json` (pptctl-list/1). */
export function deviceJson(r: InventoryRow, reports: readonly Report[] = []) {
  return {
    ppt: r.device?.driver === "ppt" ? r.device.name : null,
    name: r.device?.name ?? null,
    // The same form args, attach and assign print: a selector as pptctl takes it, without pciconf's colon.
    selector: r.selector.replace(/:$/, ""),
    type: r.type,
    bhyve: r.bhyve,
    vendor: r.vendor,
    model: r.model,
    inPptdevs: r.inPptdevs,
    eligible: r.eligibility.ok,
    eligibility: r.eligibility.text,
    eligibilityReason: r.eligibility.reason ?? null,
    reset: r.reset,
    quirks: r.quirks.map(({ id, title, advice, source }) => ({ id, title, advice, source })),
    reports: reportsOf(r, reports).map((x) => ({ id: x.id, result: x.result, guest: x.guest, source: sourceUrl(x) ?? "contributed" })),
    status: r.status,
    statusText: statusText(r.status),
  };
}

/** What list says on stderr besides the table (and puts in its JSON): unread lines, unread configs, a vmm that failed. */
export function listWarnings(model: HostModel, inv: Inventory, all: boolean): string[] {
  // A problem of no one VM (host_config.json, rc.conf, a dataset, a VM folder) hides VMs, not one config.
  const hidden = new Set(model.vms.problems.filter((p) => p.vm === null).map((p) => `${p.path}: ${p.problem}`));
  const warnings = [
    ...(all && model.pci.ok ? pciNotes(unparsedLines(model.pci.value)) : []),
    ...inv.problems.map((p) =>
      hidden.has(p)
        ? `cannot find every VM config (${p}): a VM pptctl cannot see may hold any ppt device, so those no config names show as Unknown`
        : `cannot read VM config ${p}; devices it may hold show as Unknown`,
    ),
    ...namesWithoutConfig(model.vms, new Set(model.vms.configs.map((c) => c.vm))).map(
      (vm) => `${vm} has an instance in /dev/vmm or a bhyve process, and no config pptctl can read says which devices it has; ppt devices it may hold show as Unknown (point pptctl at its config with --vms PATH)`,
    ),
  ];
  const vmm = vmmInit(model);
  if (vmm.state === "failed") {
    warnings.push(`vmm.ko is loaded but failed to initialise${vmm.reason ? ` (${vmm.reason})` : ""}: no VM can start, so no device below can be used; see 'pptctl doctor'`);
  }
  return [...warnings, ...unpassable(inv).map(unpassableWarning)];
}

/** A listed device bhyve cannot pass through: why, and the command that takes it out again. */
function unpassableWarning(r: InventoryRow): string {
  const sel = r.bhyve !== "-" ? r.bhyve : r.selector.replace(/:$/, "");
  return `${r.device?.name ?? sel} (${sel}) cannot be passed through: ${r.eligibility.reason ?? r.eligibility.text}; ${takeOut(r, sel)}`;
}

function takeOut(r: InventoryRow, sel: string): string {
  // release refuses a device that is not on ppt (a bridge in pptdevs never is): plan edits pptdevs alone.
  if (r.device?.driver === "ppt") return `give it back to the host for good with 'pptctl release ${sel} --persist'`;
  if (r.inPptdevs) return `take it out of pptdevs with '${removeCommand([sel])}'`;
  // Not on ppt and not in pptdevs: only a VM config puts it in list.
  return `take it out with ${r.vms.map((vm) => `'pptctl unassign ${sel} --vm ${shellWord(vm)}'`).join(", ")}`;
}
