// The grubdom> command line: the real core in the emulated Xen, a real MBR disk with two ext
// filesystems made by mke2fs -d, keys typed at the console (the CLI's --keys notation). When
// the typed keys run out the loader waits at the prompt; the harness ends the run there with
// shutdown "idle" (GuestIdle, test/harness/clock.ts).

import { describe, expect, it, beforeAll } from "vitest";
import { makeDisk, session, afterBanner, bzImage, hello, UUID0, UUID1 } from "./grubdom-disk";
import { Screen } from "./harness/screen";
import { pvElf } from "./loader/pv-elf";

beforeAll(makeDisk, 60_000);

describe("grubdom>", () => {
  it("opens with GRUB's banner and the prompt, and waits for keys (idle when they run out)", () => {
    const r = session("");
    expect(r.shutdown).toBe("idle");
    expect(r.console).toContain(" [ Minimal BASH-like line editing is supported.  For the first word, TAB\r\n");
    expect(r.console).toContain("TAB lists the possible\r\n   completions of a device/filename. ]\r\n");
    expect(r.screen[r.screen.length - 1]).toBe("grubdom> ");
  });

  it("help lists the commands; help CMD describes one; an unknown command is an error", () => {
    const r = session("help\rhelp kernel\rfrobnicate now\r");
    const t = afterBanner(r.screen);
    // two columns of usages, in order
    expect(t).toMatch(/^background RRGGBB +blocklist FILE$/m);
    for (const u of ["boot", "cat FILE", "reboot", "uppermem KBYTES", "uuid \\[UUID\\]", "viewport X0 Y0 X1 Y1"]) {
      expect(t).toMatch(new RegExp(`(^|\\S {2,})${u}( {2,}\\S|$)`, "m"));
    }
    expect(t).toContain("kernel [--type=TYPE] [--no-mem-option] FILE [ARG ...]\n    Load the kernel FILE;");
    expect(t).toContain("grubdom> frobnicate now\nError: unknown command 'frobnicate'\ngrubdom> ");
  });

  it("ls lists the root device's directory and a given device's; cat prints a file", () => {
    const r = session("ls\rls /boot\rls (hd0,1)\rcat /hello.txt\rcat (hd0,1)/hello.txt\rcat /nope\rls /nope\r");
    const t = afterBanner(r.screen);
    expect(t).toMatch(/^ drwxr-xr-x +\d+ boot\/$/m);
    expect(t).toMatch(new RegExp(`^ -rw-r--r-- +${hello.length} hello\\.txt$`, "m"));
    expect(t).toMatch(/^ -rw-r--r-- +\d+ vmlinuz-6\.1\.0$/m);
    expect(t).toMatch(/^ drwxr-xr-x +\d+ hurd\/$/m);
    expect(t).toContain("grubdom> cat /hello.txt\nHello from pvboot's test disk.\nSecond line.\ngrubdom> ");
    expect(t).toContain("grubdom> cat (hd0,1)/hello.txt\nsecond\n");
    expect(t).toContain("Error: cat: '(hd0,0)/nope': file not found");
    expect(t).toContain("Error: ls: '(hd0,0)/nope': no such file or directory");
  });

  it("root checks the device: a good one mounts, GRUB's line; a bad one is an error naming it", () => {
    const r = session("root (hd0,1)\rls\rroot (hd3,0)\rroot (hd0,7)\rroot hd0\rroot\r");
    const t = afterBanner(r.screen);
    expect(t).toContain("grubdom> root (hd0,1)\n Filesystem type is ext2fs, partition type 0x83\n");
    expect(t).toMatch(/^ drwxr-xr-x +\d+ hurd\/$/m);
    expect(t).toContain("Error: root: no disk hd3 (the domain has 1)");
    expect(t).toContain("Error: root: no partition (hd0,7) (mbr table with 2 partitions)");
    expect(t).toContain("Error: root: 'hd0' is not a device like (hd0,0)");
    expect(t).toContain("grubdom> root\n root is (hd0,1)\n");
  });

  it("kernel with a missing file names it; initrd before a kernel and boot without one are errors", () => {
    const r = session("kernel /boot/vmlinuz-9\rinitrd /boot/initrd.img-6.1.0\rboot\rkernel --type=netbsd /x\r");
    const t = afterBanner(r.screen);
    expect(t).toContain("Error: kernel: '(hd0,0)/boot/vmlinuz-9': file not found");
    expect(t).toContain("Error: initrd: load a kernel first (kernel FILE)");
    expect(t).toContain("Error: boot: no kernel loaded (use 'kernel FILE' first)");
    expect(t).toContain("Error: kernel: --type=netbsd: pvboot boots Linux-style");
  });

  it("kernel, initrd and boot read the files whole, say what they are, and hand over", () => {
    const r = session("kernel /boot/vmlinuz-6.1.0 root=/dev/xvda1 ro\rinitrd /boot/initrd.img-6.1.0\rboot\r");
    expect(r.shutdown).toBe("jumped");
    const t = afterBanner(r.screen);
    const size = bzImage().length;
    expect(t).toContain(`grubdom> kernel /boot/vmlinuz-6.1.0 root=/dev/xvda1 ro\n   [Linux-bzImage, setup=0x800, size=0x${(size - 2048).toString(16)}]\n`);
    expect(t).toContain("grubdom> initrd /boot/initrd.img-6.1.0\n   [Linux-initrd, size=0x1388]\n");
    const payload = size - 2048 - 64;
    expect(t).toContain(`  kernel (hd0,0)/boot/vmlinuz-6.1.0: Linux bzImage, boot protocol 2.15, payload gzip (${payload} bytes), ${size} bytes\n`);
    expect(t).toContain(`  image: bzImage (boot protocol 2.15, gzip payload) -> ELF64 x86_64, ${pvElf().length} bytes, Xen notes (PT_NOTE): linux, entry 0xffffffff81000000, virt_base 0xffffffff80000000\n`);
    expect(t).toContain("  initrd (hd0,0)/boot/initrd.img-6.1.0: 5000 bytes\n");
    expect(t).toContain(`pvboot: the kernel loaded (kernel bzImage ${size} bytes, initrd 5000 bytes)\n`);
    expect(t).not.toContain("pvboot: powering off");
  });

  it("boot refuses a kernel that cannot run as a PV guest, saying why, and stays at the prompt", () => {
    const r = session("kernel /boot/vmlinux-bare\rboot\r");
    const t = afterBanner(r.screen);
    expect(t).toContain("'(hd0,0)/boot/vmlinux-bare': a 64-bit kernel with no Xen notes and no __xen_guest section: it cannot run as a Xen PV guest");
    expect(t).not.toContain(" loaded (kernel");
    expect(r.shutdown).toBe("idle");
  });

  it("modules keep their whole argument; a module from another device is read too", () => {
    const r = session("kernel /boot/vmlinux-elf\rmodule (hd0,1)/hurd/ext2fs.static --readonly\rboot\r");
    expect(r.shutdown).toBe("jumped");
    const t = afterBanner(r.screen);
    expect(t).toContain(`   [ELF64-x86_64, entry=0xffffffff81000000, size=0x${pvElf().length.toString(16)}]`);
    expect(t).toContain("   [Multiboot-module, size=0x4d2]");
    expect(t).toContain("  module (hd0,1)/hurd/ext2fs.static: 1234 bytes");
    expect(t).toContain(`(kernel ELF64 ${pvElf().length} bytes, 1 module 1234 bytes)`);
  });

  it("a kernel of unknown format, a foreign ELF, a directory: errors naming the file", () => {
    const r = session("kernel /boot/notakernel\rkernel /boot/vmlinux-arm\rkernel /boot\r");
    const t = afterBanner(r.screen);
    expect(t).toContain("Error: kernel: '(hd0,0)/boot/notakernel': unknown kernel format (starts with 23 21 2f 62 69 6e 2f 73)");
    expect(t).toContain("Error: kernel: '(hd0,0)/boot/vmlinux-arm': a 64-bit aarch64 ELF kernel; pvboot boots x86 PV kernels");
    expect(t).toContain("Error: kernel: '(hd0,0)/boot': is a directory");
    expect(r.shutdown).toBe("idle");
  });

  it("Tab completes a command, lists several, completes a path and a device", () => {
    const r = session("he<tab>kernel\rro<tab>\x15ca<tab>/he<tab>\x15cat /he<tab>l<tab>\rls (hd0,<tab>\x15ls (hd<tab>\r");
    const t = afterBanner(r.screen);
    expect(t).toContain("grubdom> help kernel\nkernel [--type=TYPE]");
    // each list is followed by the prompt and the completed line (the screen row is reused by
    // the next edit, so look at the stream)
    expect(r.console).toContain(" Possible commands are:\r\n root rootnoverify\r\n\rgrubdom> root\x1b[K");
    expect(t).toContain(" Possible files are:\n helium.txt hello.txt\ngrubdom> cat /hel");
    expect(t).toContain("grubdom> cat /hello.txt \nHello from pvboot's test disk.");
    expect(t).toContain(" Possible disks and partitions are:\n (hd0,0) (hd0,1)\n");
  });

  it("Tab completes a directory with its slash and a device alone", () => {
    const r = session("ls /bo<tab>gr<tab>\rroot (hd0,1<tab>\r");
    const t = afterBanner(r.screen);
    expect(t).toContain("grubdom> ls /boot/grub/\n -rw-r--r--");
    expect(t).toContain("grubdom> root (hd0,1)\n Filesystem type is ext2fs");
  });

  it("Up and Down walk the history; Enter runs the recalled line", () => {
    const r = session("cat /helium.txt\rcat /hello.txt\r<up><up>\r<up><up><up><down>\r");
    const t = afterBanner(r.screen);
    const runs = t.split("\n").filter((l) => l.startsWith("grubdom> cat"));
    expect(runs).toEqual(["grubdom> cat /helium.txt", "grubdom> cat /hello.txt", "grubdom> cat /helium.txt", "grubdom> cat /hello.txt"]);
    expect(t.split("\nHe\n").length - 1).toBe(2);
  });

  it("edits the line: left, insert, backspace, delete, Home/End, Ctrl-A/E/K/U", () => {
    // "cat /hxllo.txt": left 8 times to after 'x', backspace, type 'e'
    let r = session("cat /hxllo.txt<left><left><left><left><left><left><left><bs>e\r");
    expect(afterBanner(r.screen)).toContain("grubdom> cat /hello.txt\nHello from pvboot's test disk.");
    // Ctrl-A, insert "c" before "at": "cat ..."; then End and type
    r = session("at /hello<c-a>c<c-e>.txt\r");
    expect(afterBanner(r.screen)).toContain("grubdom> cat /hello.txt\nHello");
    // Ctrl-U kills everything before the cursor, Ctrl-K after it
    r = session("garbage<c-u>cat /helium.txt junk<left><left><left><left><left><c-k>\r");
    expect(afterBanner(r.screen)).toContain("grubdom> cat /helium.txt\nHe\n");
    // Home then Delete twice: "xxcat" -> "cat"
    r = session("xxcat /helium.txt<home><del><c-d>\r");
    expect(afterBanner(r.screen)).toContain("grubdom> cat /helium.txt\nHe\n");
  });

  it("a line longer than the screen scrolls within 80 columns and still runs whole", () => {
    const long = "/" + "a".repeat(150);
    const r = session(`cat ${long}\r`);
    expect(r.console).toContain(`Error: cat: '(hd0,0)${long}': file not found`);
    const prompts = r.screen.filter((l) => l.startsWith("grubdom> "));
    expect(prompts.length).toBe(2);
    for (const row of prompts) expect(row.length).toBeLessThan(80);
    expect(prompts[0]).toMatch(/^grubdom> a+$/); // the window around the cursor at the end
    expect(r.console).toContain("grubdom> \x1b[K\r\x1b[9Ccat /aaaa"); // echoed until it reached the edge
  });

  it("find prints every device holding the file; uuid lists and selects filesystems", () => {
    const r = session(`find /hello.txt\rfind /boot/grub/menu.lst\rfind /none\ruuid\ruuid ${UUID1.toUpperCase()}\rls\ruuid 12345\r`);
    const t = afterBanner(r.screen);
    expect(t).toContain("grubdom> find /hello.txt\n (hd0,0)\n (hd0,1)\ngrubdom> ");
    expect(t).toContain("grubdom> find /boot/grub/menu.lst\n (hd0,0)\ngrubdom> ");
    expect(t).toContain("Error: find: '/none' not found on any filesystem (2 devices searched)");
    expect(t).toContain(`grubdom> uuid\n (hd0,0): ext4 UUID ${UUID0}\n (hd0,1): ext2 UUID ${UUID1}\n`);
    expect(t).toContain(`grubdom> uuid ${UUID1.toUpperCase()}\n (hd0,1): Filesystem type is ext2fs, partition type 0x83\n`);
    expect(t).toMatch(/^ drwxr-xr-x +\d+ hurd\/$/m);
    expect(t).toContain("Error: uuid: no filesystem has UUID 12345 (2 devices searched)");
  });

  it("knows a bare compressed image, and refuses a 32-bit ELF, a truncated setup and an empty file", () => {
    const r = session("kernel /boot/vmlinuz.xz\rkernel /boot/vmlinux-i386\rkernel /boot/vmlinuz-short\rkernel /boot/empty\r");
    const t = afterBanner(r.screen);
    expect(t).toContain("grubdom> kernel /boot/vmlinuz.xz\n   [xz-compressed kernel, size=0x25e]\n");
    expect(t).toContain("Error: kernel: '(hd0,0)/boot/vmlinux-i386': a 32-bit (x86_32) kernel: this is pvboot-x86_64.elf, which boots 64-bit PV domains, " +
      "and a PV domain keeps the width it started with; boot this kernel with pvboot-x86_32.elf (kernel = \"pvboot-x86_32.elf\" in the domain's config)");
    expect(t).toContain("Error: kernel: '(hd0,0)/boot/vmlinuz-short': Linux setup of 31232 bytes but the file has only 4096");
    expect(t).toContain("Error: kernel: '(hd0,0)/boot/empty': unknown kernel format (starts with nothing: the file is empty)");
  });

  it("kernel options, rootnoverify, modulenounzip and quiet", () => {
    const r = session("rootnoverify (hd0,1)\rkernel --type=multiboot --no-mem-option (hd0,0)/boot/vmlinux-elf\r" +
      "modulenounzip /hurd/ext2fs.static --host-priv-port=1\rquiet\rboot\r");
    expect(r.shutdown).toBe("jumped");
    const t = afterBanner(r.screen);
    expect(t).toContain("grubdom> rootnoverify (hd0,1)\ngrubdom> kernel"); // no mount message
    expect(t).toContain("grubdom> modulenounzip /hurd/ext2fs.static --host-priv-port=1\n   [Multiboot-module, size=0x4d2]\n");
    expect(t).toContain(`grubdom> boot\npvboot: the kernel loaded (kernel ELF64 ${pvElf().length} bytes, 1 module 1234 bytes)`); // quiet: no summary
  });

  it("notes what a PV guest cannot do, and says chainloading is impossible", () => {
    const r = session("savedefault\rmap (hd0) (hd1)\rchainloader +1\rlock\rquiet\r");
    const t = afterBanner(r.screen);
    expect(t).toContain(" savedefault: not saved: only an entry booted from a menu has a number to save");
    expect(t).toContain(" map: ignored (nothing to do in a Xen PV guest");
    expect(t).toContain("Error: chainloader: chainloading is not possible in a Xen PV guest");
    expect(t).not.toContain("Error: lock");
  });

  it("configfile checks the file, then leaves the command line for that file's menu", () => {
    const r = session("configfile /boot/grub/nope.lst\rconfigfile /boot/grub/menu.lst\r");
    const t = afterBanner(r.screen);
    expect(t).toContain("Error: configfile: '(hd0,0)/boot/grub/nope.lst': file not found");
    // The menu of the second file is drawn (it has no timeout: it waits for a key).
    const menu = new Screen();
    menu.feed(r.console.slice(r.console.indexOf("configfile /boot/grub/menu.lst")));
    expect(menu.text()).toContain("Debian");
    expect(menu.text()).toMatch(/Use the \^ and v keys/);
    expect(r.shutdown).toBe("idle");
  });

  it("reboot and halt end the domain with the right reason; Esc and Ctrl-C only drop the line", () => {
    let r = session("reboot\r");
    expect(r.shutdown).toBe("reboot");
    r = session("cat /hello.txt<esc>cat /helium.txt<c-c>halt\r");
    expect(r.shutdown).toBe("poweroff");
    expect(r.console).not.toContain("Hello from");
    expect(r.console).not.toContain("\r\nHe\r\n");
    expect(r.console).toContain("pvboot: powering off");
  });
});
