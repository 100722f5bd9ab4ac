// Byte-level surgery on image files for the damage tests: read and write superblock fields
// and recompute the superblock checksum (so that a test damages exactly one thing).

import { openSync, readSync, writeSync, closeSync, fstatSync } from "node:fs";

// CRC-32C register update (no inversion), as ext4's metadata checksums use it. Written
// independently of src/lib/crc32c.ts so each checks the other.
const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();
export function crc32cRaw(crc: number, b: Uint8Array): number {
  let c = crc >>> 0;
  for (let i = 0; i < b.length; i++) c = (TABLE[(c ^ b[i]) & 0xff] ^ (c >>> 8)) >>> 0;
  return c >>> 0;
}
export function crc32c(b: Uint8Array): number {
  return (~crc32cRaw(0xffffffff, b)) >>> 0;
}

export function readAt(path: string, offset: number, len: number): Buffer {
  const fd = openSync(path, "r");
  try {
    const b = Buffer.alloc(len);
    readSync(fd, b, 0, len, offset);
    return b;
  } finally {
    closeSync(fd);
  }
}

export function writeAt(path: string, offset: number, data: Uint8Array): void {
  const fd = openSync(path, "r+");
  try {
    writeSync(fd, data, 0, data.length, offset);
  } finally {
    closeSync(fd);
  }
}

export function fileSize(path: string): number {
  const fd = openSync(path, "r");
  try {
    return fstatSync(fd).size;
  } finally {
    closeSync(fd);
  }
}

const SB = 1024;

// Superblock field surgery. Offsets from the superblock's start.
export function sbRead32(path: string, off: number): number { return readAt(path, SB + off, 4).readUInt32LE(0); }
export function sbRead16(path: string, off: number): number { return readAt(path, SB + off, 2).readUInt16LE(0); }
export function sbWrite32(path: string, off: number, v: number, fixCsum = true): void {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  writeAt(path, SB + off, b);
  if (fixCsum) fixSuperblockCsum(path);
}
export function sbWrite16(path: string, off: number, v: number, fixCsum = true): void {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v & 0xffff);
  writeAt(path, SB + off, b);
  if (fixCsum) fixSuperblockCsum(path);
}
export function sbWrite8(path: string, off: number, v: number, fixCsum = true): void {
  writeAt(path, SB + off, Buffer.from([v & 0xff]));
  if (fixCsum) fixSuperblockCsum(path);
}

// With metadata_csum, the last 4 bytes are crc32c(~0, the 1020 before them).
export function fixSuperblockCsum(path: string): void {
  const sb = readAt(path, SB, 1024);
  if ((sb.readUInt32LE(0x64) & 0x400) === 0) return;
  const c = crc32cRaw(0xffffffff, sb.subarray(0, 0x3fc));
  const b = Buffer.alloc(4);
  b.writeUInt32LE(c);
  writeAt(path, SB + 0x3fc, b);
}

export const SBF = {
  inodesCount: 0x00, blocksCount: 0x04, firstDataBlock: 0x14, logBlockSize: 0x18, logClusterSize: 0x1c,
  blocksPerGroup: 0x20, inodesPerGroup: 0x28, magic: 0x38, state: 0x3a, revLevel: 0x4c, firstIno: 0x54,
  inodeSize: 0x58, compat: 0x5c, incompat: 0x60, roCompat: 0x64, lastMounted: 0x88, descSize: 0xfe,
  firstMetaBg: 0x104, blocksCountHi: 0x150, logGroupsPerFlex: 0x174, checksumType: 0x175, checksum: 0x3fc,
} as const;
