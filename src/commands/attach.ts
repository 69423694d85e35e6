import { defineCommand } from "citty";
import { commonArgs, ctxOf } from "./_shared.ts";
import { runRuntime } from "./runtime-run.ts";

export default defineCommand({
  meta: {
    name: "attach",
    description: "Move devices to ppt now, without a reboot (devctl set driver -f DEV ppt); --persist also reserves them in loader.conf",
  },
  args: {
    selectors: { type: "positional", description: "Devices: vgapci0, pci0:1:0:0, 1:0:0, 1/0/0 or 10de:1cb2", required: false },
    "dry-run": { type: "boolean", description: "Print the exact devctl commands and change nothing" },
    persist: { type: "boolean", description: "Also add the devices to pptdevs (diff, backup, atomic replace) so they stay after a reboot" },
    file: { type: "string", description: "With --persist: the loader file to edit (default /boot/loader.conf)", valueHint: "PATH" },
    force: { type: "boolean", description: "Allow a storage controller, the NIC of the default route or the only display device" },
    from: commonArgs.from,
    json: commonArgs.json,
    color: commonArgs.color,
  },
  async run({ args, data }) {
    return runRuntime("attach", args, ctxOf(data));
  },
});
