/**
 * Text from outside (a pasted log line, a config file, a directory name) shown on a terminal:
 * control bytes become visible escapes, so `ESC ] 0;…` cannot retitle the terminal or hide what
 * follows. Tab and newline stay; bytes above 0x7f stay (UTF-8 text).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this finds.
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/g;

export function printable(text: string): string {
  return text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}
