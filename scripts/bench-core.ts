/**
 * `bench-core DIR list|doctor [--all] [--json] [--vms D …]`: the work of `pptctl --from DIR list`
 * (or `doctor`, as text) with nothing around it, compiled by `bun run bench` as a second reference beside the hello-world. It reads
 * the recording straight (no check of host.json, no host layer, no command line, no logger),
 * builds the same model, rows and output, and prints the same bytes on stdout, which the bench
 * checks before it times anything. What pptctl costs above this is its shell; what this costs
 * above the hello-world is the core itself, which no start-up work can take back.
 */
import { runDoctor } from "../src/core/doctor/doctor.ts";
import { buildInventory } from "../src/core/inventory.ts";
import { buildModel } from "../src/core/model.ts";
import { LOADER_CONF_DIR } from "../src/core/loader-conf.ts";
import { CORE_COMMANDS, CORE_DIRS, CORE_FILES, type CommandResult, type DirResult, type FileResult, type HostSnapshot } from "../src/core/snapshot.ts";
import { discoverVms } from "../src/core/vm-configs.ts";
import { colors } from "../src/render/color.ts";
import { renderDoctorText } from "../src/render/doctor-text.ts";
import { prettyJsonPieces } from "../src/render/json.ts";
import { deviceJson, listTable, listWarnings } from "../src/render/list-view.ts";
import { renderTable } from "../src/render/table.ts";
import { expectInput } from "../src/jit.ts";

interface Spec {
  commands: { argv: string[]; exit: number; stdout: string | null; stderr: string | null }[];
  files: { path: string; copy: string | null }[];
  dirs: { path: string; entries: string[] | null }[];
}

const [dir = ".", command = "list", ...rest] = process.argv.slice(2);
const all = rest.includes("--all");
const json = rest.includes("--json");
const vmDirs = rest.flatMap((a, i) => (rest[i - 1] === "--vms" ? [a] : []));

const utf8 = new TextDecoder();
function read(rel: string | null): string {
  if (rel === null) return "";
  try {
    return utf8.decode(Bun.mmap(`${dir}/${rel}`, { shared: false }));
  } catch {
    return ""; // an empty file cannot be mapped (EINVAL)
  }
}
const spec = JSON.parse(read("host.json")) as Spec;
const commands = new Map<string, CommandResult>();
for (const c of spec.commands) commands.set(c.argv.join("\u0000"), { kind: "ran", exit: c.exit, stdout: read(c.stdout), stderr: read(c.stderr) });
const files = new Map<string, FileResult>();
for (const f of spec.files) files.set(f.path, f.copy === null ? { kind: "absent" } : { kind: "file", text: read(f.copy) });
const dirs = new Map<string, DirResult>();
for (const d of spec.dirs) dirs.set(d.path, d.entries === null ? { kind: "absent" } : { kind: "dir", entries: d.entries });

// What pptctl asks and the recording lacks answers as the recorded host answers it.
const unknown = { kind: "unknown", reason: "not in the recording" } as const;
for (const c of CORE_COMMANDS) if (!commands.has(c.join("\u0000"))) commands.set(c.join("\u0000"), { kind: "missing", reason: `${c.join(" ")} is not in the recording` });
for (const f of CORE_FILES) if (!files.has(f)) files.set(f, unknown);
for (const d of CORE_DIRS) if (!dirs.has(d)) dirs.set(d, unknown);
const confd = dirs.get(LOADER_CONF_DIR);
if (confd?.kind === "dir") for (const n of confd.entries) if (n.endsWith(".conf") && !files.has(`${LOADER_CONF_DIR}/${n}`)) files.set(`${LOADER_CONF_DIR}/${n}`, unknown);
let snap: HostSnapshot = { commands, files, dirs };
for (let round = 0; round < 8; round++) {
  const { needs } = discoverVms(snap, vmDirs);
  if (needs.files.length === 0 && needs.dirs.length === 0) break;
  for (const f of needs.files) if (!files.has(f)) files.set(f, unknown);
  for (const d of needs.dirs) if (!dirs.has(d)) dirs.set(d, unknown);
  snap = { commands, files, dirs };
}

// As pptctl's host layer does: the normal JIT policy for a big listing.
let bytes = 0;
for (const r of commands.values()) if (r.kind === "ran") bytes += r.stdout.length;
expectInput(bytes);
const model = buildModel(snap, vmDirs);
const sink = Bun.stdout.writer();
const inv = command === "list" ? buildInventory(model, all) : null;
if (inv === null) {
  sink.write(renderDoctorText(runDoctor(model), await colors(false), false));
} else if (json) {
  prettyJsonPieces({ format: "pptctl-list/1", devices: [], problems: inv.problems, warnings: listWarnings(model, inv, all) }, "devices", inv.rows, deviceJson, (s) => sink.write(s));
  sink.write("\n");
} else {
  const { header, rows } = listTable(inv, all, { tty: false, box: false, columns: 0 });
  // With no row pptctl says so on stderr and prints nothing.
  if (rows.length > 0) sink.write(renderTable(header, rows, await colors(false), { box: false, width: 0, shrink: [5, 4, 2] }));
}
await sink.flush();
