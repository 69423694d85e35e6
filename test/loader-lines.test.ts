import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeFakeHost } from "./fake-host.ts";
import { cli } from "./helpers.ts";

/**
 * Issue 22, fault 2: a pptdevs line pptctl could not read exactly was taken for an empty one,
 * and plan wrote a malformed line over it, dropping the GPU a running VM uses. Now such a line
 * stops every merge, unchanged, and the fix doctor and plan name is a command that works.
 */
const run = (root: string, argv: string[]) => cli(argv, { env: { PPTCTL_ROOT: root } });
const fixOf = (text: string) => /'(pptctl plan --replace [^']*)'/.exec(text)?.[1];

const bad: { name: string; lines: string }[] = [
  { name: "single quotes", lines: "pptdevs='1/0/0 1/0/1'" },
  { name: "junk after the closing quote", lines: 'pptdevs="1/0/0 1/0/1" junk' },
  { name: "a backslash continuation", lines: 'pptdevs="1/0/0 \\\n1/0/1"' },
  { name: "an unterminated quote", lines: 'pptdevs="1/0/0 1/0/1' },
  { name: "export", lines: 'export pptdevs="1/0/0 1/0/1"' },
  { name: "a quote inside the comment after the value", lines: 'pptdevs="1/0/0 1/0/1" # the "GPU"' },
];

describe("a pptdevs line the loader cannot read stops plan, unchanged, with a fix that works", () => {
  for (const b of bad) {
    test(b.name, async () => {
      const root = makeFakeHost();
      const conf = join(root, "boot/loader.conf");
      const before = `# host\nvmm_load="YES"\n${b.lines}\n# end\n`;
      writeFileSync(conf, before);

      const refused = await run(root, ["plan", "0/20/0", "--write"]);
      expect(refused.code).toBe(1);
      expect(refused.stdout).toBe("");
      expect(refused.stderr.trimEnd().split("\n")).toHaveLength(1);
      expect(refused.stderr).toStartWith("pptctl: plan: /boot/loader.conf:3: ");
      expect(readFileSync(conf, "utf8")).toBe(before);
      expect(fixOf(refused.stderr)).toBe("pptctl plan --replace 0/20/0 1/0/0 1/0/1 --write");

      // doctor says so, and its fix is the command that rewrites the list the loader way.
      const doctor = await run(root, ["doctor", "--json"]);
      const syntax = JSON.parse(doctor.stdout).checks.find((c: { id: string }) => c.id === "pptdevs-syntax");
      expect(syntax.status).toBe("fail");
      expect(syntax.summary).toContain("/boot/loader.conf:3");
      const fix = fixOf(syntax.fix);
      expect(fix).toBe("pptctl plan --replace 1/0/0 1/0/1 --write");

      const fixed = await run(root, fix!.split(" ").slice(1));
      expect(fixed.code).toBe(0);
      expect(readFileSync(conf, "utf8")).toBe('# host\nvmm_load="YES"\npptdevs="1/0/0 1/0/1"\n# end\n');
      const again = await run(root, ["doctor", "--json"]);
      expect(JSON.parse(again.stdout).checks.find((c: { id: string }) => c.id === "pptdevs-syntax").status).toBe("pass");
      // And now an ordinary merge works.
      expect((await run(root, ["plan", "0/20/0"])).stdout).toBe('pptdevs="0/20/0 1/0/0 1/0/1"\n');
    });
  }

  test("an unquoted B/S/F value is read only up to the '/': refused too", async () => {
    const root = makeFakeHost();
    writeFileSync(join(root, "boot/loader.conf"), 'vmm_load="YES"\npptdevs=1/0/0\n');
    const r = await run(root, ["plan", "0/20/0"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("/boot/loader.conf:2: pptdevs=1/0/0: the loader reads an unquoted value only up to the first character");
  });

  test("vmm_load written so the loader cannot read it: refused the same way, and --replace rewrites it", async () => {
    const root = makeFakeHost();
    const conf = join(root, "boot/loader.conf");
    writeFileSync(conf, 'vmm_load=YES junk\npptdevs="1/0/0 1/0/1"\n');
    const r = await run(root, ["plan", "0/20/0", "--write"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("/boot/loader.conf:1: vmm_load=YES junk: text after the value");
    expect((await run(root, fixOf(r.stderr)!.split(" ").slice(1))).code).toBe(0);
    expect(readFileSync(conf, "utf8")).toBe('vmm_load="YES"\npptdevs="0/20/0 1/0/0 1/0/1"\n');
  });
});
