import { shippedReports } from "../core/compat/known.ts";
import { idsOf, sourceShort } from "../core/compat/words.ts";
import { reportsFor } from "../core/compat/match.ts";
import type { Report } from "../core/compat/schema.ts";
import { PptError } from "../core/errors.ts";
import { formatBhyve, formatSelector } from "../core/pci/address.ts";
import { describe, parseSelectorOrThrow, resolveOne } from "../core/pci/selector.ts";
import { renderTable } from "../render/table.ts";
import { loadModelWithVms } from "./_model.ts";
import { commonArgs, ctxOf, defineCommand, splitList } from "./_shared.ts";

const row = (r: Report) => [r.device.name, idsOf(r.device), r.result, r.guest ?? "-", r.host.release ?? "-", r.manager ?? "-", sourceShort(r)];
const HEADER = ["Device", "IDs", "Result", "Guest", "FreeBSD", "Manager", "Source"];

export default defineCommand({
  meta: { name: "compat", description: "Which devices work in which guest: the reports pptctl ships, each with its source; with devices, those for this host's devices" },
  args: {
    selectors: { type: "positional", description: "Devices on this host (vgapci1, 1/0/0, 10de:1cb2); without them, every report", required: false },
    from: commonArgs.from,
    json: commonArgs.json,
    "no-color": commonArgs["no-color"],
  },
  async run({ args, data }) {
    const ctx = ctxOf(data);
    const reports = shippedReports();
    const sels = splitList(ctx.positionals).map(parseSelectorOrThrow);
    const width = ctx.io.stdoutIsTTY ? ctx.io.columns : Number(ctx.io.env.COLUMNS) || 0;
    // Under a device's heading a table is indented, and fits in what the indent leaves.
    const table = (rs: readonly Report[], indent = "") =>
      renderTable(HEADER, rs.map(row), ctx.color, { box: ctx.io.stdoutIsTTY, width: width > 0 ? width - indent.length : 0, shrink: [0, 3], shrinkTo: 16, drop: [5, 4] }).replace(/^(?=.)/gm, indent);
    if (sels.length === 0) {
      if (args.json) ctx.io.out(`${JSON.stringify({ format: "pptctl-compat/1", reports }, null, 2)}\n`);
      else ctx.io.out(table(reports));
      return 0;
    }
    const model = await loadModelWithVms(await ctx.openHost(args.from), []);
    if (!model.pci.ok) throw new PptError(`compat: cannot list PCI devices: ${model.pci.reason}`, 1);
    const devices = model.pci.value.devices;
    const picked = sels.map((s) => resolveOne(s, devices));
    const found = picked.map((d) => ({ d, ...reportsFor(d, reports) }));
    if (args.json) {
      const doc = {
        format: "pptctl-compat/1",
        devices: found.map((f) => ({ bhyve: formatBhyve(f.d.addr), selector: formatSelector(f.d.addr), name: f.d.name, reports: f.exact.map((r) => r.id), related: f.related.map((r) => r.id) })),
        reports: [...new Set(found.flatMap((f) => [...f.exact, ...f.related]))],
      };
      ctx.io.out(`${JSON.stringify(doc, null, 2)}\n`);
      return 0;
    }
    for (const f of found) {
      ctx.io.out(`${describe(f.d)}:\n`);
      if (f.exact.length > 0) ctx.io.out(table(f.exact, "  "));
      else ctx.io.out("  no report for this device yet (pptctl report --vm NAME … adds yours)\n");
      if (f.related.length > 0) {
        ctx.io.out(`  related: other ${f.related.length === 1 ? "chip" : "chips"} of the same maker and class, not this device:\n`);
        ctx.io.out(table(f.related, "    "));
      }
    }
    return 0;
  },
});
