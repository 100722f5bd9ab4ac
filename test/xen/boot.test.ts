// pvboot boots Linux on real Xen 4.17 (QEMU TCG), end to end, in one Xen boot with several
// domUs: Debian 12's kernel and a busybox initramfs from disks made here (issue cases 1-4, 7).
//   extra     menu.lst named by `extra = "(hd0,0)/boot/grub/menu.lst"` on an ext4 partition
//   find      the same disk without extra: pvboot finds menu.lst itself
//   fallback  a partitionless ext2 disk with 1 KiB blocks; the default entry names a missing
//             kernel, the fallback entry boots
//   zstd, lz4 the kernel re-packed with zstd and with lz4 (legacy frame), as bare images
//   direct    the same kernel and initramfs booted by Xen's own builder (xl kernel= ramdisk=):
//             the reference for the kernel's messages
// After the handoff, each initramfs mounts xvda1 through blkfront (the backend pvboot used and
// gave back) and prints a file from it (disks are kept small: every guest's copy lives in
// dom0's memory), and the kernel's messages about xenbus, event channels
// and grants must be those of the direct boot: nothing left behind that the kernel trips on.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeDisk } from "../../scripts/images/make-disk";
import { ensureBusyboxInitrd, ensureHost } from "../../scripts/xen-host/build";
import { runGuests, type GuestsRun, type GuestResult } from "../../scripts/xen-host/guests";

const MARKER = "initrd: marker-e2e";
const HELLO = "hello from xvda1 after the handoff";
let dir = "";
let run: GuestsRun;

const lines = (g: GuestResult) => g.lines.map((l) => l.text);
const guest = (name: string) => run.guests.find((g) => g.name === name)!;
// The kernel's messages the initramfs printed, without the timestamps.
const dmesg = (g: GuestResult) => lines(g).filter((t) => t.startsWith("initrd: dmesg: ")).map((t) => t.replace(/^initrd: dmesg: \[[ 0-9.]+\] /, ""));

describe("pvboot boots Debian's kernel on real Xen, end to end", () => {
  beforeAll(async () => {
    const host = await ensureHost();
    const initrd = await ensureBusyboxInitrd(MARKER, { readFile: "/hello.txt" });
    dir = mkdtempSync(join(tmpdir(), "pvboot-e2e-"));
    const bz = readFileSync(host.kernel);
    const setup = ((bz[0x1f1] || 4) + 1) * 512;
    const off = setup + bz.readUInt32LE(0x248);
    const vmlinux = execFileSync("xz", ["-dc", "--single-stream"], { input: bz.subarray(off, off + bz.readUInt32LE(0x24c)), maxBuffer: 256 << 20 });

    // a: ext4 partition, Debian's bzImage (xz), menu.lst in the usual place.
    const a = join(dir, "a");
    mkdirSync(join(a, "boot", "grub"), { recursive: true });
    copyFileSync(host.kernel, join(a, "boot", "vmlinuz"));
    copyFileSync(initrd, join(a, "boot", "initrd.img"));
    writeFileSync(join(a, "hello.txt"), HELLO + "\n");
    writeFileSync(join(a, "boot", "grub", "menu.lst"),
      "default 0\ntimeout 1\ntitle Debian GNU/Linux\nroot (hd0,0)\nkernel /boot/vmlinuz console=hvc0 quiet\ninitrd /boot/initrd.img\n");
    makeDisk(join(dir, "a.img"), 20, [{ fsType: "ext4", sizeMiB: 18, dir: a }]);

    // b: no partition table, ext2 with 1 KiB blocks; the first entry's kernel is missing.
    const b = join(dir, "b");
    mkdirSync(join(b, "boot", "grub"), { recursive: true });
    copyFileSync(host.kernel, join(b, "boot", "vmlinuz"));
    copyFileSync(initrd, join(b, "boot", "initrd.img"));
    writeFileSync(join(b, "boot", "grub", "menu.lst"), "default 0\nfallback 1\ntimeout 0\n" +
      "title Missing\nroot (hd0)\nkernel /boot/vmlinuz-gone console=hvc0\ninitrd /boot/initrd.img\n" +
      "title Fallback\nroot (hd0)\nkernel /boot/vmlinuz console=hvc0 quiet fallback=1\ninitrd /boot/initrd.img\n");
    execFileSync("mke2fs", ["-q", "-F", "-t", "ext2", "-b", "1024", "-d", b, join(dir, "b.img"), "16M"], { stdio: ["ignore", "ignore", "inherit"] });

    // c: the kernel as bare zstd and lz4 images, one menu.lst each (picked with extra=).
    const c = join(dir, "c");
    mkdirSync(join(c, "boot", "grub"), { recursive: true });
    copyFileSync(initrd, join(c, "boot", "initrd.img"));
    writeFileSync(join(c, "hello.txt"), HELLO + "\n");
    writeFileSync(join(c, "boot", "vmlinux.zst"), execFileSync("zstd", ["-19", "-c", "-q"], { input: vmlinux, maxBuffer: 256 << 20 }));
    writeFileSync(join(c, "boot", "vmlinux.lz4"), execFileSync("lz4", ["-l", "-9", "-c", "-q"], { input: vmlinux, maxBuffer: 256 << 20 }));
    for (const f of ["zstd", "lz4"]) {
      writeFileSync(join(c, "boot", "grub", `${f}.lst`), `timeout 0\ntitle ${f}\nroot (hd0,0)\n` +
        `kernel /boot/vmlinux.${f === "zstd" ? "zst" : "lz4"} console=hvc0 quiet packed=${f}\ninitrd /boot/initrd.img\n`);
    }
    makeDisk(join(dir, "c.img"), 44, [{ fsType: "ext4", sizeMiB: 42, dir: c }]);

    const expectLinux = (cmdline: RegExp, file = true) => [new RegExp(`^${MARKER}$`), cmdline,
      ...(file ? [new RegExp(`^initrd: file: ${HELLO}$`)] : []), /^initrd: dmesg done$/];
    run = await runGuests([
      { name: "extra", disk: join(dir, "a.img"), hotplug: "block-quick", memoryMB: 192, extra: "(hd0,0)/boot/grub/menu.lst",
        expect: expectLinux(/^initrd: cmdline: console=hvc0 quiet$/) },
      { name: "find", disk: join(dir, "a.img"), hotplug: "block-quick", memoryMB: 192,
        expect: expectLinux(/^initrd: cmdline: console=hvc0 quiet$/) },
      { name: "fallback", disk: join(dir, "b.img"), hotplug: "block-quick", memoryMB: 192,
        expect: expectLinux(/^initrd: cmdline: console=hvc0 quiet fallback=1$/, false) },
      { name: "zstd", disk: join(dir, "c.img"), hotplug: "block-quick", memoryMB: 192, extra: "(hd0,0)/boot/grub/zstd.lst",
        expect: expectLinux(/^initrd: cmdline: console=hvc0 quiet packed=zstd$/) },
      { name: "lz4", disk: join(dir, "c.img"), hotplug: "block-quick", memoryMB: 192, extra: "(hd0,0)/boot/grub/lz4.lst",
        expect: expectLinux(/^initrd: cmdline: console=hvc0 quiet packed=lz4$/) },
      { name: "direct", kernel: host.kernel, ramdisk: initrd, disk: join(dir, "a.img"), hotplug: "block-quick", memoryMB: 192,
        extra: "console=hvc0 quiet", expect: expectLinux(/^initrd: cmdline: console=hvc0 quiet$/) },
    ], { host, timeoutMs: 900_000, memoryMB: 3072, echo: !!process.env.PVBOOT_ECHO }); // six guests of 192 MiB beside dom0's 1 GiB
    if (!run.ok) console.error(run.xen.lines.slice(-60).join("\n"));
    const s = (ms: number) => (ms / 1000).toFixed(1);
    for (const g of run.guests) console.log(`${g.name}: xl create at ${s(g.createMs)} s, initramfs +${s(g.matchedMs[0] - g.createMs)} s`);
  }, 1_000_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("boots every guest to its initramfs with the menu's command line", () => {
    expect(run.ok, run.reason).toBe(true);
  });

  it("names the menu.lst it used: the one from extra=, or the one it found", () => {
    expect(lines(guest("extra")).join("\n")).toContain(" Booting 'Debian GNU/Linux'");
    expect(lines(guest("find")).join("\n")).toContain(" Booting 'Debian GNU/Linux'");
  });

  it("falls back to the second entry when the first names a missing kernel", () => {
    const t = lines(guest("fallback")).join("\n");
    expect(t).toMatch(/Error: .*'\(hd0\)\/boot\/vmlinuz-gone': file not found/);
    expect(t).toContain(" Booting 'Fallback'");
  });

  it("unpacks the zstd and lz4 kernels itself", () => {
    expect(lines(guest("zstd")).join("\n")).toMatch(/image: zstd -> ELF64 x86_64/);
    expect(lines(guest("lz4")).join("\n")).toMatch(/image: lz4 -> ELF64 x86_64/);
  });

  it("leaves nothing the kernel complains about: its xenbus, event-channel and grant messages are the direct boot's", () => {
    const reference = new Set(dmesg(guest("direct")));
    for (const name of ["extra", "find", "fallback", "zstd", "lz4"]) {
      const extra = dmesg(guest(name)).filter((m) => !reference.has(m));
      expect(extra, name).toEqual([]);
    }
  });
});
