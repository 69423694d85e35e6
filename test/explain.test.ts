import { describe, expect, test } from "bun:test";
import { REAL } from "./bhyve-lines.ts";
import { run } from "../src/cli.ts";
import { CATALOGUE } from "../src/core/preflight/explain-catalogue.ts";
import { cli, host } from "./helpers.ts";
import { psTree } from "./vm-tree-ps.ts";

const PF = host("vm-preflight");
const ex = (...argv: string[]) => cli(["--from", PF, "explain", ...argv]);
type Line = { line: string; passthrough: boolean; known: boolean; id: string | null; source: { file: string; func: string; seen: string; url: string } | null; cause: string | null; fix: string | null };
const json = async (...argv: string[]) => JSON.parse((await ex("--json", ...argv)).stdout) as { format: string; vm: string | null; lines: Line[] };


describe("explain's catalogue (issue 31, finding 3)", () => {
  test("every entry has a real line, is known with its source, a cause and a fix", async () => {
    expect(Object.keys(REAL).sort()).toEqual(CATALOGUE.map((c) => c.id).sort());
    const doc = await json(...Object.values(REAL));
    for (const [i, id] of Object.keys(REAL).entries()) {
      const l = doc.lines[i]!;
      expect({ id: l.id, known: l.known, passthrough: l.passthrough }).toEqual({ id, known: true, passthrough: true });
      expect(l.source!.file).toMatch(/^(usr\.sbin\/bhyve\/[a-z_]+\.c|vm-bhyve lib\/vm-run)$/);
      expect(l.source!.url).toMatch(/^https:\/\/github\.com\//);
      expect(l.cause).not.toBe("");
    }
  });

  test("older and newer spellings of one message: both known", async () => {
    const doc = await json("device emulation initialization error: No such file or directory", "invalid passthru options", "vm_setup_memory: File exists", "fatal; pci passthrough not supported on this system (no VT-d)", "PCI device at 1/0/0 is not using the ppt driver", "vm_setup_pptdev_msix failed: Invalid argument");
    expect(doc.lines.map((l) => l.id)).toEqual(["device-init", "invalid-options", "setup-memory", "vm-bhyve-no-iommu", "not-ppt", "msi-setup"]);
  });

  test("a whole log: lines not about passthrough are passed over; exit 0 when every passthrough line is explained", async () => {
    const log = ["Dec 07 10:00:00: initialising", "Dec 07 10:00:00:  [loader: uefi]", "fbuf frame buffer base: 0x1000", "bhyve: PCI device at 89/0/0 is not using the ppt(4) driver", "Device emulation initialization error: Device busy", ""].join("\n");
    const r = await ex(log);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout.match(/^ {2}cause:/gm)).toHaveLength(2);
  });

  test("a passthrough line pptctl does not know: said on stderr, exit 1; nothing about passthrough: exit 2", async () => {
    const unknown = await ex("passthru: the device wants more BAR space than exists");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe("pptctl: explain: a passthrough line pptctl does not know: 'passthru: the device wants more BAR space than exists'\n");
    const none = await ex("fbuf frame buffer base: 0x1000\nrfb: bind: Address already in use");
    expect(none.code).toBe(2);
    expect(none.stderr).toBe("pptctl: explain: nothing to explain: none of the 2 lines is about passthrough\n");
    expect((await cli(["--from", PF, "explain"], { stdin: "" })).code).toBe(2);
  });
});

describe("explain reads what users paste (findings 2 and 14)", () => {
  test("several lines in one operand: each is explained", async () => {
    const doc = await json("Unable to setup memory (12)\npassthru requires guest memory to be wired\r\nvm_create: Device not configured");
    expect(doc.lines.map((l) => l.id)).toEqual(["setup-memory", "not-wired", "vm-create"]);
  });

  test("standard input is explained line by line as it arrives", async () => {
    let out = "";
    const seenBeforeSecond: string[] = [];
    async function* stdin() {
      yield "passthru requires guest memory to be wired\nUnable to setup";
      seenBeforeSecond.push(out);
      yield " memory (12)\n";
    }
    const code = await run(["--from", PF, "explain"], {
      out: (s) => {
        out += s;
      },
      err: () => {},
      env: {},
      stdoutIsTTY: false,
      columns: 0,
      platform: "linux",
      now: () => new Date(0),
      readStdin: async () => stdin(),
    });
    expect(code).toBe(0);
    expect(seenBeforeSecond[0]).toContain("passthru requires guest memory to be wired\n  source:");
    expect(seenBeforeSecond[0]).not.toContain("Unable to setup memory");
    expect(out).toContain("Unable to setup memory (12)\n  source:");
  });

  test("control and escape bytes of the input are shown, never sent to the terminal", async () => {
    const r = await ex("\u001b]0;owned\u0007PCI device at 89/0/0 is not using the ppt(4) driver");
    expect(r.stdout).not.toContain("\u001b");
    expect(r.stdout).toContain("\\x1b]0;owned\\x07PCI device at 89/0/0");
    const u = await ex("passthru \u001b[2Jgone");
    expect(u.stderr).toContain("'passthru \\x1b[2Jgone'");
  });
});

describe("explain never contradicts the host (findings 4, 15, 18)", () => {
  test("ENXIO on a host whose IOMMU check passes: not blamed on a missing IOMMU", async () => {
    const [l] = (await json("vm_assign_pptdev: Device not configured")).lines;
    expect(l!.cause).toContain("yet the IOMMU pptctl checks is in order here (Intel VT-d (ACPI DMAR table))");
    expect(l!.cause).not.toContain("no IOMMU to put");
    const off = JSON.parse((await cli(["--from", host("no-dmar"), "explain", "--json", "vm_assign_pptdev: Device not configured"])).stdout).lines[0];
    expect(off.cause).toContain("ENXIO: vmm has no IOMMU to put the device behind: no ACPI DMAR table");
  });

  test("EEXIST names no VM: each instance is shown; with --vm, that VM's own instance", async () => {
    const [any] = (await json("Unable to setup memory (17)")).lines;
    expect(any!.cause).toContain("Instances now: test-vm-1 (running), win11 (left behind, no process names it)");
    expect(any!.fix).toBe("if the VM that failed is win11: bhyvectl --destroy --vm=win11");
    const [own] = (await json("--vm", "test-vm-1", "Unable to setup memory (17)")).lines;
    expect(own!.cause).toContain("test-vm-1 is running now (bhyve pid 4242)");
    expect(own!.fix).not.toContain("--destroy");
    const [gw] = (await json("--vm", "gw", "Unable to setup memory (17)")).lines;
    expect(gw!.cause).toContain("there is no instance of gw now");
    expect((await ex("--vm", "nope", "Unable to setup memory (17)")).code).toBe(2);
  });

  test("'on unsupported domain' is checked against the device the name has here", async () => {
    const [l] = (await json("Passthru device ppt0 on unsupported domain")).lines;
    expect(l!.cause).toContain("ppt0 is pci0:1:0:0 on this host, in domain 0: bhyve would not say this here");
    const [gone] = (await json("Passthru device ppt9 not found")).lines;
    expect(gone!.cause).toContain("no device is named ppt9 on this host; the ppt devices here are ppt3 = 0/13/0");
  });

  test("ROM lines are checked against the file as it is now", async () => {
    const t = psTree();
    t.write("/zroot/vm/.config/empty.rom", "");
    t.write("/zroot/vm/.config/good.rom", "\x55\xaa\x40");
    const doc = JSON.parse((await t.run("explain", "--json", 'romfile "/zroot/vm/.config/empty.rom" is empty', "can't open romfile \"/zroot/vm/.config/none.rom\"", "can't open romfile \"/zroot/vm/.config/good.rom\"", "can't open romfile \"/zroot/vm/.config\"")).stdout) as { lines: Line[] };
    expect(doc.lines.map((l) => l.cause)).toEqual([
      "bhyve refuses an empty ROM file: /zroot/vm/.config/empty.rom is empty (0 bytes)",
      "bhyve could not open the ROM file: /zroot/vm/.config/none.rom does not exist on this host",
      "bhyve could not open the ROM file: /zroot/vm/.config/good.rom is a 3-byte file now, so it was missing or unreadable when bhyve ran, or bhyve runs where that path is another file (a jail)",
      "bhyve could not open the ROM file: /zroot/vm/.config is a directory, not a regular file",
    ]);
  });

  test("vm-bhyve's missing configuration, with --vm: which settings", async () => {
    const t = psTree();
    t.write("/zroot/vm/lab/lab.conf", 'loader="uefi"\npassthru0="0/13/2"\n');
    const [l] = (JSON.parse((await t.run("explain", "--json", "--vm", "lab", "fatal; unable to start - missing required configuration")).stdout) as { lines: Line[] }).lines;
    expect(l!.cause).toBe("/zroot/vm/lab/lab.conf sets no cpu, no memory, which vm-bhyve needs to start lab");
  });
});
