import { openSync, readSync, closeSync } from "node:fs";

const ELFOSABI_FREEBSD = 9;

/** Returns why `path` is not a 64-bit little-endian FreeBSD ELF for `machine`, or null. */
export function checkElf(path: string, machine: number): string | null {
  const header = Buffer.alloc(20);
  const fd = openSync(path, "r");
  try {
    readSync(fd, header, 0, 20, 0);
  } finally {
    closeSync(fd);
  }
  return checkElfHeader(header, machine);
}

/** The same check on the first 20 bytes of a file (a binary inside an archive). */
export function checkElfHeader(header: Buffer, machine: number): string | null {
  if (header.length < 20) return "too short for an ELF header";
  if (header.toString("latin1", 0, 4) !== "\x7fELF") return "not an ELF file";
  if (header[4] !== 2) return "not a 64-bit ELF";
  if (header[5] !== 1) return "not little-endian";
  if (header[7] !== ELFOSABI_FREEBSD) return `ELF OS/ABI is ${header[7]}, not FreeBSD (9)`;
  const m = header.readUInt16LE(18);
  if (m !== machine) return `machine is 0x${m.toString(16)}, expected 0x${machine.toString(16)}`;
  return null;
}
