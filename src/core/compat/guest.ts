/**
 * Which kind of guest a name means, so a report from a Windows guest is weighed for a Windows VM
 * and not for a Linux one. The names come from reports ("Windows 11 Pro", "Alpine Linux
 * (wifibox)"), from vm-bhyve's guest= (freebsd, linux, windows, openbsd, netbsd, generic: its
 * sample templates) and from Hoster's os_type (windows10, debian12, freebsd13zfs: HosterCore
 * internal/pkg/hoster/vm/utils/if_os_windows.go, whose word lists this follows).
 */
export type GuestKind = "windows" | "linux" | "freebsd" | "other BSD";

const KINDS: readonly (readonly [GuestKind, RegExp])[] = [
  ["windows", /windows|\bwin(?:10|11|srv)/],
  ["linux", /linux|debian|ubuntu|alpine|centos|fedora|rhel|rocky|alma|suse|\barch\b|gentoo|\bmint\b/],
  // FreeBSD-based systems people pass devices to: a report from one speaks for FreeBSD's drivers.
  ["freebsd", /freebsd|pfsense|opnsense|nomadbsd|ghostbsd|truenas core|hardenedbsd/],
  ["other BSD", /openbsd|netbsd|dragonfly/],
];

/** The kind of guest NAME is; null when the name does not say (vm-bhyve's `generic`, or none). */
export function guestKind(name: string | null): GuestKind | null {
  if (name === null) return null;
  const lower = name.toLowerCase();
  return KINDS.find(([, re]) => re.test(lower))?.[0] ?? null;
}

/** How a sentence names a kind of guest. */
export const KIND_WORDS: Record<GuestKind, string> = { windows: "Windows", linux: "Linux", freebsd: "FreeBSD", "other BSD": "other BSD" };

/** Whether a report from guest REPORTED speaks for a VM running VM: yes unless both say and differ. */
export function sameGuest(reported: string | null, vm: string | null): boolean {
  const a = guestKind(reported);
  const b = guestKind(vm);
  return a === null || b === null || a === b;
}
