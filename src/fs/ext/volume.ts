// A mounted filesystem's state shared by every part of the reader: the source, the checked
// superblock, the metadata cache, the warnings, and the convention for errors.
//
// Functions that return a number or a pointer report failure as 0 (or false) and leave the
// message in `error`; functions that return a message return it (string | null).

import { BlockSource } from "../../disk/source";
import { Superblock } from "./superblock";
import { BlockCache } from "./cache";
import { addWarning } from "./warnings";
import { Run } from "./run";
import { SYMLINK_MAX } from "./layout";

export class Volume {
  src: BlockSource;
  sb: Superblock;
  warnings: string[];
  cache: BlockCache;
  error: string | null = null;
  // I/O counters: requests to the source and bytes asked for (tests check the batching).
  reads: u64 = 0;
  bytesRead: u64 = 0;
  // One block for a directory scan's current block (copied out of the cache, so that the
  // lookups made while scanning cannot evict it), one for a symlink target.
  dirBuf: usize;
  linkBuf: usize;
  // The mapping result readData works with (one per mount: no allocation per read).
  run: Run = new Run();

  constructor(src: BlockSource, sb: Superblock, warnings: string[]) {
    this.src = src;
    this.sb = sb;
    this.warnings = warnings;
    // 32 blocks (16 when they are larger than 4 KiB): an extent path of depth 5, a
    // directory block, inode table and descriptor blocks all fit with room to spare.
    this.cache = new BlockCache(sb.blockSize > 4096 ? 16 : 32, sb.blockSize);
    this.dirBuf = heap.alloc(sb.blockSize);
    this.linkBuf = heap.alloc(SYMLINK_MAX);
  }

  get F(): string { return this.sb.flavor + ": "; }

  warn(msg: string): void { addWarning(this.warnings, this.F + msg); }

  // Record an error (prefixed with the flavor) and return 0/false for the caller to pass on.
  fail(msg: string): usize {
    this.error = this.F + msg;
    return 0;
  }
  failed(msg: string): bool {
    this.error = this.F + msg;
    return false;
  }

  // Is [blk, blk + count) inside the filesystem (and not block 0, which is the boot
  // sector or the superblock, never file data or metadata read through here)?
  blocksInside(blk: u64, count: u64): bool {
    return blk != 0 && blk < this.sb.blocksCount && count <= this.sb.blocksCount - blk;
  }

  // Read `len` bytes at byte `offset` of the source. false and `error` on failure.
  readBytes(offset: u64, len: u32, dst: usize): bool {
    this.reads++;
    this.bytesRead += len;
    const err = this.src.read(offset, len, dst);
    if (err != null) {
      this.error = this.F + err;
      return false;
    }
    return true;
  }

  // One metadata block through the cache; 0 and `error` on failure. The pointer is valid
  // until the next call (see cache.ts).
  readMeta(blk: u64): usize {
    const hit = this.cache.find(blk);
    if (hit != 0) return hit;
    if (!this.blocksInside(blk, 1)) {
      return this.fail("block " + blk.toString() + " is outside the filesystem (" + this.sb.blocksCount.toString() + " blocks)");
    }
    const p = this.cache.claim(blk);
    if (!this.readBytes(blk << this.sb.logBlockSize, this.sb.blockSize, p)) return 0;
    this.cache.commit();
    return p;
  }
}
