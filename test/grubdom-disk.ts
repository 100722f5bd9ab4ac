// The command line's test disk and sessions, shared by test/grubdom.test.ts and
// test/lineedit.test.ts: an MBR disk with two ext filesystems made by mke2fs -d (known UUIDs,
// a bzImage-looking kernel, an initrd, files to cat), the loader run on it with keys typed at
// the console, and the console replayed on a VT100-like scrollback (one row per line).

import { expect } from "vitest";
import { execFileSync } from "node:child_process";
import { closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runLoader } from "./harness/run";
import { pvElf } from "./loader/pv-elf";
import { gzipSync } from "node:zlib";
import { parseKeys } from "../scripts/cli/keys";

const MiB = 1024 * 1024;
export const UUID0 = "0b2f6a1e-3c4d-4e5f-8a9b-0c1d2e3f4a5b";
export const UUID1 = "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d";

// A bzImage-looking kernel: boot sector, setup header ("HdrS", protocol 2.15, LOADED_HIGH),
// setup_sects 3, a gzip payload where payload_offset says.
// A bzImage (boot protocol 2.15) whose payload is a small PV kernel, gzip'd as Linux's
// CONFIG_KERNEL_GZIP does it.
export function bzImage(): Buffer {
  const setupSects = 3;
  const setup = (setupSects + 1) * 512;
  const payload = gzipSync(pvElf(), { level: 9 });
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

export function elf(machine: number, cls: number): Buffer {
  const e = Buffer.alloc(256);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, cls, 1, 1]).copy(e);
  e.writeUInt16LE(2, 16);
  e.writeUInt16LE(machine, 18);
  e.writeBigUInt64LE(0xffffffff81000000n, 24);
  return e;
}

let disk = "";
export const hello = "Hello from pvboot's test disk.\nSecond line.\n";

// Make the disk (once per test file: call from beforeAll).
export function makeDisk(): void {
  const dir = mkdtempSync(join(tmpdir(), "pvboot-grubdom-"));
  const root0 = join(dir, "root0");
  mkdirSync(join(root0, "boot/grub"), { recursive: true });
  writeFileSync(join(root0, "boot/vmlinuz-6.1.0"), bzImage());
  writeFileSync(join(root0, "boot/initrd.img-6.1.0"), Buffer.alloc(5000, 0x42));
  writeFileSync(join(root0, "boot/notakernel"), Buffer.from("#!/bin/sh\necho hi\n"));
  writeFileSync(join(root0, "boot/vmlinux-elf"), pvElf());
  writeFileSync(join(root0, "boot/vmlinux-bare"), pvElf(0, false));
  writeFileSync(join(root0, "boot/vmlinux-arm"), elf(183, 2));
  writeFileSync(join(root0, "boot/vmlinux-i386"), elf(3, 1));
  writeFileSync(join(root0, "boot/vmlinuz.xz"), Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0]), Buffer.alloc(600, 1)]));
  const short = Buffer.concat([bzImage(), Buffer.alloc(4096)]).subarray(0, 4096);
  short[0x1f1] = 60; // a setup of 61 sectors: longer than the file
  writeFileSync(join(root0, "boot/vmlinuz-short"), short);
  writeFileSync(join(root0, "boot/empty"), Buffer.alloc(0));
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
}

export function diskPath(): string {
  return disk;
}

// A run: the loader starts, finds the disk, opens the command line, and gets `keys`. The
// domain's command line names a config that does not exist (a named config is not replaced
// by a search), so the loader goes straight to grubdom> with the first filesystem as root.
export function session(keys: string) {
  const r = runLoader({ memoryMB: 64, disks: [disk], cmdline: "(hd0,0)/boot/grub/none.lst", keys: parseKeys(keys) });
  expect(r.trap).toBeUndefined();
  // The command line's part of the console: a menu opened by `configfile` starts with a
  // clear screen, which this line-oriented replay does not model (test/harness/screen.ts does).
  const clear = r.console.indexOf("\x1b[0m\x1b[2J");
  return { ...r, screen: screen(clear < 0 ? r.console : r.console.slice(0, clear)) };
}

// The console as a VT100 would show it: \r, \n, backspace, ESC[K, ESC[nC; one row per line.
export function screen(out: string): string[] {
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
export function afterBanner(s: string[]): string {
  const i = s.findIndex((l) => l.startsWith("grubdom> "));
  return s.slice(i).join("\n");
}

