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
    vm: { type: "string", description: "Preflight this VM instead of the host: will it start with its devices? (repeatable)", valueHint: "NAME" },
    "all-vms": { type: "boolean", description: "Preflight every VM pptctl finds" },
    config: { type: "string", description: "Preflight a bhyve configuration file (bhyve -k FILE)", valueHint: "FILE" },
    vms: vmsArg,
    from: commonArgs.from,
    json: commonArgs.json,
    "no-color": commonArgs["no-color"],
  },
  async run({ args, data }) {
    const ctx = ctxOf(data);
    const host = await ctx.openHost(args.from);
    const model = await loadModelWithVms(host, ctx.lists.vms ?? []);
    const vms = ctx.lists.vm ?? [];
    const perVm = vms.length > 0 || args["all-vms"] === true || args.config !== undefined;
    // Loaded on use: the host's doctor, run from cron, should not pay for the per-VM checks.
    const report = perVm
      ? await (await import("./doctor-vm.ts")).preflightReport(host, model, { vms, all: args["all-vms"] === true, config: args.config })
      : runDoctor(model);
    for (const n of report.notes) ctx.log.warn(n);
    const format = formatOf("doctor", args, "text");
    if (format === "json") ctx.io.out(renderDoctorJson(report));
    else if (format === "nagios") ctx.io.out(renderNagios(report));
    else if (format === "prometheus") ctx.io.out(renderPrometheus(report, ctx.io.now()));
    else ctx.io.out(renderDoctorText(report, ctx.color, args.quiet === true));
    return EXIT_CODE[report.status];
  },
});
