import { describe, expect, test } from "bun:test";
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import fc from "fast-check";
import { parseVmBhyveConf } from "../src/core/vm/vm-bhyve.ts";
import { makeFakeHost } from "./fake-host.ts";
import { SAMPLE, cli, tempDir } from "./helpers.ts";

const live = (root: string, argv: string[]) => cli(argv, { env: { PPTCTL_ROOT: root } });

/** The sample's fake tree plus a running vm-bhyve VM `win` whose config is `conf`. */
function withVmBhyve(conf: string | Buffer): string {
  const root = makeFakeHost();
  mkdirSync(join(root, "etc"), { recursive: true });
  writeFileSync(join(root, "etc/rc.conf"), 'vm_dir="/vm"\n', { flag: "a" });
  mkdirSync(join(root, "vm/win"), { recursive: true });
  writeFileSync(join(root, "vm/win/win.conf"), conf);
  writeFileSync(join(root, "dev/vmm/win"), "");
  return root;
}

/** 2,000 bytes a fixed seed makes: binary noise as a VM config. */
function noise(seed: number): Buffer {
  const out = Buffer.alloc(2000);
  let x = seed;
  for (let i = 0; i < out.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

describe("a VM config pptctl cannot read is Unknown, never Available (issue 22, fault 3)", () => {
  test("2,000 random bytes as a running VM's config: its devices are Unknown, args --vm refuses, doctor does not pass", async () => {
    const root = withVmBhyve(noise(7));
    // Hoster's test-vm-1 holds 1/0/0 and 1/0/1; the list also shows them, but with a config unread nothing can be called free.
    const list = await live(root, ["list", "--json"]);
    const doc = JSON.parse(list.stdout);
    expect(doc.problems).toEqual([expect.stringContaining("/vm/win/win.conf: holds a NUL byte, so FreeBSD's grep")]);
    expect(list.stderr).toContain("cannot read VM config /vm/win/win.conf");
    expect(doc.devices.map((d: { statusText: string }) => d.statusText)).not.toContain("Available");
    const args = await live(root, ["args", "--vm", "win"]);
    expect(args.code).toBe(2);
    expect(args.stdout).toBe("");
    expect(args.stderr).toStartWith("pptctl: args: VM win: cannot read /vm/win/win.conf: holds a NUL byte");
    const doctor = JSON.parse((await live(root, ["doctor", "--json"])).stdout);
    expect(doctor.checks.find((c: { id: string }) => c.id === "conflicts").status).toBe("unknown");
  });

  const cases: { name: string; conf: string | Buffer; why: RegExp }[] = [
    { name: "an entry followed by ';'", conf: 'loader="uefi"\npassthru0="1/0/0";\npassthru1="1/0/1"\n', why: /^line 2, passthru0=1\/0\/0;: / },
    { name: "an entry followed by a NUL byte", conf: Buffer.from('passthru0="1/0/0"\0\npassthru1="1/0/1"\n'), why: /holds a NUL byte/ },
    { name: "an entry followed by \\xff", conf: Buffer.concat([Buffer.from('passthru0="1/0/0"'), Buffer.from([0xff]), Buffer.from('\npassthru1="1/0/1"\n')]), why: /^line 1, passthru0=1\/0\/0\ufffd: / },
    { name: "single quotes, which vm-bhyve keeps", conf: "passthru0='1/0/0'\n", why: /vm-bhyve removes only double quotes, so bhyve would get '1\/0\/0' with its single quotes/ },
    { name: "a gap in the numbering", conf: 'passthru0="1/0/0"\npassthru2="1/0/1"\n', why: /line 2, passthru2: vm-bhyve stops at the first missing number \(passthru1\)/ },
    { name: "a blank before '='", conf: 'passthru0 = "1/0/0"\n', why: /the blank before '=' hides it/ },
    { name: "an indented entry", conf: '  passthru0="1/0/0"\n', why: /skipped by vm-bhyve, which reads only lines that start with a lower-case letter/ },
    { name: "binary bytes without a NUL", conf: Buffer.from([0x70, 0x3d, 0x01, 0x0a]), why: /holds binary data \(byte 0x01 on line 1\)/ },
  ];
  for (const c of cases) {
    test(`${c.name}: args --vm names the line and refuses`, async () => {
      const root = withVmBhyve(c.conf);
      const r = await live(root, ["args", "--vm", "win"]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
      const why = r.stderr.replace("pptctl: args: VM win: cannot read /vm/win/win.conf: ", "");
      expect(why).toMatch(c.why);
    });
  }

  test("vm-bhyve's own rules: # cuts even inside quotes, the first line wins, _options are appended", () => {
    expect(parseVmBhyveConf('passthru0="0/2/0=2:0" # the IGD\npassthru0_options="rom=/vm/gop.rom"\npassthru1="1/0/0#x"\npassthru0="9/9/9"\n')).toMatchObject({
      entries: ["0/2/0=2:0,rom=/vm/gop.rom", "1/0/0"],
    });
  });

  test("property: whatever the bytes, the reader answers (entries or a reason), never throws", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const r = parseVmBhyveConf(Buffer.from(bytes).toString("latin1"));
        expect("entries" in r || "error" in r).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("a recording never leads outside its folder (fault 4)", () => {
  const copy = () => {
    const dir = join(tempDir(), "rec");
    cpSync(SAMPLE, dir, { recursive: true });
    return dir;
  };
  const secret = () => {
    const outside = join(tempDir(), "shadow");
    writeFileSync(outside, "root:$6$secret-hash:19000:0:99999:7:::\n");
    return outside;
  };

  test("a file that is a symbolic link out of the folder: refused in one line, nothing of it printed", async () => {
    const dir = copy();
    const target = secret();
    rmSync(join(dir, "files/boot/loader.conf"));
    symlinkSync(target, join(dir, "files/boot/loader.conf"));
    const r = await cli(["--from", dir, "plan", "--diff", "--remove", "1/0/1"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).not.toContain("secret-hash");
    expect(r.stderr).toBe(
      `pptctl: plan: ${dir}/files/boot/loader.conf: is a symbolic link; a recording holds only regular files and folders (capture writes no links), so pptctl does not follow it out of ${dir}: re-capture the host, or remove the link\n`,
    );
    const capture = await cli(["--from", dir, "capture", join(tempDir(), "out")]);
    expect(capture.code).toBe(2);
  });

  test("a folder on the way that is a link: refused too", async () => {
    const dir = copy();
    const outside = tempDir();
    cpSync(join(dir, "files/boot"), join(outside, "boot"), { recursive: true });
    rmSync(join(dir, "files/boot"), { recursive: true });
    symlinkSync(join(outside, "boot"), join(dir, "files/boot"));
    const r = await cli(["--from", dir, "doctor"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("files/boot/loader.conf: goes through files/boot, which is a symbolic link");
  });

  test("the folder itself may be a link (the user chose it)", async () => {
    const link = join(tempDir(), "sample");
    symlinkSync(SAMPLE, link);
    expect((await cli(["--from", link, "list"])).code).toBe(0);
  });

  test("a folder given relative to the working directory, with or without a trailing slash, reads as the absolute one", async () => {
    const rel = relative(process.cwd(), SAMPLE);
    expect(rel.startsWith("/")).toBe(false);
    const absolute = await cli(["--from", SAMPLE, "list", "--json"]);
    expect(absolute.code).toBe(0);
    for (const given of [rel, `${rel}/`, `./${rel}`]) expect(await cli(["--from", given, "list", "--json"])).toEqual(absolute);
  });
});

describe("only regular files are read, within a bound (fault 10)", () => {
  const mkfifo = (path: string) => Bun.spawnSync(["mkfifo", path]).exitCode === 0;

  test("a FIFO as loader.conf and as a VM config: doctor, list and capture finish and say what they skipped", async () => {
    const root = withVmBhyve("");
    rmSync(join(root, "boot/loader.conf"));
    expect(mkfifo(join(root, "boot/loader.conf"))).toBe(true);
    rmSync(join(root, "vm/win/win.conf"));
    expect(mkfifo(join(root, "vm/win/win.conf"))).toBe(true);
    const t0 = performance.now();
    const doctor = JSON.parse((await live(root, ["doctor", "--json"])).stdout);
    const syntax = doctor.checks.find((c: { id: string }) => c.id === "pptdevs-syntax");
    expect(syntax.status).toBe("unknown");
    expect(syntax.summary).toContain("/boot/loader.conf (is a FIFO (named pipe), not a regular file; pptctl reads only regular files)");
    const list = await live(root, ["list"]);
    expect(list.stderr).toContain("cannot read VM config /vm/win/win.conf: is a FIFO (named pipe), not a regular file");
    const out = join(tempDir(), "cap");
    const capture = await live(root, ["capture", out]);
    expect(capture.code).toBe(0);
    expect(capture.stderr).toContain("not recorded: /boot/loader.conf (is a FIFO (named pipe), not a regular file; pptctl reads only regular files)");
    expect(performance.now() - t0).toBeLessThan(20_000);
  });

  test("a symbolic link to /dev/zero is a character device, not read; a file over 4 MiB is not read either", async () => {
    const root = makeFakeHost();
    symlinkSync("/dev/zero", join(root, "boot/loader.conf.local"));
    mkdirSync(join(root, "etc"), { recursive: true });
    writeFileSync(join(root, "etc/rc.conf.local"), Buffer.alloc((4 << 20) + 1, 0x23));
    const doctor = JSON.parse((await live(root, ["doctor", "--json"])).stdout);
    const syntax = doctor.checks.find((c: { id: string }) => c.id === "pptdevs-syntax");
    expect(syntax.summary).toContain("/boot/loader.conf.local (is a character device, not a regular file");
    const list = await live(root, ["list"]);
    expect(list.stderr).toContain("/etc/rc.conf.local: cannot read it to find vm-bhyve's vm_dir: is 4194305 bytes or more, over the 4194304 bytes pptctl reads of one file");
    expect(readFileSync(join(root, "boot/loader.conf"), "utf8")).toContain("pptdevs");
  });
});
