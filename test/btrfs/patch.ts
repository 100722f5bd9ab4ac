// Damage for btrfs images: crc32c as btrfs stores it, and writes that keep (or break) the
// superblock's and tree nodes' checksums.

const TABLE = (() => {
  const t = new Int32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c;
  }
  return t;
})();

export function crc32c(b: Uint8Array): number {
  let c = -1;
  for (let i = 0; i < b.length; i++) c = TABLE[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (~c) >>> 0;
}

// Recompute the crc32c of the block of `size` bytes at `at` (superblock: 4096; node: nodesize).
export function fixCsum(img: Buffer, at: number, size: number): void {
  img.writeUInt32LE(crc32c(img.subarray(at + 0x20, at + size)), at);
}

export const SB = 0x10000;
export const SB_COPY1 = 0x4000000;
