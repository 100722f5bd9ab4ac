// The smallest `memory =` (of a fixed set) with which pvboot, pvgrub2 (GRUB 2's x86_64-xen
// image, scripts/xen-host/pvgrub2.ts) and direct kernel boot (xl kernel= ramdisk=) each boot
// Debian 12's kernel and a busybox initramfs to its marker line, on the real Xen test host:
// every loader at every size, one guest after the other in one Xen boot; a guest that has not
// booted in 150 s is destroyed. `make bench-xen-memory` runs it: 18 guest boots under TCG take
// longer than the rest of `make bench-xen` together, so it has its own target.
//
//   xen-min-memory-mb-of-64-80-88-96-112-128 pvboot MB pvgrub2 MB direct MB ratio R
//
// A loader that booted at none of the sizes shows NaN (a figure, not a failure of the run).

import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeDisk } from "../images/make-disk.ts";
import { ensureBusyboxInitrd, ensureHost } from "../xen-host/build.ts";
import { ensurePvgrub2 } from "../xen-host/pvgrub2.ts";
import { runGuests, type GuestSpec } from "../xen-host/guests.ts";

const MARKER = "initrd: marker-side-by-side";
const MEMORY_SET = [64, 80, 88, 96, 112, 128];

const host = await ensureHost();
const pvgrub2 = await ensurePvgrub2();
const initrd = await ensureBusyboxInitrd(MARKER);
const dir = mkdtempSync(join(tmpdir(), "pvboot-min-memory-"));
const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : "inf");

try {
  // The disk: menu.lst for pvboot, grub.cfg for pvgrub2, the kernel and the initrd.
  const root = join(dir, "root");
  mkdirSync(join(root, "boot", "grub"), { recursive: true });
  copyFileSync(host.kernel, join(root, "boot", "vmlinuz"));
  copyFileSync(initrd, join(root, "boot", "initrd"));
  writeFileSync(join(root, "boot", "grub", "menu.lst"), "timeout 0\ntitle Debian\nroot (hd0,0)\nkernel /boot/vmlinuz console=hvc0\ninitrd /boot/initrd\n");
  writeFileSync(join(root, "boot", "grub", "grub.cfg"), "set timeout=0\nmenuentry Debian {\n  linux /boot/vmlinuz console=hvc0\n  initrd /boot/initrd\n}\n");
  const img = join(dir, "small.img");
  makeDisk(img, 40, [{ fsType: "ext4", sizeMiB: 38, dir: root }]);

  const expect = [new RegExp(`^${MARKER}$`)];
  const sweep: GuestSpec[] = [];
  for (const m of MEMORY_SET) {
    sweep.push(
      { name: `pvboot-m${m}`, disk: img, hotplug: "block-quick", memoryMB: m, expect, timeoutS: 150 },
      { name: `pvgrub2-m${m}`, kernel: pvgrub2, disk: img, hotplug: "block-quick", memoryMB: m, expect, timeoutS: 150 },
      { name: `direct-m${m}`, kernel: host.kernel, ramdisk: initrd, extra: "console=hvc0", memoryMB: m, expect, timeoutS: 150 },
    );
  }
  const r = await runGuests(sweep, { host, timeoutMs: 2_400_000, waitForEnd: true, oneAtATime: true, echo: !!process.env.PVBOOT_ECHO });
  const unended = r.guests.filter((g) => !g.ended);
  if (unended.length) {
    const last = unended.map((g) => `${g.name}: ${g.lines.slice(-5).map((l) => l.text).join(" | ") || "(no lines)"}`).join("\n");
    throw new Error(`min-memory: the memory sweep did not run to its end: ${r.reason}\n${last}`);
  }
  const booted = new Set(r.guests.filter((g) => g.ok).map((g) => g.name));
  const smallest = (loader: string) => {
    for (const m of MEMORY_SET) if (booted.has(`${loader}-m${m}`)) return m;
    return NaN;
  };
  const mp = smallest("pvboot"), mg = smallest("pvgrub2"), md = smallest("direct");
  console.log(`xen-min-memory-mb-of-${MEMORY_SET.join("-")} pvboot ${mp} pvgrub2 ${mg} direct ${md} ratio ${ratio(mp, mg)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
