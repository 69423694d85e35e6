import type { HostModel } from "../model/model.ts";
import { formatBhyve, sameAddr } from "../pci/address.ts";
import { indexListing, looksLikeVf } from "../knowledge/quirks.ts";
import type { PptdevsConfig } from "../loader/pptdevs-config.ts";
import { listSome } from "./pptdevs.ts";
import { type Check, check } from "./types.ts";

/**
 * VFs of an SR-IOV physical function may be attached to ppt at boot by iovctl(8) when their VF
 * section says `passthrough: true` (iovctl.conf(5), https://man.freebsd.org/iovctl.conf), with no
 * pptdevs entry at all.
 */

/** ppt devices that no pptdevs entry names go back to host drivers at the next boot. */
export function runtimeOnlyCheck(m: HostModel, cfg: PptdevsConfig): Check {
  const id = "runtime-only";
  const area = "runtime";
  if (!m.pci.ok) return check(id, area, "unknown", `cannot list PCI devices: ${m.pci.reason}`, "run 'pciconf -lvc' by hand");
  const devices = m.pci.value.devices;
  const ppt = devices.filter((d) => d.driver === "ppt");
  if (ppt.length === 0) return check(id, area, "skip", "no ppt devices");
  if (m.loaderUnknown.length > 0) return check(id, area, "unknown", `cannot read ${m.loaderUnknown.join(", ")} to compare with pptdevs`, "run pptctl doctor as root");
  const loose = ppt.filter((d) => !cfg.entries.some((a) => sameAddr(a, d.addr)));
  const iov = (m.rc.get("iovctl_files") ?? "").trim() !== "";
  const index = indexListing(devices);
  const vfs = iov ? loose.filter((d) => looksLikeVf(d, index)) : [];
  const runtime = loose.filter((d) => !vfs.includes(d));
  const byIov = vfs.length > 0 ? ` (${vfs.length} SR-IOV VF${vfs.length === 1 ? "" : "s"} left to iovctl at boot: iovctl_files is set in rc.conf)` : "";
  if (runtime.length > 0) {
    const sels = runtime.map((d) => formatBhyve(d.addr)).join(" ");
    return check(
      id,
      area,
      "warn",
      `${listSome(runtime.map((d) => `${d.name} (${formatBhyve(d.addr)})`))} ${runtime.length === 1 ? "is" : "are"} on ppt but in no pptdevs entry: back to host drivers at the next boot${byIov}`,
      `keep ${runtime.length === 1 ? "it" : "them"} on ppt after a reboot with 'pptctl attach ${sels} --persist'`,
    );
  }
  const apart = vfs.length > 0 ? `, apart from ${vfs.length} SR-IOV VF${vfs.length === 1 ? "" : "s"} left to iovctl at boot (iovctl_files is set in rc.conf)` : "";
  return check(id, area, "pass", `every ppt device is in pptdevs${apart}`);
}
