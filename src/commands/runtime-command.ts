import type { ArgsDef } from "citty";
import type { Action } from "../core/runtime/devctl.ts";
import { commonArgs, ctxOf, defineCommand } from "./_shared.ts";
import { runRuntime } from "./runtime-run.ts";

const TEXT: Record<Action, { description: string; persist: string }> = {
  attach: {
    description: "Move devices to ppt now, without a reboot (devctl set driver -f DEV ppt); --persist also reserves them in loader.conf",
    persist: "Also add the devices to pptdevs (diff, backup, atomic replace) so they stay after a reboot",
  },
  release: {
    description: "Give ppt devices back to their host drivers now (devctl clear driver -f DEV); --persist also drops them from loader.conf",
    persist: "Also remove the devices from pptdevs (diff, backup, atomic replace)",
  },
};

/** attach and release take the same options but --force (only moving a device to ppt is risky). */
export function runtimeCommand(action: Action) {
  const args = {
    selectors: { type: "positional", description: "Devices: vgapci0, pci0:1:0:0, 1:0:0, 1/0/0 or 10de:1cb2", required: true },
    "dry-run": { type: "boolean", description: "Print the exact devctl commands and change nothing" },
    persist: { type: "boolean", description: TEXT[action].persist },
    file: { type: "string", description: "With --persist: the loader file to edit (default /boot/loader.conf)", valueHint: "PATH" },
    ...(action === "attach" ? { force: { type: "boolean", description: "Allow a storage controller, the NIC of the default route or the only display device" } } : {}),
    from: commonArgs.from,
    json: commonArgs.json,
    "no-color": commonArgs["no-color"],
  } as const satisfies ArgsDef;
  return defineCommand({
    meta: { name: action, description: TEXT[action].description },
    args,
    async run({ args: parsed, data }) {
      return runRuntime(action, parsed, ctxOf(data));
    },
  });
}
