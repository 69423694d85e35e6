import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type PassthruEntry, parsePassthruEntry, splitEntries } from "../src/core/vm/passthru-entry.ts";
import { allocateSlots } from "../src/core/vm/slots.ts";
import { SAMPLE, cli, host, tempDir } from "./helpers.ts";

const args = (...argv: string[]) => cli(["args", ...argv]);

describe("the seed's examples", () => {
  test("functions of one device share a guest slot", async () => {
    expect(await args("1/0/0", "1/0/1")).toEqual({ code: 0, stdout: "-s 6:0,passthru,1/0/0 -s 6:1,passthru,1/0/1\n", stderr: "" });
  });
  test("a leading - gives each entry a slot of its own", async () => {
    expect(await args("-1/0/0", "-1/0/1")).toEqual({ code: 0, stdout: "-s 6:0,passthru,1/0/0 -s 7:0,passthru,1/0/1\n", stderr: "" });
  });
});

describe("slot arguments (table)", () => {
  const rows: { name: string; argv: string[]; stdout: string; stderr?: RegExp }[] = [
    { name: "comma-separated in one argument", argv: ["1/0/0,1/0/1"], stdout: "-s 6:0,passthru,1/0/0 -s 6:1,passthru,1/0/1\n" },
    { name: "space-separated in one argument", argv: ["1/0/0 1/0/1"], stdout: "-s 6:0,passthru,1/0/0 -s 6:1,passthru,1/0/1\n" },
    { name: "entries are trimmed", argv: ["  1/0/0 ", " 2/0/0"], stdout: "-s 6:0,passthru,1/0/0 -s 7:0,passthru,2/0/0\n" },
    { name: "mixed groups keep first-seen order", argv: ["2/0/0", "1/0/0", "2/0/1", "-3/0/0"], stdout: "-s 6:0,passthru,2/0/0 -s 6:1,passthru,2/0/1 -s 7:0,passthru,1/0/0 -s 8:0,passthru,3/0/0\n" },
    { name: "options ride with their entry", argv: ["1/0/0,rom=/usr/local/share/gpu.rom,bootindex=1", "1/0/1"], stdout: "-s 6:0,passthru,1/0/0,rom=/usr/local/share/gpu.rom,bootindex=1 -s 6:1,passthru,1/0/1\n" },
    { name: "reserved slots and 31 are skipped", argv: ["--reserved", "6,7", "--reserved", "9", "-1/0/0", "-2/0/0", "-3/0/0"], stdout: "-s 8:0,passthru,1/0/0 -s 10:0,passthru,2/0/0 -s 11:0,passthru,3/0/0\n" },
    { name: "--first-slot", argv: ["--first-slot", "29", "-1/0/0", "-2/0/0"], stdout: "-s 29:0,passthru,1/0/0 -s 30:0,passthru,2/0/0\n" },
    { name: "--wired prepends -S", argv: ["--wired", "1/0/0"], stdout: "-S -s 6:0,passthru,1/0/0\n" },
    { name: "group without function 0 is renumbered", argv: ["1/0/1"], stdout: "-s 6:0,passthru,1/0/1\n", stderr: /^pptctl: note: 1\/0\/1: no function 0, so a guest would not see it; renumbered from guest function 0\n$/ },
    { name: "SR-IOV VFs above function 7", argv: ["3/0/129", "3/0/130"], stdout: "-s 6:0,passthru,3/0/129 -s 6:1,passthru,3/0/130\n", stderr: /host functions above 7 \(129, 130\)/ },
    { name: "more than 8 functions spill to the next slot", argv: Array.from({ length: 9 }, (_, i) => `4/0/${128 + i}`), stdout: `${Array.from({ length: 8 }, (_, i) => `-s 6:${i},passthru,4/0/${128 + i}`).join(" ")} -s 7:0,passthru,4/0/136\n`, stderr: /renumbered from guest function 0/ },
    { name: "pci selector spelling", argv: ["pci0:1:0:0"], stdout: "-s 6:0,passthru,1/0/0\n" },
    { name: "-- ends options", argv: ["--", "-1/0/0"], stdout: "-s 6:0,passthru,1/0/0\n" },
  ];
  for (const row of rows) {
    test(row.name, async () => {
      const r = await args(...row.argv);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(row.stdout);
      if (row.stderr) expect(r.stderr).toMatch(row.stderr);
      else expect(r.stderr).toBe("");
    });
  }
});

describe("errors: one line on stderr, exit 2, nothing on stdout", () => {
  const rows: { name: string; argv: string[]; stderr: string }[] = [
    { name: "malformed entry", argv: ["1/0"], stderr: "pptctl: args: passthru entry '1/0': '1/0' is not a device address; write B/S/F as pciconf shows it (1/0/0)\n" },
    { name: "domain not 0", argv: ["pci1:2:0:0"], stderr: "pptctl: args: passthru entry 'pci1:2:0:0': domain 1: bhyve passthru and pptdevs reach only PCI domain 0\n" },
    { name: "duplicate device", argv: ["1/0/0", "-1/0/0"], stderr: "pptctl: args: passthru entry '-1/0/0': device 1/0/0 is already listed as '1/0/0'; list each device once\n" },
    { name: "slot out of range", argv: ["--first-slot", "32", "1/0/0"], stderr: "pptctl: args: --first-slot '32' is not a guest slot; slots are 0-31\n" },
    // Issue 22, fault 13: --first-slot 0 gave "-s 0:0,passthru,1/0/0", the hostbridge's slot.
    { name: "--first-slot 0 (hostbridge)", argv: ["--first-slot", "0", "1/0/0"], stderr: "pptctl: args: --first-slot 0 is the hostbridge's slot; give a slot from 1 to 30 (default 6)\n" },
    { name: "--first-slot 31 (LPC)", argv: ["--first-slot", "31", "1/0/0"], stderr: "pptctl: args: --first-slot 31 is the LPC bridge's slot; give a slot from 1 to 30 (default 6)\n" },
    { name: "a bus number past any integer", argv: ["99999999999999999999/0/0"], stderr: "pptctl: args: passthru entry '99999999999999999999/0/0': bus 99999999999999999999 is above 255\n" },
    { name: "bad reserved list", argv: ["--reserved", "6,x", "1/0/0"], stderr: "pptctl: args: --reserved 'x' is not a guest slot; slots are 0-31\n" },
    { name: "out of range slot number in entry", argv: ["1/32/0"], stderr: "pptctl: args: passthru entry '1/32/0': slot 32 is above 31\n" },
    { name: "option without a value", argv: ["1/0/0,rom"], stderr: "pptctl: args: passthru entry '1/0/0,rom': option 'rom' is not key=value (e.g. rom=/path/gpu.rom, bootindex=1)\n" },
    { name: "no free slot before 31", argv: ["--first-slot", "30", "-1/0/0", "-2/0/0"], stderr: "pptctl: args: no free guest slot left for 2/0/0: slot 30 is used or reserved and 31 is the LPC bridge; free some with fewer --reserved slots or a lower --first-slot\n" },
    { name: "a ppt unit without the host", argv: ["ppt0"], stderr: "pptctl: args: passthru entry 'ppt0': 'ppt0' names a device by its ppt unit, which only the host knows: give its B/S/F address (pciconf -l shows ppt0@pci0:B:S:F), or use --vm\n" },
    { name: "no entries", argv: [], stderr: "pptctl: args: no passthru entries; give B/S/F entries (pptctl args 1/0/0 1/0/1) or --vm NAME\n" },
    { name: "unknown flag", argv: ["--slot", "6", "1/0/0"], stderr: "pptctl: args: unknown option '--slot'; see 'pptctl args --help'\n" },
    { name: "bad format", argv: ["--format", "yaml", "1/0/0"], stderr: "pptctl: args: option '--format' must be one of shell, json, config, not 'yaml'\n" },
  ];
  for (const row of rows) {
    test(row.name, async () => {
      const r = await args(...row.argv);
      expect(r.stdout).toBe("");
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(row.stderr);
    });
  }
  test("junk option", async () => {
    const r = await args("1/0/0,rom=/a b");
    expect(r).toMatchObject({ code: 2, stdout: "" });
  });
});

describe("formats", () => {
  test("json", async () => {
    const r = await args("--format", "json", "--wired", "1/0/1");
    const doc = JSON.parse(r.stdout);
    expect(doc).toEqual({
      format: "pptctl-args/1",
      wired: true,
      slots: [{ slot: 6, function: 0, bhyve: "1/0/1", selector: "pci0:1:0:1", options: [], renumbered: true }],
      nextSlot: 7,
      argv: ["-S", "-s", "6:0,passthru,1/0/1"],
      notes: ["1/0/1: no function 0, so a guest would not see it; renumbered from guest function 0"],
    });
  });
  test("config: bhyve_config(5) keys", async () => {
    const r = await args("--format", "config", "--wired", "1/0/0,rom=/gpu.rom", "1/0/1");
    expect(r.stdout).toBe(
      [
        "memory.wired=true",
        "pci.0.6.0.device=passthru",
        "pci.0.6.0.bus=1",
        "pci.0.6.0.slot=0",
        "pci.0.6.0.func=0",
        "pci.0.6.0.rom=/gpu.rom",
        "pci.0.6.1.device=passthru",
        "pci.0.6.1.bus=1",
        "pci.0.6.1.slot=0",
        "pci.0.6.1.func=1",
        "",
      ].join("\n"),
    );
  });
  test("--next-slot", async () => {
    expect((await args("--next-slot", "--reserved", "8", "-1/0/0", "-1/0/1")).stdout).toBe("9\n");
  });
});

describe("--vm and --check read the host", () => {
  test("a Hoster VM from the sample host", async () => {
    const r = await cli(["--from", SAMPLE, "args", "--vm", "test-vm-1", "--check", "--wired"]);
    // Hoster puts passthru after its own devices (slot 5 here), as doctor --vm shows.
    expect(r).toEqual({ code: 0, stdout: "-S -s 5:0,passthru,1/0/0 -s 5:1,passthru,1/0/1\n", stderr: "" });
  });
  test("a VM without passthru prints nothing and succeeds", async () => {
    expect(await cli(["--from", SAMPLE, "args", "--vm", "test-vm-2"])).toEqual({ code: 0, stdout: "", stderr: "" });
  });
  test("unknown VM", async () => {
    const r = await cli(["--from", SAMPLE, "args", "--vm", "nope"]);
    expect(r).toEqual({ code: 2, stdout: "", stderr: "pptctl: args: no config for VM 'nope' (known VMs: test-vm-1, test-vm-2)\n" });
  });
  test("unreadable VM config", async () => {
    const dir = tempDir();
    mkdirSync(join(dir, "broken"));
    writeFileSync(join(dir, "broken", "vm_config.json"), '{"passthru": "1/0/0"}');
    const r = await cli(["args", "--vm", "broken", "--vms", dir], { env: { PPTCTL_ROOT: "/" } });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toStartWith(`pptctl: args: VM broken: cannot read ${dir}/broken/vm_config.json: passthru: Invalid type`);
  });
  test("a vm-bhyve config found with --vms", async () => {
    const dir = tempDir();
    mkdirSync(join(dir, "win"));
    writeFileSync(join(dir, "win", "win.conf"), 'loader="uefi"\npassthru1="2/0/1"\npassthru0="2/0/0"\n');
    const r = await cli(["args", "--vm", "win", "--vms", dir], { env: { PPTCTL_ROOT: "/" } });
    expect(r.stdout).toBe("-s 6:0,passthru,2/0/0 -s 6:1,passthru,2/0/1\n");
  });
  test("--check: a device still on a host driver exits 1 with the reason", async () => {
    const r = await cli(["--from", SAMPLE, "args", "--check", "0/2/0"]);
    expect(r).toEqual({
      code: 1,
      stdout: "",
      stderr: "pptctl: 0/2/0 is attached to vgapci0, not ppt: move it and keep it there with 'pptctl attach 0/2/0 --persist'\n",
    });
  });
  // attach refuses each of these: --check names why bhyve cannot take it, never 'attach' as the fix.
  test.each([
    ["a device without a capability list, though on ppt (a real 14.0 host's e1000)", host("qemu-amd-bridge-e1000"), "0/3/0", "0/3/0 cannot be passed through: it has no PCI capability list at all, so bhyve cannot offer the guest an MSI capability for it and refuses it ('failed to initialize MSI'); pass another device"],
    ["a bridge, which ppt never claims", host("bridge-in-pptdevs"), "0/28/0", "0/28/0 cannot be passed through: it is a bridge, and ppt claims only endpoint devices, such as the ones behind it; pass another device"],
    ["an arm64 host", host("qemu-arm64"), "1/0/0", "no entry can be passed through: this host is arm64, where FreeBSD's bhyve passes no PCI device through (no ppt driver and no IOMMU code)"],
    ["a device not on the bus", SAMPLE, "9/0/0", "9/0/0 is not on the PCI bus; check the address with 'pptctl list --all'"],
  ])("--check: %s", async (_, from, entry, line) => {
    expect(await cli(["--from", from, "args", "--check", entry])).toEqual({ code: 1, stdout: "", stderr: `pptctl: ${line}\n` });
  });
});

describe("allocator properties", () => {
  const entryArb = fc.record({
    bus: fc.integer({ min: 0, max: 6 }),
    slot: fc.integer({ min: 0, max: 3 }),
    func: fc.oneof(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 8, max: 255 })),
    own: fc.boolean(),
  });
  const entriesArb = fc
    .uniqueArray(entryArb, { selector: (e) => `${e.bus}/${e.slot}/${e.func}`, maxLength: 24 })
    .map((list) =>
      list.map((e): PassthruEntry => {
        const text = `${e.own ? "-" : ""}${e.bus}/${e.slot}/${e.func}`;
        return parsePassthruEntry(text) as PassthruEntry;
      }),
    );
  const optsArb = fc.record({
    firstSlot: fc.integer({ min: 0, max: 12 }),
    reserved: fc.uniqueArray(fc.integer({ min: 0, max: 31 }), { maxLength: 6 }).map((a) => new Set(a)),
  });

  test("slots unique and in range, function 0 in every used slot, every device exactly once, output parses back", () => {
    fc.assert(
      fc.property(entriesArb, optsArb, (entries, opts) => {
        let plan;
        try {
          plan = allocateSlots(entries, opts);
        } catch (e) {
          // Running out of slots is the only allowed failure.
          expect((e as Error).message).toStartWith("no free guest slot left");
          return;
        }
        const pairs = plan.assignments.map((a) => `${a.slot}:${a.func}`);
        expect(new Set(pairs).size).toBe(pairs.length);
        for (const a of plan.assignments) {
          expect(a.slot).toBeGreaterThanOrEqual(opts.firstSlot);
          expect(a.slot).toBeLessThan(31);
          expect(opts.reserved.has(a.slot)).toBe(false);
          expect(a.func).toBeLessThanOrEqual(7);
        }
        for (const s of new Set(plan.assignments.map((a) => a.slot))) {
          expect(plan.assignments.some((a) => a.slot === s && a.func === 0)).toBe(true);
        }
        const hosts = plan.assignments.map((a) => `${a.entry.addr.bus}/${a.entry.addr.slot}/${a.entry.addr.func}`).sort();
        expect(hosts).toEqual(entries.map((e) => `${e.addr.bus}/${e.addr.slot}/${e.addr.func}`).sort());
        // Each own-slot entry is alone in its slot.
        for (const a of plan.assignments.filter((x) => x.entry.ownSlot)) {
          expect(plan.assignments.filter((x) => x.slot === a.slot)).toHaveLength(1);
        }
        // The shell line parses back to the same (slot, func, device) triples.
        const line = plan.assignments.map((a) => `-s ${a.slot}:${a.func},passthru,${a.entry.addr.bus}/${a.entry.addr.slot}/${a.entry.addr.func}`).join(" ");
        const back = [...line.matchAll(/-s (\d+):(\d+),passthru,(\d+\/\d+\/\d+)/g)].map((m) => `${m[1]}:${m[2]}=${m[3]}`);
        expect(back).toEqual(plan.assignments.map((a) => `${a.slot}:${a.func}=${a.entry.addr.bus}/${a.entry.addr.slot}/${a.entry.addr.func}`));
      }),
      { numRuns: 1000 },
    );
  });

  test("splitEntries keeps options with their entry", () => {
    expect(splitEntries(["1/0/0,rom=/x,bootindex=1,1/0/1", "-2/0/0"])).toEqual(["1/0/0,rom=/x,bootindex=1", "1/0/1", "-2/0/0"]);
  });
});
