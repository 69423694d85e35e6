export interface KldList {
  /** File names of loaded kernel modules: `kernel`, `vmm.ko`, … */
  readonly files: readonly string[];
  readonly unparsed: readonly { line: number; text: string }[];
}

// Id Refs Address Size Name — address and size are sometimes elided by users (`... ....`).
const ROW = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(\S+)\s+(\S+)/;
const HEADER = /^\s*Id\s+Refs\s+Address/;

/** Parses `kldstat` output. Never throws. */
export function parseKldstat(text: string): KldList {
  const files: string[] = [];
  const unparsed: { line: number; text: string }[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const line = raw.trimEnd();
    if (line === "" || HEADER.test(line)) continue;
    const m = ROW.exec(line);
    if (m) files.push(m[5] ?? "");
    else unparsed.push({ line: i + 1, text: raw });
  }
  return { files, unparsed };
}

export function hasModule(k: KldList, file: string): boolean {
  return k.files.some((f) => f === file || f === file.replace(/\.ko$/, ""));
}
