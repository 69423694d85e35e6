import { describe, expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { syntheticHost } from "../scripts/synthetic-host.ts";
import { isattyBinding } from "../src/io/stdio.ts";
import { SAMPLE, cli, removeLater, tempDir } from "./helpers.ts";

/** The real entry point (src/main.ts, which writes through src/io/stdio.ts), as a child process. */
const MAIN = join(import.meta.dir, "..", "src", "main.ts");
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", NO_COLOR: "1" };

describe("output reaches pipes, files and $(…) completely", () => {
  test("a 10,000-device JSON through a pipe is complete and equals the in-process output", async () => {
    const big = removeLater(syntheticHost(10_000));
    const inproc = await cli(["--from", big, "list", "--all", "--json"]);
    const p = Bun.spawn([process.execPath, MAIN, "--from", big, "list", "--all", "--json"], { stdout: "pipe", stderr: "pipe", env });
    const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    expect({ code, err }).toEqual({ code: inproc.code, err: inproc.stderr });
    expect(out.length).toBe(inproc.stdout.length);
    expect(out).toBe(inproc.stdout);
  });

  test("$(pptctl args …) captures exactly the one line", async () => {
    const r = Bun.spawnSync(["/bin/sh", "-c", `x=$("${process.execPath}" "${MAIN}" args 1/0/0 1/0/1); printf '[%s]' "$x"`], { env });
    expect(r.stdout.toString()).toBe("[-s 6:0,passthru,1/0/0 -s 6:1,passthru,1/0/1]");
  });

  test("a reader that goes away (| head -c 10, | true) is no error: no message, exit 0", async () => {
    const big = removeLater(syntheticHost(2_000));
    // When the pipe breaks depends on timing (a write that waits, or one that fails at once),
    // so each reader gets several runs: one of them failing was a real bug once.
    for (const reader of ["head -c 10", "head -c 1", "true"]) {
      for (let i = 0; i < 4; i++) {
        const errFile = join(tempDir(), "stderr");
        const script = `set -o pipefail; "$1" "$2" --from "$3" list --all --json 2>"$4" | ${reader} >/dev/null; echo $?`;
        const r = Bun.spawnSync(["/bin/bash", "-c", script, "bash", process.execPath, MAIN, big, errFile], { env });
        expect({ reader, exit: r.stdout.toString().trim() }).toEqual({ reader, exit: "0" });
        const err = await Bun.file(errFile).text();
        expect(err).not.toMatch(/EPIPE|internal error|\n\s+at /);
      }
    }
  });

  // A full disk or a stdout opened read-only is not a reader going away: the output is incomplete,
  // and a cron job writing a metrics file must learn of it from the exit status.
  test.skipIf(!existsSync("/dev/full"))("a full disk (/dev/full) is one line on stderr and exit 1, doctor's 3 (UNKNOWN)", () => {
    for (const [cmd, exit] of [["list", 1], ["doctor", 3], ["args", 1]] as const) {
      const argv = cmd === "args" ? ["args", "1/0/0"] : ["--from", SAMPLE, cmd];
      const r = Bun.spawnSync([process.execPath, MAIN, ...argv], { stdout: Bun.file("/dev/full"), stderr: "pipe", env });
      const lines = r.stderr.toString().trimEnd().split("\n");
      expect({ cmd, exit: r.exitCode, last: lines.at(-1) }).toEqual({
        cmd,
        exit,
        last: "pptctl: cannot write to standard output: no space left on device (ENOSPC); what was written is incomplete: make room or send the output elsewhere",
      });
    }
  });

  test("a stdout opened read-only is reported the same way (EBADF)", () => {
    const path = join(tempDir(), "read-only");
    writeFileSync(path, "");
    const r = Bun.spawnSync(["/bin/sh", "-c", '"$1" "$2" args 1/0/0 1<"$3"; echo "exit=$?"', "sh", process.execPath, MAIN, path], { env });
    expect(r.stdout.toString()).toBe("exit=1\n");
    expect(r.stderr.toString()).toContain("pptctl: cannot write to standard output: bad file descriptor (EBADF)");
  });

  test("stdout closed before the start (>&-): the command still exits without a trace", async () => {
    const r = Bun.spawnSync(["/bin/sh", "-c", `"${process.execPath}" "${MAIN}" --from "${SAMPLE}" list >&-; echo "exit=$?"`], { env });
    expect(r.stdout.toString()).toBe("exit=0\n");
    expect(r.stderr.toString()).not.toContain("at ");
  });

  test("messages go to stderr, the payload to stdout, in order", async () => {
    const p = Bun.spawnSync([process.execPath, MAIN, "--from", join(import.meta.dir, "fixtures", "real-hosts", "qemu-14.0-amd"), "list"], { env });
    expect(p.exitCode).toBe(1);
    expect(p.stdout.toString().split("\n")[0]).toStartWith("PPT Device");
    expect(p.stderr.toString()).toStartWith("pptctl: warning: vmm.ko is loaded but failed to initialise");
  });

  // util-linux script(1) gives the command a real terminal; the probe starts before the command loads.
  test.skipIf(!Bun.which("script"))("on a terminal list draws its box and colour; args stays one plain line", () => {
    const q = (a: string[]) => a.map((x) => `'${x}'`).join(" ");
    const shell = `${q([process.execPath, MAIN, "--from", SAMPLE, "list"])}; ${q([process.execPath, MAIN, "args", "1/0/0"])}`;
    const r = Bun.spawnSync(["script", "-qec", shell, "/dev/null"], { env: { PATH: env.PATH, TERM: "xterm", COLUMNS: "200" } });
    const out = r.stdout.toString();
    expect(out).toContain("\u256d");
    expect(out).toContain("\u001b[");
    expect(out.trimEnd().split("\n").at(-1)).toBe("-s 6:0,passthru,1/0/0");
  });
});

describe("the terminal probe is isatty(3)", () => {
  const probe = join(import.meta.dir, "..", "src", "io", "stdio.ts");
  // Asked twice: through the binding, and with the binding taken away (the fstat fallback).
  const ask = `import { isTerminal, isattyBinding } from ${JSON.stringify(probe)}; const a = [isattyBinding(1), await isTerminal(1)]; process.binding = undefined; process.stderr.write(JSON.stringify([...a, isattyBinding(1), await isTerminal(1)]));`;
  test("this Bun answers without the thread pool (else the slower fstat is in use: see src/io/stdio.ts)", () => {
    expect(typeof isattyBinding(1)).toBe("boolean");
  });
  test("a pipe, a file and /dev/null are not terminals", () => {
    for (const stdout of ["pipe", Bun.file(join(tempDir(), "out")), Bun.file("/dev/null")] as const) {
      const r = Bun.spawnSync([process.execPath, "-e", ask], { stdout, stderr: "pipe", env });
      expect(r.stderr.toString()).toBe("[false,false,null,false]");
    }
  });
  test.skipIf(!Bun.which("script"))("a pseudo-terminal is one", () => {
    const shell = `'${process.execPath}' -e '${ask.replaceAll("'", "'\\''")}' 2>&1`;
    const r = Bun.spawnSync(["script", "-qec", shell, "/dev/null"], { env: { PATH: env.PATH, TERM: "xterm" } });
    expect(r.stdout.toString()).toContain("[true,true,null,true]");
  });
});
