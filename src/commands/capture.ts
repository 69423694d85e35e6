import { PptError } from "../core/errors.ts";
import { writeRecording } from "../host/capture.ts";
import { gather } from "../host/gather.ts";
import { commonArgs, ctxOf, defineCommand, vmsArg } from "./_shared.ts";

export default defineCommand({
  meta: {
    name: "capture",
    description:
      "Record this host's command outputs and files into DIR (pptctl-host/1) for --from and bug reports. Redacts by default: VM config and loader/rc.conf keys named password/passphrase/secret/token, kenv SMBIOS serials/UUIDs/asset tags, MAC addresses and disk serial numbers. DIR is created 0700 (or must be empty, yours, not group/other-writable); files are 0600",
  },
  args: {
    dir: { type: "positional", description: "New directory (created 0700), or an empty one you own that only you can write", required: true },
    "no-redact": { type: "boolean", description: "Keep secrets and machine identifiers (redacted by default): for a capture that stays in-house" },
    vms: vmsArg,
    from: commonArgs.from,
    "no-color": commonArgs["no-color"],
  },
  async run({ args, data }) {
    const ctx = ctxOf(data);
    const [dir, ...extra] = ctx.positionals;
    if (!dir) throw new PptError("capture: give the directory to write, e.g. 'pptctl capture /tmp/myhost'");
    if (extra.length > 0) throw new PptError(`capture: one directory only, got also '${extra[0]}'`);
    const host = await ctx.openHost(args.from);
    await gather(host, { vms: true, extraVmDirs: ctx.lists.vms ?? [] });
    const n = await writeRecording(dir, host, ctx.io.now(), { redact: args["no-redact"] !== true });
    ctx.log.info(`recorded ${n.commands} commands, ${n.files} files and ${n.dirs} directories of the ${host.label} into ${dir}`);
    if (n.skipped.length > 0) {
      ctx.log.warn(`not recorded: ${n.skipped.map((x) => `${x.path} (${x.reason})`).join("; ")}; a replay says unknown for ${n.skipped.length === 1 ? "it" : "them"}`);
    }
    if (args["no-redact"] === true) ctx.log.warn("--no-redact: the capture holds passwords, serial numbers and MAC addresses as found; keep it in-house");
    else if (n.redacted.length === 0) ctx.log.info("redacted: nothing secret found");
    else ctx.log.info(`redacted: ${n.redacted.map((r) => `${r.source} (${r.items.join(", ")})`).join("; ")} (listed in host.json; --no-redact keeps them)`);
    return 0;
  },
});
