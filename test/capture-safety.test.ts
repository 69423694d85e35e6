import { describe, expect, test } from "bun:test";
import { chmodSync, chownSync, lstatSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MemoHost } from "../src/host/host.ts";
import { LiveHost } from "../src/host/live.ts";
import { writeRecording } from "../src/host/capture.ts";
import { gather } from "../src/host/gather.ts";
import { SECRETS, makeFakeHost } from "./fake-host.ts";
import { cli, tempDir } from "./helpers.ts";

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
    expect(sources["/usr/sbin/pciconf -lvc"]).toEqual(["7 PCIe device serial numbers"]);
    expect(r.stderr).toContain("pptctl: redacted: /usr/sbin/pciconf -lvc (7 PCIe device serial numbers); /bin/kenv (smbios.system.serial, smbios.system.uuid, smbios.chassis.tag);");
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
