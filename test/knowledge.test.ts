import { describe, expect, test } from "bun:test";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { QUIRKS } from "../src/core/knowledge/quirks-data.ts";
import { indexListing, quirksFor } from "../src/core/knowledge/quirks.ts";
import { resetMethod } from "../src/core/knowledge/reset.ts";
import { parsePassthruEntry } from "../src/core/vm/passthru-entry.ts";
import { capsListed } from "../src/core/pci/device.ts";
import { parsePciconf } from "../src/core/parse/pciconf.ts";
import { allocateSlots, slotArgv } from "../src/core/vm/slots.ts";
import { parseHosterVm, parseVmBhyveConf } from "../src/core/vm/configs.ts";
import { CORPUS, SAMPLE, cli, host } from "./helpers.ts";

const dev = (caps: string[], header = "class=0x020000 rev=0x01 hdr=0x00 vendor=0x8086 device=0x1521 subvendor=0x8086 subdevice=0x0001") =>
  parsePciconf(`igb0@pci0:3:0:0:\t${header}\n${caps.map((c) => `    ${c}`).join("\n")}\n`).devices[0]!;

describe("reset method, as ppt_pci_reset() chooses it", () => {
  const rows: [string, string[], boolean, string][] = [
    ["PCIe FLR", ["cap 01[40] = powerspec 3  supports D0 D3  current D0", "cap 10[a0] = PCI-Express 2 endpoint max data 256(512) FLR RO NS"], true, "flr"],
    ["power management only", ["cap 01[40] = powerspec 3  supports D0 D3  current D0", "cap 10[a0] = PCI-Express 2 endpoint max data 256(512) RO NS"], true, "power"],
    ["Advanced Features FLR is not what ppt uses", ["cap 13[44] = PCI Advanced Features: FLR TP"], true, "none"],
    ["neither (QEMU's xHCI)", ["cap 11[90] = MSI-X supports 16 messages", "cap 10[a0] = PCI-Express 2 endpoint max data 128(128)"], true, "none"],
    ["no capability lines in a -c listing", [], true, "none"],
    ["a listing without -c", [], false, "unknown"],
  ];
  for (const [name, caps, listed, want] of rows) {
    test(name, () => {
      expect(resetMethod(dev(caps), listed) as string).toBe(want);
    });
  }
  test("every device of the corpus gets a reset value", () => {
    const seen = new Set<string>();
    let n = 0;
    for (const dir of ["pciconf-lvc", "pciconf-lv", "pciconf-l"]) {
      for (const f of readdirSync(join(CORPUS, dir))) {
        const devices = parsePciconf(readFileSync(join(CORPUS, dir, f), "utf8")).devices;
        const listed = capsListed(devices);
        for (const d of devices) {
          const r = resetMethod(d, listed);
          expect(["flr", "power", "none", "unknown"]).toContain(r as string);
          seen.add(r);
          n++;
        }
      }
    }
    expect(n).toBeGreaterThan(4000);
    expect([...seen].sort()).toEqual(["flr", "none", "power", "unknown"]);
  });
});

describe("the quirks table", () => {
  test("every entry has an id, a title, advice and a source URL", () => {
    const ids = QUIRKS.map((q) => q.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const q of QUIRKS) {
      expect(q.title.length).toBeGreaterThan(10);
      expect(q.advice.length).toBeGreaterThan(20);
      expect(q.source).toMatch(/^https:\/\//);
    }
    expect(ids).toEqual(expect.arrayContaining(["intel-igd", "amd-gpu-reset", "gpu-audio", "qlogic-fc-functions", "intel-nic-split", "sriov-vf"]));
  });

  const listing = (text: string) => {
    const devices = parsePciconf(text).devices;
    return (at: string) => {
      const d = devices.find((x) => x.name.startsWith(at) || `${x.addr.bus}/${x.addr.slot}/${x.addr.func}` === at)!;
      return quirksFor(d, indexListing(devices), resetMethod(d, capsListed(devices))).map((q) => q.id);
    };
  };
  test("on the gpu-quirks host: IGD, AMD GPU without FLR with its audio, none for the rest", () => {
    const ids = listing(readFileSync(join(host("gpu-quirks"), "pciconf-lvc.txt"), "utf8"));
    expect(ids("0/2/0")).toEqual(["intel-igd"]);
    expect(ids("1/0/0")).toEqual(["amd-gpu-reset", "gpu-audio"]);
    expect(ids("1/0/1")).toEqual([]);
    expect(ids("2/0/0")).toEqual([]);
  });
  test("the real corpus: 82599 VFs at ARI functions are VFs; the Chelsio T4 nexus is not", () => {
    const z370 = listing(readFileSync(join(CORPUS, "pciconf-lvc/bsdhw-ppt-gigabyte-z370m-82599-vfs-ari-func130.txt"), "utf8"));
    expect(z370("6/0/130")).toContain("sriov-vf");
    const t4 = listing(readFileSync(join(CORPUS, "pciconf-lvc/bsdhw-caps-mfvc-supermicro-x10slm.txt"), "utf8"));
    expect(t4("1/0/4")).not.toContain("sriov-vf");
  });
  test("an AMD GPU with FLR has no reset quirk", () => {
    const d = dev(["cap 10[64] = PCI-Express 2 legacy endpoint max data 256(256) FLR RO NS"], "class=0x030000 rev=0xc1 hdr=0x00 vendor=0x1002 device=0x73ff subvendor=0x1462 subdevice=0x5021");
    expect(quirksFor(d, indexListing([d]), resetMethod(d, true)).map((q) => q.id)).toEqual([]);
  });
});

describe("doctor: reset and quirks", () => {
  test("gpu-quirks: reset WARNs for the device ppt cannot reset; quirks WARNs with the advice as fix", async () => {
    const doc = JSON.parse((await cli(["--from", host("gpu-quirks"), "doctor", "--json"])).stdout);
    const by = Object.fromEntries(doc.checks.map((c: { id: string }) => [c.id, c]));
    expect(by.reset).toMatchObject({ status: "warn", summary: expect.stringContaining("ppt3 (2/0/0) has neither FLR nor power management") });
    expect(by.quirks.status).toBe("warn");
    expect(by.quirks.summary).toContain("ppt0 (0/2/0) lands at guest slot 6 in igd, not 2: pin it (0/2/0=2:0)");
    expect(by.quirks.summary).toContain("ppt1 (1/0/0): AMD GPU without FLR");
    expect(by.quirks.fix).toContain("guest slot 2");
  });
  test("both appear in every output format", async () => {
    const h = host("gpu-quirks");
    expect((await cli(["--from", h, "doctor", "-q"])).stdout).toMatch(/^ {2}reset: .*: WARN$/m);
    expect((await cli(["--from", h, "doctor", "-q"])).stdout).toMatch(/^ {2}quirks: .*: WARN$/m);
    const prom = (await cli(["--from", h, "doctor", "--format", "prometheus"])).stdout;
    expect(prom).toContain('pptctl_check_status{check="reset"} 1');
    expect(prom).toContain('pptctl_check_status{check="quirks"} 1');
    expect((await cli(["--from", h, "doctor", "--format", "nagios"])).stdout).toMatch(/^PPTCTL WARNING - .*reset: .*quirks: /);
  });
  test("the guide's success case (Quadro P600 + audio, both reserved, in use by one VM) stays all PASS, exit 0", async () => {
    const r = await cli(["--from", SAMPLE, "doctor"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("  reset: every reserved device can be reset");
    expect(r.stdout).toContain("  quirks: no known risk for the reserved devices (notes: gpu-audio 1/0/0;");
    expect(r.stdout).not.toMatch(/WARN|FAIL|UNKNOWN/);
  });
});

describe("list: reset and quirks on every device object", () => {
  test("list --json and list --all --json carry reset and quirks ([] when none)", async () => {
    for (const argv of [["list", "--json"], ["list", "--all", "--json"]]) {
      const devs = JSON.parse((await cli(["--from", host("gpu-quirks"), ...argv])).stdout).devices;
      for (const d of devs) {
        expect(["flr", "power", "none", "unknown"]).toContain(d.reset);
        expect(Array.isArray(d.quirks)).toBe(true);
        for (const q of d.quirks) expect(Object.keys(q).sort()).toEqual(["advice", "id", "source", "title"]);
      }
      const amd = devs.find((d: { bhyve: string }) => d.bhyve === "1/0/0");
      expect(amd.reset).toBe("power");
      expect(amd.quirks.map((q: { id: string }) => q.id)).toEqual(["amd-gpu-reset", "gpu-audio"]);
      expect(devs.find((d: { bhyve: string }) => d.bhyve === "1/0/1").quirks).toEqual([]);
    }
  });
  test("list --all shows Reset and Notes; list shows Notes on a wide terminal only", async () => {
    const all = (await cli(["--from", host("gpu-quirks"), "list", "--all", "--format", "tsv"])).stdout.split("\n");
    expect(all[0]!.split("\t")).toEqual(["Device", "PCI ID Raw", "Type", "Bhyve PCI ID", "Vendor", "Model", "Passthrough", "Reset", "Reported", "Notes", "Status"]);
    expect(all.find((l) => l.startsWith("ppt1\t"))).toContain("\tD3→D0\t-\tamd-gpu-reset, gpu-audio\t");
    const wide = await cli(["--from", host("gpu-quirks"), "list"], { tty: true, columns: 240, env: { NO_COLOR: "1" } });
    expect(wide.stdout).toContain("│ Notes ");
    const narrow = await cli(["--from", host("gpu-quirks"), "list"], { tty: true, columns: 120, env: { NO_COLOR: "1" } });
    expect(narrow.stdout).not.toContain("Notes");
    expect((await cli(["--from", host("gpu-quirks"), "list"])).stdout).not.toContain("Notes");
  });
});

describe("args: guest-slot pins", () => {
  const argsOf = (...entries: string[]) =>
    slotArgv(allocateSlots(entries.map((t) => parsePassthruEntry(t) as Exclude<ReturnType<typeof parsePassthruEntry>, { error: string }>), { firstSlot: 6, reserved: new Set() }), false).join(" ");
  const rows: [string[], string][] = [
    [["0/2/0=2:0", "1/0/0", "1/0/1"], "-s 2:0,passthru,0/2/0 -s 6:0,passthru,1/0/0 -s 6:1,passthru,1/0/1"],
    [["1/0/0=6:0", "2/0/0"], "-s 6:0,passthru,1/0/0 -s 7:0,passthru,2/0/0"],
    [["0/2/0=2:0,rom=/boot/gop.rom"], "-s 2:0,passthru,0/2/0,rom=/boot/gop.rom"],
    [["0/2/0=2"], "-s 2:0,passthru,0/2/0"],
    [["-0/2/0=3:0", "-1/0/0"], "-s 3:0,passthru,0/2/0 -s 6:0,passthru,1/0/0"],
    [["1/0/1=9:1", "1/0/0=9:0"], "-s 9:0,passthru,1/0/0 -s 9:1,passthru,1/0/1"],
  ];
  for (const [entries, want] of rows) {
    test(entries.join(" "), async () => {
      expect(argsOf(...entries)).toBe(want);
      expect(await cli(["args", ...entries])).toEqual({ code: 0, stdout: `${want}\n`, stderr: "" });
    });
  }
  const refusals: [string[], string][] = [
    [["0/2/0=0:0"], "guest slot 0 is the hostbridge"],
    [["0/2/0=31:0"], "guest slot 31 is the LPC bridge"],
    [["0/2/0=32:0"], "guest slot 32 does not exist"],
    [["0/2/0=2:8"], "guest function 8 does not exist"],
    [["0/2/0=2:0", "1/0/0=2:0"], "guest slot 2:0 is already pinned by '0/2/0=2:0'"],
    [["0/2/0=a:b"], "pin '=a:b' is not =SLOT:FUNC"],
    [["0/2/0=2:1"], "guest slot 2 has no function 0"],
  ];
  for (const [entries, err] of refusals) {
    test(`refused: ${entries.join(" ")}`, async () => {
      const r = await cli(["args", ...entries]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr.split("\n").filter(Boolean)).toHaveLength(1);
      expect(r.stderr).toContain(err);
    });
  }
  test("--reserved and a pin to the same slot conflict", async () => {
    const r = await cli(["args", "0/2/0=7:0", "--reserved", "7"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("guest slot 7 is in --reserved");
  });
});

describe("vm-bhyve's own syntax and Hoster's =S:F", () => {
  test("passthruN pins and passthruN_options are kept, so args prints what vm-bhyve gives bhyve", () => {
    expect(parseVmBhyveConf('passthru1="1/0/0"\npassthru0="0/2/0=2:0"\npassthru0_options="rom=/path,bootindex=1"\n')).toMatchObject({ entries: ["0/2/0=2:0,rom=/path,bootindex=1", "1/0/0"] });
  });
  test("args --vm on vm-bhyve: options follow, the pin is honoured", async () => {
    expect(await cli(["--from", host("gpu-quirks"), "args", "--vm", "lab"])).toEqual({ code: 0, stdout: "-s 7:0,passthru,2/0/0,bootindex=1\n", stderr: "" });
  });
  test("an IGD not pinned to slot 2: said on stderr, stdout unchanged", async () => {
    const r = await cli(["--from", host("gpu-quirks"), "args", "--vm", "igd"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("-s 6:0,passthru,0/2/0,rom=/boot/gop.rom\n");
    expect(r.stderr).toBe(
      "pptctl: warning: 0/2/0 is Intel integrated graphics, which the GOP and guest drivers expect at guest slot 2, but it gets slot 6: pin it as 0/2/0=2:0 (quirk intel-igd, see 'pptctl list --all --json')\n",
    );
    const pinned = await cli(["--from", host("gpu-quirks"), "args", "0/2/0=2:0", "--check"]);
    expect(pinned).toEqual({ code: 0, stdout: "-s 2:0,passthru,0/2/0\n", stderr: "" });
  });
  // Issue 22, fault 16: Hoster splits entries at '/', so a pin reaches bhyve as '-s N:0=2:0,passthru,…'.
  test("Hoster configs cannot pin: an entry with =S:F is refused with Hoster's reason", () => {
    expect(parseHosterVm(JSON.stringify({ passthru: ["0/2/0=2:0"] }))).toEqual({
      error: "passthru entry '0/2/0=2:0': Hoster has no slot pins (it splits entries at '/' and would give bhyve '-s N:0=2:0,passthru,0/2/0=2:0'), so the VM would not start: remove '=2:0'",
    });
    expect(parseHosterVm(JSON.stringify({ passthru: ["0/2/0", "-1/0/0"] }))).toMatchObject({ entries: ["0/2/0", "-1/0/0"] });
  });
});
