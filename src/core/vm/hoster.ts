/**
 * Hoster's configs (yaroslav-gwit/HosterCore): host_config.json names the active datasets, each
 * VM's vm_config.json holds `"passthru": ["1/0/0", "-1/0/1"]`
 * (internal/pkg/hoster/vm/utils/get_config.go).
 */
import * as v from "valibot";
import { parsePassthruEntry } from "./passthru-entry.ts";
import { goFields } from "../text/go-json.ts";
import { topObject } from "../text/json-spans.ts";
import { describeIssues } from "../text/issues.ts";

function hosterSchemas() {
  return {
    host: v.looseObject({ active_datasets: v.array(v.string()) }),
    vm: v.looseObject({
      passthru: v.optional(v.nullable(v.array(v.string()))),
      memory: v.optional(v.unknown()),
      networks: v.optional(v.unknown()),
      disks: v.optional(v.unknown()),
      "9p_shares": v.optional(v.unknown()),
      disable_xhci: v.optional(v.unknown()),
      os_type: v.optional(v.unknown()),
      loader: v.optional(v.unknown()),
    }),
  };
}
// Made on first use: a host without Hoster never reads them, and building valibot schemas is
// start-up work (this module's start-up took 54 µs of an instrumented `list` run with them).
let schemas: ReturnType<typeof hosterSchemas> | null = null;


export function parseHosterHost(text: string): { value: { active_datasets: string[] } } | { error: string } {
  return parseJson(text, (schemas ??= hosterSchemas()).host);
}

function parseJson<T>(text: string, schema: v.GenericSchema<unknown, T>): { value: T } | { error: string } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return { error: `not valid JSON (${(e as Error).message})` };
  }
  const r = v.safeParse(schema, data);
  return r.success ? { value: r.output } : { error: describeIssues(r.issues) };
}

/**
 * Hoster's vm_config.json: `"passthru": ["1/0/0", "-1/0/1"]`. Hoster turns each entry into bhyve
 * arguments by splitting it at `/` (passthruPciSplitter in internal/pkg/hoster/vm/utils/
 * generate_bhyve_command.go of yaroslav-gwit/HosterCore): it has no slot pins, so `0/2/0=2:0`
 * would reach bhyve as `-s N:0=2:0,passthru,0/2/0=2:0`, and it skips an entry with fewer than
 * three parts. Either is an error here, naming the entry.
 */
export interface HosterVm {
  readonly entries: string[];
  readonly memory: string | null;
  /** The guest slot Hoster gives the first passthru group (generate_bhyve_command.go). */
  readonly firstSlot: number;
  /** Hoster adds an xHCI tablet in the slot after the passthru devices unless disable_xhci. */
  readonly xhci: boolean;
  /** os_type, e.g. `windows10`, `debian12` (Hoster's own names: utils/generate_os_comment.go). */
  readonly guest: string | null;
  /** loader: `uefi` or `bios` (HosterCore's VmConfig.Loader). */
  readonly firmware: "uefi" | "bios" | null;
}

/** VmConfig's fields pptctl reads, by their json tags (get_config.go). */
const VM_FIELDS = ["passthru", "memory", "networks", "disks", "9p_shares", "disable_xhci", "os_type", "loader"] as const;

export function parseHosterVm(text: string): HosterVm | { error: string } {
  try {
    JSON.parse(text);
  } catch (e) {
    return { error: `not valid JSON (${(e as Error).message})` };
  }
  // topObject scans without judging, so only text JSON.parse took is given to it; it finds no
  // object in an array, a string or null.
  const top = topObject(text);
  if (top === null) return { error: "is not a JSON object" };
  // The fields as Go's decoder fills them: keys matched case-insensitively, the last match kept.
  const fields = v.safeParse((schemas ??= hosterSchemas()).vm, goFields(text, top, VM_FIELDS));
  if (!fields.success) return { error: describeIssues(fields.issues) };
  const r = { value: fields.output };
  const problems: string[] = [];
  const raw = r.value.passthru ?? [];
  for (const e of raw) {
    if (e !== e.trim() && e.trim() !== "") {
      problems.push(`passthru entry ${JSON.stringify(e)} holds blanks, which Hoster keeps in the bhyve command it builds, so bhyve would not read the address: write ${JSON.stringify(e.trim())}`);
    }
  }
  // Hoster skips an entry without three '/'-separated parts (passthruPciSplitter), so "" means nothing.
  // An entry with blanks around it was named above; parsePassthruEntry trims, so it is not named twice.
  const entries = raw.filter((e) => e.trim() !== "");
  for (const e of entries) {
    if (e.split("/").length < 3) {
      // passthruPciSplitter logs "would not be added to passthru" and goes on without it.
      problems.push(`passthru entry '${e}': Hoster passes only B/S/F entries (it splits them at '/') and skips this one, so the VM would start without it: write the device's B/S/F (pciconf -l shows pci0:B:S:F)`);
      continue;
    }
    const parsed = parsePassthruEntry(e);
    if ("error" in parsed) problems.push(parsed.error);
    else if (parsed.pin) {
      problems.push(`passthru entry '${e}': Hoster has no slot pins (it splits entries at '/' and would give bhyve '-s N:${e.split("/")[2]},passthru,${e}'), so the VM would not start: remove '=${parsed.pin.slot}:${parsed.pin.func}'`);
    }
  }
  if (problems.length > 0) return { error: problems.join("; ") };
  const count = (x: unknown) => (Array.isArray(x) ? x.length : 0);
  const { networks, disks, "9p_shares": shares, memory, disable_xhci, os_type, loader } = r.value;
  // NICs from slot 2 (the first at 2, each next +1), then a slot per disk and per 9p share, one
  // for VNC, and the passthru groups after it.
  const firstSlot = 2 + Math.max(count(networks) - 1, 0) + count(disks) + count(shares) + 2;
  return { entries, memory: typeof memory === "string" ? memory : null, firstSlot, xhci: disable_xhci !== true, guest: typeof os_type === "string" && os_type !== "" ? os_type : null, firmware: loader === "uefi" || loader === "bios" ? loader : null };
}

