import { PptError } from "../core/errors.ts";
import { LOADER_CONF } from "../core/loader-conf.ts";
import { editLoaderConf } from "../core/loader-edit.ts";
import type { HostModel } from "../core/model.ts";
import type { Plan } from "../core/plan.ts";
import { PPTDEVS_NAMES } from "../core/pptdevs.ts";
import { type HostSnapshot, fileResult } from "../core/snapshot.ts";
import { atomicReplace } from "../host/atomic-write.ts";
import type { MemoHost } from "../host/host.ts";
import { LiveHost } from "../host/live.ts";
import { realOps } from "../host/atomic-write.ts";

export interface Edit {
  /** The path as the user knows it (host path). */
  readonly path: string;
  /** Where it is on this machine's file system; null for a read-only recording. */
  readonly local: string | null;
  readonly before: string | null;
  readonly after: string;
}

const MANAGED = [...PPTDEVS_NAMES, "vmm_load", "hw.vmm.amdvi.enable"];

/**
 * Works out the new text of the target file and refuses edits that would not take effect:
 * a later file of the loader.conf family (loader.conf.d, .local) setting the same names.
 */
export async function prepareEdit(
  host: MemoHost,
  snap: HostSnapshot,
  model: HostModel,
  plan: Plan,
  fileArg: string | undefined,
  recorded: boolean,
  writing: boolean,
): Promise<Edit> {
  const live = host.inner instanceof LiveHost ? host.inner : null;
  if (recorded && writing && fileArg === undefined) {
    throw new PptError("plan --write: --from replays a recording, which pptctl never edits; give --file PATH to write a copy");
  }
  const path = fileArg ?? LOADER_CONF;
  // With --from, --file stands in for /boot/loader.conf of the recorded host.
  const familyPath = recorded ? LOADER_CONF : path;
  let local: string | null = null;
  let before: string | null;
  if (live) {
    local = live.localPath(path);
    before = await realOps.read(local);
    const seen = fileResult(snap, path);
    if (seen.kind === "file" && seen.text !== before) {
      throw new PptError(`plan: ${path} changed since pptctl read it; run the command again`, 1);
    }
  } else if (fileArg !== undefined) {
    local = path;
    before = await realOps.read(path);
  } else {
    const f = fileResult(snap, path);
    before = f.kind === "file" ? f.text : null;
  }

  const order = model.loader.files.map((f) => f.path);
  const at = order.indexOf(familyPath);
  const later = model.loader.files.slice(at < 0 ? order.length : at + 1);
  for (const f of later) {
    const clash = f.assignments.find((a) => MANAGED.includes(a.name));
    if (clash) {
      throw new PptError(
        `plan: ${clash.name} is also set in ${f.path}:${clash.line}, which the loader reads after ${familyPath} and which would win; remove it there, or write that file with --file ${f.path}`,
      );
    }
  }
  const elsewhere = model.loader.files.filter((f) => f.path !== familyPath);
  for (const name of plan.unset) {
    const a = elsewhere.flatMap((f) => f.assignments).find((x) => x.name === name);
    if (a) throw new PptError(`plan: ${name} must go but is set in ${a.file}:${a.line}; remove it there`);
  }
  return { path, local, before, after: editLoaderConf(before ?? "", plan.settings, plan.unset) };
}

export async function writeEdit(edit: Edit, now: Date): Promise<{ backup: string | null }> {
  if (edit.local === null) throw new PptError("plan --write: nothing to write to", 1);
  return atomicReplace(edit.local, edit.before, edit.after, now);
}
