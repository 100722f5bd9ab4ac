// pvboot-pvh.elf side by side with GRUB's PVH loader and with xl's direct PVH boot on the real
// Xen test host (issue 23): Debian 12's kernel and a busybox initramfs from the same disk
// (lib/boot-times.ts: one ext4 partition with menu.lst and grub.cfg, the same entry), each guest
// a PVH domain (type = "pvh", cpuid = "host,rdtscp=0,xsave=0": scripts/xen-host/README.md):
//   pvboot       build/pvboot-pvh.elf.gz as kernel =, from /boot/grub/menu.lst (named by extra=)
//   pvgrub2-pvh  GRUB's i386-xen_pvh image from Debian's grub-xen-bin (scripts/xen-host/pvgrub2.ts,
//                whose embedded config reads (xen/xvda,msdos1)/boot/grub/grub.cfg)
//   direct       xl's own PVH boot of the kernel (kernel= ramdisk= extra=), the same disk attached
// Seconds from dom0's `xl create` to the initramfs's marker line, one guest at a time in one Xen
// boot, the best of three rounds, as side-by-side.ts measures PV. The ratio is pvboot /
// pvgrub2-pvh (issue 23's goal: at most 0.6). TCG makes absolute times slow and noisy: every
// figure of the line comes from the same Xen boot.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureBusyboxInitrd, ensureHost } from "../xen-host/build.ts";
import { ensurePvgrub2 } from "../xen-host/pvgrub2.ts";
import { bootDisk, FIRST_LINE, MENU_LST, ratio, s, timeOneAtATime, type TimedGuest } from "./lib/boot-times.ts";

const PVBOOT_PVH = fileURLToPath(new URL("../../build/pvboot-pvh.elf.gz", import.meta.url));
const MARKER = "initrd: marker-pvh-side-by-side";

const host = await ensureHost();
const grubPvh = await ensurePvgrub2(undefined, { platform: "i386-xen_pvh" });
const initrd = await ensureBusyboxInitrd(MARKER);
const dir = mkdtempSync(join(tmpdir(), "pvboot-pvh-side-by-side-"));

try {
  const img = bootDisk(dir, "pvh", host.kernel, initrd, 40);
  const expect = [FIRST_LINE, new RegExp(`^${MARKER}$`)];
  const pvh = { type: "pvh", disk: img, hotplug: "block-quick", memoryMB: 256, expect, rounds: 3 } as const;
  const gs: TimedGuest[] = [
    { ...pvh, name: "pvboot", kernel: PVBOOT_PVH, extra: MENU_LST },
    { ...pvh, name: "pvgrub2-pvh", kernel: grubPvh },
    { ...pvh, name: "direct", kernel: host.kernel, ramdisk: initrd, extra: "console=hvc0" },
  ];
  const { t } = await timeOneAtATime("pvh-side-by-side", host, gs);
  const p = t.pvboot[1], g = t["pvgrub2-pvh"][1], d = t.direct[1];
  console.log(`xen-pvh-boot-to-initramfs pvboot ${s(p)} pvgrub2-pvh ${s(g)} direct ${s(d)} ratio ${ratio(p, g)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
