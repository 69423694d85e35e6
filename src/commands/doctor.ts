import { runDoctor } from "../core/doctor/doctor.ts";
import { EXIT_CODE } from "../core/doctor/types.ts";
import { renderDoctorJson, renderDoctorText } from "../render/doctor-text.ts";
import { renderNagios, renderPrometheus } from "../render/monitoring.ts";
import { commonArgs, ctxOf, defineCommand, formatOf, vmsArg } from "./_shared.ts";
import { loadModelWithVms } from "./_model.ts";

export default defineCommand({
  meta: { name: "doctor", description: "Check that this host can pass PCI devices to bhyve guests (exit 0 ok, 1 warning, 2 critical, 3 unknown)" },
  args: {
    quiet: { type: "boolean", alias: "q", description: "Print only checks that did not pass; nothing when all pass (for cron)" },
    format: { type: "enum", options: ["text", "json", "nagios", "prometheus"], description: "text (default), json (pptctl-doctor/1), nagios, prometheus" },
    vms: vmsArg,
    from: commonArgs.from,
    json: commonArgs.json,
    "no-color": commonArgs["no-color"],
  },
  async run({ args, data }) {
    const ctx = ctxOf(data);
    const host = await ctx.openHost(args.from);
    const report = runDoctor(await loadModelWithVms(host, ctx.lists.vms ?? []));
    for (const n of report.notes) ctx.log.warn(n);
    const format = formatOf("doctor", args, "text");
    if (format === "json") ctx.io.out(renderDoctorJson(report));
    else if (format === "nagios") ctx.io.out(renderNagios(report));
    else if (format === "prometheus") ctx.io.out(renderPrometheus(report, ctx.io.now()));
    else ctx.io.out(renderDoctorText(report, ctx.color, args.quiet === true));
    return EXIT_CODE[report.status];
  },
});
