// pvboot-pvh.elf boots Debian 12's kernel in a PVH domU of real Xen 4.17 (QEMU TCG, issue 23):
//   pvh         build/pvboot-pvh.elf.gz as `kernel =`, menu.lst on an ext4 partition naming
//               Debian's bzImage (xz) and a busybox initramfs: pvboot unpacks the kernel,
//               places its segments at their physical addresses, builds hvm_start_info and
//               enters the kernel's PVH entry (XEN_ELFNOTE_PHYS32_ENTRY)
//   pvh-grubcfg the same kernel and initramfs from a disk whose only configuration is
//               /boot/grub/grub.cfg in grub-mkconfig's shape (search --fs-uuid for the root, a
//               menuentry with --class and --id, linux and initrd): pvboot finds it itself
//   pvh-direct  the same kernel and initramfs booted by xl itself as a PVH guest: the reference
// Each initramfs mounts xvda1 through blkfront (the backend pvboot used and gave back) and prints
// a file from it, and the kernel's messages about xenbus, event channels and grants must be the
// direct boot's. Both guests get cpuid = "host,rdtscp=0,xsave=0" (scripts/xen-host/README.md).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { makeDisk } from "../../scripts/images/make-disk";
import { ensureBusyboxInitrd, ensureHost } from "../../scripts/xen-host/build";
import { runGuests, type GuestsRun, type GuestResult } from "../../scripts/xen-host/guests";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const IMAGE_GZ = join(ROOT, "build/pvboot-pvh.elf.gz");
const MARKER = "initrd: marker-pvh";
const HELLO = "hello from xvda1 after the PVH handoff";
const UUID = "3c1f0a52-7d2e-4b8a-9f10-5e6d7c8b9a01";
// The shape grub-mkconfig gives a Debian guest's grub.cfg (written here, not copied): the
// menuentry id option set by feature test, the root found by file-system UUID, then the entry.
const GRUB_CFG = [
  "set default=\"0\"",
  "if [ x\"${feature_menuentry_id}\" = xy ]; then",
  "  menuentry_id_option=\"--id\"",
  "else",
  "  menuentry_id_option=\"\"",
  "fi",
  "export menuentry_id_option",
  "set timeout=1",
  "insmod part_msdos",
  "insmod ext2",
  `search --no-floppy --fs-uuid --set=root ${UUID}`,
  `menuentry 'Debian GNU/Linux (PVH, grub.cfg)' --class debian --class gnu-linux --class os $menuentry_id_option 'gnulinux-simple-${UUID}' {`,
  "\tinsmod gzio",
  "\tinsmod part_msdos",
  "\tinsmod ext2",
  `\tsearch --no-floppy --fs-uuid --set=root ${UUID}`,
  "\techo 'Loading the kernel'",
  "\tlinux /boot/vmlinuz console=hvc0 quiet pvh=1",
  "\techo 'Loading the initramfs'",
  "\tinitrd /boot/initrd.img",
  "}",
  "",
].join("\n");
let dir = "";
let run: GuestsRun;

const lines = (g: GuestResult) => g.lines.map((l) => l.text);
const guest = (name: string) => run.guests.find((g) => g.name === name)!;
const dmesg = (g: GuestResult) => lines(g).filter((t) => t.startsWith("initrd: dmesg: ")).map((t) => t.slice("initrd: dmesg: ".length));

describe("pvboot-pvh boots Debian's kernel in a PVH domU of real Xen", () => {
  beforeAll(async () => {
    const host = await ensureHost();
    const initrd = await ensureBusyboxInitrd(MARKER, { readFile: "/hello.txt" });
    dir = mkdtempSync(join(tmpdir(), "pvboot-pvh-linux-"));
    const a = join(dir, "a");
    mkdirSync(join(a, "boot", "grub"), { recursive: true });
    copyFileSync(host.kernel, join(a, "boot", "vmlinuz"));
    copyFileSync(initrd, join(a, "boot", "initrd.img"));
    writeFileSync(join(a, "hello.txt"), HELLO + "\n");
    writeFileSync(join(a, "boot", "grub", "menu.lst"),
      "default 0\ntimeout 1\ntitle Debian GNU/Linux (PVH)\nroot (hd0,0)\nkernel /boot/vmlinuz console=hvc0 quiet pvh=1\ninitrd /boot/initrd.img\n");
    makeDisk(join(dir, "a.img"), 20, [{ fsType: "ext4", sizeMiB: 18, dir: a }]);
    const b = join(dir, "b");
    mkdirSync(join(b, "boot", "grub"), { recursive: true });
    copyFileSync(host.kernel, join(b, "boot", "vmlinuz"));
    copyFileSync(initrd, join(b, "boot", "initrd.img"));
    writeFileSync(join(b, "hello.txt"), HELLO + "\n");
    writeFileSync(join(b, "boot", "grub", "grub.cfg"), GRUB_CFG);
    makeDisk(join(dir, "b.img"), 20, [{ fsType: "ext4", sizeMiB: 18, dir: b, mkfsArgs: ["-U", UUID] }]);

    const expectLinux = (cmdline: RegExp) => [new RegExp(`^${MARKER}$`), cmdline,
      new RegExp(`^initrd: file: ${HELLO}$`), /^initrd: dmesg done$/];
    const pvh = { type: "pvh" as const, hotplug: "block-quick" as const, memoryMB: 256 };
    const direct = { ...pvh, name: "pvh-direct", kernel: host.kernel, ramdisk: initrd, disk: join(dir, "a.img"),
      extra: "console=hvc0 quiet pvh=1", expect: expectLinux(/^initrd: cmdline: console=hvc0 quiet pvh=1$/) };
    const opts = { host, timeoutMs: 900_000, echo: !!process.env.PVBOOT_ECHO, oneAtATime: true, xenDmesg: 60 };
    run = await runGuests([
      { ...pvh, name: "pvh", kernel: IMAGE_GZ, disk: join(dir, "a.img"),
        expect: expectLinux(/^initrd: cmdline: console=hvc0 quiet pvh=1$/) },
      { ...pvh, name: "pvh-grubcfg", kernel: IMAGE_GZ, disk: join(dir, "b.img"),
        expect: expectLinux(/^initrd: cmdline: console=hvc0 quiet pvh=1$/) },
      direct,
    ], opts);
    // xl's own PVH boot of the kernel, the reference, has crashed under TCG with no pvboot
    // involved (busybox's init took #UD on AVX code before xsave=0 hid AVX from both guests):
    // should it crash, boot it once more, so that only pvboot's guest can fail the test.
    if (!guest("pvh-direct").ok) {
      console.error(`pvh-direct failed (${guest("pvh-direct").ended}); booting the reference again`);
      const again = await runGuests([direct], opts);
      const pvboot = [guest("pvh"), guest("pvh-grubcfg")];
      const pvbootOk = pvboot.every((g) => g.ok);
      run = { ...run, ok: pvbootOk && again.ok, reason: pvbootOk ? again.reason : run.reason, guests: [...pvboot, ...again.guests] };
    }
    if (!run.ok) console.error(run.xen.lines.slice(-60).join("\n"));
    const s = (ms: number) => (ms / 1000).toFixed(1);
    for (const g of run.guests) console.log(`${g.name}: xl create at ${s(g.createMs)} s, initramfs +${s((g.matchedMs[0] ?? NaN) - g.createMs)} s`);
  }, 1_000_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("boots the kernel to its initramfs with the menu's command line, as xl's direct PVH boot does", () => {
    expect(run.ok, `${run.reason}\n${run.guests.map((g) => `${g.name}: ${lines(g).slice(-30).join(" | ")}`).join("\n")}`).toBe(true);
    const t = lines(guest("pvh")).join("\n");
    expect(t).toContain(" Booting 'Debian GNU/Linux (PVH)'");
    expect(t).toMatch(/image: bzImage \(boot protocol [\d.]+, xz payload\) -> ELF64 x86_64, \d+ bytes, Xen notes \(PT_NOTE\): PVH, entry 0x[0-9a-f]+/);
  });

  it("boots the same kernel from a disk with only grub.cfg, found by pvboot itself", () => {
    expect(run.ok, run.reason).toBe(true);
    const t = lines(guest("pvh-grubcfg")).join("\n");
    expect(t).toMatch(/pvboot: report: config \(hd0,0\)\/boot\/grub\/grub\.cfg: /);
    expect(t).not.toContain("pvboot: command line:");
    expect(t).toContain(" Booting 'Debian GNU/Linux (PVH, grub.cfg)'");
    expect(t).toMatch(/image: bzImage \(boot protocol [\d.]+, xz payload\) -> ELF64 x86_64, \d+ bytes, Xen notes \(PT_NOTE\): PVH, entry 0x[0-9a-f]+/);
  });

  it("leaves nothing the kernel complains about: its xenbus, event-channel and grant messages are the direct boot's", () => {
    const reference = new Set(dmesg(guest("pvh-direct")));
    expect(reference.size).toBeGreaterThan(0);
    for (const name of ["pvh", "pvh-grubcfg"]) {
      expect(dmesg(guest(name)).filter((m) => !reference.has(m)), name).toEqual([]);
      expect(dmesg(guest(name)).length, name).toBeGreaterThan(0);
    }
  });
});
