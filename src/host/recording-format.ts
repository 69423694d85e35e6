import * as v from "valibot";

/** `pptctl-host/1`: the recorded-host folder format (DESIGN §3). Keep it exactly. */
export const HOST_FORMAT = "pptctl-host/1";

const RelPath = v.pipe(
  v.string(),
  v.check((p) => p !== "" && !p.startsWith("/") && !p.split(/[\\/]/).includes(".."), "must be a path inside the folder"),
);

export const HostJsonSchema = v.object({
  format: v.literal(HOST_FORMAT),
  captured: v.optional(v.string()),
  commands: v.array(
    v.object({
      argv: v.pipe(v.array(v.string()), v.minLength(1)),
      exit: v.pipe(v.number(), v.integer()),
      stdout: v.nullable(RelPath),
      stderr: v.nullable(RelPath),
    }),
  ),
  files: v.array(v.object({ path: v.pipe(v.string(), v.startsWith("/")), copy: v.nullable(RelPath) })),
  dirs: v.array(
    v.object({ path: v.pipe(v.string(), v.startsWith("/")), entries: v.nullable(v.array(v.string())) }),
  ),
  /** What capture replaced before writing (names, never values); null with --no-redact. */
  redacted: v.optional(v.nullable(v.array(v.object({ source: v.string(), items: v.array(v.string()) })))),
});

export type HostJson = v.InferOutput<typeof HostJsonSchema>;

