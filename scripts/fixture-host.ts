/**
 * How scripts/make-fixtures.ts writes a recorded host: the Spec of one host, the argv each
 * command name stands for, a capture read back as a Spec to vary, the host.json it becomes, and
 * helpers that cut and rename pciconf device blocks.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

export type Cmd = { stdout: string; exit?: number; stderr?: string } | null;
export interface Spec {
  note: string;
  commands: Record<string, Cmd>;
  files: Record<string, string | null>;
  dirs: Record<string, string[] | null>;
}

export const ARGV: Record<string, string[]> = {
  pciconf: ["/usr/sbin/pciconf", "-lvc"],
  acpidump: ["/usr/sbin/acpidump", "-t"],
  kenv: ["/bin/kenv"],
  kldstat: ["/sbin/kldstat"],
  platform: ["/sbin/sysctl", "kern.osrelease", "hw.machine", "hw.machine_arch", "hw.model"],
  vmm: ["/sbin/sysctl", "hw.vmm"],
  route: ["/sbin/route", "-n", "get", "default"],
  zfs: ["/sbin/zfs", "list", "-H", "-o", "name,mountpoint"],
  kldVmm: ["/sbin/kldstat", "-m", "vmm"],
  dmesg: ["/sbin/dmesg"],
  ps: ["/bin/ps", "-axww", "-o", "pid=,args="],
  wired: ["/sbin/sysctl", "vm.max_user_wired", "vm.stats.vm.v_user_wire_count", "hw.pagesize"],
};

/** A recorded host made by `pptctl capture` on a real kernel, as a Spec to vary. */
export function fromRecording(dir: string, note: string): Spec {
  const json = JSON.parse(readFileSync(join(dir, "host.json"), "utf8")) as {
    commands: { argv: string[]; exit: number; stdout: string | null; stderr: string | null }[];
    files: { path: string; copy: string | null }[];
    dirs: { path: string; entries: string[] | null }[];
  };
  const text = (rel: string | null) => (rel === null ? "" : readFileSync(join(dir, rel), "utf8"));
  const spec: Spec = { note, commands: {}, files: {}, dirs: {} };
  for (const c of json.commands) {
    const key = Object.entries(ARGV).find(([, argv]) => argv.join(" ") === c.argv.join(" "))?.[0];
    if (!key) throw new Error(`${dir}: no ARGV name for ${c.argv.join(" ")}`);
    spec.commands[key] = { stdout: text(c.stdout), exit: c.exit, stderr: text(c.stderr) };
  }
  for (const f of json.files) spec.files[f.path] = f.copy === null ? null : text(f.copy);
  for (const d of json.dirs) spec.dirs[d.path] = d.entries;
  return spec;
}

/** pciconf device blocks: the header line and every line up to the next header. */
export function blocks(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split("\n")) {
    if (/^\S*@pci/.test(line)) out.push(line);
    else if (out.length > 0 && line !== "") out[out.length - 1] += `\n${line}`;
  }
  return out;
}

export function blockAt(text: string, at: string): string {
  const b = blocks(plainPciconf(text)).find((x) => x.split("\n")[0]!.includes(`@${at}:`));
  if (!b) throw new Error(`no device at ${at}`);
  return b;
}

/** A block moved to another name and address, its header otherwise as printed. */
export function moved(block: string, name: string, at: string): string {
  return block.replace(/^\S*@pci[0-9:]+:/, `${name}@${at}:`);
}

/** hw-probe's pciconf -lvcb: drop its blank lines and bar lines to get plain `pciconf -lvc`. */
export function plainPciconf(text: string): string {
  return `${text.split("\n").filter((l) => l.trim() !== "" && !/^\s*bar\s+\[/.test(l)).join("\n")}\n`;
}

export function rename(text: string, from: string, to: string): string {
  if (!text.includes(`${from}@`)) throw new Error(`no ${from} in pciconf text`);
  return text.replace(new RegExp(`^${from}@`, "m"), `${to}@`);
}

export function withKenv(text: string, changes: Record<string, string | null>): string {
  const lines = text.trimEnd().split("\n").filter((l) => !Object.hasOwn(changes, l.split("=")[0] ?? ""));
  for (const [k, v] of Object.entries(changes)) if (v !== null) lines.push(`${k}="${v}"`);
  return `${lines.sort().join("\n")}\n`;
}

export function writeHost(dir: string, spec: Spec): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const put = (rel: string, text: string) => {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
    return rel;
  };
  const json = {
    format: "pptctl-host/1",
    captured: "2026-11-24T12:00:00Z",
    commands: Object.entries(spec.commands)
      .filter(([, c]) => c !== null)
      .map(([k, c]) => {
        const argv = ARGV[k]!;
        const name = argv.map((a) => a.split("/").pop()!.replace(/^-+/, "")).join("-").replace(/[^A-Za-z0-9._-]+/g, "_");
        return {
          argv,
          exit: c!.exit ?? 0,
          stdout: c!.stdout === "" ? null : put(`${name}.txt`, c!.stdout),
          stderr: c!.stderr ? put(`${name}.stderr.txt`, c!.stderr) : null,
        };
      }),
    files: Object.entries(spec.files).map(([path, text]) => ({ path, copy: text === null ? null : put(`files${path}`, text) })),
    dirs: Object.entries(spec.dirs).map(([path, entries]) => ({ path, entries })),
  };
  put("host.json", `${JSON.stringify(json, null, 2)}\n`);
  put("NOTES.md", `# ${dir.split("/").pop()}\n\n${spec.note}\n\nGenerated by scripts/make-fixtures.ts from examples/hosts/gpu-workstation and test/fixtures/corpus.\n`);
}

