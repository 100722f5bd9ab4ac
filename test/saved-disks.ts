// Disks for the saved-default round trips, shared by test/saved.test.ts (the emulator) and
// test/xen/saved.test.ts (real Xen): an MBR disk whose one ext4 partition (made by mke2fs -d,
// at sector 2048) holds a boot configuration whose entries only echo a marker and halt, so a
// boot costs seconds, not a kernel's start:
//   grubenv   /boot/grub/grub.cfg in grub-mkconfig's 00_header style (load_env, next_entry
//             booted once and cleared with save_env), grubenv with next_entry=once
//   menulst   /boot/grub/menu.lst with `default saved`, its `default` file holding 0; entry 0
//             saves entry 1 (`savedefault 1`)
//   linux     (real Xen only) menu.lst with `default saved`: entry 0 saves entry 1 and boots
//             Debian's kernel with a busybox initramfs, so the write is flushed before a real
//             handoff; entry 1 echoes and halts
// Each echo-and-halt boot prints "saved-test: NAME" for the entry it ran.

import { spawnSync } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";

export const PART_OFFSET = 2048 * 512;

export const GRUBENV_CFG = `load_env
if [ "\${next_entry}" ] ; then
   set default="\${next_entry}"
   set next_entry=
   save_env next_entry
   set boot_once=true
else
   set default="0"
fi
set timeout=0
menuentry 'Default entry' --id default {
  echo "saved-test: default"
  halt
}
menuentry 'Once entry' --id once {
  echo "saved-test: once"
  halt
}
`;

export const SAVED_MENU_LST = `default saved
timeout 0
title First
savedefault 1
echo saved-test: first
halt
title Second
echo saved-test: second
halt
`;

// A grubenv as grub-editenv makes one: the header, NAME=VALUE lines, '#' up to 1024 bytes.
export function grubenvBlock(vars: Record<string, string>): string {
  let s = "# GRUB Environment Block\n";
  for (const [k, v] of Object.entries(vars)) s += `${k}=${v}\n`;
  return s + "#".repeat(1024 - s.length);
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: exit ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

// An MBR disk at `out` with one Linux partition from sector 2048 holding an ext4 filesystem
// of `sizeMiB` made by mke2fs -d from `files`.
export function partitionedExt4(dir: string, name: string, files: Record<string, string | Buffer>, sizeMiB = 8): string {
  const root = join(dir, name + ".d");
  rmSync(root, { recursive: true, force: true });
  for (const [p, data] of Object.entries(files)) {
    mkdirSync(join(root, p, ".."), { recursive: true });
    writeFileSync(join(root, p), data);
  }
  const part = join(dir, name + ".part");
  run("mke2fs", ["-q", "-F", "-t", "ext4", "-d", root, part, `${sizeMiB}M`]);
  const fsBytes = readFileSync(part);
  const out = join(dir, name + ".img");
  const mbr = Buffer.alloc(512);
  const e = 446;
  mbr[e + 4] = 0x83;
  mbr.writeUInt32LE(2048, e + 8);
  mbr.writeUInt32LE(fsBytes.length / 512, e + 12);
  mbr.writeUInt16LE(0xaa55, 510);
  const fd = openSync(out, "w");
  try {
    writeSync(fd, mbr, 0, 512, 0);
    writeSync(fd, fsBytes, 0, fsBytes.length, PART_OFFSET);
  } finally {
    closeSync(fd);
  }
  rmSync(part);
  return out;
}

export function grubenvDisk(dir: string): string {
  return partitionedExt4(dir, "grubenv", { "boot/grub/grub.cfg": GRUBENV_CFG, "boot/grub/grubenv": grubenvBlock({ next_entry: "once" }) });
}

export function menulstDisk(dir: string): string {
  return partitionedExt4(dir, "menulst", { "boot/grub/menu.lst": SAVED_MENU_LST, "boot/grub/default": "0\n" + "#\n".repeat(10) });
}

export const SAVED_LINUX_MENU_LST = `default saved
timeout 0
title Linux, saving entry 1
savedefault 1
kernel /boot/vmlinuz console=hvc0 quiet saved=linux
initrd /boot/initrd.img
title Second
echo saved-test: second
halt
`;

export function linuxDisk(dir: string, kernel: string, initrd: string): string {
  return partitionedExt4(dir, "linux", {
    "boot/grub/menu.lst": SAVED_LINUX_MENU_LST, "boot/grub/default": "0\n" + "#\n".repeat(10),
    "boot/vmlinuz": readFileSync(kernel), "boot/initrd.img": readFileSync(initrd),
  }, 48);
}

// e2fsprogs open a filesystem inside a disk image with "?offset=".
export const inPartition = (img: string) => `${img}?offset=${PART_OFFSET}`;

// e2fsck -fn on the partition: its exit status and output.
export function fsck(img: string): { status: number; out: string } {
  const r = spawnSync("e2fsck", ["-fn", inPartition(img)], { encoding: "utf8" });
  return { status: r.status ?? -1, out: r.stdout + r.stderr };
}

// A file of the partition, as debugfs reads it.
export function debugfsCat(img: string, path: string): Buffer {
  const r = spawnSync("debugfs", ["-R", `cat ${path}`, inPartition(img)]);
  if (r.status !== 0) throw new Error(`debugfs cat ${path}: ${r.stderr}`);
  return r.stdout;
}
