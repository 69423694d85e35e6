import type { ArgsDef } from "citty";
import { PptError } from "./core/errors.ts";

/** Options that may be given more than once; each value is kept. */
export const REPEATABLE: ReadonlySet<string> = new Set(["vms", "remove", "reserved", "class"]);

export interface ParsedCli {
  readonly values: Record<string, string | boolean>;
  /** Every value of a repeatable option, in order. */
  readonly lists: Record<string, string[]>;
  readonly positionals: string[];
}

/**
 * Strict option parsing in front of citty (which silently drops unknown flags and keeps only the
 * last of repeated ones). A token like `-1/0/0` is an operand, not a flag: VM passthru lists
 * use a leading `-` to ask for a slot of its own.
 */
export function parseCli(command: string, argv: readonly string[], def: ArgsDef, repeatable: ReadonlySet<string>): ParsedCli {
  const values: Record<string, string | boolean> = {};
  const lists: Record<string, string[]> = {};
  const positionals: string[] = [];
  const byName = new Map<string, { name: string; type: string }>();
  for (const [name, d] of Object.entries(def)) {
    if (d.type === "positional") continue;
    const type = d.type ?? "boolean";
    byName.set(name, { name, type });
    const alias = "alias" in d ? d.alias : undefined;
    const aliases = Array.isArray(alias) ? alias : alias ? [alias] : [];
    for (const a of aliases) byName.set(a, { name, type });
  }
  const unknown = (flag: string) =>
    new PptError(`${command}: unknown option '${flag}'; see 'pptctl ${command} --help'`);
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i] ?? "";
    if (tok === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!tok.startsWith("-") || tok === "-" || /^-\d/.test(tok)) {
      positionals.push(tok);
      continue;
    }
    const long = tok.startsWith("--");
    const body = tok.slice(long ? 2 : 1);
    const eq = body.indexOf("=");
    const key = eq >= 0 ? body.slice(0, eq) : body;
    const spec = byName.get(key);
    if (!spec || (!long && key.length !== 1)) throw unknown(tok);
    if (spec.type === "boolean") {
      if (eq >= 0) throw new PptError(`${command}: option '--${key}' takes no value`);
      values[spec.name] = true;
      continue;
    }
    let value: string | undefined;
    if (eq >= 0) value = body.slice(eq + 1);
    else {
      value = argv[i + 1];
      i++;
    }
    if (value === undefined) throw new PptError(`${command}: option '${tok}' needs a value; see 'pptctl ${command} --help'`);
    const optDef = def[spec.name];
    if (optDef?.type === "enum" && optDef.options && !optDef.options.includes(value)) {
      throw new PptError(`${command}: option '--${spec.name}' must be one of ${optDef.options.join(", ")}, not '${value}'`);
    }
    if (repeatable.has(spec.name)) (lists[spec.name] ??= []).push(value);
    else if (spec.name in values && values[spec.name] !== value) {
      throw new PptError(`${command}: option '--${spec.name}' given twice ('${values[spec.name]}' and '${value}'); give it once`);
    }
    values[spec.name] = value;
  }
  // A command without operands refuses them: `pptctl doctor extra` is a mistake, not a no-op.
  if (positionals.length > 0 && !Object.values(def).some((d) => d.type === "positional")) {
    throw new PptError(`${command}: unexpected '${positionals[0]}': ${command} takes no operands; see 'pptctl ${command} --help'`);
  }
  return { values, lists, positionals };
}

/**
 * The `args` object a citty command's run() receives: operands under `_`, every option's value
 * with its default applied, under its own (kebab-case) name and citty's camelCase alias.
 */
export function commandArgs(p: ParsedCli, def: ArgsDef): Record<string, unknown> {
  const args: Record<string, unknown> = { _: [...p.positionals] };
  for (const [name, d] of Object.entries(def)) {
    if (d.type === "positional") continue;
    const value = name in p.values ? p.values[name] : "default" in d ? d.default : undefined;
    if (value === undefined) continue;
    args[name] = value;
    const camel = name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
    if (camel !== name) args[camel] = value;
  }
  return args;
}
