import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { tarballName } from "../scripts/package.ts";
import { pkgName } from "../scripts/pkg.ts";
import { MAJORS, repoRoot } from "../scripts/pkg-repo-write.ts";
import { TARGETS } from "../scripts/targets.ts";
import { VERSION } from "../src/version.ts";

const ROOT = join(import.meta.dir, "..");
/** What goes into the tarballs and packages besides the binary. */
const INPUTS = ["src/pptctl.8", "src/periodic/480.status-pptctl", "scripts/pkg.ts", "scripts/package.ts", "scripts/pkg-repo.ts", "scripts/pkg-repo-write.ts", "package.json"];

/** Runs `npm run build` when a fresh clone has not built yet, or an input is newer than an output. */
export function ensureBuilt(): void {
  const outputs = TARGETS.flatMap((t) => [tarballName(VERSION, t.freebsd), pkgName(VERSION, t.freebsd), join(repoRoot(t.freebsd, MAJORS[0]), "meta.conf")]).map((p) => join(ROOT, p));
  const newest = Math.max(...INPUTS.map((p) => statSync(join(ROOT, p)).mtimeMs));
  if (outputs.every((p) => existsSync(p) && statSync(p).mtimeMs >= newest)) return;
  const r = Bun.spawnSync([process.execPath, "scripts/build.ts"], { cwd: ROOT, stdout: "ignore", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`build failed: ${r.stderr.toString()}`);
}
