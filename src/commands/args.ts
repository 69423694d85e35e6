import { PptError } from "../core/errors.ts";
import { type PciAddress, formatBhyve, formatSelector } from "../core/pci/address.ts";
import { type PassthruEntry, parsePassthruEntry, splitEntries } from "../core/vm/passthru-entry.ts";
import type { VmManager } from "../core/vm/configs.ts";
import { DEFAULT_FIRST_SLOT, LPC_SLOT, MAX_SLOT, allocateSlots, slotArgv, slotConfig } from "../core/vm/slots.ts";
import { commonArgs, ctxOf, defineCommand, formatOf, vmsArg } from "./_shared.ts";

export default defineCommand({
  meta: { name: "args", description: "Print bhyve -s slot arguments for passthru entries (B/S/F, -B/S/F for a slot of its own) or a VM's config" },
  args: {
    entries: { type: "positional", description: "Passthru entries: 1/0/0 1/0/1, '1/0/0,1/0/1', -2/0/0, 1/0/0,rom=/path/gpu.rom", required: false },
    vm: { type: "string", description: "Read the passthru list of this VM (Hoster or vm-bhyve config)", valueHint: "NAME" },
    vms: vmsArg,
    "first-slot": { type: "string", description: `First guest slot to use (default ${DEFAULT_FIRST_SLOT})`, valueHint: "N" },
    reserved: { type: "string", description: "Guest slots already used by the VM's other devices, e.g. 7,9 (repeatable)", valueHint: "LIST" },
    wired: { type: "boolean", description: "Prepend -S (wired guest memory, which passthrough needs)" },
    format: { type: "enum", options: ["shell", "json", "config"], description: "shell (default), json (pptctl-args/1), config (bhyve_config(5) lines)" },
    "next-slot": { type: "boolean", description: "Print only the first guest slot left free after passthrough" },
    check: { type: "boolean", description: "Also check that every device is bound to ppt and is one bhyve can take (exit 1 if not)" },
    from: commonArgs.from,
    json: { type: "boolean", description: "Same as --format json" },
    "no-color": commonArgs["no-color"],
  },
  async run({ args, data }) {
    const ctx = ctxOf(data);
    const reserved = new Set((ctx.lists.reserved ?? []).flatMap((l) => l.split(/[\s,]+/)).filter((s) => s !== "").map((s) => slotNumber("--reserved", s)));
    const format = formatOf("args", args, "shell");

    let texts: string[];
    let manager: VmManager | null = null;
    let pptNames: ReadonlyMap<string, PciAddress> | undefined;
    let managerFirst: number | null = null;
    const host = args.vm !== undefined || args.check ? await ctx.openHost(args.from) : null;
    // Reading the host needs the parsers and VM-config schemas; plain entries never load them.
    const hostSide = host ? await import("./args-host.ts") : null;
    if (args.vm !== undefined) {
      if (ctx.positionals.length > 0) throw new PptError(`args: give entries or --vm ${args.vm}, not both`);
      ({ entries: texts, manager, pptNames, firstSlot: managerFirst } = await hostSide!.vmEntries(host!, args.vm, ctx.lists.vms ?? []));
    } else {
      texts = splitEntries(ctx.positionals);
      if (texts.length === 0) throw new PptError("args: no passthru entries; give B/S/F entries (pptctl args 1/0/0 1/0/1) or --vm NAME");
    }
    // Hoster places passthru after the VM's own devices; args --vm follows it, as doctor --vm does.
    const firstSlot = firstSlotOf(args["first-slot"] ?? String(managerFirst ?? DEFAULT_FIRST_SLOT));
    const entries: PassthruEntry[] = texts.map((t) => {
      const e = parsePassthruEntry(t, pptNames);
      if ("error" in e) throw new PptError(e.error);
      return e;
    });
    const plan = allocateSlots(entries, { firstSlot, reserved });
    if (args.check) {
      const problems = await hostSide!.checkBound(host!, entries);
      if (problems.length > 0) {
        for (const p of problems) ctx.io.err(`pptctl: ${p}\n`);
        return 1;
      }
    }
    for (const n of plan.notes) ctx.log.info(`note: ${n}`);
    if (host && hostSide) for (const w of await hostSide.igdNotAtSlot2(host, plan, manager)) ctx.log.warn(w);

    if (args["next-slot"]) {
      if (plan.nextSlot === null) throw new PptError(`args: no guest slot is left free after passthrough (slots up to ${MAX_SLOT - 1} are taken)`, 1);
      ctx.io.out(`${plan.nextSlot}\n`);
      return 0;
    }
    if (format === "json") {
      const doc = {
        format: "pptctl-args/1",
        wired: args.wired === true,
        slots: plan.assignments.map((a) => ({
          slot: a.slot,
          function: a.func,
          bhyve: formatBhyve(a.entry.addr),
          selector: formatSelector(a.entry.addr),
          options: a.entry.options,
          renumbered: a.renumbered,
        })),
        nextSlot: plan.nextSlot,
        argv: slotArgv(plan, args.wired === true),
        notes: plan.notes,
      };
      ctx.io.out(`${JSON.stringify(doc, null, 2)}\n`);
    } else {
      const lines = format === "config" ? slotConfig(plan, args.wired === true) : [slotArgv(plan, args.wired === true).join(" ")];
      const text = lines.join("\n");
      if (text !== "") ctx.io.out(`${text}\n`);
    }
    return 0;
  },
});

/** Slot 0 is the hostbridge and 31 the LPC bridge in every bhyve guest: passthrough starts in 1-30. */
function firstSlotOf(text: string): number {
  const n = slotNumber("--first-slot", text);
  if (n === 0) throw new PptError("args: --first-slot 0 is the hostbridge's slot; give a slot from 1 to 30 (default 6)");
  if (n === LPC_SLOT) throw new PptError(`args: --first-slot ${LPC_SLOT} is the LPC bridge's slot; give a slot from 1 to 30 (default 6)`);
  return n;
}

function slotNumber(flag: string, text: string): number {
  if (!/^\d{1,2}$/.test(text.trim()) || Number(text) > MAX_SLOT) {
    throw new PptError(`args: ${flag} '${text}' is not a guest slot; slots are 0-${MAX_SLOT}`);
  }
  return Number(text);
}
