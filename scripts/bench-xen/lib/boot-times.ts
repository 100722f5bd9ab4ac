// What the boot-time benchmarks of scripts/bench-xen share (side-by-side.ts for PV,
// pvh-side-by-side.ts for PVH): the disk both loaders boot from, and the timing of guests run
// one at a time in one Xen boot. This folder is not a benchmark: scripts/run-benches.sh runs
// only the *.ts files directly in scripts/bench-xen.

import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeDisk } from "../../images/make-disk.ts";
import type { HostParts } from "../../xen-host/build.ts";
import { runGuests, type GuestSpec } from "../../xen-host/guests.ts";

// The kernel's first console line.
export const FIRST_LINE = /Linux version \d/;

// pvboot's command line naming the disk's menu.lst (bootDisk).
export const MENU_LST = "(hd0,0)/boot/grub/menu.lst";

export const s = (ms: number) => (ms / 1000).toFixed(2);
export const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : "inf");

// A disk of one ext4 partition (sizeMiB - 2) under `dir`: the kernel as /boot/vmlinuz, the
// initrd as /boot/initrd, and the same one entry (command line console=hvc0) twice, as
// /boot/grub/menu.lst and /boot/grub/grub.cfg. GRUB reads grub.cfg; pvboot, searching, finds
// grub.cfg first too (src/config/find.ts), and reads menu.lst when its command line (xl extra=)
// names "(hd0,0)/boot/grub/menu.lst" (MENU_LST). Returns the image's path.
export function bootDisk(dir: string, name: string, kernel: string, initrdFile: string, sizeMiB: number): string {
  const root = join(dir, name);
  mkdirSync(join(root, "boot", "grub"), { recursive: true });
  copyFileSync(kernel, join(root, "boot", "vmlinuz"));
  copyFileSync(initrdFile, join(root, "boot", "initrd"));
  writeFileSync(join(root, "boot", "grub", "menu.lst"), "timeout 0\ntitle Debian\nroot (hd0,0)\nkernel /boot/vmlinuz console=hvc0\ninitrd /boot/initrd\n");
  writeFileSync(join(root, "boot", "grub", "grub.cfg"), "set timeout=0\nmenuentry Debian {\n  linux /boot/vmlinuz console=hvc0\n  initrd /boot/initrd\n}\n");
  const img = join(dir, `${name}.img`);
  makeDisk(img, sizeMiB, [{ fsType: "ext4", sizeMiB: sizeMiB - 2, dir: root }]);
  return img;
}

// The guests one after the other in one Xen boot (Linux guests side by side under TCG share
// QEMU's one CPU and crash each other, guests.ts), each expecting FIRST_LINE then a marker line:
// name -> [to first line, to the marker] in ms since dom0's `xl create`, and blkback's read
// requests for each. A guest without a timeoutS gets 300 s. Guests whose names start with
// "direct" (xl's own kernel= boot) may make no request at all; a loader always reads its disk,
// so no statistics for one is a failure. Any guest failing throws, naming it (`label` first).
export async function timeOneAtATime(label: string, host: HostParts, gs: GuestSpec[]): Promise<{ t: Record<string, [number, number]>; rd: Record<string, number> }> {
  const r = await runGuests(gs.map((g) => ({ ...g, timeoutS: g.timeoutS ?? 300 })),
    { host, timeoutMs: 1_800_000, oneAtATime: true, blkbackStats: true, echo: !!process.env.PVBOOT_ECHO });
  const t: Record<string, [number, number]> = {};
  const rd: Record<string, number> = {};
  const bad = r.guests.find((x) => !x.ok) ?? (r.ok ? undefined : r.guests[0]);
  if (bad) throw new Error(`${label}: ${bad.name}: ${r.reason}\n${bad.lines.slice(-20).map((l) => l.text).join("\n")}`);
  for (const x of r.guests) {
    t[x.name] = [x.matchedMs[0] - x.createMs, x.matchedMs[1] - x.createMs];
    // No line at all: no frontend ever connected to the disk (direct boot: Debian's kernel has
    // blkfront as a module, which the busybox initramfs does not load): 0 requests.
    if (!x.blkback && !x.name.startsWith("direct")) throw new Error(`${label}: ${x.name} (domid ${x.domid}): blkback logged no statistics for its disk`);
    rd[x.name] = x.blkback?.rd ?? 0;
  }
  return { t, rd };
}
