import { describe, expect, test } from "bun:test";
import { CATALOGUE, PASSTHROUGH_WORDS } from "../src/core/preflight/explain-catalogue.ts";
import { explainLine } from "../src/core/preflight/explain.ts";
import { host } from "./doctor-model.ts";

/**
 * explain's catalogue as data (issue 36): each form's source is what the user is shown beside a
 * cause (explain --json), so it is held whole; the patterns are held to the lines they must and
 * must not take.
 */
test("every form's pattern and source, as shipped", () => {
  expect(CATALOGUE.map((f) => `${f.id} ${f.pattern} | ${f.source.file} ${f.source.func} | ${f.source.seen} | ${f.source.url}`)).toMatchSnapshot();
});

const H = host();
const explain = (line: string) => explainLine(H, line, { vm: null, roms: new Map() });

describe("patterns take what bhyve prints, whole", () => {
  test("slots and lines of more than one digit", () => {
    expect(explain("pci slot 16:10:7 already occupied!").cause).toBe("two -s options name guest slot 16:10:7");
    expect(explain("/vm/w.conf line 13: invalid config option 'x'").cause).toStartWith("line 13 of the bhyve -k file");
  });
  test("/dev/pci with the reason right after the colon; /dev/iommu is not /dev/io", () => {
    expect(explain("bhyve: failed to open /dev/pci:Operation not permitted").cause).toBe("bhyve could not open /dev/pci (Operation not permitted), through which it reaches the host device");
    expect(explain("bhyve: failed to open /dev/iommu: No such file or directory").id).toBeNull();
  });
  test("init_pci's line with nothing after its colon", () => {
    expect(explain("Device emulation initialization error:").id).toBe("device-init");
  });
});

describe("words that make a line one about passthrough", () => {
  test.each([
    ["ppt12: detached", true],
    ["ppt: whatever", true],
    ["MSI setup failed", true],
    ["MSI-X vector 3", true],
    ["BAR 0 moved", true],
    ["the BARs moved", true],
    ["romfile missing", true],
    ["cannot open /dev/mem", true],
    ["AMD-Vi: iommu fault", true],
    ["pptx started", false],
    ["MSIX", false],
    ["BARN owl", false],
    ["vm exit[0]", false],
    ["/dev/pcix", false],
  ] as [string, boolean][])("%p: %p", (line, want) => {
    expect(PASSTHROUGH_WORDS.test(line)).toBe(want);
  });
});
