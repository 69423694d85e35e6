import { PptError } from "../core/errors.ts";
import { type ExplainContext, type Explanation, explainLine, romPathsIn } from "../core/preflight/explain.ts";
import type { StatResult } from "../core/snapshot.ts";
import { printable } from "../core/text/printable.ts";
import { commonArgs, ctxOf, defineCommand, vmsArg } from "./_shared.ts";
import { loadModelWithVms } from "./_model.ts";

export default defineCommand({
  meta: {
    name: "explain",
    description: "Explain bhyve's passthrough lines (operands or standard input: a whole log) with their real cause on this host; exit 0 all explained, 1 a passthrough line pptctl does not know, 2 no passthrough line",
  },
  args: {
    lines: { type: "positional", description: "bhyve's output: any number of lines, in one operand or several; without operands, standard input (bhyve … 2>&1 | pptctl explain)", required: false },
    vm: { type: "string", description: "The VM the lines come from (bhyve's lines do not name it)", valueHint: "NAME" },
    vms: vmsArg,
    from: commonArgs.from,
    json: commonArgs.json,
    "no-color": commonArgs["no-color"],
  },
  async run({ args, data }) {
    const ctx = ctxOf(data);
    const operands = ctx.positionals.flatMap((p) => p.split(/\r?\n/));
    const input = operands.length > 0 ? null : ctx.io.readStdin ? await ctx.io.readStdin() : null;
    if (operands.length === 0 && input === null) {
      throw new PptError("explain: give bhyve's output as operands (quoted; any number of lines), or pipe it in: bhyve … 2>&1 | pptctl explain");
    }
    const host = await ctx.openHost(args.from);
    const model = await loadModelWithVms(host, ctx.lists.vms ?? []);
    const vm = args.vm ?? null;
    if (vm !== null && !model.vms.configs.some((c) => c.vm === vm) && !model.vms.problems.some((p) => p.vm === vm) && !(model.vms.instances ?? []).includes(vm)) {
      throw new PptError(`explain: --vm ${vm}: no VM of that name, no config and no instance in /dev/vmm; the VMs pptctl found are ${[...new Set(model.vms.configs.map((c) => c.vm))].join(", ") || "none"}`);
    }
    const roms = new Map<string, StatResult>();
    const explainOne = async (line: string): Promise<Explanation> => {
      for (const p of romPathsIn([line])) if (!roms.has(p)) roms.set(p, await host.statFile(p));
      const ec: ExplainContext = { vm, roms };
      return explainLine(model, line, ec);
    };
    const out: Explanation[] = [];
    const take = async (raw: string) => {
      const line = raw.trim();
      if (line === "") return;
      const e = await explainOne(line);
      out.push(e);
      // Text is said as each line arrives, so a bhyve that keeps running shows something at once.
      if (!args.json && e.id !== null) ctx.io.out(render(e));
      if (e.id === null && e.passthrough) ctx.io.err(`pptctl: explain: a passthrough line pptctl does not know: '${printable(line)}'\n`);
    };
    if (input === null) for (const l of operands) await take(l);
    else {
      let rest = "";
      for await (const chunk of input) {
        const parts = (rest + chunk).split("\n");
        rest = parts.pop() ?? "";
        for (const l of parts) await take(l);
      }
      await take(rest);
    }
    const relevant = out.filter((e) => e.passthrough);
    if (args.json) {
      ctx.io.out(`${JSON.stringify({ format: "pptctl-explain/1", vm, lines: out.map((e) => ({ line: e.line, passthrough: e.passthrough, known: e.id !== null, id: e.id, source: e.source, cause: e.cause, fix: e.fix })) }, null, 2)}\n`);
    }
    if (relevant.length === 0) {
      ctx.io.err(`pptctl: explain: nothing to explain: ${out.length === 0 ? "the input is empty" : `none of the ${out.length} line${out.length === 1 ? "" : "s"} is about passthrough`}\n`);
      return 2;
    }
    return relevant.some((e) => e.id === null) ? 1 : 0;
  },
});

function render(e: Explanation): string {
  const s = e.source!;
  return `${[printable(e.line), `  source: ${s.file}, ${s.func}`, `  cause:  ${printable(e.cause ?? "")}`, ...(e.fix ? [`  fix:    ${printable(e.fix)}`] : [])].join("\n")}\n\n`;
}
