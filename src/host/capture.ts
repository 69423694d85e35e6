import { joinPath as join } from "../core/text/path.ts";
import { PptError } from "../core/errors.ts";
import { type RedactKind, kindOfCommand, kindOfFile, redact } from "../core/text/redact.ts";
import { redactProcessList } from "../core/vm/instances.ts";
import type { CommandResult } from "../core/snapshot.ts";
import type { MemoHost } from "./host.ts";
import { describeErrno } from "./live.ts";
import { kindOf, nodeFs, openFlags } from "./node-fs.ts";
import { HOST_FORMAT, type HostJson } from "./recording-format.ts";

/** Exit status timeout(1) uses; a replay then shows the command as failed, hence unknown. */
const TIMEOUT_EXIT = 124;
const NOT_FOUND_EXIT = 127;

export interface RecordingOptions {
  /** Replace secrets and machine identifiers before writing (default). */
  readonly redact: boolean;
  /** Tests: runs after the directory checks, before the first file is created. */
  readonly beforeWrite?: () => Promise<void> | void;
}

export interface RecordingSummary {
  readonly commands: number;
  readonly files: number;
  readonly dirs: number;
  /** `path: item, item` per redacted file or command output. */
  readonly redacted: readonly { readonly source: string; readonly items: readonly string[] }[];
  /** Files and directories that could not be read (a FIFO, permission denied): left out, so a replay says unknown. */
  readonly skipped: readonly { readonly path: string; readonly reason: string }[];
}

/** Writes everything `host` was asked into DIR as a pptctl-host/1 recording. */
export async function writeRecording(dir: string, host: MemoHost, now: Date, opts: RecordingOptions = { redact: true }): Promise<RecordingSummary> {
  const out = await PrivateDir.open(dir);
  await opts.beforeWrite?.();
  const json: HostJson = { format: HOST_FORMAT, captured: now.toISOString().replace(/\.\d{3}Z$/, "Z"), commands: [], files: [], dirs: [] };
  const redacted: { source: string; items: string[] }[] = [];
  const clean = (source: string, kind: RedactKind | "ps" | null, text: string): string => {
    if (!opts.redact || kind === null) return text;
    const r = kind === "ps" ? redactProcessList(text) : redact(kind, text);
    if (r.items.length > 0) redacted.push({ source, items: [...r.items] });
    return r.text;
  };
  const used = new Set<string>();
  /** Command outputs: empty is recorded as null. Files: an empty file still gets its copy. */
  const put = async (rel: string, text: string, keepEmpty = false, encoding: BufferEncoding = "utf8"): Promise<string | null> => {
    if (text === "" && !keepEmpty) return null;
    await out.writeFile(rel, text, encoding);
    return rel;
  };
  const skipped: { path: string; reason: string }[] = [];
  for (const { argv, result } of host.commands.values()) {
    const r = toRan(await result);
    const base = unique(commandFileName(argv), used);
    const kind = kindOfCommand(argv);
    json.commands.push({
      argv: [...argv],
      exit: r.exit,
      stdout: await put(`${base}.txt`, clean(argv.join(" "), kind, r.stdout)),
      stderr: await put(`${base}.stderr.txt`, r.stderr),
    });
  }
  for (const [path, pending] of host.files) {
    const r = await pending;
    // Unreadable files stay out of the recording, so a replay reports them as unknown.
    if (r.kind === "unknown") {
      skipped.push({ path, reason: r.reason });
      continue;
    }
    // Files are byte strings: written back byte for byte.
    json.files.push({ path, copy: r.kind === "absent" ? null : await put(`files${path}`, clean(path, kindOfFile(path), r.text), true, "latin1") });
  }
  for (const [path, pending] of host.dirs) {
    const r = await pending;
    if (r.kind === "unknown") {
      skipped.push({ path, reason: r.reason });
      continue;
    }
    json.dirs.push({ path, entries: r.kind === "absent" ? null : [...r.entries] });
  }
  // What was replaced, never the values: a reader of the bug report knows what is missing.
  const doc = { ...json, redacted: opts.redact ? redacted : null };
  await out.writeFile("host.json", `${JSON.stringify(doc, null, 2)}\n`);
  return { commands: json.commands.length, files: json.files.length, dirs: json.dirs.length, redacted, skipped };
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

/**
 * The capture directory, made safe for a root process: new with mode 0700, or an existing empty
 * directory owned by us that nobody else may write. Inside it every directory and file is
 * created exclusively and without following symbolic links, so nothing planted can redirect a
 * root write. Files are 0600.
 */
export class PrivateDir {
  private readonly made = new Set<string>([""]);

  private constructor(readonly root: string) {}

  static async open(dir: string): Promise<PrivateDir> {
    const refuse = (why: string) => new PptError(`capture: ${dir}: ${why}; nothing was written`);
    const { chmod, lstat, mkdir, readdir } = await nodeFs();
    let st: Awaited<ReturnType<typeof lstat>> | null = null;
    try {
      st = await lstat(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw refuse(describeErrno(e));
    }
    if (st === null) {
      try {
        await mkdir(dir, { mode: 0o700 });
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === "ENOENT") throw refuse("its parent directory does not exist; create it first or give another path");
        throw refuse(code === "EEXIST" ? "appeared while pptctl was creating it; run the command again" : describeErrno(e));
      }
      // mkdir's mode is cut by the umask; make sure of 0700 whatever the umask.
      await chmod(dir, 0o700);
      return new PrivateDir(dir);
    }
    if (st.isSymbolicLink()) throw refuse("is a symbolic link; give the real directory or a new path");
    if (!st.isDirectory()) throw refuse(`is ${kindOf(st)}, not a directory; give a new or empty directory`);
    const uid = process.getuid?.() ?? st.uid;
    if (st.uid !== uid) throw refuse(`is owned by uid ${st.uid}, not by you (uid ${uid}); give a new path, which pptctl creates with mode 0700`);
    if ((st.mode & 0o022) !== 0) {
      throw refuse(`can be written by group or others (mode ${(st.mode & 0o777).toString(8).padStart(4, "0")}); give a new path, or 'chmod go-w ${dir}' first`);
    }
    if ((await readdir(dir)).length > 0) throw refuse("is not empty; give a new or empty directory");
    return new PrivateDir(dir);
  }

  /** Creates `rel` (and its parent folders) inside the directory; never follows or overwrites. */
  async writeFile(rel: string, text: string, encoding: BufferEncoding = "utf8"): Promise<void> {
    const parts = rel.split("/").filter((p) => p !== "" && p !== ".");
    // A host path with `..` (from a VM config's dataset, say) must not lead out of DIR.
    if (parts.includes("..")) throw new PptError(`capture: refusing to record ${rel}: the path climbs out of the capture directory`);
    let sub = "";
    for (const part of parts.slice(0, -1)) {
      sub = sub === "" ? part : `${sub}/${part}`;
      if (this.made.has(sub)) continue;
      // Not recursive: an existing entry here was not made by us, so it is refused (EEXIST).
      await (await nodeFs()).mkdir(join(this.root, sub), { mode: 0o700 }).catch((e) => {
        throw new PptError(`capture: cannot create ${join(this.root, sub)}: ${describeErrno(e)}; something else is writing there, nothing was followed`);
      });
      this.made.add(sub);
    }
    const path = join(this.root, rel);
    const constants = await openFlags();
    const fh = await (await nodeFs()).open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600).catch((e) => {
      throw new PptError(`capture: cannot create ${path}: ${describeErrno(e)}; something else is writing there, nothing was followed`);
    });
    try {
      await fh.writeFile(Buffer.from(text, encoding));
    } finally {
      await fh.close();
    }
  }
}
