/**
 * POSIX path joins, here rather than node:path: every node:* module a compiled bundle imports is
 * loaded at start-up, and `args` must not pay for it. Host paths are always POSIX.
 */
export function joinPath(...parts: string[]): string {
  const joined = parts.filter((p) => p !== "").join("/");
  const abs = joined.startsWith("/");
  const out: string[] = [];
  for (const seg of joined.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === ".." && out.length > 0 && out[out.length - 1] !== "..") out.pop();
    else if (seg !== ".." || !abs) out.push(seg);
  }
  let s = out.join("/");
  // Like node:path, a trailing separator survives.
  if (s !== "" && joined.endsWith("/")) s += "/";
  return abs ? `/${s}` : s || (joined.endsWith("/") && out.length === 0 && joined !== "" ? "./" : ".");
}

export function dirName(path: string): string {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, "") : path;
  const i = trimmed.lastIndexOf("/");
  if (i < 0) return ".";
  if (i === 0) return "/";
  return trimmed.slice(0, i);
}

export function baseName(path: string): string {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, "") : path;
  return trimmed.slice(trimmed.lastIndexOf("/") + 1);
}
