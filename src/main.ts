#!/usr/bin/env bun
import { run } from "./cli.ts";

const code = await run(process.argv.slice(2), {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  env: process.env,
  stdoutIsTTY: process.stdout.isTTY === true,
  columns: process.stdout.isTTY ? (process.stdout.columns ?? 80) : 0,
  platform: process.platform,
  now: () => new Date(),
});
process.exitCode = code;
