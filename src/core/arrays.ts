/**
 * map, filter, some, every, find, findIndex and flatMap as plain loops, used instead of the
 * Array.prototype methods everywhere in src/. JavaScriptCore writes those methods in JavaScript
 * and compiles each from source the first time a process calls it; pptctl's bytecode is compiled
 * at build time, these loops with it. A run of pptctl lasts a few milliseconds: a program calling
 * 13 of those builtins once each ran 1.10x as long as one doing the same with loops, and pptctl
 * with the loops ran list 0.97x, doctor 0.95x, args 0.96x (binaries built together, paired rounds).
 * test/arrays.test.ts checks each against the builtin, and that list, doctor and args call none.
 */

export function map<T, U>(xs: readonly T[], f: (x: T, i: number) => U): U[] {
  const out: U[] = [];
  for (let i = 0; i < xs.length; i++) out.push(f(xs[i] as T, i));
  return out;
}

export function filter<T, S extends T>(xs: readonly T[], f: (x: T, i: number) => x is S): S[];
export function filter<T>(xs: readonly T[], f: (x: T, i: number) => unknown): T[];
export function filter<T>(xs: readonly T[], f: (x: T, i: number) => unknown): T[] {
  const out: T[] = [];
  for (let i = 0; i < xs.length; i++) if (f(xs[i] as T, i)) out.push(xs[i] as T);
  return out;
}

export function some<T>(xs: readonly T[], f: (x: T, i: number) => unknown): boolean {
  for (let i = 0; i < xs.length; i++) if (f(xs[i] as T, i)) return true;
  return false;
}

export function every<T, S extends T>(xs: readonly T[], f: (x: T, i: number) => x is S): xs is readonly S[];
export function every<T>(xs: readonly T[], f: (x: T, i: number) => unknown): boolean;
export function every<T>(xs: readonly T[], f: (x: T, i: number) => unknown): boolean {
  for (let i = 0; i < xs.length; i++) if (!f(xs[i] as T, i)) return false;
  return true;
}

export function find<T, S extends T>(xs: readonly T[], f: (x: T, i: number) => x is S): S | undefined;
export function find<T>(xs: readonly T[], f: (x: T, i: number) => unknown): T | undefined;
export function find<T>(xs: readonly T[], f: (x: T, i: number) => unknown): T | undefined {
  for (let i = 0; i < xs.length; i++) if (f(xs[i] as T, i)) return xs[i];
  return undefined;
}

export function findIndex<T>(xs: readonly T[], f: (x: T, i: number) => unknown): number {
  for (let i = 0; i < xs.length; i++) if (f(xs[i] as T, i)) return i;
  return -1;
}

/** One level, as Array.prototype.flatMap: an array result is spread, anything else kept. */
export function flatMap<T, U>(xs: readonly T[], f: (x: T, i: number) => U | readonly U[]): U[] {
  const out: U[] = [];
  for (let i = 0; i < xs.length; i++) {
    const r = f(xs[i] as T, i);
    if (Array.isArray(r)) for (let j = 0; j < r.length; j++) out.push(r[j] as U);
    else out.push(r as U);
  }
  return out;
}

export function sum(xs: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i] as number;
  return s;
}
