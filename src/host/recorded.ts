import type { Stats } from "node:fs";
import * as v from "valibot";
import { PptError } from "../core/errors.ts";
import { joinPath as join } from "../core/text/path.ts";
import { type CommandResult, type DirResult, type FileResult, NOT_RECORDED, type StatResult, commandKey } from "../core/snapshot.ts";
import type { Host } from "./host.ts";
import { FILE_LIMIT, describeErrno, kindOf } from "./node-fs.ts";
import { describeIssues } from "../core/text/issues.ts";
import { HostJsonSchema } from "./recording-format.ts";

/** A command's recorded output may be big (a 10,000-device pciconf listing is 6.5 MB). */
const OUTPUT_LIMIT = 256 << 20;

/**
 * Replays a `pptctl-host/1` folder. Whatever it lacks answers "unknown", never a crash.
 *
 * A recording is untrusted input (people attach them to bug reports), so nothing is read from
 * outside its folder: every file it names must be a regular file reached through real folders,
 * with no symbolic link on the way (capture never writes one) and no `..` (the schema refuses it).
 */
export class RecordedHost implements Host {
  readonly label: string;

  private constructor(
    readonly dir: string,
    private readonly commands: Map<string, CommandResult>,
    private readonly files: Map<string, FileResult>,
    private readonly dirs: Map<string, DirResult>,
  ) {
    this.label = `recorded host ${dir}`;
  }

  /** Reads and checks the whole folder up front, so a broken recording fails in one line. */
  static async load(dir: string): Promise<RecordedHost> {
    const jsonPath = join(dir, "host.json");
    // Loaded here, not at the top: a bundle loads every statically imported node:* module at
    // start-up, for every command (+2 ms for args, which never reads a recording).
    const fs = await import("node:fs");
    const folder = new Folder(dir, fs);
    const raw = folder.read(
      "host.json",
      OUTPUT_LIMIT,
      () => `${dir} is not a recorded host: no host.json in it; ${recordingsIn(dir, fs) ?? "make one with 'pptctl capture DIR' on the FreeBSD host"}`,
    );
    let data: unknown;
    try {
      data = JSON.parse(raw.toString("utf8"));
    } catch (e) {
      throw new PptError(`${jsonPath}: not valid JSON (${(e as Error).message}); re-capture it with 'pptctl capture DIR'`);
    }
    const parsed = v.safeParse(HostJsonSchema, data);
    if (!parsed.success) {
      throw new PptError(`${jsonPath}: not a pptctl-host/1 recording (${describeIssues(parsed.issues)}); re-capture it with 'pptctl capture DIR'`);
    }
    const spec = parsed.output;
    const missing = (rel: string) => () => `${jsonPath} names ${rel}, which is missing from ${dir}; copy the whole folder`;
    const output = (rel: string | null) => (rel === null ? "" : folder.read(rel, OUTPUT_LIMIT, missing(rel)).toString("utf8"));
    const commands = new Map<string, CommandResult>();
    for (const c of spec.commands) {
      commands.set(commandKey(c.argv), { kind: "ran", exit: c.exit, stdout: output(c.stdout), stderr: output(c.stderr) });
    }
    const files = new Map<string, FileResult>();
    for (const f of spec.files) {
      if (f.copy === null) files.set(f.path, { kind: "absent" });
      else files.set(f.path, folder.readBytes(f.copy, missing(f.copy)));
    }
    const dirs = new Map<string, DirResult>();
    for (const d of spec.dirs) dirs.set(d.path, d.entries === null ? { kind: "absent" } : { kind: "dir", entries: d.entries });
    return new RecordedHost(dir, commands, files, dirs);
  }

  async run(argv: readonly string[]): Promise<CommandResult> {
    return this.commands.get(commandKey(argv)) ?? { kind: "missing", reason: `${argv.join(" ")} is ${NOT_RECORDED}` };
  }

  async readFile(path: string): Promise<FileResult> {
    return this.files.get(path) ?? { kind: "unknown", reason: NOT_RECORDED };
  }

  async listDir(path: string): Promise<DirResult> {
    return this.dirs.get(path) ?? { kind: "unknown", reason: NOT_RECORDED };
  }

  /** A recorded file is a regular file of its copy's size; nothing else is recorded. */
  async statFile(path: string): Promise<StatResult> {
    const f = this.files.get(path);
    if (f === undefined) return { kind: "unknown", reason: NOT_RECORDED };
    return f.kind === "file" ? { kind: "file", size: f.text.length } : f.kind === "absent" ? { kind: "absent" } : f;
  }
}

/** A folder of recordings given instead of one: the sub-folders that are recordings, named. */
function recordingsIn(dir: string, fs: typeof import("node:fs")): string | null {
  try {
    const subs = fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory() && fs.existsSync(join(dir, e.name, "host.json")));
    if (subs.length === 0) return null;
    const shown = subs.slice(0, 6).map((e) => join(dir, e.name));
    return `the recordings in it are ${shown.join(", ")}${subs.length > 6 ? ", …" : ""}: give one of them`;
  } catch {
    return null;
  }
}

/** The recording's folder: reads that stay inside it, through no symbolic link. */
class Folder {
  /** Sub-folders already checked. */
  private readonly checked = new Set<string>();

  constructor(
    private readonly dir: string,
    private readonly fs: typeof import("node:fs"),
  ) {
    // The folder itself may be reached through a link the user chose (stat follows it); nothing
    // inside it may (read() looks at each part with lstat).
    try {
      fs.statSync(dir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") {
        throw new PptError(`${dir} is not a recorded host: no such directory; make one with 'pptctl capture DIR' on the FreeBSD host`);
      }
      throw new PptError(`${dir}: ${describeErrno(e)}`);
    }
  }

  /** `missing` is asked only when the file is missing: its message may list the folder. */
  read(rel: string, limit: number, missing: () => string): Buffer {
    const parts = rel.split("/").filter((p) => p !== "" && p !== ".");
    let path = this.dir;
    for (const [i, part] of parts.entries()) {
      // The parts hold no `.` or `..` (the schema refuses it): appending is joining.
      path = path.endsWith("/") ? path + part : `${path}/${part}`;
      const last = i === parts.length - 1;
      if (!last && this.checked.has(path)) continue;
      let st: Stats;
      try {
        st = this.fs.lstatSync(path);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === "ENOENT" || code === "ENOTDIR") throw new PptError(missing());
        throw new PptError(`${join(this.dir, rel)}: ${describeErrno(e)}`);
      }
      if (st.isSymbolicLink()) {
        throw new PptError(
          `${join(this.dir, rel)}: ${last ? "is" : `goes through ${parts.slice(0, i + 1).join("/")}, which is`} a symbolic link; a recording holds only regular files and folders (capture writes no links), so pptctl does not follow it out of ${this.dir}: re-capture the host, or remove the link`,
        );
      }
      if (!last) {
        if (!st.isDirectory()) throw new PptError(missing());
        this.checked.add(path);
      } else if (!st.isFile()) {
        throw new PptError(`${join(this.dir, rel)}: is ${kindOf(st)}, not a regular file; a recording holds only regular files: re-capture the host`);
      } else if (st.size > limit) {
        throw new PptError(`${join(this.dir, rel)}: is ${st.size} bytes, over the ${limit} bytes pptctl reads of one recorded file; re-capture the host`);
      }
    }
    return this.fs.readFileSync(path);
  }

  /** A recorded host file: its bytes as captured; over the live bound it is unknown, as live. */
  readBytes(rel: string, missing: () => string): FileResult {
    const bytes = this.read(rel, OUTPUT_LIMIT, missing);
    if (bytes.length > FILE_LIMIT) return { kind: "unknown", reason: `is ${bytes.length} bytes, over the ${FILE_LIMIT} bytes pptctl reads of one file; not read` };
    return { kind: "file", text: bytes.toString("latin1") };
  }
}
