import { Lock } from "./file-lock.ts";
import type { LiveHost } from "./live.ts";
import { realOps } from "./write-ops.ts";

/**
 * "One device, one VM" spans every VM's config, so assign and unassign hold one lock for the
 * whole host, from reading the configs to the last write (and devctl with --attach), not a lock
 * per file. /var/run is where FreeBSD keeps such run-time files (hier(7)), and it is cleared at boot.
 */
export const CONFIG_LOCK = "/var/run/pptctl-assign.lock";

/** Long enough for another assign --attach whose driver takes a minute to let a device go. */
const WAIT_MS = 300_000;

export function lockVmConfigs(live: LiveHost, command: string, onWait: (pid: number | null) => void): Promise<Lock> {
  const path = live.localPath(CONFIG_LOCK);
  return Lock.acquireAt(path, realOps, {
    waitMs: WAIT_MS,
    onWait,
    cannot: (why) => `${command}: cannot create ${CONFIG_LOCK}, which keeps two assigns from giving one device to two VMs (${why}); nothing was written`,
    busy: (pid) => `${command}: another pptctl assign or unassign${pid ? ` (pid ${pid})` : ""} has been changing VM configs for ${WAIT_MS / 60_000} minutes; nothing was written: try again when it has finished (if no pptctl runs, remove ${CONFIG_LOCK})`,
  });
}
