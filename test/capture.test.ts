import { describe, expect, test } from "bun:test";
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildModel } from "../src/core/model.ts";
import { CORE_COMMANDS } from "../src/core/snapshot.ts";
import { discoverVms } from "../src/core/vm-configs.ts";
import { gather, snapshotOf } from "../src/host/gather.ts";
import { MemoHost } from "../src/host/host.ts";
import { LiveHost } from "../src/host/live.ts";
import { RecordedHost } from "../src/host/recorded.ts";
import { writeRecording } from "../src/host/capture.ts";
import { SECRETS, makeFakeHost } from "./fake-host.ts";
import { SAMPLE, cli, tempDir } from "./helpers.ts";

async function modelOf(host: MemoHost) {
  return buildModel(await gather(host, { vms: true }));
}

describe("capture and replay", () => {
  test("capture of a fake live host replays to the same model", async () => {
    const root = makeFakeHost();
    const live = await modelOf(new MemoHost(new LiveHost({ root })));
    expect(live.pci.ok && live.pci.value.devices.length).toBe(33);
    expect(live.vms.running).toEqual(["test-vm-1"]);

    const dir = join(tempDir(), "capture");
    const r = await cli(["capture", dir], { env: { PPTCTL_ROOT: root } });
    expect(r).toMatchObject({ code: 0, stdout: "" });
    expect(r.stderr).toContain(`into ${dir}`);
    const json = JSON.parse(readFileSync(join(dir, "host.json"), "utf8"));
    expect(json.format).toBe("pptctl-host/1");
    expect(json.commands[0]).toEqual({ argv: ["/usr/sbin/pciconf", "-lvc"], exit: 0, stdout: "pciconf-lvc.txt", stderr: null });

    const replay = await modelOf(new MemoHost(await RecordedHost.load(dir)));
    expect(replay).toEqual(live);
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
    expect(r.stderr).toMatch(/^pptctl: this is linux, not FreeBSD: .* --from DIR .*\n$/);
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
    expect(r.stderr).toStartWith(`pptctl: ${dir}/host.json: not valid JSON (`);
    expect(r.stderr.split("\n")).toHaveLength(2);
  });
  test("wrong format", async () => {
    const { dir, r } = await broken({ "host.json": JSON.stringify({ format: "pptctl-host/9", commands: [], files: [], dirs: [] }) });
    expect(r.stderr).toStartWith(`pptctl: ${dir}/host.json: not a pptctl-host/1 recording (format: `);
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
    expect(r.stderr).toBe(`pptctl: ${dir}/host.json names kenv.txt, which is missing from ${dir}; copy the whole folder\n`);
  });
  test("no host.json at all", async () => {
    const r = await cli(["--from", "/nonexistent/dir", "capture", "/tmp/x"]);
    expect(r.stderr).toBe("pptctl: /nonexistent/dir is not a recorded host: no such directory; make one with 'pptctl capture DIR' on the FreeBSD host\n");
  });
  test("a recording missing commands gives unknowns, not a crash", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "host.json"), JSON.stringify({ format: "pptctl-host/1", commands: [], files: [], dirs: [] }));
    const model = await modelOf(new MemoHost(await RecordedHost.load(dir)));
    expect(model.pci).toEqual({ ok: false, reason: "/usr/sbin/pciconf -lvc is not in the recording" });
    expect(model.vms.running).toBeNull();
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
    expect(r.stderr).toBe(`pptctl: ${join(dir, "kenv.txt")}: is a directory, not a regular file; a recording holds only regular files: re-capture the host\n`);
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
    });
    await expect(memo.run(["/bin/false"])).rejects.toThrow("spawn failed");
    expect(memo.pending).toBe(0);
  });

  test("VM discovery runs once per snapshot: gather's last round is the model's answer", async () => {
    const snap = await gather(new MemoHost(await RecordedHost.load(SAMPLE)), { vms: true });
    const a = discoverVms(snap, []);
    expect(discoverVms(snap, [])).toBe(a);
    expect(discoverVms(snap, ["/vms"])).not.toBe(a);
    expect(buildModel(snap).vms).toBe(a.inventory);
    // A new snapshot with the same contents is asked afresh, and answers the same.
    const copy = { commands: new Map(snap.commands), files: new Map(snap.files), dirs: new Map(snap.dirs) };
    expect(discoverVms(copy, [])).not.toBe(a);
    expect(discoverVms(copy, [])).toEqual(a);
  });
});

describe("capture is safe as root and for a public bug report (issue 13)", () => {
  const readTree = (dir: string): string => {
    const parts: string[] = [];
    const walk = (d: string) => {
      for (const name of readdirSync(d)) {
        const p = join(d, name);
        if (lstatSync(p).isDirectory()) walk(p);
        else parts.push(readFileSync(p, "utf8"));
      }
    };
    walk(dir);
    return parts.join("\n");
  };

  test("secrets and identifiers are redacted, host.json says what (not the value), stderr sums it up", async () => {
    const root = makeFakeHost({ secrets: true });
    const dir = join(tempDir(), "cap");
    const r = await cli(["capture", dir], { env: { PPTCTL_ROOT: root } });
    expect(r.code).toBe(0);
    const all = readTree(dir);
    for (const s of [...SECRETS, "changeme"]) expect({ s, found: all.includes(s) }).toEqual({ s, found: false });
    const json = JSON.parse(readFileSync(join(dir, "host.json"), "utf8"));
    const sources = Object.fromEntries((json.redacted as { source: string; items: string[] }[]).map((x) => [x.source, x.items]));
    expect(sources["/bin/kenv"]).toEqual(["smbios.system.serial", "smbios.system.uuid", "smbios.chassis.tag"]);
    expect(sources["/zroot/vm-encrypted/test-vm-1/vm_config.json"]).toEqual(["vnc_password"]);
    expect(sources["/var/run/dmesg.boot"]).toEqual(["1 serial number", "1 MAC address"]);
    expect(sources["/etc/rc.conf"]).toEqual(["1 MAC address"]);
    expect(r.stderr).toContain("pptctl: redacted: /bin/kenv (smbios.system.serial, smbios.system.uuid, smbios.chassis.tag);");
    expect(r.stderr).toContain("/zroot/vm-encrypted/test-vm-1/vm_config.json (vnc_password)");
  });

  // Issue 22, fault 14: numbers, objects and lists under secret-named keys, and a commented-out password line.
  test("every kind of JSON value under a secret key, and a commented-out password in a vm-bhyve config", async () => {
    const root = makeFakeHost();
    const vmDir = join(root, "zroot/vm-encrypted/test-vm-1");
    const cfg = join(vmDir, "vm_config.json");
    const doc = JSON.parse(readFileSync(cfg, "utf8"));
    writeFileSync(cfg, JSON.stringify({ ...doc, password_num: 987654321, api_token: { id: "tok-id-4711", secret: "tok-secret-0815" }, secrets: ["first-secret-1", "second-secret-2"] }, null, 3));
    mkdirSync(join(root, "etc"), { recursive: true });
    writeFileSync(join(root, "etc/rc.conf"), 'vm_dir="/vm"\n');
    mkdirSync(join(root, "vm/win"), { recursive: true });
    writeFileSync(join(root, "vm/win/win.conf"), 'loader="uefi"\n# password="hunter2-old"\n#vnc_password=\'hunter2-older\'\npassthru0="47/0/0"\n');
    const dir = join(tempDir(), "cap");
    expect((await cli(["capture", dir], { env: { PPTCTL_ROOT: root } })).code).toBe(0);
    const all = readTree(dir);
    for (const secret of ["987654321", "tok-id-4711", "tok-secret-0815", "first-secret-1", "second-secret-2", "hunter2"]) {
      expect({ secret, found: all.includes(secret) }).toEqual({ secret, found: false });
    }
    const sources = Object.fromEntries((JSON.parse(readFileSync(join(dir, "host.json"), "utf8")).redacted as { source: string; items: string[] }[]).map((x) => [x.source, x.items]));
    expect(sources["/zroot/vm-encrypted/test-vm-1/vm_config.json"]).toEqual(["vnc_password", "password_num", "api_token", "secrets"]);
    expect(sources["/vm/win/win.conf"]).toEqual(["password", "vnc_password"]);
    // What pptctl reads is kept: the replay still knows both VMs' devices.
    expect((await cli(["--from", dir, "args", "--vm", "win"])).stdout).toBe("-s 6:0,passthru,47/0/0\n");
  });

  test("a redacted capture replays doctor, list, plan and args --vm exactly as an unredacted one", async () => {
    const root = makeFakeHost({ secrets: true });
    const red = join(tempDir(), "red");
    const raw = join(tempDir(), "raw");
    expect((await cli(["capture", red], { env: { PPTCTL_ROOT: root } })).code).toBe(0);
    const keep = await cli(["capture", raw, "--no-redact"], { env: { PPTCTL_ROOT: root } });
    expect(keep.stderr).toContain("--no-redact: the capture holds passwords");
    expect(readTree(raw)).toContain("NUCSERIAL-4711");
    for (const argv of [["doctor", "--json"], ["list", "--json"], ["list", "--all", "--json"], ["plan", "0/20/0", "--force", "--json"], ["args", "--vm", "test-vm-1"]]) {
      const a = await cli(["--from", red, ...argv]);
      const b = await cli(["--from", raw, ...argv]);
      expect({ argv, ...a }).toEqual({ argv, ...b });
    }
  });

  test("a new directory is made 0700 and every file 0600, whatever the umask", async () => {
    const dir = join(tempDir(), "new");
    const old = process.umask(0);
    try {
      expect((await cli(["capture", dir], { env: { PPTCTL_ROOT: makeFakeHost() } })).code).toBe(0);
    } finally {
      process.umask(old);
    }
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, "host.json")).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, "files")).mode & 0o777).toBe(0o700);
  });

  test("a hostile existing directory is refused before anything is written", async () => {
    const base = tempDir();
    const open = join(base, "world");
    mkdirSync(open);
    chmodSync(open, 0o777);
    const r = await cli(["capture", open], { env: { PPTCTL_ROOT: makeFakeHost() } });
    expect(r).toEqual({
      code: 2,
      stdout: "",
      stderr: `pptctl: capture: ${open}: can be written by group or others (mode 0777); give a new path, or 'chmod go-w ${open}' first; nothing was written\n`,
    });
    expect(readdirSync(open)).toEqual([]);
    const theirs = join(base, "theirs");
    mkdirSync(theirs, { mode: 0o700 });
    chownSync(theirs, 65534, 65534);
    const t = await cli(["capture", theirs], { env: { PPTCTL_ROOT: makeFakeHost() } });
    expect(t.code).toBe(2);
    expect(t.stderr).toContain("is owned by uid 65534, not by you");
    const link = join(base, "link");
    symlinkSync(theirs, link);
    expect((await cli(["capture", link], { env: { PPTCTL_ROOT: makeFakeHost() } })).stderr).toContain("is a symbolic link");
  });

  test("a symbolic link planted inside DIR after the checks is never followed", async () => {
    const host = new MemoHost(new LiveHost({ root: makeFakeHost() }));
    await gather(host, { vms: true });
    const victim = tempDir();
    writeFileSync(join(victim, "host.json"), "precious\n");
    for (const planted of ["host.json", "files"]) {
      const dir = join(tempDir(), "cap");
      const plant = () => symlinkSync(planted === "files" ? victim : join(victim, "host.json"), join(dir, planted));
      await expect(writeRecording(dir, host, new Date(), { redact: true, beforeWrite: plant })).rejects.toThrow("nothing was followed");
      expect(readdirSync(victim)).toEqual(["host.json"]);
      expect(readFileSync(join(victim, "host.json"), "utf8")).toBe("precious\n");
    }
  });
});

describe("capture never writes outside DIR", () => {
  test("a host path with .. is refused, not followed", async () => {
    const { PrivateDir } = await import("../src/host/capture.ts");
    const dir = join(tempDir(), "cap");
    const out = await PrivateDir.open(dir);
    await expect(out.writeFile("files/zroot/../../../etc/evil", "x")).rejects.toThrow("climbs out of the capture directory");
    expect(readdirSync(dir)).toEqual([]);
  });
});
