// pvboot side by side with pvgrub2 (GRUB 2's x86_64-xen image, scripts/xen-host/pvgrub2.ts) and
// direct kernel boot (xl kernel= ramdisk=) on the real Xen test host: Debian 12's kernel and a
// busybox initramfs from the same disk. For each: seconds from dom0's `xl create` to the
// kernel's first console line and to the initramfs's line, one guest at a time in one Xen boot
// (guests running at once would share QEMU's one CPU); the same with a 64 MiB initrd; the image sizes;
// and the smallest `memory =` (of a fixed set) with which each boots the kernel and initrd.
// TCG makes absolute times slow and noisy: the ratios are the figures.

import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeDisk } from "../images/make-disk.ts";
import { ensureBusyboxInitrd, ensureHost } from "../xen-host/build.ts";
import { ensurePvgrub2 } from "../xen-host/pvgrub2.ts";
import { PVBOOT_ELF, runGuests, type GuestSpec } from "../xen-host/guests.ts";

const MARKER = "initrd: marker-side-by-side";
const FIRST_LINE = /Linux version \d/;
const MEMORY_SET = [64, 80, 88, 96, 112, 128];

const host = await ensureHost();
const pvgrub2 = await ensurePvgrub2();
const initrd = await ensureBusyboxInitrd(MARKER);
const dir = mkdtempSync(join(tmpdir(), "pvboot-side-by-side-"));
const s = (ms: number) => (ms / 1000).toFixed(2);
const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : "inf");

// One disk per initrd: menu.lst for pvboot, grub.cfg for pvgrub2, the same kernel and initrd.
function disk(name: string, initrdFile: string, sizeMiB: number): string {
  const root = join(dir, name);
  mkdirSync(join(root, "boot", "grub"), { recursive: true });
  copyFileSync(host.kernel, join(root, "boot", "vmlinuz"));
  copyFileSync(initrdFile, join(root, "boot", "initrd"));
  writeFileSync(join(root, "boot", "grub", "menu.lst"), "timeout 0\ntitle Debian\nroot (hd0,0)\nkernel /boot/vmlinuz console=hvc0\ninitrd /boot/initrd\n");
  writeFileSync(join(root, "boot", "grub", "grub.cfg"), "set timeout=0\nmenuentry Debian {\n  linux /boot/vmlinuz console=hvc0\n  initrd /boot/initrd\n}\n");
  const img = join(dir, `${name}.img`);
  makeDisk(img, sizeMiB, [{ fsType: "ext4", sizeMiB: sizeMiB - 2, dir: root }]);
  return img;
}

function guests(tag: string, img: string, initrdFile: string, memoryMB = 256): GuestSpec[] {
  const expect = [FIRST_LINE, new RegExp(`^${MARKER}$`)];
  return [
    { name: `pvboot${tag}`, disk: img, hotplug: "block-quick", memoryMB, expect },
    { name: `pvgrub2${tag}`, kernel: pvgrub2, disk: img, hotplug: "block-quick", memoryMB, expect },
    { name: `direct${tag}`, kernel: host.kernel, ramdisk: initrdFile, extra: "console=hvc0", memoryMB, expect },
  ];
}

// The guests one after the other in one Xen boot (Linux guests side by side under TCG share QEMU's
// one CPU and crash each other, guests.ts): name -> [to first line, to the initramfs line] in ms.
async function timeOneAtATime(gs: GuestSpec[]): Promise<Record<string, [number, number]>> {
  const r = await runGuests(gs.map((g) => ({ ...g, timeoutS: 300 })), { host, timeoutMs: 2_400_000, oneAtATime: true, echo: !!process.env.PVBOOT_ECHO });
  const t: Record<string, [number, number]> = {};
  for (const x of r.guests) {
    if (!x.ok || !r.ok) throw new Error(`side-by-side: ${x.name}: ${r.reason}\n${x.lines.slice(-20).map((l) => l.text).join("\n")}`);
    t[x.name] = [x.matchedMs[0] - x.createMs, x.matchedMs[1] - x.createMs];
  }
  return t;
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

  const t = await timeOneAtATime([...guests("", small, initrd), ...guests("-64m", big, bigInitrd, 384)]);
  const p = t.pvboot, g2 = t.pvgrub2, d = t.direct;
  console.log(`xen-boot-to-kernel pvboot ${s(p[0])} pvgrub2 ${s(g2[0])} direct ${s(d[0])} ratio ${ratio(p[0], g2[0])}`);
  console.log(`xen-boot-to-kernel-vs-direct pvboot ${s(p[0])} direct ${s(d[0])} ratio ${ratio(p[0], d[0])}`);
  console.log(`xen-boot-to-initramfs pvboot ${s(p[1])} pvgrub2 ${s(g2[1])} direct ${s(d[1])} ratio ${ratio(p[1], g2[1])}`);
  console.log(`xen-boot-to-initramfs-vs-direct pvboot ${s(p[1])} direct ${s(d[1])} ratio ${ratio(p[1], d[1])}`);
  const pb = t["pvboot-64m"], gb = t["pvgrub2-64m"], db = t["direct-64m"];
  console.log(`xen-boot-64M-initrd pvboot ${s(pb[1])} pvgrub2 ${s(gb[1])} ratio ${ratio(pb[1], gb[1])}`);
  console.log(`xen-boot-64M-initrd-vs-direct pvboot ${s(pb[1])} direct ${s(db[1])} ratio ${ratio(pb[1], db[1])}`);

  // The smallest memory of the set with which each boots: every loader at every size, one guest
  // after the other in one Xen boot; a guest that has not booted in 150 s is destroyed.
  const sweep: GuestSpec[] = [];
  for (const m of MEMORY_SET) {
    for (const g of guests(`-m${m}`, small, initrd, m)) sweep.push({ ...g, expect: [new RegExp(`^${MARKER}$`)], timeoutS: 150 });
  }
  const r = await runGuests(sweep, { host, timeoutMs: 2_400_000, waitForEnd: true, oneAtATime: true, echo: !!process.env.PVBOOT_ECHO });
  const unended = r.guests.filter((g) => !g.ended);
  if (unended.length) {
    const last = unended.map((g) => `${g.name}: ${g.lines.slice(-5).map((l) => l.text).join(" | ") || "(no lines)"}`).join("\n");
    throw new Error(`side-by-side: the memory sweep did not run to its end: ${r.reason}\n${last}`);
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
