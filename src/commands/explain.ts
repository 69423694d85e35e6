import { type Explanation, explainLine } from "../core/preflight/explain.ts";
import { PptError } from "../core/errors.ts";
import { commonArgs, ctxOf, defineCommand, vmsArg } from "./_shared.ts";
import { loadModelWithVms } from "./_model.ts";

export default defineCommand({
  meta: { name: "explain", description: "Explain bhyve's passthrough error lines (operands, or standard input) with their real cause on this host; exit 1 when a line is not one pptctl knows" },
  args: {
    lines: { type: "positional", description: "bhyve's error lines; without them, standard input (bhyve … 2>&1 | pptctl explain)", required: false },
    vms: vmsArg,
    from: commonArgs.from,
    json: commonArgs.json,
    "no-color": commonArgs["no-color"],
  },
  async run({ args, data }) {
    const ctx = ctxOf(data);
    let lines = ctx.positionals;
    if (lines.length === 0) {
      const input = ctx.io.readStdin ? await ctx.io.readStdin() : null;
      if (input === null) throw new PptError("explain: give bhyve's error lines as operands (one quoted line each), or pipe them in: bhyve … 2>&1 | pptctl explain");
      lines = input.split(/\r?\n/);
    }
    lines = lines.map((l) => l.trim()).filter((l) => l !== "");
    if (lines.length === 0) throw new PptError("explain: no lines to explain; give bhyve's error lines as operands, or on standard input (bhyve … 2>&1 | pptctl explain)");
    const host = await ctx.openHost(args.from);
    const model = await loadModelWithVms(host, ctx.lists.vms ?? []);
    const out = lines.map((l) => explainLine(model, l));
    if (args.json) ctx.io.out(`${JSON.stringify({ format: "pptctl-explain/1", lines: out.map((e) => ({ ...e, known: e.id !== null })) }, null, 2)}\n`);
    else ctx.io.out(out.filter((e) => e.id !== null).map(render).join("\n"));
    const unknown = out.filter((e) => e.id === null);
    for (const u of unknown) ctx.io.err(`pptctl: explain: not a bhyve passthrough message pptctl knows: '${u.line}'\n`);
    return unknown.length > 0 ? 1 : 0;
  },
});

function render(e: Explanation): string {
  return [e.line, `  source: ${e.source}`, `  cause:  ${e.cause}`, ...(e.fix ? [`  fix:    ${e.fix}`] : []), ""].join("\n");
}
