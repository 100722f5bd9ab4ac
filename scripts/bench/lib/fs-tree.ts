// The tree the fs-read-all benchmarks (scripts/bench/xfs-read-all.ts, btrfs-read-all.ts) fill
// their images from: like a root filesystem's /boot and /usr, a few big files and many small
// ones, about 60% of an MB-MiB filesystem. The data is a random 1 MiB seed copied at shifting
// offsets (it does not compress within 128 KiB); each file's first word is its own number.
// Returns how many files and bytes it wrote.

import { mkdirSync, writeFileSync } from "node:fs";
import { randomFillSync } from "node:crypto";
import { join } from "node:path";

export function makeTree(tree: string, MB: number): { files: number; bytes: number } {
  let files = 0, bytes = 0;
  const budget = MB * 1024 * 1024 * 0.6;
  const sizes = [40 << 20, 24 << 20, 8 << 20, 1 << 20, 256 << 10, 64 << 10, 12 << 10, 3000, 200];
  const seed = Buffer.alloc(1 << 20);
  randomFillSync(seed);
  for (let d = 0; bytes < budget; d++) {
    const sub = join(tree, `d${d % 37}`, `e${d}`);
    mkdirSync(sub, { recursive: true });
    for (let i = 0; i < 40 && bytes < budget; i++) {
      const pick = sizes[(d * 7 + i * 3) % sizes.length];
      const size = Math.min(pick >> (d > 3 && pick > 1 << 20 ? 4 : 0), Math.floor(budget / 8));
      const data = Buffer.alloc(size);
      for (let off = 0; off < size; off += seed.length) seed.copy(data, off, (off * 31 + d) % 4096);
      if (size >= 4) data.writeUInt32LE(d * 1000 + i, 0);
      writeFileSync(join(sub, `f${i}`), data);
      files++;
      bytes += size;
    }
  }
  return { files, bytes };
}
