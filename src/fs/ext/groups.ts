// Block group descriptors: where each group's descriptor lives (classic table or meta_bg),
// and from it where the group's inode table starts. flex_bg needs nothing here: it only
// moves bitmaps and tables, whose addresses the descriptors hold anyway.

import { Volume } from "./volume";
import {
  BG_INODE_TABLE_LO, BG_INODE_TABLE_HI, BG_FLAGS, BG_ITABLE_UNUSED_LO, BG_ITABLE_UNUSED_HI, BG_CHECKSUM,
  BG_INODE_UNINIT, S_UUID,
} from "./layout";
import { crc32cUpdate, crc32cU32 } from "../../lib/crc32c";
import { crc16Update, crc16U32 } from "./crc16";

// Zero bytes standing in for a checksum field while it is summed.
const ZERO4: usize = memory.data(4);

export class Groups {
  vol: Volume;
  // Blocks in one group's inode table.
  itableBlocks: u64;
  // Out-values of the last successful inodeTable().
  flags: u16 = 0;
  itableUnused: u32 = 0;

  constructor(vol: Volume) {
    this.vol = vol;
    const sb = vol.sb;
    this.itableBlocks = ((<u64>sb.inodesPerGroup * sb.inodeSize) + sb.blockSize - 1) >> sb.logBlockSize;
  }

  // Does group g hold a superblock backup (and so, with meta_bg, does its descriptor
  // block come after one)?
  hasSuper(g: u64): bool {
    const sb = this.vol.sb;
    if (g == 0) return true;
    if (sb.sparseSuper2) return g == <u64>sb.backupBg0 || g == <u64>sb.backupBg1;
    if (g == 1 || !sb.sparseSuper) return true;
    if ((g & 1) == 0) return false;
    return isPowerOf(g, 3) || isPowerOf(g, 5) || isPowerOf(g, 7);
  }

  // The block holding descriptor block i (descriptors i * perBlock ...).
  descBlock(i: u32): u64 {
    const sb = this.vol.sb;
    if (!sb.metaBg || i < sb.firstMetaBg) return <u64>sb.superBlockNumber + 1 + i;
    // meta_bg: each meta group (perBlock groups) keeps its descriptor block in its own
    // first group, after the superblock backup if that group has one.
    const g: u64 = <u64>i * sb.descPerBlock;
    let blk: u64 = <u64>sb.firstDataBlock + g * sb.blocksPerGroup;
    if (this.hasSuper(g)) blk++;
    // 1 KiB blocks starting at block 0 (bigalloc): group 0's superblock is block 1.
    if (sb.blockSize == 1024 && i == 0 && sb.firstDataBlock == 0) blk++;
    return blk;
  }

  // Group g's descriptor (valid until the next metadata read), or 0 and vol.error.
  descriptor(g: u32): usize {
    const vol = this.vol;
    const sb = vol.sb;
    if (g >= sb.groupCount) return vol.fail("group " + g.toString() + " does not exist (" + sb.groupCount.toString() + " groups)");
    const i = g / sb.descPerBlock;
    const blk = this.descBlock(i);
    const p = vol.readMeta(blk);
    if (p == 0) return vol.fail("group descriptor block " + blk.toString() + " for group " + g.toString() + ": " + stripFlavor(vol));
    if (sb.gdtCsum && !vol.cache.checked) {
      vol.cache.markChecked();
      this.verifyBlock(p, i * sb.descPerBlock, blk);
    }
    return p + <usize>(g % sb.descPerBlock) * sb.descSize;
  }

  // Checksums of every descriptor in one descriptor block (first group g0): warnings only.
  private verifyBlock(p: usize, g0: u32, blk: u64): void {
    const sb = this.vol.sb;
    let bad: u32 = 0;
    let first: u32 = 0;
    for (let k: u32 = 0; k < sb.descPerBlock; k++) {
      const g = g0 + k;
      if (g >= sb.groupCount || g < g0) break;
      const d = p + <usize>k * sb.descSize;
      const want = <u32>load<u16>(d + BG_CHECKSUM);
      if (want != this.checksum(d, g)) {
        if (bad == 0) first = g;
        bad++;
      }
    }
    if (bad > 0) {
      this.vol.warn("group descriptor checksum mismatch for group " + first.toString() +
        (bad > 1 ? " and " + (bad - 1).toString() + " more" : "") + " (descriptor block " + blk.toString() + ")");
    }
  }

  // The 16-bit descriptor checksum: crc32c with metadata_csum, else crc16 (uninit_bg);
  // both over the group number and the descriptor with the checksum field left out.
  checksum(d: usize, g: u32): u32 {
    const sb = this.vol.sb;
    if (sb.metadataCsum) {
      let c = crc32cU32(sb.csumSeed, g);
      c = crc32cUpdate(c, d, BG_CHECKSUM);
      c = crc32cUpdate(c, ZERO4, 2);
      if (sb.descSize > BG_CHECKSUM + 2) c = crc32cUpdate(c, d + BG_CHECKSUM + 2, sb.descSize - BG_CHECKSUM - 2);
      return c & 0xffff;
    }
    let c = crc16Update(0xffff, sb.raw + S_UUID, 16);
    c = crc16U32(c, g);
    c = crc16Update(c, d, BG_CHECKSUM);
    if (sb.descSize > BG_CHECKSUM + 2) c = crc16Update(c, d + BG_CHECKSUM + 2, sb.descSize - BG_CHECKSUM - 2);
    return c;
  }

  // First block of group g's inode table, or 0 and vol.error. Also sets flags/itableUnused.
  inodeTable(g: u32): u64 {
    const vol = this.vol;
    const sb = vol.sb;
    const d = this.descriptor(g);
    if (d == 0) return 0;
    let blk: u64 = <u64>load<u32>(d + BG_INODE_TABLE_LO);
    let unused: u32 = <u32>load<u16>(d + BG_ITABLE_UNUSED_LO);
    if (sb.is64bit && sb.descSize >= 64) {
      blk |= <u64>load<u32>(d + BG_INODE_TABLE_HI) << 32;
      unused |= <u32>load<u16>(d + BG_ITABLE_UNUSED_HI) << 16;
    }
    this.flags = load<u16>(d + BG_FLAGS);
    this.itableUnused = unused;
    if (!vol.blocksInside(blk, this.itableBlocks)) {
      vol.fail("group " + g.toString() + ": inode table at block " + blk.toString() + " (" + this.itableBlocks.toString() +
        " blocks) is outside the filesystem (" + sb.blocksCount.toString() + " blocks)");
      return 0;
    }
    return blk;
  }

  // Are the group's inodes from `index` on uninitialized (never written, may hold old
  // disk contents)? Only meaningful with group descriptor checksums.
  uninitialized(index: u32): bool {
    const sb = this.vol.sb;
    if (!sb.gdtCsum) return false;
    if ((this.flags & BG_INODE_UNINIT) != 0) return true;
    return this.itableUnused <= sb.inodesPerGroup && index >= sb.inodesPerGroup - this.itableUnused;
  }
}

function isPowerOf(n: u64, base: u64): bool {
  let v: u64 = 1;
  while (v < n) v *= base;
  return v == n;
}

// vol.error without its "extN: " prefix, to nest it in a longer message.
export function stripFlavor(vol: Volume): string {
  const e = vol.error;
  if (e == null) return "";
  const f = vol.F;
  return e.startsWith(f) ? e.substr(f.length) : e;
}
