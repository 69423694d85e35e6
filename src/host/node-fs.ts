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

const utf8 = new TextDecoder();

/**
 * Reads a file of a recording through mmap: Bun.file().text() starts a thread pool on first use
 * (reading the sample host's 14 files added 0.8 ms to a 3.8 ms program that way, 0.3 ms with
 * mmap, 1.0 ms with node:fs; binaries built together, 201 interleaved rounds). Only for
 * recordings: a file truncated while mapped would fault, and a capture folder is not written to
 * while pptctl replays it. What mmap cannot map — an empty file (EINVAL), a file system without
 * mmap (ENODEV, ENOTSUP) — is read the ordinary way; a missing file keeps its ENOENT.
 */
export async function readRecordedText(path: string): Promise<string> {
  try {
    return utf8.decode(Bun.mmap(path, { shared: false }));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EINVAL" || code === "ENODEV" || code === "ENOTSUP" || code === "EOPNOTSUPP" || code === "ENOSYS" || typeof Bun.mmap !== "function") {
      return Bun.file(path).text();
    }
    throw e;
  }
}
