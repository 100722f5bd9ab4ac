// The grubdom> command line: the real core in the emulated Xen, a real MBR disk with two ext
// filesystems made by mke2fs -d, keys typed at the console (the CLI's --keys notation). When
// the typed keys run out the loader waits at the prompt; the harness ends the run there with
// shutdown "idle" (GuestIdle, test/harness/clock.ts).

import { describe, expect, it, beforeAll } from "vitest";
import { execFileSync } from "node:child_process";
import { closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runLoader } from "./harness/run";
import { parseKeys } from "../scripts/cli/keys";

const MiB = 1024 * 1024;
const UUID0 = "0b2f6a1e-3c4d-4e5f-8a9b-0c1d2e3f4a5b";
const UUID1 = "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d";

// A bzImage-looking kernel: boot sector, setup header ("HdrS", protocol 2.15, LOADED_HIGH),
// setup_sects 3, a gzip payload where payload_offset says.
export function bzImage(payloadBytes = 3000): Buffer {
  const setupSects = 3;
  const setup = (setupSects + 1) * 512;
  const payload = Buffer.alloc(payloadBytes, 0x5a);
  payload[0] = 0x1f;
  payload[1] = 0x8b;
  payload[2] = 8;
  const k = Buffer.alloc(setup + 64 + payload.length);
  k[0x1f1] = setupSects;
  k.writeUInt16LE(0xaa55, 0x1fe);
  k.write("HdrS", 0x202, "latin1");
  k.writeUInt16LE(0x020f, 0x206);
  k[0x211] = 1; // LOADED_HIGH: a bzImage
  k.writeUInt32LE(64, 0x248); // payload_offset, from the end of the setup
  k.writeUInt32LE(payload.length, 0x24c);
  payload.copy(k, setup + 64);
  return k;
}

function elf(machine: number, cls: number): Buffer {
  const e = Buffer.alloc(256);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, cls, 1, 1]).copy(e);
  e.writeUInt16LE(2, 16);
  e.writeUInt16LE(machine, 18);
  e.writeBigUInt64LE(0xffffffff81000000n, 24);
  return e;
}

let disk = "";
const hello = "Hello from pvboot's test disk.\nSecond line.\n";

beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), "pvboot-grubdom-"));
  const root0 = join(dir, "root0");
  mkdirSync(join(root0, "boot/grub"), { recursive: true });
  writeFileSync(join(root0, "boot/vmlinuz-6.1.0"), bzImage());
  writeFileSync(join(root0, "boot/initrd.img-6.1.0"), Buffer.alloc(5000, 0x42));
  writeFileSync(join(root0, "boot/notakernel"), Buffer.from("#!/bin/sh\necho hi\n"));
  writeFileSync(join(root0, "boot/vmlinux-elf"), elf(62, 2));
  writeFileSync(join(root0, "boot/vmlinux-arm"), elf(183, 2));
  writeFileSync(join(root0, "boot/grub/menu.lst"), "default 0\ntitle Debian\nroot (hd0,0)\nkernel /boot/vmlinuz-6.1.0\n");
  writeFileSync(join(root0, "hello.txt"), hello);
  writeFileSync(join(root0, "helium.txt"), "He\n");
  const root1 = join(dir, "root1");
  mkdirSync(join(root1, "hurd"), { recursive: true });
  writeFileSync(join(root1, "hurd/ext2fs.static"), Buffer.alloc(1234, 0x11));
  writeFileSync(join(root1, "hello.txt"), "second\n");

  disk = join(dir, "disk.img");
  const fd = openSync(disk, "w");
  ftruncateSync(fd, 40 * MiB);
  const mbr = Buffer.alloc(512);
  const part = (i: number, start: number, sectors: number) => {
    const e = 446 + i * 16;
    mbr[e + 4] = 0x83;
    mbr.writeUInt32LE(start, e + 8);
    mbr.writeUInt32LE(sectors, e + 12);
  };
  part(0, 2048, 16 * 2048);
  part(1, 18 * 2048, 16 * 2048);
  mbr[510] = 0x55;
  mbr[511] = 0xaa;
  writeSync(fd, mbr, 0, 512, 0);
  closeSync(fd);
  const mkfs = (type: string, uuid: string, offset: number, src: string) =>
    execFileSync("mke2fs", ["-q", "-F", "-t", type, "-U", uuid, "-E", `offset=${offset}`, "-d", src, disk, "16M"]);
  mkfs("ext4", UUID0, 2048 * 512, root0);
  mkfs("ext2", UUID1, 18 * 2048 * 512, root1);
}, 60_000);

// A run: the loader starts, finds the disk, opens the command line, and gets `keys`.
function session(keys: string) {
  const r = runLoader({ memoryMB: 64, disks: [disk], keys: parseKeys(keys) });
  expect(r.trap).toBeUndefined();
  return { ...r, screen: screen(r.console) };
}

// The console as a VT100 would show it: \r, \n, backspace, ESC[K, ESC[nC; one row per line.
function screen(out: string): string[] {
  const rows: string[][] = [[]];
  let col = 0;
  for (let i = 0; i < out.length; i++) {
    const c = out[i];
    const row = rows[rows.length - 1];
    if (c === "\r") col = 0;
    else if (c === "\n") {
      rows.push([]);
      col = 0;
    } else if (c === "\b") col = Math.max(0, col - 1);
    else if (c === "\x07") continue;
    else if (c === "\x1b") {
      const m = /^\x1b\[(\d*)([A-Za-z])/.exec(out.slice(i));
      if (!m) throw new Error(`unexpected escape at ${i}: ${JSON.stringify(out.slice(i, i + 8))}`);
      if (m[2] === "K") row.length = Math.min(row.length, col);
      else if (m[2] === "C") col += Number(m[1] || "1");
      else throw new Error(`unexpected escape ${JSON.stringify(m[0])}`);
      i += m[0].length - 1;
    } else {
      while (row.length < col) row.push(" ");
      row[col++] = c;
    }
  }
  return rows.map((r) => r.join(""));
}

// The rows from the first prompt on, as text.
function afterBanner(s: string[]): string {
  const i = s.findIndex((l) => l.startsWith("grubdom> "));
  return s.slice(i).join("\n");
}

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
    expect(t).toMatch(/^boot +cat FILE$/m);
    expect(t).toMatch(/^uuid \[UUID\]$/m);
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

  it("kernel, initrd and boot read the files whole, say what they are, and power off (no handoff yet)", () => {
    const r = session("kernel /boot/vmlinuz-6.1.0 root=/dev/xvda1 ro\rinitrd /boot/initrd.img-6.1.0\rboot\r");
    expect(r.shutdown).toBe("poweroff");
    const t = afterBanner(r.screen);
    const size = bzImage().length;
    expect(t).toContain(`grubdom> kernel /boot/vmlinuz-6.1.0 root=/dev/xvda1 ro\n   [Linux-bzImage, setup=0x800, size=0x${(size - 2048).toString(16)}]\n`);
    expect(t).toContain("grubdom> initrd /boot/initrd.img-6.1.0\n   [Linux-initrd, size=0x1388]\n");
    expect(t).toContain(`  kernel (hd0,0)/boot/vmlinuz-6.1.0: Linux bzImage, boot protocol 2.15, payload gzip (3000 bytes), ${size} bytes\n`);
    expect(t).toContain("  initrd (hd0,0)/boot/initrd.img-6.1.0: 5000 bytes\n");
    expect(t).toContain(`pvboot: the kernel loaded (kernel bzImage ${size} bytes, initrd 5000 bytes); handing over to a kernel comes with the loader (not in this version)\n`);
    expect(t).not.toContain("pvboot: powering off");
  });

  it("modules keep their whole argument; a module from another device is read too", () => {
    const r = session("kernel /boot/vmlinux-elf\rmodule (hd0,1)/hurd/ext2fs.static --readonly\rboot\r");
    expect(r.shutdown).toBe("poweroff");
    const t = afterBanner(r.screen);
    expect(t).toContain("   [ELF64-x86_64, entry=0xffffffff81000000, size=0x100]");
    expect(t).toContain("   [Multiboot-module, size=0x4d2]");
    expect(t).toContain("  module (hd0,1)/hurd/ext2fs.static: 1234 bytes");
    expect(t).toContain("(kernel ELF64 256 bytes, 1 module 1234 bytes)");
  });

  it("a kernel of unknown format, a foreign ELF, a directory: errors naming the file", () => {
    const r = session("kernel /boot/notakernel\rkernel /boot/vmlinux-arm\rkernel /boot\r");
    const t = afterBanner(r.screen);
    expect(t).toContain("Error: kernel: '(hd0,0)/boot/notakernel': unknown kernel format (starts with 23 21 2f 62 69 6e 2f 73)");
    expect(t).toContain("Error: kernel: '(hd0,0)/boot/vmlinux-arm': a 64-bit aarch64 ELF kernel; this pvboot boots x86_64 kernels");
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

  it("notes what a PV guest cannot do, and says chainloading is impossible", () => {
    const r = session("savedefault\rmap (hd0) (hd1)\rchainloader +1\rlock\rquiet\r");
    const t = afterBanner(r.screen);
    expect(t).toContain(" savedefault: pvboot never writes the disk; the default entry is not saved");
    expect(t).toContain(" map: nothing to do in a Xen PV guest");
    expect(t).toContain("Error: chainloader: chainloading is not possible in a Xen PV guest");
    expect(t).not.toContain("Error: lock");
  });

  it("configfile checks the file and leaves the command line to show it", () => {
    const r = session("configfile /boot/grub/nope.lst\rconfigfile /boot/grub/menu.lst\r");
    const t = afterBanner(r.screen);
    expect(t).toContain("Error: configfile: '(hd0,0)/boot/grub/nope.lst': file not found");
    expect(t).toContain("pvboot: showing '(hd0,0)/boot/grub/menu.lst' comes with the menu");
    expect(r.shutdown).toBe("poweroff");
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
