/** One `name=value` assignment in a loader.conf-family file. */
export interface LoaderAssignment {
  readonly file: string;
  /** 1-based line number. */
  readonly line: number;
  readonly name: string;
  readonly value: string;
  readonly quoted: boolean;
}

export interface LoaderProblem {
  readonly file: string;
  readonly line: number;
  readonly text: string;
  readonly problem: string;
}

export interface LoaderFile {
  readonly path: string;
  readonly assignments: readonly LoaderAssignment[];
  readonly problems: readonly LoaderProblem[];
}

// name="value" [# comment] | name=value [# comment]; the loader ignores blank and # lines.
const ASSIGN = /^\s*([A-Za-z0-9_.\-[\]]+)\s*=\s*(?:"([^"]*)"|([^\s"#]*))\s*(?:#.*)?$/;

/** Parses one loader.conf-family file. Never throws; odd lines become problems with file:line. */
export function parseLoaderConf(path: string, text: string): LoaderFile {
  const assignments: LoaderAssignment[] = [];
  const problems: LoaderProblem[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const line = raw.replace(/\r$/, "");
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const m = ASSIGN.exec(line);
    if (!m) {
      const problem = /"[^"]*$/.test(trimmed) ? "unterminated quote" : "not a name=value assignment";
      problems.push({ file: path, line: i + 1, text: trimmed, problem });
      continue;
    }
    assignments.push({
      file: path,
      line: i + 1,
      name: m[1] ?? "",
      value: m[2] ?? m[3] ?? "",
      quoted: m[2] !== undefined,
    });
  }
  return { path, assignments, problems };
}

export const LOADER_CONF = "/boot/loader.conf";
export const LOADER_CONF_LOCAL = "/boot/loader.conf.local";
export const LOADER_CONF_DIR = "/boot/loader.conf.d";

/**
 * The order the loader (FreeBSD 14+) reads the family: loader.conf, loader.conf.d/*.conf,
 * then loader.conf.local last. Later assignments win.
 */
export function loaderFileOrder(dirEntries: readonly string[] | null): string[] {
  const confd = (dirEntries ?? []).filter((n) => n.endsWith(".conf"))
    .sort().map((n) => `${LOADER_CONF_DIR}/${n}`);
  return [LOADER_CONF, ...confd, LOADER_CONF_LOCAL];
}

export interface LoaderConfig {
  readonly files: readonly LoaderFile[];
  /** Effective value per name: the last assignment in reading order. */
  readonly effective: ReadonlyMap<string, LoaderAssignment>;
  readonly problems: readonly LoaderProblem[];
}

export function mergeLoaderFiles(files: readonly LoaderFile[]): LoaderConfig {
  const effective = new Map<string, LoaderAssignment>();
  for (const f of files) for (const a of f.assignments) effective.set(a.name, a);
  return { files, effective, problems: files.flatMap((f) => f.problems) };
}

/** Every assignment of `name` across the family, in reading order. */
export function assignmentsOf(cfg: LoaderConfig, name: string): LoaderAssignment[] {
  return cfg.files.flatMap((f) => f.assignments.filter((a) => a.name === name));
}

export function isYes(v: string | undefined): boolean {
  return v !== undefined && /^(yes|true|on|1)$/i.test(v.trim());
}
