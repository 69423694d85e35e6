import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { makeDevctlHost } from "./fake-devctl-host.ts";
import { cli } from "./helpers.ts";

const MAIN = join(import.meta.dir, "..", "src", "main.ts");

/** pptctl as a process of its own, so that a signal reaches it as Ctrl-C would. */
async function runAndSignal(root: string, argv: string[], signal: "SIGINT" | "SIGTERM", afterMs: number) {
  const p = Bun.spawn([process.execPath, MAIN, ...argv], {
    env: { ...process.env, PPTCTL_ROOT: root, FAKE_DEVCTL_SLOW_MS: "2000", NO_COLOR: "1" },
    stdout: "pipe",
    stderr: "pipe",
  });
  await Bun.sleep(afterMs);
  p.kill(signal);
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, stdout, stderr };
}

describe("a long devctl wait is said on a terminal, and a signal lets the move finish (issue 32)", () => {
  test("on a terminal: one line that counts the seconds and is cleared; nothing under --json or without a terminal", async () => {
    const env = (h: { root: string }) => ({ PPTCTL_ROOT: h.root, FAKE_DEVCTL_SLOW_MS: "1600" });
    const a = makeDevctlHost({ fail: { "pci0:1:0:0": "slow" } });
    const tty = await cli(["attach", "1/0/0"], { env: env(a), stderrTty: true });
    expect(tty.code).toBe(0);
    expect(tty.stderr).toContain("\r\x1b[Kpptctl: waiting for devctl to move 1/0/0 (no driver → ppt; a driver may take a minute, pptctl waits up to 120 s): 1 s");
    // The line is cleared once devctl is done: a clear follows the last count.
    const last = tty.stderr.lastIndexOf("waiting for devctl");
    expect(tty.stderr.indexOf("\r\x1b[K", last)).toBeGreaterThan(last);
    const b = makeDevctlHost({ fail: { "pci0:1:0:0": "slow" } });
    const json = await cli(["attach", "1/0/0", "--json"], { env: env(b), stderrTty: true });
    expect(json.stderr).not.toContain("waiting for devctl");
    const c = makeDevctlHost({ fail: { "pci0:1:0:0": "slow" } });
    const cron = await cli(["attach", "1/0/0"], { env: env(c) });
    expect(cron.stderr).not.toContain("waiting for devctl");
  }, 20_000);

  test("Ctrl-C during a move: the move finishes, the device's driver is said, the rest is not tried, exit 130", async () => {
    const h = makeDevctlHost({ fail: { "pci0:1:0:0": "slow" } });
    const r = await runAndSignal(h.root, ["attach", "1/0/0", "1/0/1"], "SIGINT", 700);
    expect(r.stderr).toContain("pptctl: attach: SIGINT: the move of 1/0/0 finishes first, so it ends on one driver");
    expect(r.stdout).toMatch(/^attached 1\/0\/0 \(no driver → ppt\d+\)\n$/);
    expect(r.stderr).toContain("not tried after the SIGINT: 1/0/1");
    expect(r.code).toBe(130);
    const state = h.state().devices;
    expect(state.find((d) => d.addr === "pci0:1:0:0")?.name).toMatch(/^ppt\d+$/);
    expect(state.find((d) => d.addr === "pci0:1:0:1")?.name).not.toMatch(/^ppt/);
  }, 20_000);

  test("SIGTERM during assign --attach: what moved goes back, the config too, exit 143", async () => {
    const h = makeDevctlHost({ fail: { "pci0:1:0:0": "slow" }, runningVm: undefined });
    const conf = "/vm/lab/lab.conf";
    const { mkdirSync, writeFileSync, readFileSync } = await import("node:fs");
    writeFileSync(join(h.root, "etc/rc.conf"), `${readFileSync(join(h.root, "etc/rc.conf"), "utf8")}vm_dir="/vm"\n`);
    mkdirSync(join(h.root, "vm/lab"), { recursive: true });
    const before = 'loader="uefi"\ncpu=2\nmemory=2G\n';
    writeFileSync(join(h.root, conf), before);
    const r = await runAndSignal(h.root, ["assign", "1/0/0", "--vm", "lab", "--attach"], "SIGTERM", 700);
    expect(r.stderr).toContain("SIGTERM: the move of 1/0/0 finishes first");
    expect(r.stdout).toMatch(/released 1\/0\/0 \(ppt\d+ → no driver\)/);
    expect(r.stderr).toContain("is back as it was, since SIGTERM stopped it");
    expect(r.code).toBe(143);
    expect(readFileSync(join(h.root, conf), "utf8")).toBe(before);
    expect(h.state().devices.find((d) => d.addr === "pci0:1:0:0")?.name).not.toMatch(/^ppt/);
  }, 20_000);
});
