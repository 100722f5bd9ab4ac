#!/usr/bin/env node
// The source tree btrfs test images are made from (scripts/images/btrfs.sh), deterministic:
//   node scripts/images/btrfs-tree.mjs DIR [mini]
// boot-like files (a 3 MiB compressible "kernel", grub.cfg), many small files (inline in
// the metadata at up to 2 KiB), incompressible data, sparse files, a directory of many
// entries, a deep directory chain, symlinks (relative, absolute, dangling, a loop) and names
// in UTF-8 and of 255 bytes. "mini": some 60 KiB of the same kinds (fuzz seeds: each execution
// reads every byte of the tree, holes included, so its size bounds the fuzzer's speed).
import { mkdirSync, writeFileSync, symlinkSync, openSync, writeSync, closeSync, ftruncateSync, rmSync } from "node:fs";
import { join } from "node:path";

const dir = process.argv[2];
const mini = process.argv[3] === "mini";
if (!dir) throw new Error("usage: btrfs-tree.mjs DIR [mini]");
rmSync(dir, { recursive: true, force: true });

let a = 12345;
function rnd() {
  a = (a + 0x6d2b79f5) >>> 0;
  let t = a;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return (t ^ (t >>> 14)) >>> 0;
}
function randomBytes(n) {
  const b = Buffer.alloc(n + 4);
  for (let i = 0; i < n; i += 4) b.writeUInt32LE(rnd(), i);
  return b.subarray(0, n);
}
// Text-like data that compresses, with some randomness so it is not one repeat.
function textBytes(n) {
  const words = ["linux", "kernel", "boot", "xen", "pvboot", "btrfs", "extent", "subvolume", "\n", "  ", "0x", "grub"];
  const parts = [];
  let len = 0;
  while (len < n) {
    const w = words[rnd() % words.length] + (rnd() % 7 === 0 ? String(rnd() % 1000) : "") + " ";
    parts.push(w);
    len += w.length;
  }
  return Buffer.from(parts.join("")).subarray(0, n);
}
const md = (p) => mkdirSync(join(dir, p), { recursive: true });
const wf = (p, data) => writeFileSync(join(dir, p), data);

md("boot/grub");
wf("boot/vmlinuz-6.1.0-pv", Buffer.concat([textBytes(mini ? 12000 : 3 << 20), randomBytes(mini ? 1000 : 300000)]));
wf("boot/initrd.img-6.1.0-pv", textBytes(mini ? 6000 : 1 << 20));
wf("boot/grub/grub.cfg", "set default=0\nmenuentry 'Debian' {\n  linux /boot/vmlinuz-6.1.0-pv root=/dev/xvda1\n  initrd /boot/initrd.img-6.1.0-pv\n}\n");
wf("boot/grub/menu.lst", "default 0\ntimeout 1\ntitle Debian\n  root (hd0)\n  kernel /boot/vmlinuz-6.1.0-pv root=/dev/xvda1\n  initrd /boot/initrd.img-6.1.0-pv\n");
md("small");
const nSmall = mini ? 12 : 200;
for (let i = 0; i < nSmall; i++) wf(`small/f${i}`, i % 3 === 0 ? textBytes((i * 37) % 5000) : randomBytes((i * 53) % 5000));
wf("small/empty", "");
wf("small/inline-2048", textBytes(2048));
wf("small/inline-2049", textBytes(2049));
md("big");
wf("big/random.bin", randomBytes(mini ? 6000 : 2 << 20));
wf("big/text.bin", textBytes(mini ? 9000 : (1 << 20) + 4097));
md("many");
const nMany = mini ? 40 : 1500;
for (let i = 0; i < nMany; i++) wf(`many/entry-${String(i).padStart(5, "0")}-${"x".repeat(i % 40)}`, i % 5 === 0 ? `${i}\n` : "");
let deep = "deep";
for (let i = 0; i < (mini ? 12 : 40); i++) deep += `/d${i}`;
md(deep);
wf(deep + "/bottom.txt", "the bottom\n");
md("sparse");
{
  const fd = openSync(join(dir, "sparse/holey"), "w");
  writeSync(fd, textBytes(5000), 0, 5000, 0);
  writeSync(fd, randomBytes(8192), 0, 8192, mini ? 64 << 10 : 1 << 20);
  writeSync(fd, textBytes(100), 0, 100, mini ? 192 << 10 : 10 << 20);
  closeSync(fd);
  const fd2 = openSync(join(dir, "sparse/allhole"), "w");
  ftruncateSync(fd2, mini ? 128 << 10 : 5 << 20);
  closeSync(fd2);
  const fd3 = openSync(join(dir, "sparse/tailhole"), "w");
  writeSync(fd3, textBytes(3000), 0, 3000, 0);
  ftruncateSync(fd3, mini ? 40000 : 300000);
  closeSync(fd3);
}
md("names");
wf("names/ünïcødé-名前.txt", "utf-8 name\n");
wf("names/" + "L".repeat(255), "long name\n");
wf("names/with space", "space\n");
md("links");
symlinkSync("../boot/grub/grub.cfg", join(dir, "links/rel"));
symlinkSync("/boot/grub/grub.cfg", join(dir, "links/abs"));
symlinkSync("/no/such/file", join(dir, "links/dangling"));
symlinkSync("loop2", join(dir, "links/loop1"));
symlinkSync("loop1", join(dir, "links/loop2"));
symlinkSync("../" + deep.split("/").slice(0, 4).join("/"), join(dir, "links/todir"));
symlinkSync("x".repeat(1000), join(dir, "links/longtarget"));
