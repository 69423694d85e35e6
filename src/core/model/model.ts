import { type AcpiTables, parseAcpidump } from "../parse/acpidump.ts";
import { type BootFacts, parseDmesg } from "../parse/dmesg.ts";
import { parseKenv } from "../parse/kenv.ts";
import { type KldList, parseKldstat } from "../parse/kldstat.ts";
import { LOADER_CONF_DIR, type LoaderConfig, type LoaderFile, loaderFileOrder, mergeLoaderFiles, parseLoaderConf } from "../parse/loader-conf.ts";
import { type PciconfListing, notPciconf, parsePciconf } from "../parse/pciconf.ts";
import { CMD, type HostSnapshot, commandOutput, commandResult, dirResult, fileResult, firstLine } from "../snapshot.ts";
import { parseSysctl } from "../parse/sysctl.ts";
import { readRc } from "../parse/rc-conf.ts";
import { RC_FILES, type VmDiscovery, type VmInventory, discoverVms, runningVms } from "../vm/configs.ts";
import { pptUnits } from "../vm/passthru-entry.ts";

/** A fact pptctl could establish, or why it could not. */
export type Known<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

export interface HostModel {
  readonly pci: Known<PciconfListing>;
  readonly acpi: Known<AcpiTables>;
  readonly kenv: Known<ReadonlyMap<string, string>>;
  readonly kld: Known<KldList>;
  readonly platform: Known<ReadonlyMap<string, string>>;
  /** `sysctl hw.vmm`; when vmm is not loaded the tree is simply empty. */
  readonly vmm: Known<ReadonlyMap<string, string>>;
  readonly loader: LoaderConfig;
  /** Loader files that could not be read (not the ones that do not exist). */
  readonly loaderUnknown: readonly string[];
  readonly boot: Known<BootFacts>;
  /** The live message buffer (`/sbin/dmesg`). */
  readonly liveDmesg: Known<BootFacts>;
  /** `kldstat -m vmm`: is the vmm module registered (its initialisation succeeded)? */
  readonly vmmModule: Known<boolean>;
  readonly defaultRouteInterface: Known<string | null>;
  readonly vms: VmInventory;
  /** What bhyve -S may still wire, in pages (vm.max_user_wired less what users wired already). */
  readonly wiring: Known<{ readonly maxPages: number; readonly wiredPages: number; readonly pageSize: number }>;
  /** rc.conf then rc.conf.local, last assignment wins (kld_list, vm_dir, …). */
  readonly rc: ReadonlyMap<string, string>;
}

const ok = <T>(value: T): Known<T> => ({ ok: true, value });
const no = <T>(reason: string): Known<T> => ({ ok: false, reason });

export function buildModel(s: HostSnapshot, extraVmDirs: readonly string[] = []): HostModel {
  const pciOut = commandOutput(s, CMD.pciconf);
  const acpiRun = commandResult(s, CMD.acpidump);
  const kenvOut = commandOutput(s, CMD.kenv);
  const kldOut = commandOutput(s, CMD.kldstat);
  const platOut = commandOutput(s, CMD.sysctlPlatform);
  const vmmRun = commandResult(s, CMD.sysctlVmm);
  const dmesg = fileResult(s, "/var/run/dmesg.boot");
  const liveOut = commandOutput(s, CMD.dmesg);

  const confd = dirResult(s, LOADER_CONF_DIR);
  const files: LoaderFile[] = [];
  const loaderUnknown: string[] = [];
  for (const path of loaderFileOrder(confd.kind === "dir" ? confd.entries : null)) {
    const f = fileResult(s, path);
    if (f.kind === "file") files.push(parseLoaderConf(path, f.text));
    else if (f.kind === "unknown") loaderUnknown.push(`${path} (${f.reason})`);
  }
  if (confd.kind === "unknown") loaderUnknown.push(`${LOADER_CONF_DIR} (${confd.reason})`);

  const pci = readPci(pciOut);
  return {
    pci,
    acpi: readAcpi(acpiRun),
    kenv: kenvOut.ok ? ok(parseKenv(kenvOut.stdout).values) : no(kenvOut.reason),
    kld: kldOut.ok ? ok(parseKldstat(kldOut.stdout)) : no(kldOut.reason),
    platform: platOut.ok ? ok(parseSysctl(platOut.stdout).values) : no(platOut.reason),
    // sysctl exits 1 with "unknown oid" when vmm.ko is not loaded: that is an empty tree.
    vmm:
      vmmRun.kind === "ran"
        ? ok(parseSysctl(vmmRun.stdout).values)
        : no(vmmRun.kind === "missing" ? vmmRun.reason : `sysctl hw.vmm did not answer within ${vmmRun.seconds} s`),
    loader: mergeLoaderFiles(files),
    loaderUnknown,
    boot: dmesg.kind === "file" ? ok(parseDmesg(dmesg.text)) : no(`/var/run/dmesg.boot ${dmesg.kind === "absent" ? "does not exist" : `is ${dmesg.reason}`}`),
    liveDmesg: liveOut.ok ? ok(parseDmesg(liveOut.stdout)) : no(liveOut.reason),
    vmmModule: readVmmModule(s),
    defaultRouteInterface: readRoute(s),
    vms: vmInventory(discoverVms(s, extraVmDirs).found, s, pci),
    rc: readRcValues(s),
    wiring: readWiring(s),
  };
}

function vmInventory(found: VmDiscovery, s: HostSnapshot, pci: Known<PciconfListing>): VmInventory {
  return { ...found, ...runningVms(s), pptNames: pci.ok ? pptUnits(pci.value.devices) : new Map() };
}

function readWiring(s: HostSnapshot): HostModel["wiring"] {
  const out = commandOutput(s, CMD.sysctlWired);
  if (!out.ok) return no(out.reason);
  const v = parseSysctl(out.stdout).values;
  const num = (k: string) => (/^\d+$/.test(v.get(k)?.trim() ?? "") ? Number(v.get(k)!.trim()) : null);
  const [maxPages, wiredPages, pageSize] = [num("vm.max_user_wired"), num("vm.stats.vm.v_user_wire_count"), num("hw.pagesize")];
  if (maxPages === null || wiredPages === null || pageSize === null || pageSize === 0) return no("sysctl did not print vm.max_user_wired, vm.stats.vm.v_user_wire_count and hw.pagesize as numbers");
  return ok({ maxPages, wiredPages, pageSize });
}

function readPci(out: ReturnType<typeof commandOutput>): Known<PciconfListing> {
  if (!out.ok) return no(out.reason);
  const listing = parsePciconf(out.stdout);
  const bad = notPciconf(out.stdout, listing);
  return bad ? no(`${bad}; capture the host again with 'pptctl capture DIR'`) : ok(listing);
}

function readRcValues(s: HostSnapshot): Map<string, string> {
  const files: { path: string; text: string }[] = [];
  for (const path of RC_FILES) {
    const f = fileResult(s, path);
    if (f.kind === "file") files.push({ path, text: f.text });
  }
  return new Map([...readRc(files).values].map(([name, v]) => [name, v.value]));
}

function readAcpi(r: ReturnType<typeof commandResult>): Known<AcpiTables> {
  switch (r.kind) {
    case "ran":
      return ok(parseAcpidump(r.stdout, r.stderr, r.exit));
    case "missing":
      return no(r.reason);
    case "timeout":
      return no(`acpidump did not answer within ${r.seconds} s`);
  }
}

/** kldstat -m exits 0 with the module's row, or 1 with "can't find module" (real 14.0 output). */
function readVmmModule(s: HostSnapshot): Known<boolean> {
  const r = commandResult(s, CMD.kldVmm);
  if (r.kind !== "ran") return no(r.kind === "missing" ? r.reason : "kldstat -m vmm timed out");
  if (r.exit === 0 && /^\s*\d+\s+\d+\s+vmm\s*$/m.test(r.stdout)) return ok(true);
  if (r.exit !== 0 && /can't find module/i.test(r.stderr)) return ok(false);
  return no(`kldstat -m vmm gave exit ${r.exit}${r.stderr.trim() ? `: ${firstLine(r.stderr)}` : ""}`);
}

/** `route -n get default` prints `interface: em0`; no default route is a fact, not an error. */
function readRoute(s: HostSnapshot): Known<string | null> {
  const r = commandResult(s, CMD.route);
  if (r.kind !== "ran") return no(r.kind === "missing" ? r.reason : "route timed out");
  const m = /^\s*interface:\s*(\S+)/m.exec(r.stdout);
  if (m) return ok(m[1] ?? null);
  if (r.exit !== 0 && /not in table|has not been found|no such process/i.test(r.stderr + r.stdout)) return ok(null);
  return r.exit === 0 ? ok(null) : no(`route failed (exit ${r.exit})`);
}
