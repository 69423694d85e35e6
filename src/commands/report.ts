import { checkReport } from "../core/compat/check.ts";
import type { Report } from "../core/compat/schema.ts";
import { PptError } from "../core/errors.ts";
import { explainLine } from "../core/preflight/explain.ts";
import { buildReports } from "../core/preflight/report-build.ts";
import { specOfVm } from "../core/preflight/spec.ts";
import { realOps } from "../host/safe-write.ts";
import { loadModelWithVms } from "./_model.ts";
import { commonArgs, ctxOf, defineCommand, vmsArg } from "./_shared.ts";
import { reportMarkdown } from "./report-markdown.ts";

const RESULTS = ["works", "partial", "fails"] as const;

export default defineCommand({
  meta: { name: "report", description: "Write a compatibility report for a VM's devices from this host (redacted; JSON or Markdown for an issue), or check report files before contributing them" },
  args: {
    files: { type: "positional", description: "With --check: the report files to check", required: false },
    vm: { type: "string", description: "The VM whose passthru devices the report is about", valueHint: "NAME" },
    result: { type: "enum", options: [...RESULTS], description: "How it went: works, partial or fails" },
    guest: { type: "string", description: "The guest OS and version, e.g. \"Windows 11 23H2\"", valueHint: "TEXT" },
    note: { type: "string", description: "What you saw, in one sentence (paths are cut to their last part)", valueHint: "TEXT" },
    log: { type: "string", description: "bhyve's output (or vm-bhyve's log): its passthrough lines go in with explain's diagnosis", valueHint: "FILE" },
    format: { type: "enum", options: ["json", "markdown"], description: "json (pptctl-report/1, default) or markdown to paste into an issue" },
    check: { type: "boolean", description: "Check report files (one line per problem; exit 1 when there is one)" },
    vms: vmsArg,
    from: commonArgs.from,
    "no-color": commonArgs["no-color"],
  },
  async run({ args, data }) {
    const ctx = ctxOf(data);
    if (args.check) {
      if (args.vm !== undefined) throw new PptError("report: --check reads report files; leave --vm out");
      if (ctx.positionals.length === 0) throw new PptError("report: --check needs report files, e.g. 'pptctl report --check my-gpu.json'");
      let bad = 0;
      for (const file of ctx.positionals) {
        const text = await realOps.read(file).catch((e) => {
          throw new PptError(`report: cannot read ${file}: ${(e as Error).message}`, 1);
        });
        if (text === null) throw new PptError(`report: ${file} does not exist`, 1);
        // What report prints for a VM with several cards is a list: each is checked, and named by its place.
        const list = listOf(text);
        // In the tree (src/core/compat/reports/) a report's file is named by its id; elsewhere any name does.
        const parts = file.split("/");
        const name = parts.at(-2) === "reports" ? (parts.at(-1) ?? null) : null;
        const items = list ? list.map((x, i) => ({ at: `${file}[${i}]`, r: checkReport(JSON.stringify(x), null) })) : [{ at: file, r: checkReport(text, name) }];
        for (const { at, r } of items) {
          if ("problems" in r) {
            bad++;
            for (const p of r.problems) ctx.io.out(`${at}: ${p}\n`);
          } else ctx.io.out(`${at}: ok (${r.report.id}: ${r.report.device.name}, ${r.report.result})\n`);
        }
      }
      return bad > 0 ? 1 : 0;
    }
    if (ctx.positionals.length > 0) throw new PptError(`report: '${ctx.positionals[0]}' is an operand, but only --check takes files`);
    if (args.vm === undefined) throw new PptError("report: name the VM the report is about: --vm NAME (or check files with --check)");
    if (args.result === undefined) throw new PptError("report: say how it went: --result works, partial or fails");
    if (args.guest === undefined || args.guest.trim() === "") throw new PptError('report: say which guest: --guest "Windows 11 23H2"');
    const host = await ctx.openHost(args.from);
    const model = await loadModelWithVms(host, ctx.lists.vms ?? []);
    const spec = specOfVm(model, args.vm);
    if (!spec) throw new PptError(`report: no VM named '${args.vm}'; the VMs pptctl found are ${[...new Set(model.vms.configs.map((c) => c.vm))].join(", ") || "none"}`);
    let diagnosis: { line: string; cause: string | null }[] = [];
    if (args.log !== undefined) {
      const text = await realOps.read(args.log).catch((e) => {
        throw new PptError(`report: cannot read ${args.log}: ${(e as Error).message}`, 1);
      });
      if (text === null) throw new PptError(`report: ${args.log} does not exist`, 1);
      diagnosis = text
        .split(/\r?\n/)
        .map((l) => explainLine(model, l, { vm: args.vm ?? null, roms: new Map() }))
        .filter((e) => e.passthrough)
        .map((e) => ({ line: e.line, cause: e.cause }));
    }
    const date = ctx.io.now().toISOString().slice(0, 10);
    const built = buildReports(model, spec, { result: args.result, guest: args.guest.trim().slice(0, 80), note: args.note?.trim() || null, diagnosis, date });
    if ("error" in built) throw new PptError(`report: ${built.error}`, 1);
    // What report writes must pass what --check asks of a contribution.
    for (const r of built.reports) {
      const c = checkReport(JSON.stringify(r), null);
      if ("problems" in c) throw new PptError(`report: the report would not pass --check: ${c.problems[0]}`, 1);
    }
    ctx.io.out(args.format === "markdown" ? reportMarkdown(built.reports) : `${JSON.stringify(one(built.reports), null, 2)}\n`);
    ctx.log.info(`save ${built.reports.length === 1 ? "it" : "each report"} as src/core/compat/reports/ID.json (the id is in the report) and open a pull request, or paste --format markdown into an issue`);
    return 0;
  },
});

/** The elements of a JSON list; null for anything else (checkReport says what is wrong with it). */
function listOf(text: string): unknown[] | null {
  try {
    const data: unknown = JSON.parse(text);
    return Array.isArray(data) ? data : null;
  } catch {
    return null;
  }
}

/** One report as a document of its own; several (one per card) as a list. */
function one(reports: readonly Report[]): Report | readonly Report[] {
  return reports.length === 1 ? reports[0]! : reports;
}
