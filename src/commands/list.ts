import { buildInventory, severity, unpassable } from "../core/inventory.ts";
import { PptError } from "../core/errors.ts";
import { printable } from "../core/text/printable.ts";
import { CMD } from "../core/snapshot.ts";
import { vmmInit } from "../core/model/virt.ts";
import type { Colors } from "../render/color.ts";
import { deviceJson, listTable, listWarnings } from "../render/list-view.ts";
import { renderTable } from "../render/table.ts";
import { commonArgs, ctxOf, defineCommand, formatOf, vmsArg } from "./_shared.ts";
import { loadModelWithVms } from "./_model.ts";

export default defineCommand({
  meta: { name: "list", description: "Show passthrough devices and which VM has them (exit 1 on a conflict or an unbound device)" },
  args: {
    all: { type: "boolean", description: "Every PCI device, with whether it can be passed through" },
    vms: vmsArg,
    plain: { type: "boolean", description: "Plain columns even on a terminal" },
    format: { type: "enum", options: ["table", "json", "tsv"], description: "table (default), json (pptctl-list/1), tsv" },
    from: commonArgs.from,
    json: commonArgs.json,
    "no-color": commonArgs["no-color"],
  },
  async run({ args, data }) {
    const ctx = ctxOf(data);
    const host = await ctx.openHost(args.from);
    // The ACPI tables and the default route say nothing about who has which device.
    const model = await loadModelWithVms(host, ctx.lists.vms ?? [], [CMD.acpidump, CMD.route]);
    if (!model.pci.ok) throw new PptError(`list: cannot list PCI devices: ${model.pci.reason}`, 1);
    const inv = buildInventory(model, args.all === true);
    const warnings = listWarnings(model, inv, args.all === true);
    const vmm = vmmInit(model);
    for (const w of warnings) ctx.log.warn(w);

    const code = vmm.state === "failed" || unpassable(inv).length > 0 || inv.rows.some((r) => ["conflict", "not-bound", "not-on-bus"].includes(r.status.kind)) ? 1 : 0;
    const format = formatOf("list", args, "table");
    // The reports are read only where list shows them (--all, JSON): plain list stays quick.
    const reports = args.all === true || format === "json" ? (await import("../core/compat/known.ts")).shippedReports() : [];
    if (format === "json") {
      ctx.io.out(`${JSON.stringify({ format: "pptctl-list/1", devices: inv.rows.map((r) => deviceJson(r, reports)), problems: inv.problems, warnings }, null, 2)}\n`);
      return code;
    }

    const all = args.all === true;
    const box = ctx.io.stdoutIsTTY && args.plain !== true;
    const { header, rows } = listTable(inv, all, { tty: ctx.io.stdoutIsTTY, box, columns: ctx.io.columns }, reports);
    if (format === "tsv") {
      ctx.io.out(`${[header, ...rows].map((r) => r.map((c) => printable(c.replace(/[\t\n]/g, " "))).join("\t")).join("\n")}\n`);
    } else if (rows.length === 0) {
      ctx.log.info("no passthrough devices: none is attached to ppt or listed in pptdevs or a VM config (see 'pptctl list --all')");
    } else {
      const statusCol = rows[0]!.length - 1;
      ctx.io.out(
        renderTable(header, rows, ctx.color, {
          box,
          // A terminal's width; in a pipe only a COLUMNS the user set (scripts read --json or tsv).
          width: ctx.io.stdoutIsTTY ? ctx.io.columns : Number(ctx.io.env.COLUMNS) || 0,
          // Model, then Vendor, then Type give way first on a narrow terminal; then the raw
          // selector goes (the bhyve B/S/F beside it says the same), then what --all adds.
          shrink: [5, 4, 2],
          shrinkTo: 16,
          drop: all ? [1, 9, 8, 7, 4, 2] : [1, 4, 2],
          paint: (ri, ci, text) => (ci === statusCol ? paint(ctx.color, severity(inv.rows[ri]!.status), text) : text),
        }),
      );
    }
    return code;
  },
});

function paint(c: Colors, s: ReturnType<typeof severity>, text: string): string {
  return s === "ok" ? c.green(text) : s === "info" ? c.cyan(text) : s === "warn" ? c.yellow(text) : c.red(text);
}
