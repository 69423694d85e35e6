import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../src/cli.ts";

export const FIXTURES = join(import.meta.dir, "fixtures");
export const HOSTS = join(FIXTURES, "hosts");
export const SAMPLE = join(import.meta.dir, "..", "examples", "hosts", "gpu-workstation");
export const CORPUS = join(FIXTURES, "corpus");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs pptctl in-process, as a pipe (no TTY) unless told otherwise. */
export async function cli(
  argv: string[],
  opts: { tty?: boolean; stderrTty?: boolean; columns?: number; env?: Record<string, string>; platform?: string; stdin?: string } = {},
): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const code = await run(argv, {
    out: (s) => {
      stdout += s;
    },
    err: (s) => {
      stderr += s;
    },
    env: { ...opts.env },
    stdoutIsTTY: opts.tty ?? false,
    stderrIsTTY: async () => opts.stderrTty ?? false,
    columns: opts.columns ?? (opts.tty ? 120 : 0),
    platform: opts.platform ?? "linux",
    now: () => new Date("2026-11-24T12:00:00Z"),
    ...(opts.stdin !== undefined ? { readStdin: async () => chunks(opts.stdin!) } : {}),
  });
  return { code, stdout, stderr };
}

/** Standard input in pieces of 7 characters, as a pipe may deliver it: lines span pieces. */
async function* chunks(text: string): AsyncIterable<string> {
  for (let i = 0; i < text.length; i += 7) yield text.slice(i, i + 7);
}

const made: string[] = [];

/** `npm test` runs the suite under a TMPDIR it removes; a bare `bun test` has test/setup.ts call this. */
export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A folder made elsewhere (the bench's synthetic hosts) that goes with the test folders. */
export function removeLater(dir: string): string {
  made.push(dir);
  return dir;
}

export function tempDir(prefix = "pptctl-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export function host(name: string): string {
  return join(HOSTS, name);
}
