import { PptError } from "../errors.ts";
import { type Quirk, indexListing, quirksFor } from "../knowledge/quirks.ts";
import { resetMethod } from "../knowledge/reset.ts";
import type { HostModel } from "../model/model.ts";
import { type PciAddress, formatBhyve, sameAddr } from "../pci/address.ts";
import { type PciDevice, capsListed, isBridgeHeader } from "../pci/device.ts";
import { type PassthruEntry, parsePassthruEntry } from "../vm/passthru-entry.ts";
import type { PptdevsConfig } from "../loader/pptdevs-config.ts";
import { DEFAULT_FIRST_SLOT, type SlotPlan, allocateSlots } from "../vm/slots.ts";
import { listSome } from "./pptdevs.ts";
import { type Check, check } from "./types.ts";

/**
 * Devices that are, or are configured to be, passthrough devices and are on the bus. A bridge in
 * pptdevs is left out: ppt never claims one (the bridges check says so), so no guest gets it and
 * neither its reset nor its quirks matter.
 */
function reserved(devices: readonly PciDevice[], cfg: PptdevsConfig): PciDevice[] {
  return devices.filter((d) => d.driver === "ppt" || (cfg.entries.some((a) => sameAddr(a, d.addr)) && !isBridgeHeader(d)));
}

const name = (d: PciDevice) => `${d.name} (${formatBhyve(d.addr)})`;

/** ppt resets a device on attach and detach; one it cannot reset carries state between guests. */
export function resetCheck(m: HostModel, cfg: PptdevsConfig): Check {
  const area = "reset";
  if (!m.pci.ok) return check("reset", area, "unknown", `cannot list PCI devices: ${m.pci.reason}`, "run 'pciconf -lvc' by hand");
  const devs = reserved(m.pci.value.devices, cfg);
  if (devs.length === 0) return check("reset", area, "skip", "no reserved devices");
  const listed = capsListed(m.pci.value.devices);
  if (!listed) return check("reset", area, "unknown", "the PCI listing has no capability lines (made without pciconf -c)", "run 'pciconf -lvc' by hand, or capture the host again");
  const methods = devs.map((d) => ({ d, r: resetMethod(d, listed) }));
  const none = methods.filter((x) => x.r === "none").map((x) => x.d);
  if (none.length > 0) {
    return check(
      "reset",
      area,
      "warn",
      `${listSome(none.map(name))} ${none.length === 1 ? "has" : "have"} neither FLR nor power management: ppt cannot reset ${none.length === 1 ? "it" : "them"}, so a guest may find ${none.length === 1 ? "it" : "them"} as the last guest left ${none.length === 1 ? "it" : "them"}`,
      `reboot the host between guests that use ${none.length === 1 ? "it" : "them"}, or pass a device that supports FLR`,
    );
  }
  const flr = methods.filter((x) => x.r === "flr").length;
  return check("reset", area, "pass", `every reserved device can be reset (FLR: ${flr}, D3→D0: ${methods.length - flr})`);
}

/** The guest slot each VM config gives an address, as args would allocate it. */
function guestSlots(m: HostModel, a: PciAddress): { vm: string; slot: number; manager: string }[] {
  const out: { vm: string; slot: number; manager: string }[] = [];
  for (const c of m.vms.configs) {
    const entries = c.entries.map((e) => parsePassthruEntry(e, m.vms.pptNames));
    if (entries.some((e) => "error" in e)) continue;
    const plan = slotPlan(entries as PassthruEntry[]);
    if (plan === null) continue;
    const hit = plan.assignments.find((x) => sameAddr(x.entry.addr, a));
    if (hit) out.push({ vm: c.vm, slot: hit.slot, manager: c.manager });
  }
  return out;
}

/** args's layout of a passthru list; null for a list args refuses (it says why itself, so here it only means "cannot tell"). */
function slotPlan(entries: readonly PassthruEntry[]): SlotPlan | null {
  try {
    return allocateSlots(entries, { firstSlot: DEFAULT_FIRST_SLOT, reserved: new Set() });
  } catch (e) {
    // Stryker disable next-line ConditionalExpression: allocateSlots throws nothing but PptError, so rethrowing the rest cannot show
    if (e instanceof PptError) return null;
    throw e;
  }
}

/** Known device behaviour that puts a reserved device's passthrough at risk. */
export function quirksCheck(m: HostModel, cfg: PptdevsConfig): Check {
  const area = "quirks";
  if (!m.pci.ok) return check("quirks", area, "unknown", `cannot list PCI devices: ${m.pci.reason}`, "run 'pciconf -lvc' by hand");
  const devices = m.pci.value.devices;
  const devs = reserved(devices, cfg);
  if (devs.length === 0) return check("quirks", area, "skip", "no reserved devices");
  const listed = capsListed(devices);
  const index = indexListing(devices);
  const risks: { d: PciDevice; q: Quirk; why: string }[] = [];
  const infos: string[] = [];
  for (const d of devs) {
    for (const q of quirksFor(d, index, resetMethod(d, listed))) {
      if (q.id === "intel-igd") {
        const wrong = guestSlots(m, d.addr).filter((g) => g.slot !== 2);
        for (const g of wrong) {
          const how = g.manager === "hoster" ? "Hoster cannot pin a slot (its NIC is at slot 2): pass it with vm-bhyve or plain bhyve" : `pin it (${formatBhyve(d.addr)}=2:0)`;
          risks.push({ d, q, why: `${name(d)} lands at guest slot ${g.slot} in ${g.vm}, not 2: ${how}` });
        }
        // Shown only when nothing is at risk, so an IGD at a wrong slot needs no exception here.
        infos.push(`${q.id} ${formatBhyve(d.addr)}`);
      } else if (q.risk) risks.push({ d, q, why: `${name(d)}: ${q.title}` });
      else infos.push(`${q.id} ${formatBhyve(d.addr)}`);
    }
  }
  if (risks.length > 0) {
    const fixes = [...new Set(risks.map((r) => r.q.advice))];
    return check("quirks", area, "warn", listSome(risks.map((r) => r.why)), fixes.join(" "));
  }
  const noted = [...new Set(infos)];
  return check("quirks", area, "pass", noted.length > 0 ? `no known risk for the reserved devices (notes: ${listSome(noted)}; see 'pptctl list --all')` : "no known risk for the reserved devices");
}


