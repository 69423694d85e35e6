import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { makePlan, sysrcCommands } from "../src/core/loader/plan.ts";
import { PptError } from "../src/core/errors.ts";
import { parseSelectorOrThrow } from "../src/core/pci/selector.ts";
import { CMD, type CommandResult, type FileResult, commandKey } from "../src/core/snapshot.ts";
import { modelOf } from "./model-of.ts";

/**
 * plan's core case by case on recorded hosts, whole results compared (issue 36: mutation testing
 * found what the CLI tests let through). Each case was read and judged right before it was kept.
 */
const ROOT = join(import.meta.dir, "..");
type Opts = { select?: string[]; classes?: string[]; remove?: string[]; replace?: boolean; withFunctions?: boolean; force?: boolean };
const req = (o: Opts) => ({ select: (o.select ?? []).map(parseSelectorOrThrow), classes: o.classes ?? [], remove: (o.remove ?? []).map(parseSelectorOrThrow), replace: !!o.replace, withFunctions: !!o.withFunctions, force: !!o.force });
const b = (a: { bus: number; slot: number; func: number }) => `${a.bus}/${a.slot}/${a.func}`;
const HOSTS = { S: "examples/hosts/gpu-workstation", D: "examples/hosts/vm-bhyve-desktop", A: "test/fixtures/hosts/amd-no-amdvi", L: "test/fixtures/hosts/gpu-audio-left", Q: "test/fixtures/hosts/gpu-quirks", P: "test/fixtures/hosts/supermicro-igpu-xhci" } as const;

type Change = { files?: Record<string, string | null | FileResult>; pciconfExtra?: string; commands?: Record<string, CommandResult> };

async function outcome(host: keyof typeof HOSTS, o: Opts, change: Change = {}) {
  const dir = join(ROOT, HOSTS[host]);
  const pciconf = change.pciconfExtra ? readFileSync(join(dir, "pciconf-lvc.txt"), "utf8") + change.pciconfExtra : undefined;
  const m = await modelOf(dir, { files: change.files, pciconf, commands: change.commands });
  try {
    const p = makePlan(m, req(o));
    return { entries: p.entries.map(b), added: p.added.map(b), removed: p.removed.map(b), settings: p.settings, unset: p.unset, warnings: p.warnings, inSync: p.inSync, sysrc: sysrcCommands(p, "/boot/loader.conf") };
  } catch (e) {
    if (!(e instanceof PptError)) throw e;
    return { error: e.message, exit: e.exitCode };
  }
}

describe("makePlan, case by case", () => {
  const cases: { name: string; host: keyof typeof HOSTS; o: Opts; change?: { files?: Record<string, string | null>; pciconfExtra?: string }; want: unknown }[] = [
    {
      "name": "--class by code",
      "host": "D",
      "o": {
        "classes": [
          "0x03"
        ]
      },
      "want": {
        "entries": [
          "0/2/0",
          "1/0/0",
          "1/0/1"
        ],
        "added": [
          "0/2/0",
          "1/0/0",
          "1/0/1"
        ],
        "removed": [],
        "settings": [
          {
            "name": "vmm_load",
            "value": "YES"
          },
          {
            "name": "pptdevs",
            "value": "0/2/0 1/0/0 1/0/1"
          }
        ],
        "unset": [],
        "warnings": [
          "hdac0 (1/0/1) comes along: GPU with an HDMI/DisplayPort audio function on the same card",
          "this reserves every display device of the host (vgapci0, vgapci1): the local console goes away after the reboot (fine on a headless host)"
        ],
        "inSync": false,
        "sysrc": [
          "sysrc -f /boot/loader.conf vmm_load=YES",
          "sysrc -f /boot/loader.conf 'pptdevs=0/2/0 1/0/0 1/0/1'"
        ]
      }
    },
    {
      "name": "--class by name",
      "host": "D",
      "o": {
        "classes": [
          "display"
        ]
      },
      "want": {
        "entries": [
          "0/2/0",
          "1/0/0",
          "1/0/1"
        ],
        "added": [
          "0/2/0",
          "1/0/0",
          "1/0/1"
        ],
        "removed": [],
        "settings": [
          {
            "name": "vmm_load",
            "value": "YES"
          },
          {
            "name": "pptdevs",
            "value": "0/2/0 1/0/0 1/0/1"
          }
        ],
        "unset": [],
        "warnings": [
          "hdac0 (1/0/1) comes along: GPU with an HDMI/DisplayPort audio function on the same card",
          "this reserves every display device of the host (vgapci0, vgapci1): the local console goes away after the reboot (fine on a headless host)"
        ],
        "inSync": false,
        "sysrc": [
          "sysrc -f /boot/loader.conf vmm_load=YES",
          "sysrc -f /boot/loader.conf 'pptdevs=0/2/0 1/0/0 1/0/1'"
        ]
      }
    },
    {
      "name": "--class by a two-digit code without 0x",
      "host": "D",
      "o": {
        "classes": [
          "03"
        ]
      },
      "want": {
        "entries": [
          "0/2/0",
          "1/0/0",
          "1/0/1"
        ],
        "added": [
          "0/2/0",
          "1/0/0",
          "1/0/1"
        ],
        "removed": [],
        "settings": [
          {
            "name": "vmm_load",
            "value": "YES"
          },
          {
            "name": "pptdevs",
            "value": "0/2/0 1/0/0 1/0/1"
          }
        ],
        "unset": [],
        "warnings": [
          "hdac0 (1/0/1) comes along: GPU with an HDMI/DisplayPort audio function on the same card",
          "this reserves every display device of the host (vgapci0, vgapci1): the local console goes away after the reboot (fine on a headless host)"
        ],
        "inSync": false,
        "sysrc": [
          "sysrc -f /boot/loader.conf vmm_load=YES",
          "sysrc -f /boot/loader.conf 'pptdevs=0/2/0 1/0/0 1/0/1'"
        ]
      }
    },
    {
      "name": "--class that matches nothing",
      "host": "D",
      "o": {
        "classes": [
          "nothing"
        ]
      },
      "want": {
        "error": "plan: --class 'nothing' matches no device; use a class name pciconf -lv prints (display, network, multimedia, serial bus) or a code like 0x03",
        "exit": 2
      }
    },
    {
      "name": "--class never takes a bridge",
      "host": "D",
      "o": {
        "classes": [
          "bridge"
        ]
      },
      "want": {
        "error": "plan: --class 'bridge' matches no device; use a class name pciconf -lv prints (display, network, multimedia, serial bus) or a code like 0x03",
        "exit": 2
      }
    },
    {
      "name": "--with-functions leaves the platform's own bus 0 alone",
      "host": "D",
      "o": {
        "select": [
          "0/20/0"
        ],
        "withFunctions": true
      },
      "want": {
        "entries": [
          "0/20/0"
        ],
        "added": [
          "0/20/0"
        ],
        "removed": [],
        "settings": [
          {
            "name": "vmm_load",
            "value": "YES"
          },
          {
            "name": "pptdevs",
            "value": "0/20/0"
          }
        ],
        "unset": [],
        "warnings": [],
        "inSync": false,
        "sysrc": [
          "sysrc -f /boot/loader.conf vmm_load=YES",
          "sysrc -f /boot/loader.conf pptdevs=0/20/0"
        ]
      }
    },
    {
      "name": "a storage controller without --force",
      "host": "D",
      "o": {
        "select": [
          "nvme0"
        ]
      },
      "want": {
        "error": "plan: nvme0 (pci0:90:0:0, WD PC SN810 / Black SN850 NVMe SSD) is a storage controller: if the host boots from it, it will not come back; add --force if that is what you want",
        "exit": 2
      }
    },
    {
      "name": "a storage controller with --force",
      "host": "D",
      "o": {
        "select": [
          "nvme0"
        ],
        "force": true
      },
      "want": {
        "entries": [
          "90/0/0"
        ],
        "added": [
          "90/0/0"
        ],
        "removed": [],
        "settings": [
          {
            "name": "vmm_load",
            "value": "YES"
          },
          {
            "name": "pptdevs",
            "value": "90/0/0"
          }
        ],
        "unset": [],
        "warnings": [
          "--force: nvme0 (pci0:90:0:0, WD PC SN810 / Black SN850 NVMe SSD) is a storage controller: if the host boots from it, it will not come back"
        ],
        "inSync": false,
        "sysrc": [
          "sysrc -f /boot/loader.conf vmm_load=YES",
          "sysrc -f /boot/loader.conf pptdevs=90/0/0"
        ]
      }
    },
    {
      "name": "the default-route NIC with --force",
      "host": "D",
      "o": {
        "select": [
          "igc0"
        ],
        "force": true
      },
      "want": {
        "entries": [
          "89/0/0"
        ],
        "added": [
          "89/0/0"
        ],
        "removed": [],
        "settings": [
          {
            "name": "vmm_load",
            "value": "YES"
          },
          {
            "name": "pptdevs",
            "value": "89/0/0"
          }
        ],
        "unset": [],
        "warnings": [
          "--force: igc0 (pci0:89:0:0, Ethernet Controller I225-LM) carries the default route: the host loses its network after the reboot"
        ],
        "inSync": false,
        "sysrc": [
          "sysrc -f /boot/loader.conf vmm_load=YES",
          "sysrc -f /boot/loader.conf pptdevs=89/0/0"
        ]
      }
    },
    {
      "name": "--remove of a device in the list",
      "host": "S",
      "o": {
        "remove": [
          "1/0/0"
        ]
      },
      "want": {
        "entries": [
          "1/0/1"
        ],
        "added": [],
        "removed": [
          "1/0/0"
        ],
        "settings": [
          {
            "name": "pptdevs",
            "value": "1/0/1"
          }
        ],
        "unset": [],
        "warnings": [],
        "inSync": false,
        "sysrc": [
          "sysrc -f /boot/loader.conf pptdevs=1/0/1"
        ]
      }
    },
    {
      "name": "--remove of an address in no list and not on the bus",
      "host": "S",
      "o": {
        "remove": [
          "7/0/0"
        ]
      },
      "want": {
        "entries": [
          "1/0/0",
          "1/0/1"
        ],
        "added": [],
        "removed": [],
        "settings": [
          {
            "name": "pptdevs",
            "value": "1/0/0 1/0/1"
          }
        ],
        "unset": [],
        "warnings": [],
        "inSync": true,
        "sysrc": [
          "sysrc -f /boot/loader.conf 'pptdevs=1/0/0 1/0/1'"
        ]
      }
    },
    {
      "name": "--remove by name",
      "host": "S",
      "o": {
        "remove": [
          "ppt1"
        ]
      },
      "want": {
        "entries": [
          "1/0/0"
        ],
        "added": [],
        "removed": [
          "1/0/1"
        ],
        "settings": [
          {
            "name": "pptdevs",
            "value": "1/0/0"
          }
        ],
        "unset": [],
        "warnings": [],
        "inSync": false,
        "sysrc": [
          "sysrc -f /boot/loader.conf pptdevs=1/0/0"
        ]
      }
    },
    {
      "name": "AMD without amdvi gets it",
      "host": "A",
      "o": {},
      "want": {
        "entries": [
          "3/0/0",
          "3/0/1"
        ],
        "added": [],
        "removed": [],
        "settings": [
          {
            "name": "hw.vmm.amdvi.enable",
            "value": "1"
          },
          {
            "name": "pptdevs",
            "value": "3/0/0 3/0/1"
          }
        ],
        "unset": [],
        "warnings": [],
        "inSync": false,
        "sysrc": [
          "sysrc -f /boot/loader.conf hw.vmm.amdvi.enable=1",
          "sysrc -f /boot/loader.conf 'pptdevs=3/0/0 3/0/1'"
        ]
      }
    },
    {
      "name": "AMD with amdvi written with blanks is set",
      "host": "A",
      "o": {},
      "change": {
        "files": {
          "/boot/loader.conf": "hw.vmm.amdvi.enable=\" 1 \"\nvmm_load=\"YES\"\npptdevs=\"3/0/0 3/0/1\"\n"
        }
      },
      "want": {
        "entries": [
          "3/0/0",
          "3/0/1"
        ],
        "added": [],
        "removed": [],
        "settings": [
          {
            "name": "pptdevs",
            "value": "3/0/0 3/0/1"
          }
        ],
        "unset": [],
        "warnings": [],
        "inSync": true,
        "sysrc": [
          "sysrc -f /boot/loader.conf 'pptdevs=3/0/0 3/0/1'"
        ]
      }
    },
    {
      "name": "AMD reserving nothing: neither amdvi nor vmm_load asked",
      "host": "A",
      "o": {},
      "change": {
        "files": {
          "/boot/loader.conf": "# nothing\n"
        }
      },
      "want": {
        "entries": [],
        "added": [],
        "removed": [],
        "settings": [],
        "unset": [],
        "warnings": [],
        "inSync": true,
        "sysrc": []
      }
    },
    {
      "name": "an error in the files is never in sync",
      "host": "S",
      "o": {},
      "change": {
        "files": {
          "/boot/loader.conf": "vmm_load=\"YES\"\npptdevs=\"1/0/0 1/0/1\"\npptdevs4=\"3/0/0\"\n"
        }
      },
      "want": {
        "entries": [
          "1/0/0",
          "1/0/1"
        ],
        "added": [],
        "removed": [],
        "settings": [
          {
            "name": "pptdevs",
            "value": "1/0/0 1/0/1"
          }
        ],
        "unset": [],
        "warnings": [],
        "inSync": false,
        "sysrc": [
          "sysrc -f /boot/loader.conf 'pptdevs=1/0/0 1/0/1'"
        ]
      }
    },
    {
      "name": "the only display device of the host (a GPU already on ppt is not one)",
      "host": "S",
      "o": {
        "select": [
          "0/2/0"
        ]
      },
      "want": {
        "entries": [
          "0/2/0",
          "1/0/0",
          "1/0/1"
        ],
        "added": [
          "0/2/0"
        ],
        "removed": [],
        "settings": [
          {
            "name": "pptdevs",
            "value": "0/2/0 1/0/0 1/0/1"
          }
        ],
        "unset": [],
        "warnings": [
          "this reserves the host's only display device: the local console goes away after the reboot (fine on a headless host)"
        ],
        "inSync": false,
        "sysrc": [
          "sysrc -f /boot/loader.conf 'pptdevs=0/2/0 1/0/0 1/0/1'"
        ]
      }
    },
    {
      "name": "a device already reserved: in sync",
      "host": "S",
      "o": {
        "select": [
          "1/0/1"
        ]
      },
      "want": {
        "entries": [
          "1/0/0",
          "1/0/1"
        ],
        "added": [],
        "removed": [],
        "settings": [
          {
            "name": "pptdevs",
            "value": "1/0/0 1/0/1"
          }
        ],
        "unset": [],
        "warnings": [],
        "inSync": true,
        "sysrc": [
          "sysrc -f /boot/loader.conf 'pptdevs=1/0/0 1/0/1'"
        ]
      }
    },
    {
      "name": "--replace starts from nothing",
      "host": "S",
      "o": {
        "select": [
          "0/20/0"
        ],
        "replace": true
      },
      "want": {
        "entries": [
          "0/20/0"
        ],
        "added": [
          "0/20/0"
        ],
        "removed": [
          "1/0/0",
          "1/0/1"
        ],
        "settings": [
          {
            "name": "pptdevs",
            "value": "0/20/0"
          }
        ],
        "unset": [],
        "warnings": [],
        "inSync": false,
        "sysrc": [
          "sysrc -f /boot/loader.conf pptdevs=0/20/0"
        ]
      }
    },
    {
      "name": "a bridge named in the files",
      "host": "S",
      "o": {},
      "change": {
        "files": {
          "/boot/loader.conf": "vmm_load=\"YES\"\npptdevs=\"0/28/0 1/0/0\"\n"
        }
      },
      "want": {
        "error": "plan: pcib6 (pci0:0:28:0, Intel Corporation) is a bridge (header type 0x01); ppt never claims bridges, reserve the devices behind it; it is already in pptdevs: drop it with --remove 0/28/0",
        "exit": 2
      }
    },
    {
      "name": "a bridge selected",
      "host": "S",
      "o": {
        "select": [
          "0/28/0"
        ]
      },
      "want": {
        "error": "plan: pcib6 (pci0:0:28:0, Intel Corporation) is a bridge (header type 0x01); ppt never claims bridges, reserve the devices behind it",
        "exit": 2
      }
    },
    {
      "name": "no loader.conf at all, nothing asked: nothing to add, not even vmm_load",
      "host": "S",
      "o": {},
      "change": {
        "files": {
          "/boot/loader.conf": null
        }
      },
      "want": {
        "entries": [],
        "added": [],
        "removed": [],
        "settings": [],
        "unset": [],
        "warnings": [],
        "inSync": true,
        "sysrc": []
      }
    },
    {
      "name": "no loader.conf at all, one device asked: vmm_load comes with it",
      "host": "S",
      "o": {
        "select": [
          "47/0/0"
        ]
      },
      "change": {
        "files": {
          "/boot/loader.conf": null
        }
      },
      "want": {
        "entries": [
          "47/0/0"
        ],
        "added": [
          "47/0/0"
        ],
        "removed": [],
        "settings": [
          {
            "name": "vmm_load",
            "value": "YES"
          },
          {
            "name": "pptdevs",
            "value": "47/0/0"
          }
        ],
        "unset": [],
        "warnings": [],
        "inSync": false,
        "sysrc": [
          "sysrc -f /boot/loader.conf vmm_load=YES",
          "sysrc -f /boot/loader.conf pptdevs=47/0/0"
        ]
      }
    },
    {
      "name": "more than three records",
      "host": "S",
      "o": {},
      "change": {
        "files": {
          "/boot/loader.conf": "pptdevs=\"100/0/0 101/0/0 102/0/0 103/0/0 104/0/0 105/0/0 106/0/0 107/0/0 108/0/0 109/0/0 110/0/0 111/0/0 112/0/0 113/0/0 114/0/0 115/0/0 116/0/0 117/0/0 118/0/0 119/0/0\"\npptdevs2=\"120/0/0 121/0/0 122/0/0 123/0/0 124/0/0 125/0/0 126/0/0 127/0/0 128/0/0 129/0/0 130/0/0 131/0/0 132/0/0 133/0/0 134/0/0 135/0/0 136/0/0 137/0/0 138/0/0 139/0/0\"\npptdevs3=\"140/0/0 141/0/0 142/0/0 143/0/0 144/0/0 145/0/0 146/0/0 147/0/0 148/0/0 149/0/0 150/0/0 151/0/0 152/0/0 153/0/0 154/0/0 155/0/0 156/0/0 157/0/0 158/0/0 159/0/0\"\n"
        }
      },
      "want": {
        "error": "plan: 60 entries need more than the 3 records the kernel reads (pptdevs, pptdevs2, pptdevs3, 128 characters each): 48 fit, these do not: 148/0/0 149/0/0 150/0/0 151/0/0 152/0/0 153/0/0 154/0/0 155/0/0 156/0/0 157/0/0 158/0/0 159/0/0",
        "exit": 2
      }
    },
    {
      "name": "a device with no capability list",
      "host": "S",
      "o": {
        "select": [
          "61/0/0"
        ]
      },
      "change": {
        "pciconfExtra": "none7@pci0:61:0:0:\tclass=0x020000 rev=0x03 hdr=0x00 vendor=0x8086 device=0x100e subvendor=0x8086 subdevice=0x001e\n"
      },
      "want": {
        "entries": [
          "1/0/0",
          "1/0/1",
          "61/0/0"
        ],
        "added": [
          "61/0/0"
        ],
        "removed": [],
        "settings": [
          {
            "name": "pptdevs",
            "value": "1/0/0 1/0/1 61/0/0"
          }
        ],
        "unset": [],
        "warnings": [
          "none7 (pci0:61:0:0, 8086:100e) has no PCI capability list at all, so bhyve cannot offer the guest an MSI capability for it and refuses it ('failed to initialize MSI')"
        ],
        "inSync": false,
        "sysrc": [
          "sysrc -f /boot/loader.conf 'pptdevs=1/0/0 1/0/1 61/0/0'"
        ]
      }
    },
    {
      "name": "a sibling function left on the host",
      "host": "S",
      "o": {
        "select": [
          "3/0/0"
        ]
      },
      "change": {
        "pciconfExtra": "igb0@pci0:3:0:0:\tclass=0x020000 rev=0x01 hdr=0x00 vendor=0x8086 device=0x1521 subvendor=0x8086 subdevice=0x0001\n    cap 11[70] = MSI-X supports 10 messages\nigb1@pci0:3:0:1:\tclass=0x020000 rev=0x01 hdr=0x00 vendor=0x8086 device=0x1521 subvendor=0x8086 subdevice=0x0001\n    cap 11[70] = MSI-X supports 10 messages\nigb2@pci0:3:0:2:\tclass=0x020000 rev=0x01 hdr=0x00 vendor=0x8086 device=0x1521 subvendor=0x8086 subdevice=0x0001\n    cap 11[70] = MSI-X supports 10 messages\n"
      },
      "want": {
        "entries": [
          "1/0/0",
          "1/0/1",
          "3/0/0"
        ],
        "added": [
          "3/0/0"
        ],
        "removed": [],
        "settings": [
          {
            "name": "pptdevs",
            "value": "1/0/0 1/0/1 3/0/0"
          }
        ],
        "unset": [],
        "warnings": [
          "igb1 (3/0/1), igb2 (3/0/2) stay on the host beside the reserved functions; add them or use --with-functions"
        ],
        "inSync": false,
        "sysrc": [
          "sysrc -f /boot/loader.conf 'pptdevs=1/0/0 1/0/1 3/0/0'"
        ]
      }
    }
  ];
  for (const c of cases) test(c.name, async () => expect(await outcome(c.host, c.o, c.change)).toEqual(c.want as Awaited<ReturnType<typeof outcome>>));

  test("the platform's own functions are refused by name, and never picked by a class", async () => {
    expect(await outcome("D", { select: ["hostb0"] })).toEqual({ error: "plan: hostb0 (pci0:0:0:0, 11th Gen Core Processor Host Bridge/DRAM Registers) is the host bridge: the host bridge is the CPU's own root complex, not a device to give away", exit: 2 });
    expect(await outcome("D", { select: ["isab0"] })).toMatchObject({ error: expect.stringContaining("is the ISA/LPC bridge: the ISA/LPC bridge carries the host's legacy devices") });
    expect(await outcome("D", { classes: ["0x0c"] })).toMatchObject({ entries: expect.not.arrayContaining(["0/31/4"]) });
  });
});

describe("makePlan: the paths the first mutation run found untested (issue 36)", () => {
  const LOADER = "/boot/loader.conf";
  const conf = (text: string) => ({ files: { [LOADER]: text } });
  const warnings = async (host: keyof typeof HOSTS, o: Opts, change: Change = {}) => {
    const r = await outcome(host, o, change);
    if ("error" in r) throw new Error(r.error);
    return r.warnings;
  };

  test("no PCI listing: one line, exit 1", async () => {
    const failed = { [commandKey(CMD.pciconf)]: { kind: "ran" as const, exit: 1, stdout: "", stderr: "pciconf: /dev/pci: Permission denied\n" } };
    expect(await outcome("S", { select: ["1/0/0"] }, { commands: failed })).toEqual({ error: expect.stringMatching(/^plan: cannot list PCI devices: .*Permission denied/), exit: 1 });
  });
  test("loader files root cannot read: named, all of them, and nothing is merged", async () => {
    const unknown = (reason: string): FileResult => ({ kind: "unknown", reason });
    const r = await outcome("S", { select: ["1/0/0"] }, { files: { [LOADER]: unknown("permission denied"), "/boot/loader.conf.local": unknown("permission denied") } });
    expect(r).toEqual({
      error: "plan: cannot read /boot/loader.conf (permission denied), /boot/loader.conf.local (permission denied), so the configured pptdevs are unknown; run pptctl as root (with --from, give the host's loader.conf as --file PATH)",
      exit: 1,
    });
  });
  test("a pptdevs line the loader cannot read: refused with the --replace that keeps every entry, the new one too", async () => {
    const broken = conf('pptdevs="1/0/0 1/0/1\n');
    expect(await outcome("S", { select: ["47/0/0"] }, broken)).toEqual({
      error: expect.stringMatching(/^plan: \/boot\/loader\.conf:1: pptdevs="1\/0\/0 1\/0\/1: .*; pptctl does not merge with a line the loader cannot read, so nothing was changed: fix the line, or rewrite the list with 'pptctl plan --replace 1\/0\/0 1\/0\/1 47\/0\/0 --write'$/),
      exit: 1,
    });
    expect(await outcome("S", { select: ["1/0/0", "1/0/1", "47/0/0"], replace: true }, broken)).toMatchObject({ entries: ["1/0/0", "1/0/1", "47/0/0"] });
  });
  test("a device in another PCI domain", async () => {
    const extra = "em9@pci1:3:0:0:\tclass=0x020000 rev=0x01 hdr=0x00 vendor=0x8086 device=0x10d3 subvendor=0x8086 subdevice=0xa01f\n    cap 05[c8] = MSI supports 1 message, 64 bit\n";
    expect(await outcome("S", { select: ["pci1:3:0:0"] }, { pciconfExtra: extra })).toEqual({ error: "plan: em9 (pci1:3:0:0, 8086:10d3) is in PCI domain 1; pptdevs reaches only domain 0", exit: 2 });
  });
  test("--with-functions takes the functions of each picked card, whichever bus the others are on", async () => {
    const extra = "igb0@pci0:3:0:0:\tclass=0x020000 rev=0x01 hdr=0x00 vendor=0x8086 device=0x1521 subvendor=0x8086 subdevice=0x0001\n    cap 11[70] = MSI-X supports 10 messages\nigb1@pci0:3:0:1:\tclass=0x020000 rev=0x01 hdr=0x00 vendor=0x8086 device=0x1521 subvendor=0x8086 subdevice=0x0001\n    cap 11[70] = MSI-X supports 10 messages\n";
    expect(await outcome("S", { select: ["0/20/3", "3/0/0"], withFunctions: true }, { pciconfExtra: extra })).toMatchObject({ added: ["0/20/3", "3/0/0", "3/0/1"] });
  });
  test("a companion already reserved does not 'come along'", async () => {
    expect(await warnings("S", { select: ["1/0/0"] }, conf('pptdevs="1/0/1"\n'))).toEqual([]);
  });
  test("--class: a code is two hex digits, nothing after them", async () => {
    expect(await outcome("D", { classes: ["03x"] })).toMatchObject({ error: expect.stringContaining("--class '03x' matches no device") });
  });
  test("--class by a name that ends in two hex letters ('input device') is a name, not a code", async () => {
    const extra = "hid0@pci0:5:0:0:\tclass=0x090000 rev=0x01 hdr=0x00 vendor=0x8086 device=0x1234 subvendor=0x8086 subdevice=0x0001\n    class      = input device\n    cap 05[c8] = MSI supports 1 message, 64 bit\n";
    expect(await outcome("S", { classes: ["input device"] }, { pciconfExtra: extra })).toMatchObject({ added: ["5/0/0"] });
  });
  test("a device pciconf shows without a class is never picked by --class", async () => {
    const extra = "none9@pci0:5:0:0:\trev=0x01 hdr=0x00 vendor=0x8086 device=0x1234 subvendor=0x8086 subdevice=0x0001\n    cap 05[c8] = MSI supports 1 message, 64 bit\n";
    expect(await outcome("S", { classes: ["old"] }, { pciconfExtra: extra })).toMatchObject({ error: expect.stringContaining("--class 'old' matches no device") });
    expect(await outcome("S", { classes: ["0x00"] }, { pciconfExtra: extra })).toMatchObject({ error: expect.stringContaining("--class '0x00' matches no device") });
  });
  test("several dangers without --force: each named, '; ' between them", async () => {
    const r = await outcome("S", { select: ["nvme0", "igc0"] });
    expect(r).toMatchObject({ error: expect.stringMatching(/^plan: igc0 .+ carries the default route: .+; nvme0 .+ is a storage controller: .+; add --force if that is what you want$/) });
  });
  test("interrupt warnings: INTx only, and unknown without a -c listing", async () => {
    expect(await warnings("S", { select: ["0/10/0"] })).toContain("none1 (pci0:0:10:0, Tigerlake Telemetry Aggregator Driver) has neither MSI nor MSI-X: bhyve gives the guest an emulated one-message MSI capability and vmm delivers the device's legacy interrupt line (INTx, which it may share with host devices) to it, so it works with one interrupt and no more");
    // The same listing without pciconf -c: no capability lines at all.
    const dir = join(ROOT, HOSTS.S);
    const plain = readFileSync(join(dir, "pciconf-lvc.txt"), "utf8").replace(/^ {4}e?cap .*\n(?: {10,}.*\n)*/gm, "");
    const p = makePlan(await modelOf(dir, { pciconf: plain }), req({ select: ["47/0/0"], force: true }));
    expect(p.warnings).toEqual(["aq0 (pci0:47:0:0, AQC107 NBase-T/IEEE 802.3bz Ethernet Controller [AQtion]): pciconf showed no capabilities, so MSI/MSI-X support is unknown"]);
  });
  test("the console warning: only when the host's last displays are reserved, and only by a display", async () => {
    const console = (ws: readonly string[]) => ws.filter((w) => w.includes("the local console goes away"));
    // Two displays, one reserved: the other still drives the console.
    expect(console(await warnings("D", { select: ["vgapci1"] }))).toEqual([]);
    // The only display already reserved; a NIC added now is not what takes the console.
    expect(console(await warnings("S", { select: ["aq0"], force: true }, conf('pptdevs="0/2/0 1/0/0 1/0/1"\n')))).toEqual([]);
    // Every display on ppt already: there is no host display to lose.
    expect(console(await warnings("Q", { select: ["1/0/0"] }, conf("")))).toEqual([]);
  });
  test("sysrc quotes a path with a single quote the way sh reads it", async () => {
    const m = await modelOf(join(ROOT, HOSTS.S));
    const p = makePlan(m, req({ select: ["1/0/0"] }));
    expect(sysrcCommands(p, "/tmp/it's.conf")).toEqual(["sysrc -f '/tmp/it'\\''s.conf' 'pptdevs=1/0/0 1/0/1'"]);
  });
});
