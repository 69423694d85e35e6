import { type HostModel, buildModel } from "../core/model/model.ts";
import { gather } from "../host/gather.ts";
import type { MemoHost } from "../host/host.ts";
import { mark } from "../io/trace.ts";

/**
 * Everything the host says, VM configs included (list, doctor, args --vm, attach). Apart from
 * _shared.ts so that `args` with plain entries never loads the parsers.
 */
export async function loadModelWithVms(host: MemoHost, extraDirs: readonly string[], skip: readonly (readonly string[])[] = []): Promise<HostModel> {
  const snap = await gather(host, { vms: true, extraVmDirs: extraDirs, skip });
  mark("host asked (commands, files, VM configs)");
  const model = buildModel(snap, extraDirs);
  mark("outputs parsed into the model");
  return model;
}
