import { describe, expect, test } from "bun:test";
import { editLoaderConf, majorityEol } from "../src/core/loader/edit.ts";
import { checkPptdevsValue, isIgnoredPptdevsName, packPptdevs } from "../src/core/loader/pptdevs.ts";
import { kenvPptdevs, readPptdevsConfig, removeCommand, replaceCommand } from "../src/core/loader/pptdevs-config.ts";
import { mergeLoaderFiles, parseLoaderConf } from "../src/core/parse/loader-conf.ts";
import { addr } from "../src/core/pci/address.ts";

/**
 * The loader layer function by function, whole outputs compared: every word of a message is
 * what the admin reads, so a test that only checks "some error" lets a wrong one through
 * (issue 36: mutation testing found these untested).
 */
const cfg = (text: string, local = "") =>
  mergeLoaderFiles([parseLoaderConf("/boot/loader.conf", text), ...(local ? [parseLoaderConf("/boot/loader.conf.local", local)] : [])]);

describe("checkPptdevsValue: a record as the kernel reads it", () => {
  const rows: [string, ReturnType<typeof checkPptdevsValue>][] = [
    ["1/0/0 2/0/1", { entries: [addr(1, 0, 0), addr(2, 0, 1)], errors: [], warnings: [] }],
    ["", { entries: [], errors: [], warnings: ["empty value"] }],
    ["  ", { entries: [], errors: [], warnings: ["extra blanks; entries should be separated by single spaces", "empty value"] }],
    [" 1/0/0", { entries: [addr(1, 0, 0)], errors: [], warnings: ["extra blanks; entries should be separated by single spaces"] }],
    ["1/0/0\t2/0/0", { entries: [addr(1, 0, 0), addr(2, 0, 0)], errors: [], warnings: ["extra blanks; entries should be separated by single spaces"] }],
    ["1/0/0  2/0/0", { entries: [addr(1, 0, 0), addr(2, 0, 0)], errors: [], warnings: ["extra blanks; entries should be separated by single spaces"] }],
    ["x1/0/0 1/0/0y 1:0:0", { entries: [], errors: ["'x1/0/0' is not B/S/F (decimal bus/slot/function)", "'1/0/0y' is not B/S/F (decimal bus/slot/function)", "'1:0:0' is not B/S/F (decimal bus/slot/function)"], warnings: [] }],
    ["1/32/0 1/0/256 256/0/0 1/0/8", { entries: [addr(1, 0, 8)], errors: ["'1/32/0': slot 32 is above 31", "'1/0/256': function 256 is above 255", "'256/0/0': bus 256 is above 255"], warnings: [] }],
    ["01/0/0", { entries: [addr(1, 0, 0)], errors: [], warnings: ["'01/0/0' is better written 1/0/0"] }],
  ];
  for (const [value, want] of rows) test(JSON.stringify(value), () => expect(checkPptdevsValue(value)).toEqual(want));

  test("the 128-character limit: 128 is read, 129 is over", () => {
    expect(EXACT.length).toBe(128);
    expect(checkPptdevsValue(EXACT).errors).toEqual([]);
    expect(checkPptdevsValue(`${EXACT}0`).errors).toEqual(["value is 129 characters, over the kernel's limit of 128"]);
  });
});

/** 4 entries of 5 characters and 15 of 6, with 18 blanks: exactly 128 characters. */
const FITS = [...[1, 2, 3, 4].map((b) => addr(b, 0, 0)), ...Array.from({ length: 15 }, (_, i) => addr(10 + i, 0, 0))];
const EXACT = FITS.map((a) => `${a.bus}/0/0`).join(" ");

describe("the records the kernel reads, and the ones it never does", () => {
  test("isIgnoredPptdevsName", () => {
    expect(["pptdevs", "pptdevs2", "pptdevs3"].map(isIgnoredPptdevsName)).toEqual([false, false, false]);
    expect(["pptdevs4", "pptdevs1", "PPTDEVS", "pptdevs[2]"].map(isIgnoredPptdevsName)).toEqual([true, true, true, true]);
    expect(["xpptdevs", "vmm_load", "my_pptdevs"].map(isIgnoredPptdevsName)).toEqual([false, false, false]);
  });

  test("packPptdevs fills a record to exactly 128 characters and no further", () => {
    expect(packPptdevs(FITS)).toEqual({ ok: true, records: [{ name: "pptdevs", value: EXACT }] });
    expect(packPptdevs([...FITS, addr(25, 0, 0)])).toEqual({ ok: true, records: [{ name: "pptdevs", value: EXACT }, { name: "pptdevs2", value: "25/0/0" }] });
  });

  test("packPptdevs: three full records still fit", () => {
    const many = Array.from({ length: 48 }, (_, i) => addr(100 + i, 0, 0));
    const r = packPptdevs(many);
    expect(r.ok && r.records.map((x) => x.name)).toEqual(["pptdevs", "pptdevs2", "pptdevs3"]);
  });

  test("packPptdevs past three records names what fits and what does not", () => {
    const many = Array.from({ length: 70 }, (_, i) => addr(100 + i, 0, 0));
    const r = packPptdevs(many);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.fitted.length + r.overflow.length).toBe(70);
      expect(r.fitted.length).toBe(3 * 16);
      expect(r.overflow[0]).toEqual(addr(148, 0, 0));
    }
  });
});

describe("readPptdevsConfig and replaceCommand: what the loader hands the kernel, and the command that mends it", () => {
  const b = (a: { bus: number; slot: number; func: number }) => `${a.bus}/${a.slot}/${a.func}`;
  const rows: { t: string; l: string; want: unknown }[] = [
    {
      "t": "pptdevs=\"1/0/0\"\npptdevs4=\"2/0/0\"\n",
      "l": "",
      "want": {
        "entries": [
          "1/0/0"
        ],
        "intended": [
          "1/0/0"
        ],
        "unreadable": [],
        "ignored": [
          {
            "file": "/boot/loader.conf",
            "line": 2,
            "name": "pptdevs4"
          }
        ],
        "errors": [
          "pptdevs4 at /boot/loader.conf:2 is never read: the kernel reads only pptdevs, pptdevs2 and pptdevs3"
        ],
        "valueErrors": 0,
        "warnings": [],
        "records": [
          "pptdevs=1/0/0"
        ],
        "replace": "pptctl plan --replace 1/0/0 --write"
      }
    },
    {
      "t": "pptdevs=\"1/0/0\"\npptdevs=\"2/0/0\"\n",
      "l": "",
      "want": {
        "entries": [
          "2/0/0"
        ],
        "intended": [
          "2/0/0"
        ],
        "unreadable": [],
        "ignored": [],
        "errors": [],
        "valueErrors": 0,
        "warnings": [
          "pptdevs is set 2 times (/boot/loader.conf:1, /boot/loader.conf:2); only the last, /boot/loader.conf:2, counts"
        ],
        "records": [
          "pptdevs=2/0/0"
        ],
        "replace": "pptctl plan --replace 2/0/0 --write"
      }
    },
    {
      "t": "pptdevs=\"1/0/0 2/0/0\"\npptdevs2=\"2/0/0 1/0/0 3/0/0\"\n",
      "l": "",
      "want": {
        "entries": [
          "1/0/0",
          "2/0/0",
          "3/0/0"
        ],
        "intended": [
          "1/0/0",
          "2/0/0",
          "3/0/0"
        ],
        "unreadable": [],
        "ignored": [],
        "errors": [],
        "valueErrors": 0,
        "warnings": [
          "2 duplicate entries across the pptdevs records"
        ],
        "records": [
          "pptdevs=1/0/0 2/0/0",
          "pptdevs2=2/0/0 1/0/0 3/0/0"
        ],
        "replace": "pptctl plan --replace 1/0/0 2/0/0 3/0/0 --write"
      }
    },
    {
      "t": "pptdevs=\"1/0/0\"\npptdevs3=\"1/0/0\"\n",
      "l": "",
      "want": {
        "entries": [
          "1/0/0"
        ],
        "intended": [
          "1/0/0"
        ],
        "unreadable": [],
        "ignored": [],
        "errors": [],
        "valueErrors": 0,
        "warnings": [
          "1 duplicate entry across the pptdevs records"
        ],
        "records": [
          "pptdevs=1/0/0",
          "pptdevs3=1/0/0"
        ],
        "replace": "pptctl plan --replace 1/0/0 --write"
      }
    },
    {
      "t": "pptdevs=\"1/0/0 2/0/0\n",
      "l": "",
      "want": {
        "entries": [],
        "intended": [
          "1/0/0",
          "2/0/0"
        ],
        "unreadable": [
          {
            "file": "/boot/loader.conf",
            "line": 1,
            "name": "pptdevs",
            "text": "pptdevs=\"1/0/0 2/0/0",
            "problem": "the closing double quote is missing"
          }
        ],
        "ignored": [],
        "errors": [
          "/boot/loader.conf:1: pptdevs=\"1/0/0 2/0/0: the closing double quote is missing; the loader ignores this line"
        ],
        "valueErrors": 0,
        "warnings": [],
        "records": [],
        "replace": "pptctl plan --replace 1/0/0 2/0/0 --write"
      }
    },
    {
      "t": "pptdevs=\"1/0/0 x  5/40/0\"\n",
      "l": "",
      "want": {
        "entries": [
          "1/0/0"
        ],
        "intended": [
          "1/0/0"
        ],
        "unreadable": [],
        "ignored": [],
        "errors": [
          "pptdevs at /boot/loader.conf:1: 'x' is not B/S/F (decimal bus/slot/function)",
          "pptdevs at /boot/loader.conf:1: '5/40/0': slot 40 is above 31"
        ],
        "valueErrors": 2,
        "warnings": [
          "pptdevs at /boot/loader.conf:1: extra blanks; entries should be separated by single spaces"
        ],
        "records": [
          "pptdevs=1/0/0 x  5/40/0"
        ],
        "replace": "pptctl plan --replace 1/0/0 --write"
      }
    },
    {
      "t": "pptdevs=1/0/0 2/0/0\n",
      "l": "",
      "want": {
        "entries": [],
        "intended": [
          "1/0/0",
          "2/0/0"
        ],
        "unreadable": [
          {
            "file": "/boot/loader.conf",
            "line": 1,
            "name": "pptdevs",
            "text": "pptdevs=1/0/0 2/0/0",
            "problem": "the loader reads an unquoted value only up to the first character that is not a letter, digit, '-', '_' or '.' ('/' here) and then finds '/0/0 2/0/0' left over: quote the value"
          }
        ],
        "ignored": [],
        "errors": [
          "/boot/loader.conf:1: pptdevs=1/0/0 2/0/0: the loader reads an unquoted value only up to the first character that is not a letter, digit, '-', '_' or '.' ('/' here) and then finds '/0/0 2/0/0' left over: quote the value; the loader ignores this line"
        ],
        "valueErrors": 0,
        "warnings": [],
        "records": [],
        "replace": "pptctl plan --replace 1/0/0 2/0/0 --write"
      }
    },
    {
      "t": "vmm_load=YES please\n",
      "l": "",
      "want": {
        "entries": [],
        "intended": [],
        "unreadable": [
          {
            "file": "/boot/loader.conf",
            "line": 1,
            "name": "vmm_load",
            "text": "vmm_load=YES please",
            "problem": "text after the value ('please'), which the loader does not accept: only a # comment may follow"
          }
        ],
        "ignored": [],
        "errors": [],
        "valueErrors": 0,
        "warnings": [],
        "records": [],
        "replace": "pptctl plan --replace --write"
      }
    },
    {
      "t": "pptdevs4=\"1/0/0\n",
      "l": "",
      "want": {
        "entries": [],
        "intended": [],
        "unreadable": [],
        "ignored": [
          {
            "file": "/boot/loader.conf",
            "line": 1,
            "name": "pptdevs4"
          }
        ],
        "errors": [
          "/boot/loader.conf:1: pptdevs4=\"1/0/0: the closing double quote is missing; and the kernel reads only pptdevs, pptdevs2 and pptdevs3"
        ],
        "valueErrors": 0,
        "warnings": [],
        "records": [],
        "replace": "pptctl plan --replace --write"
      }
    },
    {
      "t": "",
      "l": "pptdevs=\"7/0/0\n",
      "want": {
        "entries": [],
        "intended": [
          "7/0/0"
        ],
        "unreadable": [
          {
            "file": "/boot/loader.conf.local",
            "line": 1,
            "name": "pptdevs",
            "text": "pptdevs=\"7/0/0",
            "problem": "the closing double quote is missing"
          }
        ],
        "ignored": [],
        "errors": [
          "/boot/loader.conf.local:1: pptdevs=\"7/0/0: the closing double quote is missing; the loader ignores this line"
        ],
        "valueErrors": 0,
        "warnings": [],
        "records": [],
        "replace": "pptctl plan --replace 7/0/0 --write --file /boot/loader.conf.local"
      }
    },
    {
      "t": "pptdevs=\"3/0/0\"\n",
      "l": "pptdevs=\"1/0/0 2/0/0\n",
      "want": {
        "entries": [
          "3/0/0"
        ],
        "intended": [
          "1/0/0",
          "2/0/0",
          "3/0/0"
        ],
        "unreadable": [
          {
            "file": "/boot/loader.conf.local",
            "line": 1,
            "name": "pptdevs",
            "text": "pptdevs=\"1/0/0 2/0/0",
            "problem": "the closing double quote is missing"
          }
        ],
        "ignored": [],
        "errors": [
          "/boot/loader.conf.local:1: pptdevs=\"1/0/0 2/0/0: the closing double quote is missing; the loader ignores this line"
        ],
        "valueErrors": 0,
        "warnings": [],
        "records": [
          "pptdevs=3/0/0"
        ],
        "replace": "pptctl plan --replace 1/0/0 2/0/0 3/0/0 --write --file /boot/loader.conf.local"
      }
    },
    {
      "t": "hw.vmm.amdvi.enable=\"1\"\n#pptdevs=\"9/0/0\"\nvmm_load=\"YES\"\n",
      "l": "",
      "want": {
        "entries": [],
        "intended": [],
        "unreadable": [],
        "ignored": [],
        "errors": [],
        "valueErrors": 0,
        "warnings": [],
        "records": [],
        "replace": "pptctl plan --replace --write"
      }
    }
  ];
  for (const row of rows) {
    test(JSON.stringify(row.t + (row.l ? ` + .local ${row.l}` : "")), () => {
      const r = readPptdevsConfig(cfg(row.t, row.l));
      const got = { entries: r.entries.map(b), intended: r.intended.map(b), unreadable: r.unreadable, ignored: r.ignored, errors: r.errors, valueErrors: r.valueErrors, warnings: r.warnings, records: r.records.map((x) => `${x.name}=${x.value}`), replace: replaceCommand(r) };
      expect(got).toEqual(row.want as typeof got);
    });
  }
  test("managed settings the loader reads inexactly, or cannot read: vmm_load and amdvi too, other settings never", () => {
    const r = readPptdevsConfig(cfg('hw.vmm.amdvi.enable="$AMDVI"\nfoo_load="YES\nkern.x=$Y\nvmm_load="YES\n'));
    expect(r.unreadable.map((u) => `${u.line} ${u.name} ${u.text}`)).toEqual(["1 hw.vmm.amdvi.enable hw.vmm.amdvi.enable=\"$AMDVI\"", "4 vmm_load vmm_load=\"YES"]);
    expect(r.errors).toEqual(["/boot/loader.conf:1: hw.vmm.amdvi.enable: the value uses $NAME, which the loader expands from its own environment, so pptctl cannot tell what it holds"]);
  });
  test("entries of an unreadable line: only addresses that can exist (ARI functions up to 255), numbers of any width", () => {
    const r = readPptdevsConfig(cfg('pptdevs="12/3/0 2/31/1 2/40/0 300/0/0 1/0/12\n'));
    expect(r.intended.map(b)).toEqual(["1/0/12", "2/31/1", "12/3/0"]);
  });
  test("replaceCommand adds what the caller also wants, in order, once", () => {
    const r = readPptdevsConfig(cfg('pptdevs="2/0/0\n'));
    expect(replaceCommand(r, [addr(1, 0, 0), addr(2, 0, 0)])).toBe("pptctl plan --replace 1/0/0 2/0/0 --write");
  });
  test("kenvPptdevs: the three records the kernel reads, well-formed entries only, sorted, once", () => {
    const kenv = new Map([["pptdevs", "2/0/0 1/0/0"], ["pptdevs3", "1/0/0 x 4/0/0"], ["pptdevs4", "9/0/0"]]);
    expect(kenvPptdevs(kenv).map(b)).toEqual(["1/0/0", "2/0/0", "4/0/0"]);
    expect(kenvPptdevs(new Map())).toEqual([]);
  });
});

describe("editLoaderConf: every byte but the managed lines stays", () => {
  const set = (name: string, value: string) => ({ name, value });
  const rows: { name: string; text: string; settings: { name: string; value: string }[]; remove?: string[]; takeOver?: string[]; want: string }[] = [
    { name: "an empty file gets the lines, LF", text: "", settings: [set("vmm_load", "YES")], want: 'vmm_load="YES"\n' },
    { name: "replaced in place: indentation, spacing and a trailing comment kept", text: '  pptdevs = "1/0/0"  # GPU\nx="y"\n', settings: [set("pptdevs", "1/0/0 1/0/1")], want: '  pptdevs = "1/0/0 1/0/1"  # GPU\nx="y"\n' },
    { name: "a bare value is quoted in place", text: "vmm_load=NO # later\n", settings: [set("vmm_load", "YES")], want: 'vmm_load="YES" # later\n' },
    { name: "later assignments of a name go", text: 'pptdevs="1/0/0"\npptdevs="2/0/0"\n', settings: [set("pptdevs", "3/0/0")], want: 'pptdevs="3/0/0"\n' },
    { name: "removed names lose every line", text: 'a="1"\npptdevs2="2/0/0"\nb="2"\npptdevs2="3/0/0"\n', settings: [], remove: ["pptdevs2"], want: 'a="1"\nb="2"\n' },
    { name: "CRLF file: CRs stay, new lines in CRLF", text: 'a="1"\r\nvmm_load="NO"\r\n', settings: [set("vmm_load", "YES"), set("pptdevs", "1/0/0")], want: 'a="1"\r\nvmm_load="YES"\r\npptdevs="1/0/0"\r\n' },
    { name: "CRLF file without a final newline gets a CRLF before the new line", text: 'a="1"\r\nb="2"', settings: [set("pptdevs", "1/0/0")], want: 'a="1"\r\nb="2"\r\npptdevs="1/0/0"\r\n' },
    { name: "LF file without a final newline keeps none when nothing is added", text: 'pptdevs="1/0/0"', settings: [set("pptdevs", "2/0/0")], want: 'pptdevs="2/0/0"' },
    { name: "LF file without a final newline gets one before the new lines", text: 'a="1"', settings: [set("pptdevs", "2/0/0")], want: 'a="1"\npptdevs="2/0/0"\n' },
    { name: "only a comment: untouched", text: '# pptdevs="9/0/0"\n', settings: [set("pptdevs", "1/0/0")], want: '# pptdevs="9/0/0"\npptdevs="1/0/0"\n' },
    { name: "takeOver: an unreadable line is replaced where it was, its continuation too", text: 'a="1"\npptdevs="1/0/0 \\\n2/0/0"\nb="2"\n', settings: [set("pptdevs", "1/0/0 2/0/0")], takeOver: ["pptdevs"], want: 'a="1"\npptdevs="1/0/0 2/0/0"\nb="2"\n' },
    { name: "takeOver keeps a CR on the replaced line", text: 'pptdevs="1/0/0\r\nb="2"\r\n', settings: [set("pptdevs", "1/0/0")], takeOver: ["pptdevs"], want: 'pptdevs="1/0/0"\r\nb="2"\r\n' },
    { name: "without takeOver an unreadable line stays and the setting is added", text: 'pptdevs="1/0/0\n', settings: [set("pptdevs", "1/0/0")], want: 'pptdevs="1/0/0\npptdevs="1/0/0"\n' },
    { name: "takeOver of a name not asked for leaves its line", text: 'vmm_load="YES\n', settings: [set("pptdevs", "1/0/0")], takeOver: ["pptdevs"], want: 'vmm_load="YES\npptdevs="1/0/0"\n' },
    { name: "takeOver of a name no longer wanted drops its lines", text: 'a="1"\npptdevs2="4/0/0 \\\n5/0/0"\nb="2"\n', settings: [set("pptdevs", "1/0/0")], takeOver: ["pptdevs", "pptdevs2"], want: 'a="1"\nb="2"\npptdevs="1/0/0"\n' },
    { name: "CRLF: a quoted value's comment and CR stay", text: '  pptdevs = "1/0/0"  # GPU\r\nx="y"\r\n', settings: [set("pptdevs", "2/0/0")], want: '  pptdevs = "2/0/0"  # GPU\r\nx="y"\r\n' },
    { name: "CRLF: a bare value's comment and CR stay", text: "vmm_load=NO # later\r\n", settings: [set("vmm_load", "YES")], want: 'vmm_load="YES" # later\r\n' },
    { name: "CRLF file without a final newline, nothing added: still none", text: 'a="1"\r\npptdevs="1/0/0"', settings: [set("pptdevs", "2/0/0")], want: 'a="1"\r\npptdevs="2/0/0"' },
    { name: "blank lines and a final blank line stay", text: 'a="1"\n\npptdevs="1/0/0"\n\n', settings: [set("pptdevs", "2/0/0")], want: 'a="1"\n\npptdevs="2/0/0"\n\n' },
  ];
  for (const r of rows) {
    test(r.name, () => expect(editLoaderConf(r.text, r.settings, r.remove ?? [], { takeOver: r.takeOver })).toBe(r.want));
  }
  test("majorityEol: the file's own ending, LF when tied or none", () => {
    expect(majorityEol("")).toBe("\n");
    expect(majorityEol("a\r\nb\r\nc\n")).toBe("\r\n");
    expect(majorityEol("a\r\nb\n")).toBe("\n");
    expect(majorityEol("\nb\r\n")).toBe("\n");
    expect(majorityEol("\r\n")).toBe("\r\n");
    // A newline as the very first byte still counts.
    expect(majorityEol("\na\r\nb\r\n")).toBe("\r\n");
    expect(majorityEol("\n\na\r\n")).toBe("\n");
  });
});

test("removeCommand: one --remove per entry, then --write", () => {
  expect(removeCommand(["0/28/0"])).toBe("pptctl plan --remove 0/28/0 --write");
  expect(removeCommand(["0/31/0", "0/31/4"])).toBe("pptctl plan --remove 0/31/0 --remove 0/31/4 --write");
});
