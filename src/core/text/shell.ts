/**
 * Commands pptctl suggests are meant to be pasted into sh(1): a VM name or path with a blank, a
 * quote or a shell character is single-quoted (sh(1): "Single Quotes"), everything else is left
 * as it is so the common case reads plainly.
 */
const PLAIN = /^[A-Za-z0-9_@%+=:,./-]+$/;

export function shellWord(word: string): string {
  if (PLAIN.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export function shellLine(argv: readonly string[]): string {
  return argv.map(shellWord).join(" ");
}

/** `bhyvectl --destroy --vm=NAME`, quoted for the shell. */
export function destroyCommand(vm: string): string {
  return `bhyvectl --destroy ${shellWord(`--vm=${vm}`)}`;
}
