import { describe, expect, test } from "bun:test";
import { PptError } from "../src/core/errors.ts";
import { planAssign } from "../src/core/assign/plan.ts";
import { configTarget, findTarget } from "../src/core/assign/target.ts";
import { formatBhyve } from "../src/core/pci/address.ts";
import { parseSelectorOrThrow } from "../src/core/pci/selector.ts";
import { fileResult } from "../src/core/snapshot.ts";
import { modelOf, recordedSnapshot } from "./model-of.ts";
import { recordedHosts } from "./recorded-hosts.ts";

/**
 * assign and unassign's core on recorded hosts, every VM against a spread of devices, whole
 * outcomes against reviewed snapshots (issue 36): the refusal with its words and exit code, or
 * the new file bytes, the entries, the devices picked and the warnings.
 */
const HOSTS = ["list-vms", "vm-bhyve-desktop", "gpu-workstation", "vm-preflight"];

async function outcomes(name: string): Promise<string[]> {
  const dir = recordedHosts().find((h) => h.name === name)!.dir;
  const m = await modelOf(dir);
  const snap = await recordedSnapshot(dir);
  const devices = m.pci.ok ? m.pci.value.devices : [];
  // Every ppt device, a few on host drivers, a bridge, the host bridge, and an address not on the bus.
  const picks = [...devices.filter((d) => d.driver === "ppt"), ...devices.filter((d) => d.driver !== "ppt").slice(0, 6)].map((d) => formatBhyve(d.addr));
  const sels = [...new Set([...picks, "0/28/0", "0/0/0", "9/9/9"])];
  const vms = [...new Set(m.vms.configs.map((c) => c.vm)), "nope"];
  const out: string[] = [];
  for (const action of ["assign", "unassign"] as const) {
    for (const vm of vms) {
      for (const sel of sels) {
        const key = `${action} ${sel} --vm ${vm}`;
        try {
          // --force: past a running VM, into what planAssign decides (findTarget's refusals are the CLI tests').
          const target = findTarget(m, action, vm, true);
          const f = target.path ? fileResult(snap, target.path) : null;
          const before = f?.kind === "file" ? f.text : null;
          const p = planAssign(m, { action, selectors: [parseSelectorOrThrow(sel)], target, before });
          const changed = p.after !== null && p.after !== before;
          out.push(`${key}: ${changed ? "writes" : "no change"}; entries ${JSON.stringify(p.entries)}; picks ${p.picks.map((x) => `${formatBhyve(x.addr)}${x.unchanged ? "=" : "+"}${x.onPpt ? "p" : ""}${x.reserved ? "r" : ""}`).join(",")}; commands ${JSON.stringify(p.commands)}; warnings ${JSON.stringify(p.warnings)}${changed ? `; after ${JSON.stringify(p.after)}` : ""}`);
        } catch (e) {
          if (!(e instanceof PptError)) throw e;
          out.push(`${key}: exit ${e.exitCode}: ${e.message}`);
        }
      }
    }
  }
  return out;
}

describe("planAssign on recorded hosts", () => {
  for (const name of HOSTS) test(name, async () => expect(await outcomes(name)).toMatchSnapshot());

  test("--config: a bhyve config file, new or not, and the files that are not one", async () => {
    const m = await modelOf(recordedHosts().find((h) => h.name === "list-vms")!.dir);
    const devices = m.pci.ok ? m.pci.value.devices : [];
    const run = (path: string, before: string | null, sel: string, action: "assign" | "unassign" = "assign") => {
      try {
        const target = configTarget(action, path, before, devices, m.vms);
        const p = planAssign(m, { action, selectors: [parseSelectorOrThrow(sel)], target, before });
        return { after: p.after, entries: p.entries, warnings: p.warnings };
      } catch (e) {
        if (!(e instanceof PptError)) throw e;
        return { error: e.message, exit: e.exitCode };
      }
    };
    expect({
      fresh: run("/vm/new.conf", null, "47/0/0"),
      igd: run("/vm/igd.conf", "name=igd\n", "0/2/0"),
      igdSlot2Taken: run("/vm/igd.conf", "pci.0.2.0.device=virtio-net\n", "0/2/0"),
      full: run("/vm/full.conf", Array.from({ length: 29 }, (_, i) => `pci.0.${i + 1}.0.device=virtio-net`).join("\n"), "47/0/0"),
      notWired: run("/vm/nw.conf", "memory.wired=false\n", "47/0/0"),
      byPpt: run("/vm/p.conf", "pci.0.6.0.device=passthru\npci.0.6.0.pptdev=ppt4\n", "0/13/2", "unassign"),
      vmBhyve: run("/vm/v.conf", 'loader="uefi"\n', "47/0/0"),
      json: run("/vm/j.json", "{}", "47/0/0"),
      own: run("/zroot/vm/gw/gw.conf", "x=1\n", "47/0/0"),
    }).toMatchSnapshot();
  });
});
