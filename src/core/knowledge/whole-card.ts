import { type PciAddress, sameAddr, sameDevice } from "../pci/address.ts";
import { type PciDevice, capsListed, isBridgeHeader } from "../pci/device.ts";
import { indexListing, quirksFor } from "./quirks.ts";
import { resetMethod } from "./reset.ts";

/**
 * The other functions of the cards these devices are on, where the quirks table says a card's
 * functions go to a guest together (a GPU and its HDMI audio, QLogic FC): plan and assign bring
 * them along, each with the quirk's title as the reason. Devices on bus 0 are the platform's own.
 */
export function wholeCardCompanions(devices: readonly PciDevice[], asked: readonly PciAddress[]): { device: PciDevice; why: string }[] {
  const index = indexListing(devices);
  const listed = capsListed(devices);
  const out: { device: PciDevice; why: string }[] = [];
  for (const a of asked) {
    if (a.bus === 0) continue;
    const card = devices.filter((d) => sameDevice(d.addr, a) && !isBridgeHeader(d));
    const whole = card.flatMap((d) => quirksFor(d, index, resetMethod(d, listed))).find((q) => q.wholeCard);
    if (!whole) continue;
    for (const d of card) {
      if (asked.some((x) => sameAddr(x, d.addr)) || out.some((o) => sameAddr(o.device.addr, d.addr))) continue;
      out.push({ device: d, why: whole.title });
    }
  }
  return out;
}
