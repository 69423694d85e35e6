import { joinPath as join } from "../core/posix-path.ts";
import * as v from "valibot";
import { PptError } from "../core/errors.ts";
import { type CommandResult, type DirResult, type FileResult, commandKey } from "../core/snapshot.ts";
import type { Host } from "./host.ts";
import { readRecordedText } from "./node-fs.ts";
import { HostJsonSchema, describeIssues } from "./recording-format.ts";

/** Replays a `pptctl-host/1` folder. Whatever it lacks answers "unknown", never a crash. */
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
    const raw = await readText(jsonPath, `${dir} is not a recorded host: no host.json in it; make one with 'pptctl capture DIR' on the FreeBSD host`);
    let data: unknown;
    try {
      data = JSON.parse(raw);
    } catch (e) {
      throw new PptError(`${jsonPath}: not valid JSON (${(e as Error).message}); re-capture it with 'pptctl capture DIR'`);
    }
    const parsed = v.safeParse(HostJsonSchema, data);
    if (!parsed.success) {
      throw new PptError(`${jsonPath}: not a pptctl-host/1 recording (${describeIssues(parsed.issues)}); re-capture it with 'pptctl capture DIR'`);
    }
    const spec = parsed.output;
    const text = (rel: string | null) => (rel === null ? Promise.resolve("") : readText(join(dir, rel), `${jsonPath} names ${rel}, which is missing from ${dir}; copy the whole folder`));
    const commands = new Map<string, CommandResult>();
    await Promise.all(
      spec.commands.map(async (c) => {
        const result: CommandResult = { kind: "ran", exit: c.exit, stdout: await text(c.stdout), stderr: await text(c.stderr) };
        commands.set(commandKey(c.argv), result);
      }),
    );
    const files = new Map<string, FileResult>();
    await Promise.all(
      spec.files.map(async (f) => {
        files.set(f.path, f.copy === null ? { kind: "absent" } : { kind: "file", text: await text(f.copy) });
      }),
    );
    const dirs = new Map<string, DirResult>();
    for (const d of spec.dirs) dirs.set(d.path, d.entries === null ? { kind: "absent" } : { kind: "dir", entries: d.entries });
    return new RecordedHost(dir, commands, files, dirs);
  }

  async run(argv: readonly string[]): Promise<CommandResult> {
    return this.commands.get(commandKey(argv)) ?? { kind: "missing", reason: `${argv.join(" ")} is not in the recording` };
  }

  async readFile(path: string): Promise<FileResult> {
    return this.files.get(path) ?? { kind: "unknown", reason: "not in the recording" };
  }

  async listDir(path: string): Promise<DirResult> {
    return this.dirs.get(path) ?? { kind: "unknown", reason: "not in the recording" };
  }
}

async function readText(path: string, missing: string): Promise<string> {
  try {
    return await readRecordedText(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") throw new PptError(missing);
    throw new PptError(`${path}: ${(e as Error).message}`);
  }
}
