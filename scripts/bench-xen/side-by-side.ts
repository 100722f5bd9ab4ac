// pvboot side by side with pvgrub2 (GRUB 2's x86_64-xen image, scripts/xen-host/pvgrub2.ts) and
// direct kernel boot (xl kernel= ramdisk=) on the real Xen test host: Debian 12's kernel and a
// busybox initramfs from the same disk (direct boot is given the same disk too, so that its
// request count is blkback's as well: 0, as its kernel never connects to the disk before the
// initramfs's line). For each: seconds from dom0's `xl create` to the kernel's first console line
// and to the initramfs's line, one guest at a time in one Xen boot (guests running at once
// would share QEMU's one CPU), the best of three rounds (lib/boot-times.ts); the same with a
// 64 MiB initrd, one round; the image sizes; and the block requests each guest made (its first
// round), counted on dom0's side by blkback (its statistics, summed over every connection to
// the disk: runGuests' blkbackStats), from `xl create` until the guest powered off after the
// initramfs's line. The smallest `memory =` each boots with is `make bench-xen-memory`
// (scripts/bench-xen-memory/). TCG makes absolute times slow and noisy: the ratios are the
// figures; every figure of a line comes from the same Xen boot.

import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBusyboxInitrd, ensureHost } from "../xen-host/build.ts";
import { ensurePvgrub2 } from "../xen-host/pvgrub2.ts";
import { PVBOOT_ELF } from "../xen-host/guests.ts";
import { bootDisk, FIRST_LINE, ratio, s, timeOneAtATime, type TimedGuest } from "./lib/boot-times.ts";

const MARKER = "initrd: marker-side-by-side";

const host = await ensureHost();
const pvgrub2 = await ensurePvgrub2();
const initrd = await ensureBusyboxInitrd(MARKER);
const dir = mkdtempSync(join(tmpdir(), "pvboot-side-by-side-"));

// One disk per initrd, the same kernel and initrd: pvboot and pvgrub2 both boot its grub.cfg.
const disk = (name: string, initrdFile: string, sizeMiB: number) => bootDisk(dir, name, host.kernel, initrdFile, sizeMiB);

// pvgrub2 reads a 64 MiB initrd in about 1500 requests; on a loaded machine under TCG that was
// seen to take over 300 s: the -64m guests get 600 s, and one round (pvgrub2's alone takes
// minutes).
function guests(tag: string, img: string, initrdFile: string, memoryMB = 256): TimedGuest[] {
  const expect = [FIRST_LINE, new RegExp(`^${MARKER}$`)];
  const timeoutS = tag === "-64m" ? 600 : 300;
  const rounds = tag === "-64m" ? 1 : 3;
  return [
    { name: `pvboot${tag}`, disk: img, hotplug: "block-quick", memoryMB, expect, timeoutS, rounds },
    { name: `pvgrub2${tag}`, kernel: pvgrub2, disk: img, hotplug: "block-quick", memoryMB, expect, timeoutS, rounds },
    { name: `direct${tag}`, kernel: host.kernel, ramdisk: initrdFile, disk: img, hotplug: "block-quick", extra: "console=hvc0", memoryMB, expect, timeoutS, rounds },
  ];
}

try {
  // A 64 MiB initrd: the busybox one with 64 MiB of incompressible data appended as a second
  // cpio archive (the kernel unpacks both).
  const bigDir = join(dir, "filler");
  mkdirSync(bigDir);
  writeFileSync(join(bigDir, "filler"), execFileSync("head", ["-c", String(64 << 20), "/dev/urandom"], { maxBuffer: 80 << 20 }));
  const filler = execFileSync("sh", ["-c", "cd \"$1\" && echo filler | cpio -o -H newc --quiet", "sh", bigDir], { maxBuffer: 80 << 20 });
  const bigInitrd = join(dir, "initrd-64M.cpio");
  writeFileSync(bigInitrd, Buffer.concat([execFileSync("cat", [initrd], { maxBuffer: 80 << 20 }), filler]));

  const small = disk("small", initrd, 40);
  const big = disk("big", bigInitrd, 120);

  // Every figure is printed as soon as it is measured. The size is the uncompressed ELF's
  // against pvgrub2's (an ELF too); `make bench` prints the compressed ones (image-size-gz).
  const ps = statSync(PVBOOT_ELF).size, gs = statSync(pvgrub2).size;
  console.log(`image-size pvboot ${ps} pvgrub2 ${gs} ratio ${ratio(ps, gs)}`);

  const { t, rd } = await timeOneAtATime("side-by-side", host, [...guests("", small, initrd), ...guests("-64m", big, bigInitrd, 384)]);
  const p = t.pvboot, g2 = t.pvgrub2, d = t.direct;
  console.log(`xen-boot-to-kernel pvboot ${s(p[0])} pvgrub2 ${s(g2[0])} direct ${s(d[0])} ratio ${ratio(p[0], g2[0])}`);
  console.log(`xen-boot-to-kernel-vs-direct pvboot ${s(p[0])} direct ${s(d[0])} ratio ${ratio(p[0], d[0])}`);
  console.log(`xen-boot-to-initramfs pvboot ${s(p[1])} pvgrub2 ${s(g2[1])} direct ${s(d[1])} ratio ${ratio(p[1], g2[1])}`);
  console.log(`xen-boot-to-initramfs-vs-direct pvboot ${s(p[1])} direct ${s(d[1])} ratio ${ratio(p[1], d[1])}`);
  const pb = t["pvboot-64m"], gb = t["pvgrub2-64m"], db = t["direct-64m"];
  console.log(`xen-boot-64M-initrd pvboot ${s(pb[1])} pvgrub2 ${s(gb[1])} ratio ${ratio(pb[1], gb[1])}`);
  console.log(`xen-boot-64M-initrd-vs-direct pvboot ${s(pb[1])} direct ${s(db[1])} ratio ${ratio(pb[1], db[1])}`);
  // Dom0-side figures: blkback's read requests over each guest's life (the loader's: the kernel
  // does not connect to the disk before the initramfs's line and poweroff).
  console.log(`dom0-blkback-read-requests pvboot ${rd.pvboot} pvgrub2 ${rd.pvgrub2} direct ${rd.direct} ratio ${ratio(rd.pvboot, rd.pvgrub2)}`);
  console.log(`dom0-blkback-read-requests-64M-initrd pvboot ${rd["pvboot-64m"]} pvgrub2 ${rd["pvgrub2-64m"]} direct ${rd["direct-64m"]} ratio ${ratio(rd["pvboot-64m"], rd["pvgrub2-64m"])}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
