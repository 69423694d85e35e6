/**
 * What `pptctl capture` removes before anything is written, so a capture can go into a public
 * bug report. Every rule keeps what pptctl's own commands read (addresses, pptdevs, passthru
 * lists, CPU lines), so a redacted capture replays exactly as the unredacted one. Pure.
 */
import { valueEnd } from "./json-spans.ts";

export const REDACTED = "<redacted>";
const MAC_MARK = "xx:xx:xx:xx:xx:xx";

/** Key names that say secret. Not bare "pass": vm-bhyve's passthru0="1/0/0" must survive. */
export const SECRET_KEY = /(?:password|passwd|passphrase|secret|token)/i;
/** kenv identifiers of this very machine: SMBIOS serial numbers, UUIDs, asset tags (any key naming one). */
const KENV_ID = /smbios\.[a-z.]*(?:serial|uuid|tag)/i;
const MAC = /\b[0-9a-f]{2}(?::[0-9a-f]{2}){5}\b/gi;
/** Disk and board serials printed at boot (`ada0: Serial Number S4EWNX0R123456`). */
const SERIAL_LINE = /(Serial Number:?\s+)(\S+)/g;

/**
 * The PCI Express Device Serial Number capability, as pciconf -c prints it: `Serial 1 %08x%08x`
 * (usr.sbin/pciconf/cap.c ecap_sernum). It is one device's own number, and NICs often build it
 * from their MAC (EUI-64). pptctl reads nothing from it.
 * https://github.com/freebsd/freebsd-src/blob/main/usr.sbin/pciconf/cap.c
 * Not held to the end of the line: a number with something after it is still a number.
 */
const DEVICE_SERIAL = /^(\s*ecap 0003\[[0-9a-f]+\] = Serial \d+ )[0-9a-f]+/gm;

/** The process list has its own rules (vm/instances.ts redactProcessList): it knows which lines name VMs. */
export type RedactKind = "kenv" | "dmesg" | "config" | "lock" | "pciconf";

export interface Redaction {
  readonly text: string;
  /** What was replaced, by name only (never the value): `vnc_password`, `3 MAC addresses`. */
  readonly items: readonly string[];
}

export function redact(kind: RedactKind, text: string): Redaction {
  const items: string[] = [];
  let out = text;
  // vm-bhyve's run.lock holds the host's name; pptctl only needs to know it is there.
  if (kind === "lock") return text === "" ? { text, items } : { text: `${REDACTED}\n`, items: ["the host name in vm-bhyve's run.lock"] };
  if (kind === "kenv") out = redactAssignments(out, (k) => KENV_ID.test(k) || SECRET_KEY.test(k), items);
  if (kind === "config") {
    out = redactJsonValues(out, items);
    out = redactAssignments(out, (k) => SECRET_KEY.test(k), items);
  }
  if (kind === "pciconf") {
    let serials = 0;
    out = out.replace(DEVICE_SERIAL, (_m, pre: string) => {
      serials++;
      return `${pre}${REDACTED}`;
    });
    if (serials > 0) items.push(`${serials} PCIe device serial number${serials === 1 ? "" : "s"}`);
  }
  if (kind === "dmesg") {
    let serials = 0;
    out = out.replace(SERIAL_LINE, (_m, pre: string) => {
      serials++;
      return `${pre}${REDACTED}`;
    });
    if (serials > 0) items.push(`${serials} serial number${serials === 1 ? "" : "s"}`);
  }
  let macs = 0;
  out = out.replace(MAC, () => {
    macs++;
    return MAC_MARK;
  });
  if (macs > 0) items.push(`${macs} MAC address${macs === 1 ? "" : "es"}`);
  return { text: out, items };
}

// name="value", name='value' or name=value, one per line (kenv, loader.conf, rc.conf, vm-bhyve
// .conf), also commented out (`# password=…` still holds the password) or after a word
// (`export TOKEN=…`). Whatever comes before the name (blanks, `#`, `export`) is kept as it is,
// so the pattern starts at the name. A CR at the end is part of what follows the value (\s*).
const ASSIGNMENT = /([A-Za-z0-9_.\-[\]]+)(\s*=\s*)(["']?)(.*?)\3(\s*(?:#.*)?)$/;

function redactAssignments(text: string, secret: (key: string) => boolean, items: string[]): string {
  return text
    .split("\n")
    .map((line) => {
      const m = ASSIGNMENT.exec(line);
      if (!m || !secret(m[1]!) || m[4] === "" || m[4] === REDACTED) return line;
      items.push(m[1]!);
      return `${line.slice(0, m.index)}${m[1]}${m[2]}${m[3] || '"'}${REDACTED}${m[3] || '"'}${m[5]}`;
    })
    .join("\n");
}

// A JSON member name: "vnc_password": …
const JSON_KEY = /"((?:[^"\\]|\\.)*)"\s*:\s*/g;

/**
 * The whole value of every member whose name says secret, whatever its type (a string, a
 * number, an object, a list), becomes "<redacted>". Scanned, not parsed: byte for byte
 * elsewhere even in broken JSON, where an unclosed value is redacted to the end.
 */
function redactJsonValues(text: string, items: string[]): string {
  let out = "";
  let from = 0;
  JSON_KEY.lastIndex = 0;
  for (let m = JSON_KEY.exec(text); m; m = JSON_KEY.exec(text)) {
    if (!SECRET_KEY.test(m[1]!)) continue;
    const start = m.index + m[0].length;
    const end = valueEnd(text, start);
    if (end === start || text.slice(start, end) === `"${REDACTED}"`) continue;
    items.push(m[1]!);
    out += `${text.slice(from, start)}"${REDACTED}"`;
    from = end;
    JSON_KEY.lastIndex = end;
  }
  return out + text.slice(from);
}

/** Which rules a captured file gets, by its host path. */
export function kindOfFile(path: string): RedactKind {
  return path === "/var/run/dmesg.boot" ? "dmesg" : path.endsWith("/run.lock") ? "lock" : "config";
}

/** Which rules a command's output gets; null: nothing secret is in it. */
export function kindOfCommand(argv: readonly string[]): RedactKind | "ps" | null {
  // Stryker disable next-line StringLiteral: no name of an empty argv ends in /kenv, /dmesg or /ps, the fallback's text or another
  const cmd = argv[0] ?? "";
  if (cmd.endsWith("/kenv")) return "kenv";
  if (cmd.endsWith("/dmesg")) return "dmesg";
  if (cmd.endsWith("/ps")) return "ps";
  if (cmd.endsWith("/pciconf")) return "pciconf";
  return null;
}
