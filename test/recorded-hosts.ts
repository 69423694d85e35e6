import { readdirSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..");

/** Every recorded host of the repository: the samples and the test fixtures, by name. */
export function recordedHosts(): { name: string; dir: string }[] {
  const from = (base: string) => readdirSync(join(ROOT, base), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => ({ name: e.name, dir: join(ROOT, base, e.name) }));
  return [...from("examples/hosts"), ...from("test/fixtures/hosts")].sort((a, b) => a.name.localeCompare(b.name));
}
