/**
 * Host files travel through pptctl as byte strings: one UTF-16 code unit per byte (latin1), so
 * an edit keeps every byte of a line it does not touch, whatever the file's encoding (a Latin-1
 * comment, a UTF-8 one, a byte-order mark). Everything the loader, vm-bhyve or Hoster look for
 * is ASCII, so parsing a byte string is parsing the file. Text shown to a person is decoded.
 */
export function displayText(bytes: string): string {
  // Plain ASCII, the usual case, is its own UTF-8.
  if (!/[^\x00-\x7f]/.test(bytes)) return bytes;
  const raw = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) raw[i] = bytes.charCodeAt(i) & 0xff;
  return new TextDecoder().decode(raw);
}

/** The UTF-8 byte-order mark as a byte string. */
export const UTF8_BOM = "\xef\xbb\xbf";

/** True when the bytes are valid UTF-8 (ASCII included). */
export function isUtf8(bytes: string): boolean {
  if (!/[^\x00-\x7f]/.test(bytes)) return true;
  const raw = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) raw[i] = bytes.charCodeAt(i) & 0xff;
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(raw);
    return true;
  } catch {
    return false;
  }
}
