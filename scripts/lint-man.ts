/**
 * `mandoc -T lint` on src/pptctl.8, which must print nothing on FreeBSD. Off FreeBSD, mandoc
 * cannot find the base-system pages the page refers to (Xr) and says so at STYLE level; those
 * notes are accepted only for the FreeBSD 14 pages listed here, each checked to exist in the
 * FreeBSD sources. Any other message, or a reference to any other page, fails.
 */
import { join } from "node:path";

// https://github.com/freebsd/freebsd-src: usr.bin/kenv/kenv.1, share/man/man4/vmm.4,
// usr.sbin/bhyve/bhyve_config.5, stand/defaults/loader.conf.5, usr.sbin/acpi/acpidump/acpidump.8,
// usr.sbin/bhyve/bhyve.8, usr.sbin/devctl/devctl.8, usr.sbin/iovctl/iovctl.8,
// usr.sbin/pciconf/pciconf.8, usr.sbin/periodic/periodic.8, usr.sbin/sysrc/sysrc.8,
// sbin/kldstat/kldstat.8, sbin/sysctl/sysctl.8, sbin/route/route.8, sbin/dmesg/dmesg.8,
// usr.sbin/cron/cron/cron.8, and zfs.8 from OpenZFS (cddl).
const FREEBSD_PAGES = [
  "kenv.1", "vmm.4", "bhyve_config.5", "loader.conf.5", "acpidump.8", "bhyve.8", "devctl.8", "iovctl.8",
  "pciconf.8", "periodic.8", "sysrc.8", "kldstat.8", "sysctl.8", "route.8", "dmesg.8", "cron.8", "zfs.8",
];

const page = join(import.meta.dir, "..", "src", "pptctl.8");
if (!Bun.which("mandoc")) {
  console.error("lint-man: mandoc is not installed (Debian: apt-get install mandoc)");
  process.exit(1);
}
const r = Bun.spawnSync(["mandoc", "-T", "lint", page], { stdout: "pipe", stderr: "pipe" });
const known = new Set(FREEBSD_PAGES.map((p) => p.replace(/\.(\d)$/, " $1")));
// Off FreeBSD, the only message allowed is that a FreeBSD base page on the list is not installed
// here (and mandoc's own note about this machine's stale database).
const problems = `${r.stdout}${r.stderr}`
  .split("\n")
  .filter((l) => l.trim() !== "")
  .filter((l) => {
    if (/outdated mandoc\.db/.test(l)) return false;
    const m = /STYLE: referenced manual not found: Xr (\S+ \d)/.exec(l);
    return !(m && known.has(m[1]!));
  });
if (problems.length > 0) {
  console.error(problems.join("\n"));
  console.error("lint-man: mandoc -T lint src/pptctl.8 is not clean");
  process.exit(1);
}
console.log("lint-man: mandoc -T lint src/pptctl.8: clean (FreeBSD base pages referenced: all known)");
