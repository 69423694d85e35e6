import { type HostModel, buildModel } from "../core/model.ts";
import { gather } from "../host/gather.ts";
import type { MemoHost } from "../host/host.ts";

/**
 * Everything the host says, VM configs included (list, doctor, args --vm, attach). Apart from
 * _shared.ts so that `args` with plain entries never loads the parsers.
 */
export async function loadModelWithVms(host: MemoHost, extraDirs: readonly string[]): Promise<HostModel> {
  return buildModel(await gather(host, { vms: true, extraVmDirs: extraDirs }), extraDirs);
}
