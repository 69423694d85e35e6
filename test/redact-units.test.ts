import { describe, expect, test } from "bun:test";
import { REDACTED, kindOfCommand, kindOfFile, redact } from "../src/core/text/redact.ts";

/**
 * What capture removes, rule by rule, whole outputs compared (issue 36): every secret goes, and
 * every byte pptctl's own commands read stays.
 */
describe("redact", () => {
  const rows: [string, Parameters<typeof redact>[0], string, { text: string; items: string[] }][] = [
    ["kenv: SMBIOS serials, UUIDs and tags go; the rest stays", "kenv", 'smbios.system.serial="ABC123"\nsmbios.system.uuid="4c4c-1"\nsmbios.chassis.tag="T1"\nsmbios.bios.vendor="Intel"\npptdevs="1/0/0"\n',
      { text: `smbios.system.serial="${REDACTED}"\nsmbios.system.uuid="${REDACTED}"\nsmbios.chassis.tag="${REDACTED}"\nsmbios.bios.vendor="Intel"\npptdevs="1/0/0"\n`, items: ["smbios.system.serial", "smbios.system.uuid", "smbios.chassis.tag"] }],
    ["kenv: a secret key, bare or single-quoted, and an empty one left alone", "kenv", "my_password=hunter2\napi_token='x y'\nsecret_key=\"\"\n",
      { text: `my_password="${REDACTED}"\napi_token='${REDACTED}'\nsecret_key=""\n`, items: ["my_password", "api_token"] }],
    ["config: commented-out secrets too, CRs kept, passthru kept", "config", '# vnc_password="abc"\r\npassthru0="1/0/0"\r\nPassPhrase = "x" # note\n',
      { text: `# vnc_password="${REDACTED}"\r\npassthru0="1/0/0"\r\nPassPhrase = "${REDACTED}" # note\n`, items: ["vnc_password", "PassPhrase"] }],
    ["config: JSON members whose name says secret, whatever the value", "config", '{"vnc_password": "abc", "token": 12, "secret": {"a": [1]}, "passthru": ["1/0/0"], "x": "y"}',
      { text: `{"vnc_password": "${REDACTED}", "token": "${REDACTED}", "secret": "${REDACTED}", "passthru": ["1/0/0"], "x": "y"}`, items: ["vnc_password", "token", "secret"] }],
    ["config: an already redacted value is not counted again", "config", `{"vnc_password": "${REDACTED}"}\nsecret="${REDACTED}"\n`, { text: `{"vnc_password": "${REDACTED}"}\nsecret="${REDACTED}"\n`, items: [] }],
    ["config: broken JSON is redacted to its end", "config", '{"vnc_password": "abc', { text: `{"vnc_password": "${REDACTED}"`, items: ["vnc_password"] }],
    ["dmesg: serial numbers and MACs", "dmesg", "ada0: Serial Number S4EWNX0R123456\nnvme0: Serial Number: 123ABC\nem0: Ethernet address: 52:54:00:12:34:56\n",
      { text: `ada0: Serial Number ${REDACTED}\nnvme0: Serial Number: ${REDACTED}\nem0: Ethernet address: xx:xx:xx:xx:xx:xx\n`, items: ["2 serial numbers", "1 MAC address"] }],
    ["MACs in any kind, counted", "config", 'network0_mac="58:9C:FC:0B:7E:21"\nmac2=58:9c:fc:0b:7e:22\n', { text: 'network0_mac="xx:xx:xx:xx:xx:xx"\nmac2=xx:xx:xx:xx:xx:xx\n', items: ["2 MAC addresses"] }],
    ["a run.lock holds the host's name", "lock", "myhost.example.org\n", { text: `${REDACTED}\n`, items: ["the host name in vm-bhyve's run.lock"] }],
    ["an empty run.lock stays empty", "lock", "", { text: "", items: [] }],
    ["nothing to redact", "dmesg", "pci0: <ACPI PCI bus> on pcib0\n", { text: "pci0: <ACPI PCI bus> on pcib0\n", items: [] }],
    ["the mark is the word <redacted>", "kenv", 'secret="x"\n', { text: 'secret="<redacted>"\n', items: ["secret"] }],
    ["dmesg: blanks after 'Serial Number'", "dmesg", "da0: Serial Number:   WD-1234\n", { text: `da0: Serial Number:   ${REDACTED}\n`, items: ["1 serial number"] }],
    ["dmesg gets no assignment or JSON rule", "dmesg", 'password="x"\n{"token": "y"}\nsmbios.system.serial="Z"\n', { text: 'password="x"\n{"token": "y"}\nsmbios.system.serial="Z"\n', items: [] }],
    ["kenv gets no JSON rule", "kenv", 'x="{\\"token\\": 1}"\n', { text: 'x="{\\"token\\": 1}"\n', items: [] }],
    ["config gets no SMBIOS rule", "config", 'smbios.system.serial="Z"\n', { text: 'smbios.system.serial="Z"\n', items: [] }],
    ["kenv: any key naming an SMBIOS serial", "kenv", 'hint.smbios.system.serial="Z"\n', { text: `hint.smbios.system.serial="${REDACTED}"\n`, items: ["hint.smbios.system.serial"] }],
    ["config: a secret after a word (export), a CR kept", "config", "export API_TOKEN=abc\r\nexport PATH=/bin\n", { text: `export API_TOKEN="${REDACTED}"\r\nexport PATH=/bin\n`, items: ["API_TOKEN"] }],
    ["config: JSON with no blank after the colon", "config", '{"password":"x","a":1}', { text: `{"password":"${REDACTED}","a":1}`, items: ["password"] }],
    ["config: a JSON name with nothing after it", "config", '{"password":', { text: '{"password":', items: [] }],
    [
      "pciconf: the PCIe device serial numbers (cap.c ecap_sernum), nothing else",
      "pciconf",
      "    ecap 0001[100] = AER 2 0 fatal 0 non-fatal 1 corrected\n    ecap 0003[140] = Serial 1 001018fffebcc49c\n    ecap 0003[100] = Serial 1 24f5a96983b30200\n    device     = 'Serial IO I2C Controller'\n",
      { text: `    ecap 0001[100] = AER 2 0 fatal 0 non-fatal 1 corrected\n    ecap 0003[140] = Serial 1 ${REDACTED}\n    ecap 0003[100] = Serial 1 ${REDACTED}\n    device     = 'Serial IO I2C Controller'\n`, items: ["2 PCIe device serial numbers"] },
    ],
    ["pciconf: one serial, and a serial capability of version 0 that prints no number", "pciconf", "    ecap 0003[100] = Serial 0\n    ecap 0003[148] = Serial 1 0000000000000000\n", { text: `    ecap 0003[100] = Serial 0\n    ecap 0003[148] = Serial 1 ${REDACTED}\n`, items: ["1 PCIe device serial number"] }],
    ["config: 'Serial Number' is a dmesg rule, not a config one", "config", "# Serial Number S123\n", { text: "# Serial Number S123\n", items: [] }],
    ["config: a password commented out with blanks after the #", "config", "#   vnc_password=x\n#\tpassword=y\n", { text: `#   vnc_password="${REDACTED}"\n#\tpassword="${REDACTED}"\n`, items: ["vnc_password", "password"] }],
    ["pciconf without a serial number: nothing said", "pciconf", "    ecap 0001[100] = AER 2 0 fatal 0 non-fatal 1 corrected\n", { text: "    ecap 0001[100] = AER 2 0 fatal 0 non-fatal 1 corrected\n", items: [] }],
    // The version is 4 bits (PCI_EXTCAP_VER), so it may take two digits.
    ["pciconf: a serial capability of a two-digit version", "pciconf", "    ecap 0003[100] = Serial 15 24f5a96983b30200\n", { text: `    ecap 0003[100] = Serial 15 ${REDACTED}\n`, items: ["1 PCIe device serial number"] }],
    ["pciconf: a serial with something after it is still redacted", "pciconf", "    ecap 0003[100] = Serial 1 24f5a96983b30200 \n", { text: `    ecap 0003[100] = Serial 1 ${REDACTED} \n`, items: ["1 PCIe device serial number"] }],
    ["pciconf: only the capability's own line, not the words quoted after other text", "pciconf", "    device     = x ecap 0003[100] = Serial 1 24f5\n", { text: "    device     = x ecap 0003[100] = Serial 1 24f5\n", items: [] }],
    ["the serial rule is pciconf's only", "dmesg", "    ecap 0003[100] = Serial 1 24f5a96983b30200\n", { text: "    ecap 0003[100] = Serial 1 24f5a96983b30200\n", items: [] }],
  ];
  for (const [name, kind, input, want] of rows) test(name, () => expect(redact(kind, input)).toEqual(want));

  test("which rules a file and a command get", () => {
    expect(["/var/run/dmesg.boot", "/zroot/vm/gw/run.lock", "/boot/loader.conf", "/etc/rc.conf"].map(kindOfFile)).toEqual(["dmesg", "lock", "config", "config"]);
    expect([["/bin/kenv"], ["/sbin/dmesg"], ["/bin/ps", "-axww"], ["/usr/sbin/pciconf", "-lvc"], ["/sbin/sysctl", "hw.vmm"], []].map(kindOfCommand)).toEqual(["kenv", "dmesg", "ps", "pciconf", null, null]);
  });
});
