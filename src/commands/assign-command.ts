import type { ArgsDef } from "citty";
import type { Action } from "../core/assign/target.ts";
import { commonArgs, ctxOf, defineCommand, vmsArg } from "./_shared.ts";
import { runAssign } from "./assign-run.ts";

const TEXT: Record<Action, string> = {
  assign: "Add devices to a VM's own config (vm-bhyve, Hoster, a bhyve config file; for CBSD, print its command)",
  unassign: "Take devices out of a VM's own config, renumbering what follows",
};

/** assign and unassign take the same options but --attach (moving devices is assign's side). */
export function assignCommand(action: Action) {
  const args = {
    selectors: { type: "positional", description: "Devices: vgapci0, pci0:1:0:0, 1:0:0, 1/0/0 or 10de:1cb2", required: true },
    vm: { type: "string", description: "The VM, as its manager names it (Hoster, vm-bhyve, CBSD)", valueHint: "NAME" },
    config: { type: "string", description: "Instead of --vm: a bhyve configuration file (bhyve -k FILE, bhyve_config(5))", valueHint: "FILE" },
    vms: vmsArg,
    force: { type: "boolean", description: "Write the config of a running VM (the change applies at its next start)" },
    ...(action === "assign"
      ? {
          attach: { type: "boolean", description: "Also move the devices to ppt now and reserve them in loader.conf, as attach --persist does" },
          "allow-host-device": { type: "boolean", description: "With --attach: move a device the host needs (default-route NIC, storage controller, only display)" },
          file: { type: "string", description: "With --attach: the loader file to edit (default /boot/loader.conf)", valueHint: "PATH" },
        }
      : {}),
    "dry-run": { type: "boolean", description: "Print the diff of every file it would change (and the devctl calls) and change nothing" },
    from: commonArgs.from,
    json: commonArgs.json,
    "no-color": commonArgs["no-color"],
  } as const satisfies ArgsDef;
  return defineCommand({
    meta: { name: action, description: TEXT[action] },
    args,
    async run({ args: parsed, data }) {
      return runAssign(action, parsed, ctxOf(data));
    },
  });
}
