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

// A guest to time, booted `rounds` times (default 1).
export type TimedGuest = GuestSpec & { rounds?: number };

// The guests one after the other in one Xen boot (Linux guests side by side under TCG share
// QEMU's one CPU and crash each other, guests.ts), each expecting FIRST_LINE then a marker line:
// name -> [to first line, to the marker] in ms since dom0's `xl create`, and blkback's read
// requests for each (in its first round). A guest without a timeoutS gets 300 s. Guests whose
// names start with "direct" (xl's own kernel= boot) may make no request at all; a loader always
// reads its disk, so no statistics for one is a failure. Any guest failing throws, naming it
// (`label` first).
// Rounds: under TCG one boot of the same guest moves by a tenth from the next (whatever else the
// host runs), so a guest with `rounds` > 1 boots that many times, the rounds interleaved (every
// guest once, then every guest again) so that a slow spell of the host falls on all of them,
// and each of its two figures is the best of its rounds, as `make bench` takes the best of 5.
// Every round's figures go to stderr.
export async function timeOneAtATime(label: string, host: HostParts, gs: TimedGuest[]): Promise<{ t: Record<string, [number, number]>; rd: Record<string, number> }> {
  const most = Math.max(...gs.map((g) => g.rounds ?? 1));
  const runs: GuestSpec[] = [];
  for (let r = 0; r < most; r++) {
    // A guest with fewer rounds than the most takes part in the last ones.
    for (const { rounds, ...g } of gs) if (r >= most - (rounds ?? 1)) runs.push({ ...g, name: `${g.name}-r${r}`, timeoutS: g.timeoutS ?? 300 });
  }
  const res = await runGuests(runs, { host, timeoutMs: 1_800_000, oneAtATime: true, blkbackStats: true, echo: !!process.env.PVBOOT_ECHO });
  const t: Record<string, [number, number]> = {};
  const rd: Record<string, number> = {};
  const bad = res.guests.find((x) => !x.ok) ?? (res.ok ? undefined : res.guests[0]);
  if (bad) throw new Error(`${label}: ${bad.name}: ${res.reason}\n${bad.lines.slice(-20).map((l) => l.text).join("\n")}`);
  for (const x of res.guests) {
    const name = x.name.replace(/-r\d+$/, "");
    const first = x.matchedMs[0] - x.createMs, marker = x.matchedMs[1] - x.createMs;
    console.error(`${label}: ${x.name}: first line ${s(first)} s, marker ${s(marker)} s`);
    const was = t[name];
    t[name] = was ? [Math.min(was[0], first), Math.min(was[1], marker)] : [first, marker];
    if (was) continue; // blkback's counts: the guest's first round
    // No line at all: no frontend ever connected to the disk (direct boot: Debian's kernel has
    // blkfront as a module, which the busybox initramfs does not load): 0 requests.
    if (!x.blkback && !name.startsWith("direct")) throw new Error(`${label}: ${x.name} (domid ${x.domid}): blkback logged no statistics for its disk`);
    rd[name] = x.blkback?.rd ?? 0;
  }
  return { t, rd };
}
