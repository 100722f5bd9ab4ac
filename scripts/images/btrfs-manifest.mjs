#!/usr/bin/env node
// What the kernel's own btrfs driver reads from a mounted image, as JSON on stdout: every
// path under DIR (not following symlinks, not crossing into other filesystems) with its type
// (the numbering of src/fs/fs.ts FileType), size, the CRC-32C of a file's bytes and a
// symlink's target. test/btrfs.test.ts compares pvboot's reader with this.
//   node scripts/images/btrfs-manifest.mjs DIR > manifest.json
import { lstatSync, readdirSync, readlinkSync, openSync, readSync, closeSync } from "node:fs";
import { join } from "node:path";

const T = (st) => (st.isFile() ? 1 : st.isDirectory() ? 2 : st.isCharacterDevice() ? 3 : st.isBlockDevice() ? 4 : st.isFIFO() ? 5 : st.isSocket() ? 6 : st.isSymbolicLink() ? 7 : 0);

const table = new Int32Array(256);
for (let i = 0; i < 256; i++) {
  let c = i;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  table[i] = c;
}
function crcFile(path) {
  const fd = openSync(path, "r");
  const buf = Buffer.alloc(1 << 20);
  let c = -1;
  for (;;) {
    const n = readSync(fd, buf, 0, buf.length, null);
    if (n <= 0) break;
    for (let i = 0; i < n; i++) c = table[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  }
  closeSync(fd);
  return (~c) >>> 0;
}

const root = process.argv[2];
const out = {};
function walk(rel) {
  for (const name of readdirSync(join(root, rel)).sort()) {
    const p = rel + "/" + name;
    const st = lstatSync(join(root, p));
    const rec = { t: T(st), s: st.size };
    if (st.isFile()) rec.c = crcFile(join(root, p));
    if (st.isSymbolicLink()) rec.l = readlinkSync(join(root, p));
    out[p] = rec;
    if (st.isDirectory()) walk(p);
  }
}
walk("");
process.stdout.write(JSON.stringify(out));
