import { defineCommand } from "citty";
import { commonArgs, ctxOf } from "./_shared.ts";
import { runRuntime } from "./runtime-run.ts";

export default defineCommand({
  meta: {
    name: "release",
    description: "Give ppt devices back to their host drivers now (devctl clear driver -f DEV); --persist also drops them from loader.conf",
  },
  args: {
    selectors: { type: "positional", description: "Devices: vgapci0, pci0:1:0:0, 1:0:0, 1/0/0 or 10de:1cb2", required: false },
    "dry-run": { type: "boolean", description: "Print the exact devctl commands and change nothing" },
    persist: { type: "boolean", description: "Also remove the devices from pptdevs (diff, backup, atomic replace)" },
    file: { type: "string", description: "With --persist: the loader file to edit (default /boot/loader.conf)", valueHint: "PATH" },
    from: commonArgs.from,
    json: commonArgs.json,
    color: commonArgs.color,
  },
  async run({ args, data }) {
    return runRuntime("release", args, ctxOf(data));
  },
});
