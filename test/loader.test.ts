import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { editLoaderConf } from "../src/core/loader/edit.ts";
import { PPTDEVS_NAMES, checkPptdevsValue, normalizeEntries, packPptdevs } from "../src/core/loader/pptdevs.ts";
import { addr, formatBhyve } from "../src/core/pci/address.ts";

const bsf = (s: string) => {
  const [b, sl, f] = s.split("/").map(Number);
  return addr(b!, sl!, f!);
};

describe("packer", () => {
  test("orders by bus, slot, function and drops duplicates", () => {
    const r = packPptdevs(["10/0/0", "2/0/1", "2/0/0", "2/0/1", "2/10/0"].map(bsf));
    expect(r).toEqual({ ok: true, records: [{ name: "pptdevs", value: "2/0/0 2/0/1 2/10/0 10/0/0" }] });
  });
  test("a record of exactly 128 characters stays; one more character spills into pptdevs2", () => {
    // 16 entries of "1NN/0/0" (7 chars) + 15 spaces = 127; one more entry "9/0/0" makes 133.
    const base = Array.from({ length: 16 }, (_, i) => `${100 + i}/0/0`);
    const exact = [...base.slice(0, 15), "115/10/0"]; // 15*7 + 8 + 15 = 128
    const r128 = packPptdevs(exact.map(bsf));
    expect(r128.ok && r128.records.map((r) => r.value.length)).toEqual([128]);
    const r129 = packPptdevs([...base.slice(0, 15), "115/10/10"].map(bsf)); // 129
    expect(r129.ok && r129.records.map((r) => [r.name, r.value.length])).toEqual([
      ["pptdevs", 119],
      ["pptdevs2", 9],
    ]);
  });
  test("more than three records: says how many fit and which do not", () => {
    const many = Array.from({ length: 60 }, (_, i) => addr(100 + i, 10, 0));
    const r = packPptdevs(many);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.fitted.length + r.overflow.length).toBe(60);
      // "1NN/10/0" is 8 characters: 14 fit in 128 with their spaces, 42 in three records.
      expect(r.fitted.length).toBe(42);
      expect(formatBhyve(r.overflow[0]!)).toBe("142/10/0");
    }
  });
  const entries = fc.array(
    fc.record({ bus: fc.integer({ min: 0, max: 255 }), slot: fc.integer({ min: 0, max: 31 }), func: fc.integer({ min: 0, max: 255 }) }).map((a) => addr(a.bus, a.slot, a.func)),
    { maxLength: 50 },
  );
  test("properties: records ≤ 128, only the three names, parse(plan(x)) = x, plan(plan(x)) = plan(x)", () => {
    fc.assert(
      fc.property(entries, (x) => {
        const r = packPptdevs(x);
        if (!r.ok) {
          expect(normalizeEntries(x).length).toBeGreaterThan(30);
          return;
        }
        r.records.forEach((rec, i) => {
          expect(rec.value.length).toBeLessThanOrEqual(128);
          expect(rec.name).toBe(PPTDEVS_NAMES[i]!);
          expect(checkPptdevsValue(rec.value)).toMatchObject({ errors: [], warnings: [] });
        });
        const back = r.records.flatMap((rec) => checkPptdevsValue(rec.value).entries);
        expect(back).toEqual(normalizeEntries(x));
        expect(packPptdevs(back)).toEqual(r);
      }),
      { numRuns: 1000 },
    );
  });
});

describe("editing loader.conf keeps every unrelated byte", () => {
  const set = [{ name: "pptdevs", value: "1/0/0 1/0/1" }];
  const rows: { name: string; before: string; settings?: { name: string; value: string }[]; remove?: string[]; after: string }[] = [
    { name: "replace in place, comments and blank lines kept", before: '# top\n\nzfs_load="YES"\npptdevs="1/0/0"\n# tail\n', after: '# top\n\nzfs_load="YES"\npptdevs="1/0/0 1/0/1"\n# tail\n' },
    { name: "odd spacing and an inline comment survive", before: '  pptdevs =  "2/0/0"   # the GPU\nx=1\n', after: '  pptdevs =  "1/0/0 1/0/1"   # the GPU\nx=1\n' },
    { name: "CRLF file stays CRLF", before: 'a="1"\r\npptdevs="2/0/0"\r\nb="2"\r\n', after: 'a="1"\r\npptdevs="1/0/0 1/0/1"\r\nb="2"\r\n' },
    { name: "CRLF file: appended lines use CRLF", before: 'a="1"\r\n', settings: [{ name: "vmm_load", value: "YES" }], after: 'a="1"\r\nvmm_load="YES"\r\n' },
    { name: "no trailing newline: replaced line keeps none", before: 'a="1"\npptdevs="2/0/0"', after: 'a="1"\npptdevs="1/0/0 1/0/1"' },
    { name: "no trailing newline: appending adds one first", before: 'a="1"', after: 'a="1"\npptdevs="1/0/0 1/0/1"\n' },
    { name: "records split across pptdevs and pptdevs2 merge; the stale one goes", before: 'pptdevs="1/0/0"\nfoo="x"\npptdevs2="1/0/1"\n', remove: ["pptdevs2"], after: 'pptdevs="1/0/0 1/0/1"\nfoo="x"\n' },
    { name: "a duplicate assignment is dropped, the first keeps its place", before: 'pptdevs="3/0/0"\nx=1\npptdevs="4/0/0"\n', after: 'pptdevs="1/0/0 1/0/1"\nx=1\n' },
    { name: "commented-out pptdevs is left alone", before: '#pptdevs="9/0/0"\n', after: '#pptdevs="9/0/0"\npptdevs="1/0/0 1/0/1"\n' },
    { name: "empty file", before: "", after: 'pptdevs="1/0/0 1/0/1"\n' },
    // Issue 11.3: one CRLF line among LF lines used to turn every added line CRLF.
    { name: "mixed endings: one CRLF among LF lines, new lines are LF", before: 'a="1"\r\nb="2"\nc="3"\n', settings: [{ name: "vmm_load", value: "YES" }], after: 'a="1"\r\nb="2"\nc="3"\nvmm_load="YES"\n' },
    { name: "mixed endings: CRLF majority, new lines are CRLF", before: 'a="1"\r\nb="2"\r\nc="3"\n', settings: [{ name: "vmm_load", value: "YES" }], after: 'a="1"\r\nb="2"\r\nc="3"\nvmm_load="YES"\r\n' },
    { name: "mixed endings: a tie is LF", before: 'a="1"\r\nb="2"\n', settings: [{ name: "vmm_load", value: "YES" }], after: 'a="1"\r\nb="2"\nvmm_load="YES"\n' },
  ];
  for (const r of rows) {
    test(r.name, () => {
      expect(editLoaderConf(r.before, r.settings ?? set, r.remove ?? [])).toBe(r.after);
    });
  }
  test("property: lines that are not managed settings are kept in order", () => {
    const line = fc.oneof(fc.constantFrom("# c", "", "  # indented", 'zfs_load="YES"', "kern.x=1", 'a_load="NO" # x'), fc.string({ maxLength: 20 }).filter((s) => !/[\r\n]/.test(s) && !/pptdevs|vmm_load/.test(s)));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), fc.boolean(), (lines, crlf) => {
        const eol = crlf ? "\r\n" : "\n";
        const before = lines.map((l) => l + eol).join("");
        const after = editLoaderConf(before, set, ["pptdevs2"]);
        expect(after.startsWith(before)).toBe(true);
        // An empty file has no line-end style of its own: it gets \n.
        expect(after.slice(before.length)).toBe(`pptdevs="1/0/0 1/0/1"${before === "" ? "\n" : eol}`);
      }),
    );
  });
});

