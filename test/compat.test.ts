import { describe, expect, test } from "bun:test";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkReport } from "../src/core/compat/check.ts";
import { guestKind, sameGuest } from "../src/core/compat/guest.ts";
import { shippedReports } from "../src/core/compat/known.ts";
import { exactIndex, reportsFor, tally } from "../src/core/compat/match.ts";
import type { Report } from "../src/core/compat/schema.ts";
import type { PciDevice } from "../src/core/pci/device.ts";
import { REPORTS_DIR, reportsIndex } from "../scripts/make-reports-index.ts";
import { preflight } from "../src/core/preflight/checks.ts";
import { reportChecks } from "../src/core/preflight/reports-check.ts";
import { specOfVm } from "../src/core/preflight/spec.ts";
import { REAL } from "./bhyve-lines.ts";
import { modelOf } from "./model-of.ts";
import { SECRETS, makeFakeHost } from "./fake-host.ts";
import { cli, host, tempDir } from "./helpers.ts";

const REPORTED = host("reported-devices");
const files = readdirSync(REPORTS_DIR).filter((f) => f.endsWith(".json"));
const one = (id: string) => shippedReports().find((r) => r.id === id)!;

/** A shipped report as a contributor might have got it wrong, written where --check reads it. */
function variant(change: (r: Record<string, unknown>) => void): string {
  const r = structuredClone(one("nvidia-gtx750-windows-chyves")) as unknown as Record<string, unknown>;
  change(r);
  const path = join(tempDir(), "mine.json");
  writeFileSync(path, JSON.stringify(r, null, 2));
  return path;
}

describe("the shipped reports (issue 34)", () => {
  test("at least 40, from at least 12 distinct public sources, each with its URL", () => {
    const rs = shippedReports();
    expect(rs.length).toBeGreaterThanOrEqual(40);
    const sources = new Set(
      rs.map((r) => {
        if (r.source.kind !== "public") throw new Error(`${r.id} is not from a public source`);
        const u = new URL(r.source.url);
        // One site is one source, except github.com, where each repository is its own.
        return u.hostname === "github.com" ? u.pathname.split("/").slice(1, 3).join("/") : u.hostname;
      }),
    );
    expect(sources.size).toBeGreaterThanOrEqual(12);
  });

  test("every one passes 'report --check', named by its id", async () => {
    const r = await cli(["report", "--check", ...files.map((f) => join(REPORTS_DIR, f))]);
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split("\n")).toHaveLength(files.length);
    for (const line of r.stdout.trimEnd().split("\n")) expect(line).toMatch(/\.json: ok \(/);
  });

  test("the index the binary embeds lists every report file (npx bun scripts/make-reports-index.ts)", () => {
    expect(readFileSync(join(REPORTS_DIR, "index.ts"), "utf8")).toBe(reportsIndex(readdirSync(REPORTS_DIR)));
  });
});

describe("report --check refuses what a contribution must not be, one line each", () => {
  const cases: [string, (r: Record<string, unknown>) => void, RegExp][] = [
    ["an unknown field", (r) => (r.color = "green"), /: color: not a field of pptctl-report\/1: remove it$/],
    ["a bad result", (r) => (r.result = "kinda"), /: result: works, partial or fails$/],
    ["a MAC address in its text", (r) => (r.symptoms = ["NIC 58:9c:fc:00:11:22 lost link"]), /: symptoms\[0\] holds a MAC address: take it out/],
    ["a serial number in its text", (r) => (r.symptoms = ["disk serial number: S4EWNX0R123456"]), /: symptoms\[0\] holds a serial number: take it out/],
    ["a user's path", (r) => (r.passed = { ...(r.passed as object), options: ["rom=/home/alice/gpu.rom"] }), /passed\.options\[0\]: an option as name=value/],
    ["a missing field", (r) => delete r.guest, /: guest: missing$/],
  ];
  for (const [what, change, line] of cases) {
    test(what, async () => {
      const r = await cli(["report", "--check", variant(change)]);
      expect(r.code).toBe(1);
      const lines = r.stdout.trimEnd().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(line);
      expect(r.stderr).toBe("");
    });
  }
  test("not JSON, and a file that is not there", async () => {
    const path = join(tempDir(), "x.json");
    writeFileSync(path, "{ nope");
    expect((await cli(["report", "--check", path])).stdout).toStartWith(`${path}: not valid JSON (`);
    const gone = await cli(["report", "--check", "/nonexistent/r.json"]);
    expect(gone).toEqual({ code: 1, stdout: "", stderr: "pptctl: report: /nonexistent/r.json does not exist\n" });
  });
  test("in the tree a file is named by its id; elsewhere any name does", () => {
    const text = JSON.stringify(one("intel-i210-twincat"));
    expect(checkReport(text, "i210.json")).toEqual({ problems: ['id is "intel-i210-twincat", so the file must be named intel-i210-twincat.json'] });
    expect("report" in checkReport(text, null)).toBe(true);
  });
});

describe("matching a host's device", () => {
  const dev = (vendorId: number, deviceId: number, sub: [number, number] | null, classCode = 0x030000) =>
    ({ vendorId, deviceId, subvendorId: sub?.[0] ?? null, subdeviceId: sub?.[1] ?? null, classCode }) as unknown as PciDevice;
  const ids = (rs: readonly Report[]) => rs.map((r) => r.id);

  test("the index list uses finds what reportsFor finds, for every device a shipped report names and its neighbours", () => {
    const reports = shippedReports();
    const find = exactIndex(reports);
    const devices = reports.flatMap((r) =>
      [r.device, ...r.with].flatMap((d) => {
        const v = Number.parseInt(d.vendor ?? "0", 16);
        const id = d.device === null ? 0 : Number.parseInt(d.device, 16);
        const sv = d.subvendor === null ? 0x1234 : Number.parseInt(d.subvendor, 16);
        const sd = d.subdevice === null ? 0x5678 : Number.parseInt(d.subdevice, 16);
        return [dev(v, id, [sv, sd]), dev(v, id, null), dev(v, id, [sv + 1, sd]), dev(v, id + 1, [sv, sd])];
      }),
    );
    expect(devices.filter((d) => find(d).length > 0).length).toBeGreaterThan(10);
    for (const d of devices) expect(ids(find(d))).toEqual(ids(reportsFor(d, reports).exact));
  });
  test("vendor:device and the subsystem the report names: this board's reports", () => {
    const m = reportsFor(dev(0x10de, 0x1381, [0x3842, 0x2751]), shippedReports());
    expect(ids(m.exact)).toEqual(["nvidia-gtx750-windows-chyves"]);
    expect(ids(m.related)).not.toContain("nvidia-gtx750-windows-chyves");
  });
  test("the same chip on another maker's board is only related", () => {
    const m = reportsFor(dev(0x10de, 0x1381, [0x1043, 0x8520]), shippedReports());
    expect(m.exact).toEqual([]);
    expect(ids(m.related)).toContain("nvidia-gtx750-windows-chyves");
  });
  test("a card's other function matches through the report's 'with'", () => {
    expect(ids(reportsFor(dev(0x10de, 0x0fbc, [0x3842, 0x2751], 0x040300), shippedReports()).exact)).toEqual(["nvidia-gtx750-windows-chyves"]);
  });
  test("another vendor's device of the same class is not related", () => {
    expect(reportsFor(dev(0x1234, 0x1111, null), shippedReports())).toEqual({ exact: [], related: [] });
  });
  test("tally counts in the order works, partial, fails", () => {
    expect(tally([one("mellanox-connectx4lx-143-bz290155"), one("mellanox-connectx4lx-142-bz290155")])).toBe("works ×1, fails ×1");
  });
  test("guest kinds: report guests, vm-bhyve's guest=, Hoster's os_type", () => {
    expect(["Windows 11 Pro", "win10", "windows-srv22", "Alpine Linux (wifibox)", "debian12", "pfSense", "NomadBSD", "freebsd13zfs", "openbsd", "generic", "Research OS"].map(guestKind)).toEqual([
      "windows", "windows", "windows", "linux", "linux", "freebsd", "freebsd", "freebsd", "other BSD", null, null,
    ]);
    expect([sameGuest("Windows 10", "windows10"), sameGuest("Windows 10", "debian12"), sameGuest(null, "debian12"), sameGuest("Debian 9", "generic")]).toEqual([true, false, true, true]);
  });
});

describe("where the admin decides: compat, list, doctor --vm", () => {
  test("compat: every report, as a table of plain columns", async () => {
    const r = await cli(["compat"]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^Device +IDs +Result +Guest +FreeBSD +Manager +Source$/);
    expect(lines).toHaveLength(shippedReports().length + 1);
    expect(r.stdout).toMatch(/NVIDIA GeForce GTX 750 \(GM107\) +10de:1381 +fails +Windows +11\.0-RELEASE +chyves +github\.com\/chyves\/chyves #3/);
  });
  test("compat SEL: the device's own reports, and 'no report' with related ones marked as such", async () => {
    const mine = await cli(["--from", REPORTED, "compat", "1/0/0", "ppt2"]);
    expect(mine.code).toBe(0);
    expect(mine.stdout).toContain("ppt0 (pci0:1:0:0, GM107 [GeForce GTX 750]):\n  Device");
    expect(mine.stdout).toMatch(/Mellanox ConnectX-4 Lx +15b3:1015 +works .*\n.*Mellanox ConnectX-4 Lx +15b3:1015 +fails/);
    const none = await cli(["--from", host("vm-preflight"), "compat", "vgapci0"]);
    expect(none.stdout).toContain("  no report for this device yet (pptctl report --vm NAME … adds yours)\n  related: other chips of the same maker and class, not this device:\n    Device");
    const json = JSON.parse((await cli(["--from", REPORTED, "compat", "1/0/0", "--json"])).stdout);
    expect(json.format).toBe("pptctl-compat/1");
    expect(json.devices[0]).toMatchObject({ bhyve: "1/0/0", selector: "pci0:1:0:0", name: "ppt0", reports: ["nvidia-gtx750-windows-chyves"] });
    expect(json.reports.map((x: Report) => x.id)).toContain("nvidia-gtx750-windows-chyves");
  });
  test("list --all: a Reported cell; list --json: the reports per device", async () => {
    const tsv = (await cli(["--from", REPORTED, "list", "--all", "--format", "tsv"])).stdout.split("\n");
    const cell = (name: string) => tsv.find((l) => l.startsWith(`${name}\t`))!.split("\t")[8];
    expect([cell("ppt0"), cell("ppt1"), cell("ppt2"), cell("vgapci0")]).toEqual(["fails ×1", "fails ×1", "works ×1, fails ×1", "-"]);
    const doc = JSON.parse((await cli(["--from", REPORTED, "list", "--json"])).stdout);
    const nic = doc.devices.find((d: { bhyve: string }) => d.bhyve === "47/0/0");
    expect(nic.reports).toEqual([
      { id: "mellanox-connectx4lx-142-bz290155", result: "works", guest: null, source: "https://bugs.freebsd.org/bugzilla/show_bug.cgi?id=290155" },
      { id: "mellanox-connectx4lx-143-bz290155", result: "fails", guest: null, source: "https://bugs.freebsd.org/bugzilla/show_bug.cgi?id=290155" },
    ]);
  });
  test("doctor --vm: a WARN per device with a failing report for the VM's kind of guest, with its source; never a FAIL", async () => {
    const r = await cli(["--from", REPORTED, "doctor", "--vm", "test-vm-1", "--vm", "router", "--json"]);
    expect(r.code).toBe(1);
    const checks = JSON.parse(r.stdout).checks.filter((c: { id: string }) => c.id.startsWith("vm.reports."));
    expect(checks.map((c: { id: string; status: string }) => [c.id, c.status])).toEqual([
      ["vm.reports.1/0/0.test-vm-1", "warn"],
      ["vm.reports.47/0/0.router", "warn"],
    ]);
    expect(checks[0].summary).toContain("reported fails ×1 in Windows guests; the failure (Windows, 11.0-RELEASE):");
    expect(checks[0].fix).toStartWith("read https://github.com/chyves/chyves/issues/3 before relying on it");
    expect(checks[1].summary).toContain("(Linux guests, and guests a report does not name)");
  });
  test("doctor --vm: a Windows report says nothing to a Linux guest", async () => {
    const path = "/zroot/vm-encrypted/test-vm-1/vm_config.json";
    const cfg = readFileSync(join(REPORTED, "files", path), "utf8");
    const ids = async (os: string) => {
      const m = await modelOf(REPORTED, { files: { [path]: cfg.replace('"os_type": "windows10"', `"os_type": "${os}"`) } });
      return preflight(m, specOfVm(m, "test-vm-1")!, new Map(), shippedReports()).map((c) => `${c.id} ${c.status}`).filter((c) => c.startsWith("vm.reports"));
    };
    expect(await ids("debian12")).toEqual([]);
    expect(await ids("win11")).toEqual(["vm.reports.1/0/0 warn"]);
    // A name that says no kind (Hoster's "custom"): every report may speak for it.
    expect(await ids("custom")).toEqual(["vm.reports.1/0/0 warn"]);
  });
});

describe("pptctl report", () => {
  test("writes what --check accepts (JSON and the Markdown's JSON), with the VM's way of passing the card", async () => {
    const r = await cli(["--from", REPORTED, "report", "--vm", "test-vm-1", "--result", "works", "--guest", "Windows 10 22H2", "--note", "fine with /home/alice/roms/gtx750.rom"]);
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(rep).toMatchObject({
      id: "10de-1381-windows-10-22h2-2026-11-24",
      device: { vendor: "0x10de", device: "0x1381", subvendor: "0x3842", subdevice: "0x2751" },
      with: [{ device: "0x0fbc" }],
      host: { release: "14.3-RELEASE", arch: "amd64", cpu: "intel", iommu: "vt-d" },
      manager: "hoster",
      passed: { grouping: "one-slot", options: [], wired: true, loader: "uefi" },
      symptoms: ["fine with gtx750.rom"],
      source: { kind: "contributed", date: "2026-11-24" },
    });
    const path = join(tempDir(), "mine.json");
    writeFileSync(path, r.stdout);
    expect(await cli(["report", "--check", path])).toMatchObject({ code: 0, stdout: `${path}: ok (10de-1381-windows-10-22h2-2026-11-24: NVIDIA Corporation GM107 [GeForce GTX 750], works)\n` });
    const md = (await cli(["--from", REPORTED, "report", "--vm", "router", "--result", "fails", "--guest", "Debian 12", "--format", "markdown"])).stdout;
    expect(md).toStartWith("### pptctl report: Mellanox Technologies MT27710 Family [ConnectX-4 Lx] — fails in Debian 12\n");
    const json = md.slice(md.indexOf("```json\n") + 8, md.lastIndexOf("```"));
    expect(checkReport(json, null)).toMatchObject({ report: { manager: "vm-bhyve", passed: { loader: "grub" } } });
  });
  test("--log: explain's diagnosis of bhyve's passthrough lines goes in, paths cut to their last part", async () => {
    const log = join(tempDir(), "bhyve.log");
    writeFileSync(log, `starting\n${REAL["rom-open"]}\n${REAL["msix-map"]}\nunrelated line\n`);
    const r = await cli(["--from", REPORTED, "report", "--vm", "test-vm-1", "--result", "fails", "--guest", "Windows 10", "--log", log]);
    const rep = JSON.parse(r.stdout);
    expect(rep.symptoms).toHaveLength(2);
    expect(rep.symptoms[0]).toStartWith('bhyve: passthru_init_rom: can\'t open romfile "p600-audio.rom" — ');
    expect(r.stdout).not.toContain("/zroot/");
  });
  test("a live host full of secrets: none reaches the report", async () => {
    const root = makeFakeHost({ secrets: true });
    const r = await cli(["report", "--vm", "test-vm-1", "--result", "partial", "--guest", "Windows 10", "--format", "markdown"], { env: { PPTCTL_ROOT: root } });
    expect(r.code).toBe(0);
    for (const s of [...SECRETS, "nuc11", "changeme", root]) expect({ s, found: r.stdout.includes(s) }).toEqual({ s, found: false });
  });
  test("what a report must not carry is refused, not written", async () => {
    const r = await cli(["--from", REPORTED, "report", "--vm", "router", "--result", "works", "--guest", "Debian", "--note", "port 58:9c:fc:00:11:22 up"]);
    expect(r).toEqual({ code: 1, stdout: "", stderr: "pptctl: report: the report would carry what it must not: symptoms[0] holds a MAC address: take it out (pptctl report never writes one)\n" });
  });
  test("usage: each missing piece named with its fix", async () => {
    const say = async (...argv: string[]) => (await cli(["--from", REPORTED, "report", ...argv])).stderr;
    expect(await say()).toBe("pptctl: report: name the VM the report is about: --vm NAME (or check files with --check)\n");
    expect(await say("--vm", "router")).toBe("pptctl: report: say how it went: --result works, partial or fails\n");
    expect(await say("--vm", "router", "--result", "works")).toBe('pptctl: report: say which guest: --guest "Windows 11 23H2"\n');
    expect(await say("--vm", "nope", "--result", "works", "--guest", "x")).toBe("pptctl: report: no VM named 'nope'; the VMs pptctl found are test-vm-1, test-vm-2, router\n");
    expect(await say("--check")).toBe("pptctl: report: --check needs report files, e.g. 'pptctl report --check my-gpu.json'\n");
  });
});

describe("reportChecks: one line per card, what it says, and to whom", () => {
  const base = one("mellanox-connectx4lx-143-bz290155");
  const rep = (id: string, change: Partial<Report>): Report => ({ ...base, id, ...change });
  const contributed = { kind: "contributed" as const, date: "2026-11-01" };
  const run = async (reports: Report[], guest: string | null, manager: "hoster" | "vm-bhyve" | "bhyve-config" = "vm-bhyve") => {
    const m = await modelOf(REPORTED);
    const spec = specOfVm(m, "router")!;
    return reportChecks({ ...spec, guest, manager }, m.pci.ok ? m.pci.value.devices : [], reports).map((c) => `${c.id} ${c.status} | ${c.summary} | ${c.fix}`);
  };
  test("works only: no line; a partial one alone: its words; a failure first whatever the order", async () => {
    expect(await run([rep("a", { result: "works" })], "debian12")).toEqual([]);
    const partial = rep("p", { result: "partial", guest: "Debian 12", symptoms: ["one port only"], source: contributed, host: { ...base.host, release: null } });
    expect(await run([partial], "debian12")).toEqual([
      "vm.reports.47/0/0 warn | ppt2 (47/0/0): reported partial ×1 in Linux guests; the partial success (Debian 12): one port only (contributed) | read the report p before relying on it ('pptctl compat 47/0/0' lists them all); if it works for you, 'pptctl report --vm router --result works --guest …' records that",
    ]);
    const failing = rep("f", { result: "fails", guest: "Ubuntu", symptoms: [] });
    const out = await run([partial, failing, rep("w", { result: "works", guest: "Alpine" })], "debian12");
    expect(out).toHaveLength(1);
    expect(out[0]).toContain("reported works ×1, partial ×1, fails ×1 in Linux guests; the failure (Ubuntu, 14.3-RELEASE): On an ASUS Z370 board");
  });
  test("reports of another kind of guest say nothing; one naming no guest speaks for every VM", async () => {
    expect(await run([rep("x", { guest: "Windows 10" })], "debian12")).toEqual([]);
    expect((await run([rep("x", { guest: "Windows 10" }), rep("y", { guest: null })], null))[0]).toContain("reported fails ×2; the failure (Windows 10, 14.3-RELEASE)");
  });
  test("a Linux VM beside a report that names no guest: both kinds said", async () => {
    const out = await run([rep("l", { guest: "Debian 12" }), rep("n", { guest: null })], "debian12");
    expect(out[0]).toContain("reported fails ×2 (Linux guests, and guests a report does not name); the failure (Debian 12, 14.3-RELEASE)");
  });
  test("a contributed report with no symptom says its result; one with no guest and no release names neither", async () => {
    const bare = rep("b", { result: "partial", guest: null, symptoms: [], source: contributed, host: { ...base.host, release: null } });
    expect(await run([bare], null)).toEqual([
      "vm.reports.47/0/0 warn | ppt2 (47/0/0): reported partial ×1; the partial success: no symptom given (contributed) | read the report b before relying on it ('pptctl compat 47/0/0' lists them all); if it works for you, 'pptctl report --vm router --result works --guest …' records that",
    ]);
  });
  test("only the function the VM passes is looked up, not another function of its card", async () => {
    const m = await modelOf(REPORTED);
    const devices = m.pci.ok ? m.pci.value.devices : [];
    const f0 = devices.find((d) => d.name === "ppt2")!;
    const f1 = { ...f0, name: "ppt9", addr: { ...f0.addr, func: 1 }, deviceId: 0x9999 };
    const spec = specOfVm(m, "router")!;
    const only = { ...spec, guest: null, devices: [{ ...spec.devices[0]!, addr: f1.addr, text: "47/0/1" }] };
    expect(reportChecks(only, [...devices, f1], [rep("x", { guest: null })])).toEqual([]);
  });
  test("a bhyve -k file is nobody's VM name: no report command offered", async () => {
    const [line] = await run([rep("x", { guest: null })], null, "bhyve-config");
    expect(line).toEndWith("before relying on it ('pptctl compat 47/0/0' lists them all)");
  });
});
