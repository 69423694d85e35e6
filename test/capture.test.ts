import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildModel } from "../src/core/model/model.ts";
import { CORE_COMMANDS, CORE_FILES } from "../src/core/snapshot.ts";
import { DISCOVERY_FILES, RC_FILES, discoverVms } from "../src/core/vm/configs.ts";
import { gather, snapshotOf } from "../src/host/gather.ts";
import { MemoHost } from "../src/host/host.ts";
import { LiveHost } from "../src/host/live.ts";
import { RecordedHost } from "../src/host/recorded.ts";
import { makeFakeHost } from "./fake-host.ts";
import { SAMPLE, cli, tempDir } from "./helpers.ts";

async function modelOf(host: MemoHost) {
  return buildModel(await gather(host, { vms: true }));
}

describe("capture and replay", () => {
  test("capture of a fake live host replays to the same model", async () => {
    const root = makeFakeHost();
    const live = await modelOf(new MemoHost(new LiveHost({ root })));
    expect(live.pci.ok && live.pci.value.devices.length).toBe(33);
    expect(live.vms.instances).toEqual(["test-vm-1"]);

    const dir = join(tempDir(), "capture");
    const r = await cli(["capture", dir], { env: { PPTCTL_ROOT: root } });
    expect(r).toMatchObject({ code: 0, stdout: "" });
    expect(r.stderr).toContain(`into ${dir}`);
    const json = JSON.parse(readFileSync(join(dir, "host.json"), "utf8"));
    expect(json.format).toBe("pptctl-host/1");
    expect(json.commands[0]).toEqual({ argv: ["/usr/sbin/pciconf", "-lvc"], exit: 0, stdout: "pciconf-lvc.txt", stderr: null });

    const replay = await modelOf(new MemoHost(await RecordedHost.load(dir)));
    // The PCIe device serial numbers are redacted (pptctl reads nothing from them); all else is the same.
    const serials = (m: typeof live) => (m.pci.ok ? m.pci.value.devices.flatMap((d) => d.caps.filter((c) => c.kind === "ecap" && c.id === "0003").map((c) => c.text)) : []);
    expect(serials(live).length).toBeGreaterThan(0);
    expect(serials(live).every((t) => /^Serial 1 [0-9a-f]{16}$/.test(t))).toBe(true);
    expect(serials(replay)).toEqual(serials(live).map(() => "Serial 1 <redacted>"));
    const unserial = (m: typeof live) =>
      m.pci.ok ? { ...m, pci: { ...m.pci, value: { ...m.pci.value, devices: m.pci.value.devices.map((d) => ({ ...d, caps: d.caps.filter((c) => !(c.kind === "ecap" && c.id === "0003")) })) } } } : m;
    expect(unserial(replay)).toEqual(unserial(live));
  });

  test("a hung command times out, is recorded as failed, and replays as unknown", async () => {
    const root = makeFakeHost({ hang: true });
    const memo = new MemoHost(new LiveHost({ root, timeoutMs: 300 }));
    const t0 = performance.now();
    const model = await modelOf(memo);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(model.acpi).toEqual({ ok: false, reason: "acpidump did not answer within 0.3 s" });
    expect(model.pci.ok).toBe(true);
  });

  test("stderr and exit status of a failed command are kept", async () => {
    const root = makeFakeHost({ acpidumpDenied: true });
    const dir = join(tempDir(), "c");
    expect((await cli(["capture", dir], { env: { PPTCTL_ROOT: root } })).code).toBe(0);
    const json = JSON.parse(readFileSync(join(dir, "host.json"), "utf8"));
    const acpi = json.commands.find((c: { argv: string[] }) => c.argv[0] === "/usr/sbin/acpidump");
    expect(acpi).toMatchObject({ exit: 1, stdout: null, stderr: "acpidump-t.stderr.txt" });
    const model = await modelOf(new MemoHost(await RecordedHost.load(dir)));
    expect(model.acpi).toMatchObject({ ok: true, value: { status: "denied" } });
  });

  test("refuses a non-empty directory and writes nothing", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "keep"), "x");
    const r = await cli(["capture", dir], { env: { PPTCTL_ROOT: makeFakeHost() } });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`pptctl: capture: ${dir}: is not empty; give a new or empty directory; nothing was written\n`);
    expect(existsSync(join(dir, "host.json"))).toBe(false);
  });

  test("without --from on a non-FreeBSD system: one clear line", async () => {
    const r = await cli(["capture", join(tempDir(), "x")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^pptctl: capture: this is linux, not FreeBSD: .* --from DIR .*\n$/);
  });
});

describe("broken recordings: one line naming the input, exit 2", () => {
  const broken = async (files: Record<string, string>) => {
    const dir = tempDir();
    for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
    return { dir, r: await cli(["--from", dir, "capture", join(tempDir(), "out")]) };
  };
  test("not JSON", async () => {
    const { dir, r } = await broken({ "host.json": "{ nope" });
    expect(r.code).toBe(2);
    expect(r.stderr).toStartWith(`pptctl: capture: ${dir}/host.json: not valid JSON (`);
    expect(r.stderr.split("\n")).toHaveLength(2);
  });
  test("wrong format", async () => {
    const { dir, r } = await broken({ "host.json": JSON.stringify({ format: "pptctl-host/9", commands: [], files: [], dirs: [] }) });
    expect(r.stderr).toStartWith(`pptctl: capture: ${dir}/host.json: not a pptctl-host/1 recording (format: `);
  });
  test("a path escaping the folder", async () => {
    const { r } = await broken({
      "host.json": JSON.stringify({ format: "pptctl-host/1", commands: [{ argv: ["/bin/kenv"], exit: 0, stdout: "../../etc/passwd", stderr: null }], files: [], dirs: [] }),
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("commands.0.stdout: must be a path inside the folder");
  });
  test("a referenced output file is missing", async () => {
    const { dir, r } = await broken({
      "host.json": JSON.stringify({ format: "pptctl-host/1", commands: [{ argv: ["/bin/kenv"], exit: 0, stdout: "kenv.txt", stderr: null }], files: [], dirs: [] }),
    });
    expect(r.stderr).toBe(`pptctl: capture: ${dir}/host.json names kenv.txt, which is missing from ${dir}; copy the whole folder\n`);
  });
  test("no host.json at all", async () => {
    const r = await cli(["--from", "/nonexistent/dir", "capture", "/tmp/x"]);
    expect(r.stderr).toBe("pptctl: capture: /nonexistent/dir is not a recorded host: no such directory; make one with 'pptctl capture DIR' on the FreeBSD host\n");
  });
  test("a recording missing commands gives unknowns, not a crash", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "host.json"), JSON.stringify({ format: "pptctl-host/1", commands: [], files: [], dirs: [] }));
    const model = await modelOf(new MemoHost(await RecordedHost.load(dir)));
    expect(model.pci).toEqual({ ok: false, reason: "/usr/sbin/pciconf -lvc is not in the recording" });
    expect(model.vms.instances).toBeNull();
  });
  test("empty and non-ASCII outputs replay exactly", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "empty.txt"), "");
    writeFileSync(join(dir, "kenv.txt"), 'smbios.system.maker="Gigabyte Technology Co., Ltd. — ü"\n');
    writeFileSync(
      join(dir, "host.json"),
      JSON.stringify({ format: "pptctl-host/1", commands: [{ argv: ["/bin/kenv"], exit: 0, stdout: "kenv.txt", stderr: "empty.txt" }], files: [{ path: "/etc/rc.conf", copy: "empty.txt" }], dirs: [] }),
    );
    const host = await RecordedHost.load(dir);
    expect(await host.run(["/bin/kenv"])).toEqual({ kind: "ran", exit: 0, stdout: 'smbios.system.maker="Gigabyte Technology Co., Ltd. — ü"\n', stderr: "" });
    expect(await host.readFile("/etc/rc.conf")).toEqual({ kind: "file", text: "" });
  });
  test("a referenced output that is a directory is one line, not a crash", async () => {
    const dir = tempDir();
    mkdirSync(join(dir, "kenv.txt"));
    writeFileSync(join(dir, "host.json"), JSON.stringify({ format: "pptctl-host/1", commands: [{ argv: ["/bin/kenv"], exit: 0, stdout: "kenv.txt", stderr: null }], files: [], dirs: [] }));
    const r = await cli(["--from", dir, "doctor"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(`pptctl: doctor: ${join(dir, "kenv.txt")}: is a directory, not a regular file; a recording holds only regular files: re-capture the host\n`);
  });
  test("the sample host loads", async () => {
    expect((await RecordedHost.load(SAMPLE)).label).toBe(`recorded host ${SAMPLE}`);
  });
});

describe("the host is asked each question once", () => {
  test("gather twice, run each command once, concurrently", async () => {
    const root = makeFakeHost();
    const calls: string[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const live = new LiveHost({ root });
    const counting = {
      label: "counting",
      run: async (argv: readonly string[]) => {
        calls.push(argv.join(" "));
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        try {
          return await live.run(argv);
        } finally {
          inFlight--;
        }
      },
      readFile: (p: string) => live.readFile(p),
      listDir: (p: string) => live.listDir(p),
      statFile: (p: string) => live.statFile(p),
    };
    const memo = new MemoHost(counting);
    await gather(memo, { vms: true });
    await gather(memo, { vms: true });
    expect(calls).toHaveLength(CORE_COMMANDS.length);
    expect(new Set(calls).size).toBe(CORE_COMMANDS.length);
    expect(maxInFlight).toBe(CORE_COMMANDS.length);
  });

  test("a snapshot holds what was answered when it was taken, and waits for an open question", async () => {
    let release: (r: { kind: "file"; text: string }) => void = () => {};
    const slow = new Promise<{ kind: "file"; text: string }>((r) => {
      release = r;
    });
    const memo = new MemoHost({
      label: "slow",
      run: async () => ({ kind: "ran", exit: 0, stdout: "x", stderr: "" }),
      readFile: (p: string) => (p === "/slow" ? slow : Promise.resolve({ kind: "absent" as const })),
      listDir: async () => ({ kind: "absent" }),
      statFile: async () => ({ kind: "absent" }),
    });
    await memo.readFile("/fast");
    const first = await snapshotOf(memo);
    expect([...first.files.keys()]).toEqual(["/fast"]);
    void memo.readFile("/slow");
    expect(memo.pending).toBe(1);
    const later = snapshotOf(memo);
    release({ kind: "file", text: "late" });
    expect((await later).files.get("/slow")).toEqual({ kind: "file", text: "late" });
    expect(memo.pending).toBe(0);
    // The earlier snapshot is not changed by later answers.
    expect([...first.files.keys()]).toEqual(["/fast"]);
  });

  test("a question that fails still closes, and the failure reaches the caller", async () => {
    const memo = new MemoHost({
      label: "failing",
      run: () => Promise.reject(new Error("spawn failed")),
      readFile: async () => ({ kind: "absent" }),
      listDir: async () => ({ kind: "absent" }),
      statFile: async () => ({ kind: "absent" }),
    });
    await expect(memo.run(["/bin/false"])).rejects.toThrow("spawn failed");
    expect(memo.pending).toBe(0);
  });

  test("what discovery reads before anything leads elsewhere is asked with the core set", async () => {
    // On a host that has answered nothing, discovery asks the rc files (core) and DISCOVERY_FILES.
    const first = discoverVms({ commands: new Map(), files: new Map(), dirs: new Map() }, []).needs;
    expect(new Set(first.files)).toEqual(new Set([...RC_FILES, ...DISCOVERY_FILES]));
    // gather asks them in its first batch, beside the core set: the asks of one batch are made
    // without an await between them, so a microtask queued by the batch's first ask ends it.
    const batchOf = new Map<string, number>();
    let batch = 0;
    let open = false;
    const recorded = await RecordedHost.load(SAMPLE);
    const spy = Object.assign(Object.create(recorded), {
      readFile: (p: string) => {
        if (!open) {
          open = true;
          queueMicrotask(() => {
            open = false;
            batch++;
          });
        }
        batchOf.set(p, batch);
        return recorded.readFile(p);
      },
    });
    const snap = await gather(new MemoHost(spy), { vms: true });
    expect([...CORE_FILES, ...DISCOVERY_FILES].map((p) => batchOf.get(p))).toEqual([...CORE_FILES, ...DISCOVERY_FILES].map(() => 0));
    // The VM configs themselves come later, once the dataset's folder is listed.
    expect(batchOf.get("/zroot/vm-encrypted/test-vm-1/vm_config.json")).toBeGreaterThan(0);
    expect(discoverVms(snap, []).found.configs.map((c) => c.vm)).toEqual(["test-vm-1", "test-vm-2"]);
  });

  test("VM discovery runs once per snapshot: gather's last round is the model's answer", async () => {
    const snap = await gather(new MemoHost(await RecordedHost.load(SAMPLE)), { vms: true });
    const a = discoverVms(snap, []);
    expect(discoverVms(snap, [])).toBe(a);
    expect(discoverVms(snap, ["/vms"])).not.toBe(a);
    expect(buildModel(snap).vms.configs).toBe(a.found.configs);
    // A new snapshot with the same contents is asked afresh, and answers the same.
    const copy = { commands: new Map(snap.commands), files: new Map(snap.files), dirs: new Map(snap.dirs) };
    expect(discoverVms(copy, [])).not.toBe(a);
    expect(discoverVms(copy, [])).toEqual(a);
  });
});

