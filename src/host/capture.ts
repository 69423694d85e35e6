import { mkdir, readdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { PptError } from "../core/errors.ts";
import type { CommandResult } from "../core/snapshot.ts";
import type { MemoHost } from "./host.ts";
import { HOST_FORMAT, type HostJson } from "./recording-format.ts";

/** Exit status timeout(1) uses; a replay then shows the command as failed, hence unknown. */
const TIMEOUT_EXIT = 124;
const NOT_FOUND_EXIT = 127;

/** Writes everything `host` was asked into DIR as a pptctl-host/1 recording. */
export async function writeRecording(dir: string, host: MemoHost, now: Date): Promise<{ commands: number; files: number; dirs: number }> {
  await ensureEmptyDir(dir);
  const json: HostJson = { format: HOST_FORMAT, captured: now.toISOString().replace(/\.\d{3}Z$/, "Z"), commands: [], files: [], dirs: [] };
  const used = new Set<string>();
  /** Command outputs: empty is recorded as null. Files: an empty file still gets its copy. */
  const put = async (rel: string, text: string, keepEmpty = false): Promise<string | null> => {
    if (text === "" && !keepEmpty) return null;
    const path = join(dir, rel);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
    return rel;
  };
  for (const { argv, result } of host.commands.values()) {
    const r = toRan(await result);
    const base = unique(commandFileName(argv), used);
    json.commands.push({
      argv: [...argv],
      exit: r.exit,
      stdout: await put(`${base}.txt`, r.stdout),
      stderr: await put(`${base}.stderr.txt`, r.stderr),
    });
  }
  for (const [path, pending] of host.files) {
    const r = await pending;
    // Unreadable files stay out of the recording, so a replay reports them as unknown.
    if (r.kind === "unknown") continue;
    json.files.push({ path, copy: r.kind === "absent" ? null : await put(`files${path}`, r.text, true) });
  }
  for (const [path, pending] of host.dirs) {
    const r = await pending;
    if (r.kind === "unknown") continue;
    json.dirs.push({ path, entries: r.kind === "absent" ? null : [...r.entries] });
  }
  await writeFile(join(dir, "host.json"), `${JSON.stringify(json, null, 2)}\n`);
  return { commands: json.commands.length, files: json.files.length, dirs: json.dirs.length };
}

function toRan(r: CommandResult): { exit: number; stdout: string; stderr: string } {
  switch (r.kind) {
    case "ran":
      return r;
    case "missing":
      return { exit: NOT_FOUND_EXIT, stdout: "", stderr: `pptctl: ${r.reason}\n` };
    case "timeout":
      return { exit: TIMEOUT_EXIT, stdout: "", stderr: `pptctl: no answer within ${r.seconds} s, killed\n` };
  }
}

/** `/usr/sbin/pciconf -lvc` → `pciconf-lvc`. */
export function commandFileName(argv: readonly string[]): string {
  const [cmd = "cmd", ...args] = argv;
  const parts = [cmd.split("/").pop() ?? "cmd", ...args.map((a) => a.replace(/^-+/, ""))];
  return parts.join("-").replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 80);
}

function unique(base: string, used: Set<string>): string {
  let name = base;
  for (let i = 2; used.has(name); i++) name = `${base}-${i}`;
  used.add(name);
  return name;
}

async function ensureEmptyDir(dir: string): Promise<void> {
  try {
    const entries = await readdir(dir);
    if (entries.length > 0) {
      throw new PptError(`capture: ${dir} is not empty; give a new or empty directory (nothing was written)`);
    }
  } catch (e) {
    if (e instanceof PptError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOTDIR") throw new PptError(`capture: ${dir} is a file; give a new or empty directory`);
    if (code !== "ENOENT") throw new PptError(`capture: cannot use ${dir}: ${(e as Error).message}`);
  }
  await mkdir(dir, { recursive: true });
}
