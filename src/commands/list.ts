import { type InventoryRow, buildInventory, severity, statusText } from "../core/inventory.ts";
import { PptError } from "../core/errors.ts";
import { pciNotes, unparsedLines } from "../core/pciconf.ts";
import { RESET_TEXT } from "../core/knowledge/reset.ts";
import { CMD } from "../core/snapshot.ts";
import { vmmInit } from "../core/virt.ts";
import type { Colors } from "../render/color.ts";
import { prettyJsonPieces } from "../render/json.ts";
import { renderTable } from "../render/table.ts";
import { commonArgs, ctxOf, defineCommand, vmsArg } from "./_shared.ts";
import { loadModelWithVms } from "./_model.ts";
import * as arr from "../core/arrays.ts";

const HEADER = ["PPT Device", "PCI ID Raw", "Type", "Bhyve PCI ID", "Vendor", "Model", "Status"];
const HEADER_ALL = ["Device", "PCI ID Raw", "Type", "Bhyve PCI ID", "Vendor", "Model", "Passthrough", "Reset", "Notes", "Status"];


export default defineCommand({
  meta: { name: "list", description: "Show passthrough devices and which VM has them (exit 1 on a conflict or an unbound device)" },
  args: {
    all: { type: "boolean", description: "Every PCI device, with whether it can be passed through" },
    vms: vmsArg,
    plain: { type: "boolean", description: "Plain columns even on a terminal" },
    format: { type: "enum", options: ["table", "json", "tsv"], description: "table (default), json (pptctl-list/1), tsv" },
    from: commonArgs.from,
    json: commonArgs.json,
    color: commonArgs.color,
  },
  async run({ args, data }) {
    const ctx = ctxOf(data);
    const host = await ctx.openHost(args.from);
    // The ACPI tables and the default route say nothing about who has which device.
    const model = await loadModelWithVms(host, ctx.lists.vms ?? [], [CMD.acpidump, CMD.route]);
    if (!model.pci.ok) throw new PptError(`list: cannot list PCI devices: ${model.pci.reason}`, 1);
    const inv = buildInventory(model, args.all === true);
    if (args.all) for (const n of pciNotes(unparsedLines(model.pci.value))) ctx.log.warn(n);
    for (const p of inv.problems) ctx.log.warn(`cannot read VM config ${p}; devices it may hold show as Unknown`);
    const vmm = vmmInit(model);
    if (vmm.state === "failed") {
      ctx.log.warn(`vmm.ko is loaded but failed to initialise${vmm.reason ? ` (${vmm.reason.replace(/\.$/, "")})` : ""}: no VM can start, so no device below can be used; see 'pptctl doctor'`);
    }

    const code = vmm.state === "failed" || arr.some(inv.rows, (r) => ["conflict", "not-bound", "not-on-bus"].includes(r.status.kind)) ? 1 : 0;
    const format = args.json ? "json" : (args.format ?? "table");
    if (format === "json") {
      prettyJsonPieces({ format: "pptctl-list/1", devices: [], problems: inv.problems }, "devices", inv.rows, deviceJson, (s) => ctx.io.out(s));
      ctx.io.out("\n");
      return code;
    }

    const all = args.all === true;
    // `list` shows the Notes column only on a terminal wide enough for the whole table with it.
    const box = ctx.io.stdoutIsTTY && args.plain !== true;
    const wideNotes =
      !all &&
      ctx.io.stdoutIsTTY &&
      arr.some(inv.rows, (r) => r.quirks.length > 0) &&
      naturalWidth([...HEADER, "Notes"], arr.map(inv.rows, (r) => [r.name, r.selector, r.type, r.bhyve, r.vendor, r.model, notes(r), statusText(r.status)]), box) <= ctx.io.columns;
    const header = all ? HEADER_ALL : wideNotes ? [...HEADER.slice(0, -1), "Notes", "Status"] : HEADER;
    const rows = arr.map(inv.rows, (r) => [
      r.name,
      r.selector,
      r.type,
      r.bhyve,
      r.vendor,
      r.model,
      ...(all ? [r.eligibility.text, RESET_TEXT[r.reset], notes(r)] : []),
      ...(!all && wideNotes ? [notes(r)] : []),
      statusText(r.status),
    ]);
    if (format === "tsv") {
      ctx.io.out(`${arr.map([header, ...rows], (r) => arr.map(r, (c) => c.replace(/[\t\n]/g, " ")).join("\t")).join("\n")}\n`);
    } else if (rows.length === 0) {
      ctx.log.info("no passthrough devices: none is attached to ppt or listed in pptdevs or a VM config (see 'pptctl list --all')");
    } else {
      const statusCol = rows[0]!.length - 1;
      ctx.io.out(
        renderTable(header, rows, ctx.color, {
          box,
          width: ctx.io.stdoutIsTTY ? ctx.io.columns : 0,
          // Model, then Vendor, then Type give way first on a narrow terminal.
          shrink: [5, 4, 2],
          paint: (ri, ci, text) => (ci === statusCol ? paint(ctx.color, severity(inv.rows[ri]!.status), text) : text),
        }),
      );
    }
    return code;
  },
});

function naturalWidth(header: readonly string[], rows: readonly string[][], box: boolean): number {
  const w = arr.map(header, (h, i) => Math.max(h.length, ...arr.map(rows, (r) => (r[i] ?? "").length)));
  return arr.sum(w) + (box ? 3 * w.length + 1 : 2 * (w.length - 1));
}

function notes(r: { quirks: readonly { id: string }[] }): string {
  return arr.map(r.quirks, (q) => q.id).join(", ") || "-";
}

function paint(c: Colors, s: ReturnType<typeof severity>, text: string): string {
  return s === "ok" ? c.green(text) : s === "info" ? c.cyan(text) : s === "warn" ? c.yellow(text) : c.red(text);
}

function deviceJson(r: InventoryRow) {
  return {
    ppt: r.device?.driver === "ppt" ? r.device.name : null,
    name: r.device?.name ?? null,
    selector: r.selector,
    type: r.type,
    bhyve: r.bhyve,
    vendor: r.vendor,
    model: r.model,
    inPptdevs: r.inPptdevs,
    eligible: r.eligibility.ok,
    eligibility: r.eligibility.text,
    eligibilityReason: r.eligibility.reason ?? null,
    reset: r.reset,
    quirks: arr.map(r.quirks, ({ id, title, advice, source }) => ({ id, title, advice, source })),
    status: r.status,
    statusText: statusText(r.status),
  };
}
