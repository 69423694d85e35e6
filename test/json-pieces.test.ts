import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { prettyJsonPieces } from "../src/render/json.ts";

function joined<T>(doc: Record<string, unknown>, key: string, items: readonly T[], toJson: (t: T) => unknown, chunk: number): string[] {
  const pieces: string[] = [];
  prettyJsonPieces(doc, key, items, toJson, (s) => pieces.push(s), chunk);
  return pieces;
}

describe("prettyJsonPieces writes the bytes JSON.stringify(doc, null, 2) would", () => {
  test("any document, any place of the array, any chunk size", () => {
    const keyName = fc.string({ maxLength: 6 });
    fc.assert(
      fc.property(
        fc.dictionary(keyName, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
        keyName,
        fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 9 }),
        fc.integer({ min: 1, max: 5 }),
        fc.boolean(),
        (rest, key, items, chunk, keyFirst) => {
          const { [key]: _, ...others } = rest;
          const doc = keyFirst ? { [key]: [], ...others } : { ...others, [key]: [] };
          const expected = JSON.stringify({ ...doc, [key]: items }, null, 2);
          expect(joined(doc, key, items, (x) => x, chunk).join("")).toBe(expected);
        },
      ),
      { numRuns: 3000 },
    );
  });

  test("items are converted one chunk at a time, and undefined prints as null as in an array", () => {
    const seen: number[] = [];
    const pieces = joined({ format: "x/1", devices: [] }, "devices", [1, 2, 3, 4, 5], (n) => (seen.push(n), n === 3 ? undefined : { n }), 2);
    expect(pieces.join("")).toBe(JSON.stringify({ format: "x/1", devices: [{ n: 1 }, { n: 2 }, null, { n: 4 }, { n: 5 }] }, null, 2));
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    // Three chunks: no piece holds the whole array.
    expect(pieces.filter((p) => p.includes('"n"')).length).toBe(3);
  });

  test("a string equal to the marker in the document does not confuse it", () => {
    const doc = { a: "\u0000pptctl:0\u0000", devices: [], b: ["\u0000pptctl:1\u0000"] };
    expect(joined(doc, "devices", [1], (x) => x, 1).join("")).toBe(JSON.stringify({ ...doc, devices: [1] }, null, 2));
  });
});
