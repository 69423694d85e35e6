import { unifiedDiff } from "../core/text/diff.ts";
import { PptError } from "../core/errors.ts";
import { formatBhyve, sameAddr } from "../core/pci/address.ts";
import { type HostModel, buildModel } from "../core/model/model.ts";
import { type Plan, makePlan, sysrcCommands } from "../core/loader/plan.ts";
import { parseSelectorOrThrow } from "../core/pci/selector.ts";
import { LOADER_CONF } from "../core/parse/loader-conf.ts";
import { type HostSnapshot, withFile } from "../core/snapshot.ts";
import type { MemoHost } from "../host/host.ts";
import { UTF8_BOM, displayText } from "../core/text/bytes.ts";
import { realOps } from "../host/safe-write.ts";
import { gather } from "../host/gather.ts";
import { commonArgs, ctxOf, defineCommand, formatOf, splitList } from "./_shared.ts";
import { prepareEdit, writeEdit } from "./plan-write.ts";

export default defineCommand({
  meta: { name: "plan", description: "Turn device selectors into the loader.conf lines that reserve them for passthrough (pptdevs, pptdevs2, pptdevs3)" },
  args: {
    selectors: { type: "positional", description: "Devices: vgapci0, pci0:1:0:0, 1:0:0, 1/0/0 or 10de:1cb2", required: false },
    class: { type: "string", description: "Also select every device of this class: display, network, 0x03… (repeatable)", valueHint: "CLASS" },
    "with-functions": { type: "boolean", description: "Add every function of each selected device (GPU + its audio)" },
    remove: { type: "string", description: "Drop this device from the configured list (repeatable)", valueHint: "SEL" },
    replace: { type: "boolean", description: "Start from an empty list instead of what is configured" },
    force: { type: "boolean", description: "Allow reserving a storage controller or the NIC of the default route" },
    format: { type: "enum", options: ["lines", "sysrc", "json"], description: "lines (default), sysrc (sysrc -f commands), json (pptctl-plan/1)" },
    diff: { type: "boolean", description: "Print a unified diff against the current file instead" },
    write: { type: "boolean", description: "Edit the file in place: diff, backup, temp file + rename" },
    file: { type: "string", description: "File to diff or write (default /boot/loader.conf)", valueHint: "PATH" },
    check: { type: "boolean", description: "Exit 0 when the loader.conf family already says this, 1 when not" },
    from: commonArgs.from,
    json: commonArgs.json,
    "no-color": commonArgs["no-color"],
  },
  async run({ args, data }) {
    const ctx = ctxOf(data);
    if (args.file !== undefined && args.file.trim() === "") throw new PptError("plan: --file needs a path, e.g. --file /boot/loader.conf");
    if (args.write && args.from !== undefined && args.file === undefined) {
      throw new PptError("plan --write: --from replays a recording, which pptctl never edits; give --file PATH to write a copy");
    }
    const select = splitList(ctx.positionals).map(parseSelectorOrThrow);
    const remove = splitList(ctx.lists.remove ?? []).map(parseSelectorOrThrow);
    const host = await ctx.openHost(args.from);
    let snap = await gather(host);
    if (args.from !== undefined && args.file !== undefined) {
      // With a recording, --file stands in for its /boot/loader.conf: plan from what F says.
      const text = await realOps.read(args.file).catch((e) => {
        throw new PptError(`plan: cannot read --file ${args.file}: ${(e as Error).message}`, 1);
      });
      snap = withFile(snap, LOADER_CONF, text === null ? { kind: "absent" } : { kind: "file", text });
    }
    const model = buildModel(snap);
    const plan = makePlan(model, {
      select,
      classes: splitList(ctx.lists.class ?? []),
      remove,
      replace: args.replace === true,
      withFunctions: args["with-functions"] === true,
      force: args.force === true,
    });
    for (const w of plan.warnings) ctx.log.warn(w);

    if (args.check) {
      // With --file, judge exactly the file --diff and --write would change.
      const inSync = args.file === undefined ? plan.inSync : await editIsEmpty(host, snap, model, plan, args.file, args.from !== undefined);
      if (!inSync) ctx.io.err(`pptctl: plan: not in sync: ${describeChange(plan)}\n`);
      return inSync ? 0 : 1;
    }
    const file = args.file ?? "/boot/loader.conf";
    if (args.write || args.diff) {
      const edit = await prepareEdit(host, snap, model, plan, args.file, args.from !== undefined, args.write === true);
      if (edit.before?.startsWith(UTF8_BOM)) {
        ctx.log.warn(`${edit.path} starts with a UTF-8 byte-order mark, which the loader reads as part of its first line (a "Malformed line" at boot); pptctl keeps it, but save the file without it`);
      }
      const diff = unifiedDiff(edit.before ?? "", edit.after, edit.path, edit.path);
      if (diff === "") {
        ctx.log.info(`${edit.path} already says this; nothing to change`);
        return 0;
      }
      ctx.io.out(displayText(diff));
      if (!args.write) return 0;
      const { backup } = await writeEdit(edit, ctx.io.now());
      ctx.log.info(`wrote ${edit.path}${backup ? ` (previous version kept as ${backup})` : ""}; reboot to apply`);
      const movable = plan.added.map((a) => (model.pci.ok ? model.pci.value.devices.find((d) => sameAddr(d.addr, a)) : undefined)).filter((d) => d !== undefined && d.driver !== "ppt");
      if (movable.length > 0) {
        ctx.log.info(`without a reboot, devices nothing uses can be moved now: pptctl attach ${movable.map((d) => formatBhyve(d!.addr)).join(" ")}`);
      }
      return 0;
    }
    const format = formatOf("plan", args, "lines");
    if (format === "json") {
      ctx.io.out(`${JSON.stringify(planJson(plan), null, 2)}\n`);
    } else if (format === "sysrc") {
      const lines = sysrcCommands(plan, file);
      if (lines.length > 0) ctx.io.out(`${lines.join("\n")}\n`);
    } else {
      const lines = plan.settings.map((s) => `${s.name}="${s.value}"`);
      if (lines.length > 0) ctx.io.out(`${lines.join("\n")}\n`);
      for (const n of plan.unset) ctx.log.info(`${n} is no longer needed: remove it (--write does)`);
    }
    return 0;
  },
});

async function editIsEmpty(host: MemoHost, snap: HostSnapshot, model: HostModel, plan: Plan, file: string, recorded: boolean): Promise<boolean> {
  const edit = await prepareEdit(host, snap, model, plan, file, recorded, false);
  return edit.before === edit.after;
}

function describeChange(p: Plan): string {
  const parts = [
    ...p.settings.map((s) => `${s.name}="${s.value}"`),
    ...p.unset.map((n) => `remove ${n}`),
  ];
  return parts.join(", ");
}

function planJson(p: Plan) {
  return {
    format: "pptctl-plan/1",
    entries: p.entries.map(formatBhyve),
    added: p.added.map(formatBhyve),
    removed: p.removed.map(formatBhyve),
    settings: p.settings,
    unset: p.unset,
    warnings: p.warnings,
    inSync: p.inSync,
  };
}
