/**
 * A passthrough report, `pptctl-report/1` (../shared/DESIGN.md §4 "compat / report"): one device
 * on one host in one guest, and whether it worked, with where that is known from. Strict: an
 * unknown field is refused, so a typo never becomes silently ignored knowledge. The same schema
 * checks the shipped reports (tests), `report --check` and what `report` writes.
 */
import * as v from "valibot";

const HEX4 = v.pipe(v.string(), v.regex(/^0x[0-9a-f]{4}$/, "a 16-bit ID as pciconf prints it, 0x followed by 4 lowercase hex digits"));
const CLASS = v.pipe(v.string(), v.regex(/^0x[0-9a-f]{6}$/, "a class code as pciconf prints it (0x030000)"));
const REV = v.pipe(v.string(), v.regex(/^0x[0-9a-f]{2}$/, "a revision as pciconf prints it (0xa1)"));
const DATE = v.pipe(v.string(), v.isoDate("a date as YYYY-MM-DD"));
const TEXT = (max: number) => v.pipe(v.string(), v.minLength(1, "empty"), v.maxLength(max, `longer than ${max} characters`));

/** A bhyve passthru option as a report keeps it: ROM and boot order by file name only, never a path. */
const OPTION = v.pipe(v.string(), v.regex(/^(?:rom=[^/\s]+|bootindex=\d+|[a-z]+=[^/\s]*)$/, "an option as name=value, a ROM by its file name only (rom=gpu.rom)"));

const DEVICE = v.strictObject({
  /** Null where the source names the device without its IDs or its maker. */
  vendor: v.nullable(HEX4),
  device: v.nullable(HEX4),
  subvendor: v.nullable(HEX4),
  subdevice: v.nullable(HEX4),
  class: v.nullable(CLASS),
  rev: v.nullable(REV),
  name: TEXT(120),
});

export const MANAGERS = ["bhyve", "vm-bhyve", "hoster", "cbsd", "chyves", "iohyve", "sylve", "bhyvemgr", "wifibox", "twincat", "other"] as const;

const SOURCE = v.variant("kind", [
  v.strictObject({
    kind: v.literal("public"),
    url: v.pipe(v.string(), v.url("a URL"), v.startsWith("https://", "an https URL")),
    title: TEXT(200),
    date: v.nullable(DATE),
    says: TEXT(600),
  }),
  v.strictObject({ kind: v.literal("contributed"), date: DATE }),
]);

export const ReportSchema = v.strictObject({
  format: v.literal("pptctl-report/1"),
  id: v.pipe(v.string(), v.regex(/^[a-z0-9][a-z0-9-]{2,70}$/, "lowercase letters, digits and dashes (the file's name)")),
  device: DEVICE,
  /** The card's other functions passed with it (a GPU's audio). */
  with: v.array(DEVICE),
  reset: v.nullable(v.picklist(["flr", "power", "none"])),
  host: v.strictObject({
    release: v.nullable(v.pipe(v.string(), v.regex(/^\d+\.\d+(?:-[A-Z0-9]+(?:-p\d+)?)?$|^\d+-CURRENT$/, "a FreeBSD release (14.0-RELEASE, 15-CURRENT)"))),
    arch: v.nullable(v.picklist(["amd64", "arm64"])),
    cpu: v.nullable(v.picklist(["intel", "amd"])),
    iommu: v.nullable(v.picklist(["vt-d", "amd-vi"])),
  }),
  manager: v.nullable(v.picklist(MANAGERS)),
  passed: v.strictObject({
    grouping: v.nullable(v.picklist(["one-slot", "own-slots"])),
    options: v.array(OPTION),
    wired: v.nullable(v.boolean()),
    loader: v.nullable(v.picklist(["uefi", "bios", "bhyveload", "grub"])),
  }),
  guest: v.nullable(TEXT(80)),
  result: v.picklist(["works", "partial", "fails"], "works, partial or fails"),
  symptoms: v.array(TEXT(300)),
  source: SOURCE,
});

export type Report = v.InferOutput<typeof ReportSchema>;
export type ReportResult = Report["result"];
