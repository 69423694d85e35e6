import { defineCommand } from "citty";
import { PptError } from "../core/errors.ts";
import { writeRecording } from "../host/capture.ts";
import { gather } from "../host/gather.ts";
import { commonArgs, ctxOf, vmsArg } from "./_shared.ts";

export default defineCommand({
  meta: { name: "capture", description: "Record this host's command outputs and files into DIR (pptctl-host/1) for --from and bug reports" },
  args: {
    dir: { type: "positional", description: "New or empty directory to write", required: false },
    vms: vmsArg,
    from: commonArgs.from,
    color: commonArgs.color,
  },
  async run({ args, data }) {
    const ctx = ctxOf(data);
    const [dir, ...extra] = ctx.positionals;
    if (!dir) throw new PptError("capture: give the directory to write, e.g. 'pptctl capture /tmp/myhost'");
    if (extra.length > 0) throw new PptError(`capture: one directory only, got also '${extra[0]}'`);
    const host = await ctx.openHost(args.from);
    await gather(host, { vms: true, extraVmDirs: ctx.lists.vms ?? [] });
    const n = await writeRecording(dir, host, ctx.io.now());
    ctx.log.info(`recorded ${n.commands} commands, ${n.files} files and ${n.dirs} directories of the ${host.label} into ${dir}`);
    return 0;
  },
});
