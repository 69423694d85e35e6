/**
 * vm-bhyve's NAME.conf, read the way vm-bhyve itself reads it (lib/vm-config, config::load and
 * config::get: https://github.com/churchers/vm-bhyve/blob/master/lib/vm-config):
 *
 *   VM_CONFIG=$(grep '^[a-z]' FILE | awk -F# '{print $1}' | sed -e 's@ *$@@' | tr -d '"')
 *
 * so only lines starting with a lower-case letter count, everything from the first `#` is cut
 * (inside quotes too), trailing spaces go, every double quote goes (single quotes stay). A key
 * is everything before the first `=` and must equal the name exactly; the first line wins.
 * lib/vm-run (vm::bhyve_device_passthru) reads passthru0, passthru1, … and stops at the first
 * missing number; `passthruN_options` is appended to the entry after a comma, and an entry
 * `B/S/F=S:F` pins the guest slot.
 *
 * Text is a byte string (bytes.ts). Anything that leaves the passthru list uncertain is an
 * error naming the line: pptctl never guesses a VM has fewer devices than it may have.
 */
import { displayText } from "../text/bytes.ts";
import { parsePassthruEntry } from "./passthru-entry.ts";

/** FreeBSD's grep reads a file's first 32 KiB and calls it binary when a NUL byte is there (usr.bin/grep/file.c, grep_open). */
const GREP_PROBE = 32 * 1024;

/**
 * vm-bhyve's vm::run stops with "fatal; unable to start - missing required configuration" when
 * one of these is empty (current lib/vm-run: `[ -z "${_loader}" -o -z "${_cpu}" -o -z "${_memory}" ]`).
 */
export const VM_BHYVE_REQUIRED = ["loader", "cpu", "memory"] as const;

export function parseVmBhyveConf(text: string): { entries: string[]; memory: string | null; missing: string[]; guest: string | null; firmware: Firmware | null } | { error: string } {
  const nul = text.indexOf("\0");
  if (nul >= 0) {
    return {
      error:
        nul < GREP_PROBE
          ? "holds a NUL byte, so FreeBSD's grep, which vm-bhyve reads its configs with, takes it for a binary file and prints no line of it: vm-bhyve would see no setting at all"
          : `holds a NUL byte (line ${lineOf(text, nul)}): not a text file pptctl can read with confidence`,
    };
  }
  const ctl = /[\x01-\x08\x0e-\x1f\x7f]/.exec(text);
  if (ctl) {
    return { error: `holds binary data (byte 0x${ctl[0].charCodeAt(0).toString(16).padStart(2, "0")} on line ${lineOf(text, ctl.index)}): not a text file pptctl can read with confidence` };
  }
  const settings = new Map<string, { value: string; line: number }>();
  const problems: string[] = [];
  const lines = text.split("\n");
  for (const [i, raw] of lines.entries()) {
    const n = i + 1;
    const shown = displayText(raw.trim());
    if (!/^[a-z]/.test(raw)) {
      // A comment stays one: '#' never starts a passthru name.
      // Stryker disable next-line Regex: a line that does not start with a letter has blanks to strip only at its start, or none that matter
      const meant = raw.replace(/^[ \t]+/, "").replace(/^export[ \t]+/, "");
      if (/^passthru\d+(_options)?[ \t]*=/i.test(meant)) {
        problems.push(`line ${n}, '${shown}', is skipped by vm-bhyve, which reads only lines that start with a lower-case letter`);
      }
      continue;
    }
    const body = raw.split("#")[0]!.replace(/ +$/, "").replaceAll('"', "");
    if (/^passthru\d+(_options)?=/.test(body) && body.includes("\r")) {
      // sed 's@ *$@@' strips blanks only: a DOS line ending stays in the value bhyve gets.
      problems.push(`line ${n}, '${shown}', ends in a carriage return (a DOS line ending), which vm-bhyve keeps in the value it gives bhyve: save the file with Unix line endings`);
      continue;
    }
    const eq = body.indexOf("=");
    // A line without '=' sets nothing (vm-bhyve's sed keeps only NAME=VALUE lines).
    // Stryker disable next-line EqualityOperator: a line read here starts with a letter, so its "=" is never at 0
    if (eq < 0) continue;
    const key = body.slice(0, eq);
    if (/^passthru\d+(_options)?$/.test(key.trim()) && key !== key.trim()) {
      problems.push(`line ${n}, '${shown}': vm-bhyve matches the name exactly, so the blank before '=' hides it`);
      continue;
    }
    if (/^export[ \t]+passthru\d+(_options)?$/.test(key)) {
      problems.push(`line ${n}, '${shown}': vm-bhyve takes everything before '=' as the name, '${displayText(key)}', so it never reads this line: remove 'export'`);
      continue;
    }
    if (settings.has(key)) continue;
    settings.set(key, { value: body.slice(eq + 1), line: n });
  }
  const entries: string[] = [];
  let next = 0;
  for (; settings.has(`passthru${next}`); next++) {
    const { value, line } = settings.get(`passthru${next}`)!;
    const options = settings.get(`passthru${next}_options`)?.value ?? "";
    const entry = options ? `${value},${options}` : value;
    const why = entryProblem(value, options);
    if (why) problems.push(`line ${line}, passthru${next}=${displayText(value)}${options ? ` (with passthru${next}_options=${displayText(options)})` : ""}: ${why}`);
    else entries.push(entry);
  }
  for (const [key, { line }] of settings) {
    const m = /^passthru(\d+)$/.exec(key);
    if (m && Number(m[1]) > next) {
      problems.push(`line ${line}, ${key}: vm-bhyve stops at the first missing number (passthru${next}), so it never passes this device: renumber from passthru0 without gaps`);
    }
  }
  if (problems.length > 0) return { error: problems.join("; ") };
  const missing = VM_BHYVE_REQUIRED.filter((k) => (settings.get(k)?.value ?? "") === "");
  // Stryker disable next-line StringLiteral: an unset loader or uefi is no loader or uefi value firmwareOf knows, whatever the stand-in text
  return { entries, memory: settings.get("memory")?.value ?? null, missing, guest: settings.get("guest")?.value || null, firmware: firmwareOf(settings.get("loader")?.value ?? "", settings.get("uefi")?.value ?? "") };
}

/** How the guest boots: what a report records as `passed.loader`. */
export type Firmware = "uefi" | "bios" | "bhyveload" | "grub";

/**
 * vm-bhyve's loader= (bhyveload, grub, uefi) and its older uefi= (yes, or csm for the BIOS
 * firmware BHYVE_UEFI_CSM.fd: lib/vm-run vm::run). Anything else is not guessed at.
 */
function firmwareOf(loader: string, uefi: string): Firmware | null {
  const csm = uefi.toLowerCase() === "csm";
  if (loader === "uefi") return csm ? "bios" : "uefi";
  if (loader === "uefi-csm") return "bios";
  if (loader === "bhyveload" || loader === "grub") return loader;
  if (csm) return "bios";
  return /^(?:yes|true|on|1)$/i.test(uefi) ? "uefi" : null;
}

function entryProblem(value: string, options: string): string | null {
  if (/^'.*'$/.test(value)) return `vm-bhyve removes only double quotes, so bhyve would get ${displayText(value)} with its single quotes and refuse it: write passthruN="${displayText(value.slice(1, -1))}"`;
  if (/[ \t]/.test(value) || /[ \t]/.test(options)) return "holds a blank, which splits the argument vm-bhyve gives bhyve";
  // pptN is valid for vm-bhyve and bhyve alike; which device it is, the host's listing says (assignments.ts).
  if (/^ppt\d+$/.test(value)) return null;
  // vm-bhyve hands the entry to bhyve as written, and bhyve reads pptN, pci0:B:S:F, pciB:S:F or
  // B/S/F, nothing else (usr.sbin/bhyve/pci_passthru.c passthru_legacy_config).
  const colons = /^(\d+):(\d+):(\d+)(?:=.*)?$/.exec(value);
  if (colons) return `bhyve reads B/S/F, pci0:B:S:F or pptN and refuses '${displayText(value.split("=")[0]!)}' ("passthru: invalid options"): write ${colons[1]}/${colons[2]}/${colons[3]}`;
  const text = options ? `${value},${options}` : value;
  const e = parsePassthruEntry(text);
  // The line is named already: the entry's own prefix goes.
  if ("error" in e) return e.error.replace(`passthru entry '${text}': `, "");
  if (e.ownSlot) return "a leading '-' is Hoster's syntax; vm-bhyve passes it to bhyve as part of the address";
  return null;
}

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split("\n").length;
}
