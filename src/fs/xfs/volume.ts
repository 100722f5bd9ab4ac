// A mounted XFS filesystem's state shared by every part of the reader: the source, the
// checked superblock, the metadata cache (ext's BlockCache, keyed by linear block number),
// the warnings, and the convention for errors: functions that return a number or a pointer
// report failure as 0 (or false) and leave the message, "xfs: ..." in `error`.
//
// Block numbers: XFS addresses blocks in extents and B+tree pointers as "fsblock" numbers,
// the AG number above sb_agblklog bits of block-in-AG; the disk position is
// agno * sb_agblocks + agbno ("linear" here). AGs need not fill their 2^agblklog range, so
// the two differ whenever agblocks is not a power of two.

import { BlockSource } from "../../disk/source";
import { XfsSuper } from "./superblock";
import { BlockCache } from "../ext/cache";
import { addWarning } from "../ext/warnings";
import { Run } from "../ext/run";
import { SYMLINK_MAXLEN } from "./layout";

export const BAD_BLOCK: u64 = U64.MAX_VALUE;

export class XfsVolume {
  src: BlockSource;
  sb: XfsSuper;
  warnings: string[];
  cache: BlockCache;
  error: string | null = null;
  reads: u64 = 0;
  bytesRead: u64 = 0;
  dirBuf: usize; // one directory block, assembled from its fs blocks
  linkBuf: usize; // a symlink target
  run: Run = new Run();

  constructor(src: BlockSource, sb: XfsSuper, warnings: string[]) {
    this.src = src;
    this.sb = sb;
    this.warnings = warnings;
    this.cache = new BlockCache(sb.blockSize > 4096 ? 16 : 32, sb.blockSize);
    this.dirBuf = heap.alloc(sb.dirBlkSize);
    this.linkBuf = heap.alloc(SYMLINK_MAXLEN + sb.blockSize);
  }

  warn(msg: string): void { addWarning(this.warnings, "xfs: " + msg); }

  fail(msg: string): usize {
    this.error = "xfs: " + msg;
    return 0;
  }
  failed(msg: string): bool {
    this.error = "xfs: " + msg;
    return false;
  }

  // vol.error without its "xfs: " prefix, to nest it in a longer message.
  get inner(): string {
    const e = this.error;
    if (e == null) return "";
    return e.startsWith("xfs: ") ? e.substr(5) : e;
  }

  // The linear block of fsblock number fsb, or BAD_BLOCK if it names no block of the
  // filesystem (an AG or block-in-AG out of range).
  linear(fsb: u64): u64 {
    const sb = this.sb;
    const agno = fsb >> sb.agBlkLog;
    const agbno = fsb & ((<u64>1 << sb.agBlkLog) - 1);
    if (agno >= <u64>sb.agCount || agbno >= <u64>sb.agBlocks) return BAD_BLOCK;
    const l = agno * sb.agBlocks + agbno;
    return l < sb.dblocks ? l : BAD_BLOCK;
  }

  // Are the count fsblocks from fsb all in one AG and inside the filesystem? Their linear start,
  // or BAD_BLOCK.
  linearRange(fsb: u64, count: u64): u64 {
    const l = this.linear(fsb);
    if (l == BAD_BLOCK || count == 0) return BAD_BLOCK;
    const agbno = fsb & ((<u64>1 << this.sb.agBlkLog) - 1);
    if (count > <u64>this.sb.agBlocks - agbno || count > this.sb.dblocks - l) return BAD_BLOCK;
    return l;
  }

  readBytes(offset: u64, len: u32, dst: usize): bool {
    this.reads++;
    this.bytesRead += len;
    const err = this.src.read(offset, len, dst);
    if (err != null) {
      this.error = "xfs: " + err;
      return false;
    }
    return true;
  }

  // Linear block blk through the cache; 0 and `error` on failure. Valid until the next call.
  readMeta(blk: u64): usize {
    const hit = this.cache.find(blk);
    if (hit != 0) return hit;
    if (blk >= this.sb.dblocks) return this.fail("block " + blk.toString() + " is outside the filesystem (" + this.sb.dblocks.toString() + " blocks)");
    const p = this.cache.claim(blk);
    if (!this.readBytes(blk << this.sb.blockLog, this.sb.blockSize, p)) return 0;
    this.cache.commit();
    return p;
  }
}
