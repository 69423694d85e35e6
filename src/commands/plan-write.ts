import { PptError } from "../core/errors.ts";
import { LOADER_CONF, where } from "../core/parse/loader-conf.ts";
import { editLoaderConf } from "../core/loader/edit.ts";
import type { HostModel } from "../core/model/model.ts";
import type { Plan } from "../core/loader/plan.ts";
import { MANAGED_NAMES, readPptdevsConfig } from "../core/loader/pptdevs-config.ts";
import { type HostSnapshot, fileResult } from "../core/snapshot.ts";
import type { MemoHost } from "../host/host.ts";
import { LiveHost } from "../host/live.ts";
import { checkWritable, realOps, replaceFile } from "../host/safe-write.ts";

export interface Edit {
  /** The path as the user knows it (host path). */
  readonly path: string;
  /** Where it is on this machine's file system; null for a read-only recording. */
  readonly local: string | null;
  /** The file's bytes before (one char per byte), null when it does not exist. */
  readonly before: string | null;
  readonly after: string;
  /** Who writes, for messages. */
  readonly command: string;
}

/**
 * Works out the new bytes of the target file and refuses edits that would not take effect:
 * a later file of the loader.conf family (loader.conf.d, .local) setting the same names, or
 * holding a line of them the loader cannot read.
 */
export async function prepareEdit(
  host: MemoHost,
  snap: HostSnapshot,
  model: HostModel,
  plan: Plan,
  fileArg: string | undefined,
  recorded: boolean,
  writing: boolean,
  command = writing ? "plan --write" : "plan",
): Promise<Edit> {
  const live = host.inner instanceof LiveHost ? host.inner : null;
  if (recorded && writing && fileArg === undefined) {
    throw new PptError(`${command}: --from replays a recording, which pptctl never edits; give --file PATH to write a copy`);
  }
  const path = fileArg ?? LOADER_CONF;
  // With --from, --file stands in for /boot/loader.conf of the recorded host.
  const familyPath = recorded ? LOADER_CONF : path;
  let local: string | null = null;
  let before: string | null;
  const read = (p: string) =>
    realOps.read(p).catch((e) => {
      throw new PptError(`${command}: cannot read ${p}: ${(e as Error).message}`, 1);
    });
  if (live) {
    local = live.localPath(path);
    before = await read(local);
    const seen = fileResult(snap, path);
    if (seen.kind === "file" && seen.text !== before) {
      throw new PptError(`${command}: ${path} changed since pptctl read it; nothing was written: run the command again`, 1);
    }
  } else if (fileArg !== undefined) {
    local = path;
    before = await read(path);
  } else {
    const f = fileResult(snap, path);
    before = f.kind === "file" ? f.text : null;
  }

  const order = model.loader.files.map((f) => f.path);
  const at = order.indexOf(familyPath);
  const later = model.loader.files.slice(at < 0 ? order.length : at + 1);
  for (const f of later) {
    const clash = f.assignments.find((a) => MANAGED_NAMES.includes(a.name)) ?? f.problems.find((p) => p.name !== null && MANAGED_NAMES.includes(p.name));
    if (clash) {
      throw new PptError(
        `${command}: ${clash.name} is also set in ${where(clash)}, which the loader reads after ${familyPath} and which would win; remove it there, or write that file with --file ${f.path}`,
      );
    }
  }
  const elsewhere = model.loader.files.filter((f) => f.path !== familyPath);
  for (const name of plan.unset) {
    const a = elsewhere.flatMap((f) => f.assignments).find((x) => x.name === name);
    if (a) throw new PptError(`${command}: ${name} must go but is set in ${where(a)}; remove it there`);
  }
  // --replace takes over this file's unreadable lines; those of other files stay in the way.
  const stuck = readPptdevsConfig(model.loader).unreadable.find((u) => u.file !== familyPath);
  if (plan.takeOver.length > 0 && stuck) {
    throw new PptError(`${command}: ${where(stuck)}: ${stuck.text}: ${stuck.problem}; fix that line by hand, or write that file with --file ${stuck.file}`, 1);
  }
  return { path, local, before, after: editLoaderConf(before ?? "", plan.settings, plan.unset, { takeOver: plan.takeOver }), command };
}

/** What would stop the write, found before anything changes. */
export async function checkEdit(edit: Edit): Promise<void> {
  if (edit.local !== null) await checkWritable(edit.local, { command: edit.command });
}

export async function writeEdit(edit: Edit, now: Date): Promise<{ backup: string | null }> {
  if (edit.local === null) throw new PptError(`${edit.command}: nothing to write to`, 1);
  return replaceFile(edit.local, edit.before, edit.after, now, { command: edit.command });
}
