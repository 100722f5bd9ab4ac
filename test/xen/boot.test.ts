// pvboot boots Linux on real Xen 4.17 (QEMU TCG), end to end, in one Xen boot with several
// domUs, one after the other: Debian 12's kernel and a busybox initramfs from disks made here (issue cases 1-4, 7).
//   extra     menu.lst named by `extra = "(hd0,0)/boot/grub/menu.lst"` on an ext4 partition
//   fallback  a partitionless ext2 disk with 1 KiB blocks; the default entry names a missing
//             kernel, the fallback entry boots
//   zstd, lz4 the kernel re-packed with zstd and with lz4 (legacy frame), as bare images
//   keys      the menu driven through the real console: the second entry, its kernel line
//             edited, booted
//   direct    the same kernel and initramfs booted by Xen's own builder (xl kernel= ramdisk=):
//             the reference for the kernel's messages
// After the handoff, each initramfs mounts xvda1 through blkfront (the backend pvboot used and
// gave back) and prints a file from it, and the kernel's messages about xenbus, event channels
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
const runs: GuestsRun[] = [];

const lines = (g: GuestResult) => g.lines.map((l) => l.text);
const guest = (name: string) => runs.flatMap((r) => r.guests).find((g) => g.name === name)!;
// The kernel's messages the initramfs printed (from /dev/kmsg, without the record headers).
const dmesg = (g: GuestResult) => lines(g).filter((t) => t.startsWith("initrd: dmesg: ")).map((t) => t.slice("initrd: dmesg: ".length));

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
    // and a menu.lst of both for the guest driven through its console (case 6)
    writeFileSync(join(c, "boot", "grub", "menu.lst"), "timeout 60\n" +
      "title zstd\nroot (hd0,0)\nkernel /boot/vmlinux.zst console=hvc0 quiet\ninitrd /boot/initrd.img\n" +
      "title lz4\nroot (hd0,0)\nkernel /boot/vmlinux.lz4 console=hvc0 quiet\ninitrd /boot/initrd.img\n");
    makeDisk(join(dir, "c.img"), 44, [{ fsType: "ext4", sizeMiB: 42, dir: c }]);

    const expectLinux = (cmdline: RegExp, file = true) => [new RegExp(`^${MARKER}$`), cmdline,
      ...(file ? [new RegExp(`^initrd: file: ${HELLO}$`)] : []), /^initrd: dmesg done$/];
    // One Xen boot, one guest at a time: Linux guests side by side under TCG crashed dom0's
    // and each other's processes (scripts/xen-host/README.md).
    const opts = { host, timeoutMs: 900_000, echo: !!process.env.PVBOOT_ECHO, oneAtATime: true };
    runs.push(await runGuests([
      { name: "extra", disk: join(dir, "a.img"), hotplug: "block-quick", memoryMB: 192, extra: "(hd0,0)/boot/grub/menu.lst",
        expect: expectLinux(/^initrd: cmdline: console=hvc0 quiet$/) },
      { name: "fallback", disk: join(dir, "b.img"), hotplug: "block-quick", memoryMB: 192,
        expect: expectLinux(/^initrd: cmdline: console=hvc0 quiet fallback=1$/, false) },
      { name: "direct", kernel: host.kernel, ramdisk: initrd, disk: join(dir, "a.img"), hotplug: "block-quick", memoryMB: 192,
        extra: "console=hvc0 quiet", expect: expectLinux(/^initrd: cmdline: console=hvc0 quiet$/) },
      { name: "zstd", disk: join(dir, "c.img"), hotplug: "block-quick", memoryMB: 192, extra: "(hd0,0)/boot/grub/zstd.lst",
        expect: expectLinux(/^initrd: cmdline: console=hvc0 quiet packed=zstd$/) },
      { name: "lz4", disk: join(dir, "c.img"), hotplug: "block-quick", memoryMB: 192, extra: "(hd0,0)/boot/grub/lz4.lst",
        expect: expectLinux(/^initrd: cmdline: console=hvc0 quiet packed=lz4$/) },
      // Keys through xenconsoled's pty, as `xl console` types them: the second entry, 'e',
      // down to its kernel line, 'e', Ctrl-E (end of line), " edited=1", Enter, 'b'.
      { name: "keys", disk: join(dir, "c.img"), hotplug: "block-quick", memoryMB: 192,
        keys: [
          { after: "will be booted automatically", send: "\\033[Be" },
          { after: "Editing 'lz4'", send: "\\033[Be" },
          { after: "Minimal BASH-like line editing", send: "\\005 edited=1\\rb" },
        ],
        expect: expectLinux(/^initrd: cmdline: console=hvc0 quiet edited=1$/) },
    ], opts));
    const s = (ms: number) => (ms / 1000).toFixed(1);
    for (const r of runs) {
      if (!r.ok) console.error(r.xen.lines.slice(-60).join("\n"));
      for (const g of r.guests) console.log(`${g.name}: xl create at ${s(g.createMs)} s, initramfs +${s(g.matchedMs[0] - g.createMs)} s`);
    }
  }, 1_000_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("boots every guest to its initramfs with the menu's command line", () => {
    for (const r of runs) expect(r.ok, r.reason).toBe(true);
  });

  it("reads the menu.lst extra= names (finding one itself is test/xen/domu.test.ts's)", () => {
    expect(lines(guest("extra")).join("\n")).toContain("pvboot: command line: (hd0,0)/boot/grub/menu.lst");
    expect(lines(guest("extra")).join("\n")).toContain(" Booting 'Debian GNU/Linux'");
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
    for (const name of ["extra", "fallback", "zstd", "lz4", "keys"]) {
      const extra = dmesg(guest(name)).filter((m) => !reference.has(m));
      expect(extra, name).toEqual([]);
    }
  });
});
