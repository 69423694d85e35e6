/**
 * node:fs/promises, loaded on first use: a bundle's static node:* imports are all loaded at
 * start-up, before `args` runs a line. Reading a file uses Bun.file instead.
 */
let mod: Promise<typeof import("node:fs/promises")> | null = null;

export function nodeFs(): Promise<typeof import("node:fs/promises")> {
  mod ??= import("node:fs/promises");
  return mod;
}

/** O_* flags (node:fs constants) without importing node:fs at start-up. */
export async function openFlags(): Promise<typeof import("node:fs").constants> {
  return (await import("node:fs")).constants;
}

/** Reads a text file with Bun.file (no node:fs load); errors keep their errno `code` (ENOENT, EACCES, …). */
export async function readText(path: string): Promise<string> {
  return Bun.file(path).text();
}
