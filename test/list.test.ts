import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeFakeHost } from "./fake-host.ts";
import { SAMPLE, cli, host, removeLater } from "./helpers.ts";

const list = (from: string, argv: string[] = [], opts: Parameters<typeof cli>[1] = {}) => cli(["--from", from, "list", ...argv], opts);

describe("the seed's table", () => {
  test("Quadro P600 and its audio, both in use by the running test-vm-1 (terminal)", async () => {
    const r = await list(SAMPLE, [], { tty: true, columns: 150, env: { NO_COLOR: "1" } });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(
      [
        "╭────────────┬─────────────┬────────────────┬──────────────┬────────────────────┬──────────────────────────────────────────┬──────────────────────╮",
        "│ PPT Device │ PCI ID Raw  │ Type           │ Bhyve PCI ID │ Vendor             │ Model                                    │ Status               │",
        "├────────────┼─────────────┼────────────────┼──────────────┼────────────────────┼──────────────────────────────────────────┼──────────────────────┤",
        "│ ppt0       │ pci0:1:0:0: │ display/VGA    │ 1/0/0        │ NVIDIA Corporation │ GP107GL [Quadro P600]                    │ In use by: test-vm-1 │",
        "│ ppt1       │ pci0:1:0:1: │ multimedia/HDA │ 1/0/1        │ NVIDIA Corporation │ GP107GL High Definition Audio Controller │ In use by: test-vm-1 │",
        "╰────────────┴─────────────┴────────────────┴──────────────┴────────────────────┴──────────────────────────────────────────┴──────────────────────╯",
        "",
      ].join("\n"),
    );
  });
  test("piped: plain columns, no colour, no box", async () => {
    const r = await list(SAMPLE);
    expect(r.stdout).toBe(
      [
        "PPT Device  PCI ID Raw   Type            Bhyve PCI ID  Vendor              Model                                     Status",
        "ppt0        pci0:1:0:0:  display/VGA     1/0/0         NVIDIA Corporation  GP107GL [Quadro P600]                     In use by: test-vm-1",
        "ppt1        pci0:1:0:1:  multimedia/HDA  1/0/1         NVIDIA Corporation  GP107GL High Definition Audio Controller  In use by: test-vm-1",
        "",
      ].join("\n"),
    );
  });
  test("a narrow terminal truncates with … instead of wrapping", async () => {
    const r = await list(SAMPLE, [], { tty: true, columns: 120, env: { NO_COLOR: "1" } });
    for (const line of r.stdout.trimEnd().split("\n")) expect(line.length).toBeLessThanOrEqual(120);
    // The Model column gives way first, then the raw selector goes and Model takes the room back; the status is never cut.
    expect(r.stdout).toContain("│ NVIDIA Corporation │ GP107GL [Quadro P600]       │ In use by: test-vm-1 │");
    expect(r.stdout).toContain("│ NVIDIA Corporation │ GP107GL High Definition Au… │ In use by: test-vm-1 │");
    expect(r.stdout).not.toContain("PCI ID Raw");
  });
  test("every table fits 80 columns: list and list --all, on a terminal and piped with COLUMNS (issue 33, finding 8)", async () => {
    for (const args of [[], ["--all"]]) {
      for (const dir of [SAMPLE, host("list-vms")]) {
        const tty = await list(dir, args, { tty: true, columns: 80, env: { NO_COLOR: "1" } });
        const piped = await list(dir, args, { env: { COLUMNS: "80" } });
        for (const out of [tty.stdout, piped.stdout]) {
          expect(out.trimEnd().split("\n").filter((l) => l.length > 80)).toEqual([]);
          expect(out).toContain("Status");
        }
      }
    }
    // Piped without COLUMNS: every column, whole (scripts that want fields read --json or tsv).
    const whole = await list(SAMPLE, ["--all"]);
    expect(whole.stdout).toContain("PCI ID Raw");
    expect(whole.stdout).toContain("11th Gen Core Processor Host Bridge/DRAM Registers");
  });
  test("status is coloured on a terminal only", async () => {
    expect((await list(SAMPLE, [], { tty: true, columns: 200 })).stdout).toContain("\u001b[36mIn use by: test-vm-1");
    expect((await list(SAMPLE, ["--plain"], { tty: true, columns: 200, env: { NO_COLOR: "1" } })).stdout).toStartWith("PPT Device  ");
  });
});

describe("every status, from Hoster and vm-bhyve configs", () => {
  const vms = host("list-vms");
  test("statuses", async () => {
    const r = await list(vms, ["--format", "tsv"]);
    expect(r.code).toBe(1);
    const rows = r.stdout.trimEnd().split("\n").map((l) => l.split("\t"));
    expect(rows[0]).toEqual(["PPT Device", "PCI ID Raw", "Type", "Bhyve PCI ID", "Vendor", "Model", "Status"]);
    expect(rows.slice(1).map((c) => [c[0], c[3], c[6]])).toEqual([
      ["ppt3", "0/13/0", "Assigned to: test-vm-2 (stopped)"],
      ["ppt4", "0/13/2", "Unknown"],
      ["ppt2", "0/20/0", "In use by: win11"],
      ["ppt0", "1/0/0", "In use by: test-vm-1"],
      ["ppt1", "1/0/1", "Conflict: test-vm-1, gw (test-vm-1 running)"],
      ["-", "89/0/0", "Not bound: igc0"],
    ]);
  });
  test("unreadable and invalid configs are named on stderr", async () => {
    const r = await list(vms);
    expect(r.stderr).toBe(
      [
        "pptctl: warning: cannot read VM config /zroot/vm-encrypted/test-vm-3/vm_config.json: not valid JSON (JSON Parse error: Unexpected EOF); devices it may hold show as Unknown",
        "pptctl: warning: cannot read VM config /zroot/vm/lab/lab.conf: not in the recording; devices it may hold show as Unknown",
        "",
      ].join("\n"),
    );
  });
  test("snapshots: box table, piped table, JSON, TSV", async () => {
    expect((await list(vms, [], { tty: true, columns: 150, env: { NO_COLOR: "1" } })).stdout).toMatchSnapshot();
    expect((await list(vms)).stdout).toMatchSnapshot();
    expect((await list(vms, ["--json"])).stdout).toMatchSnapshot();
    expect((await list(vms, ["--format", "tsv"])).stdout).toMatchSnapshot();
  });
  test("json is versioned and carries the status as data", async () => {
    const doc = JSON.parse((await list(vms, ["--json"])).stdout);
    expect(doc.format).toBe("pptctl-list/1");
    expect(doc.devices.find((d: { bhyve: string }) => d.bhyve === "1/0/1").status).toEqual({ kind: "conflict", vms: ["test-vm-1", "gw"], active: [{ vm: "test-vm-1", state: "running" }] });
    expect(doc.problems).toHaveLength(2);
  });
  test("no broken config: a free ppt device is Available", async () => {
    const r = await list(host("ppt-on-host-driver"), ["--format", "tsv"]);
    expect(r.stdout).toContain("89/0/0\tIntel Corporation\tEthernet Controller I225-LM\tNot bound: igc0");
  });
  test("entry missing from the bus", async () => {
    const r = await list(host("entry-not-on-bus"), ["--format", "tsv"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("-\tpci0:5:0:0:\t?\t5/0/0\t?\t?\tNot on bus");
  });
  test("--vms PATH adds configs from another directory of the host", async () => {
    const root = makeFakeHost();
    mkdirSync(join(root, "vms/lab"), { recursive: true });
    writeFileSync(join(root, "vms/lab/lab.conf"), 'passthru0="1/0/0"\n');
    const r = await cli(["list", "--vms", "/vms", "--format", "tsv"], { env: { PPTCTL_ROOT: root } });
    expect(r.stdout).toContain("1/0/0\tNVIDIA Corporation\tGP107GL [Quadro P600]\tConflict: test-vm-1, lab");
    expect(r.code).toBe(1);
  });
  test("--vms pointing nowhere is reported, not ignored", async () => {
    const r = await list(SAMPLE, ["--vms", "/nonexistent/vms"]);
    // A folder of VMs, not a VM's config: the warning says what it hides.
    expect(r.stderr).toContain(
      "pptctl: warning: cannot find every VM config (/nonexistent/vms: not in the recording): a VM pptctl cannot see may hold any ppt device, so those no config names show as Unknown\n",
    );
    expect(r.stdout).toContain("In use by: test-vm-1");
  });
});

describe("--all", () => {
  test("every PCI device with its eligibility", async () => {
    const r = await list(SAMPLE, ["--all", "--format", "tsv"]);
    const rows = r.stdout.trimEnd().split("\n").map((l) => l.split("\t"));
    expect(rows[0]).toEqual(["Device", "PCI ID Raw", "Type", "Bhyve PCI ID", "Vendor", "Model", "Passthrough", "Reset", "Reported", "Notes", "Status"]);
    expect(rows).toHaveLength(34);
    const by = (b: string) => rows.find((c) => c[3] === b)!;
    expect(by("0/2/0")).toEqual(["vgapci0", "pci0:0:2:0:", "display/VGA", "0/2/0", "Intel Corporation", "TigerLake-LP GT2 [Iris Xe Graphics]", "yes (MSI)", "FLR", "-", "intel-igd", "Host: vgapci0"]);
    expect(by("0/28/0")?.[6]).toBe("no (bridge)");
    expect(by("1/0/0")?.slice(6)).toEqual(["yes (MSI)", "D3→D0", "-", "gpu-audio", "In use by: test-vm-1"]);
  });
});

describe("scaling", () => {
  test("list --all --json grows linearly with the device count (no per-device scan of the listing)", async () => {
    const { syntheticHost } = await import("../scripts/synthetic-host.ts");
    const small = removeLater(syntheticHost(1_000));
    const big = removeLater(syntheticHost(8_000));
    const time = async (dir: string) => {
      const t0 = performance.now();
      const r = await cli(["--from", dir, "list", "--all", "--json"]);
      expect(r.code).toBe(0);
      return performance.now() - t0;
    };
    await time(small); // warm the JIT
    const a = Math.min(await time(small), await time(small));
    const b = Math.min(await time(big), await time(big));
    // 8× the devices: linear work takes ~8× (plus warm-up noise); a quadratic pass takes ~64×.
    expect(b).toBeLessThan(a * 24 + 100);
  });
});

describe("list --json on a big host", () => {
  test("1,201 devices: one document, indented as JSON.stringify(…, null, 2) indents it", async () => {
    const { syntheticHost } = await import("../scripts/synthetic-host.ts");
    const dir = removeLater(syntheticHost(1_201));
    const r = await cli(["--from", dir, "list", "--all", "--json"]);
    const doc = JSON.parse(r.stdout);
    expect(doc.devices).toHaveLength(1_201);
    expect(Object.keys(doc)).toEqual(["format", "devices", "problems", "warnings"]);
    expect(r.stdout).toBe(`${JSON.stringify(doc, null, 2)}\n`);
  });
});

describe("list asks the live host only what it needs", () => {
  test("no acpidump and no route for list; doctor still asks both", async () => {
    const { makeFakeHost } = await import("./fake-host.ts");
    const { writeFileSync, readFileSync, chmodSync, existsSync } = await import("node:fs");
    const { join } = await import("node:path");
    const root = makeFakeHost();
    for (const tool of ["/usr/sbin/acpidump", "/sbin/route"]) {
      const path = join(root, tool);
      const body = readFileSync(path, "utf8").replace("#!/bin/sh\n", `#!/bin/sh\necho ran >> '${path}.ran'\n`);
      writeFileSync(path, body);
      chmodSync(path, 0o755);
    }
    expect((await cli(["list"], { env: { PPTCTL_ROOT: root } })).code).toBe(0);
    expect(existsSync(join(root, "usr/sbin/acpidump.ran")) || existsSync(join(root, "sbin/route.ran"))).toBe(false);
    await cli(["doctor"], { env: { PPTCTL_ROOT: root } });
    expect(existsSync(join(root, "usr/sbin/acpidump.ran")) && existsSync(join(root, "sbin/route.ran"))).toBe(true);
  });
});
