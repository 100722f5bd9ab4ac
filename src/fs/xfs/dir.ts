// XFS directories (dir2 on v4, dir3 on v5), every form, read linearly:
//   - short-form (local data fork, xfs_dir2_sf): a header (count, i8count, parent inode of 4
//     or 8 bytes) then entries (namelen, offset, name, [ftype], inode of 4 or 8 bytes);
//     "." is not stored and ".." is the header's parent: both are synthesized here;
//   - block, leaf, node and B+tree forms: data blocks of sb_dirblklog fs blocks each in the
//     first 32 GiB of the directory's offsets ("XD2B"/"XDB3" for a single-block directory,
//     whose end holds the leaf entries and a tail; "XD2D"/"XDD3" otherwise). The leaf, node
//     and free-index blocks above 32 GiB only speed up lookups and are not read: every entry
//     is in a data block, and the data fork (extents or B+tree) says where they are.
// Data entries: inode (8), namelen, name, [ftype], padding to 8, tag (2, the entry's offset);
// free space: 0xffff, length, ..., tag. v5 data blocks carry a CRC, checked with a warning.
//
// No allocation per entry: the reader exposes the current entry's fields, its name pointing
// into a buffer valid until the next call.

import { XfsVolume } from "./volume";
import { XfsInode } from "./inode";
import { mapBlock } from "./bmap";
import { RUN_DATA } from "../ext/run";
import {
  be16, be32, be64, FMT_LOCAL, FMT_EXTENTS, FMT_BTREE, DIR_LEAF_OFFSET, DIR2_BLOCK_MAGIC, DIR3_BLOCK_MAGIC,
  DIR2_DATA_MAGIC, DIR3_DATA_MAGIC, DIR2_DATA_HDR, DIR3_DATA_HDR, DIR3_CRC, DIR3_OWNER, DIR_BLOCK_TAIL, DIR_LEAF_ENTRY,
  DIR_FREE_TAG,
} from "./layout";
import { sumWithHole } from "./superblock";
import { hex } from "../ext/format";

const DOTS: usize = memory.data<u8>([0x2e, 0x2e]);

const AT_DOT: i32 = 0; // short-form: "." next
const AT_DOTDOT: i32 = 1; // short-form: ".." next
const AT_SF: i32 = 2; // short-form entries
const AT_BLOCKS: i32 = 3; // data blocks
const AT_END: i32 = 4;

export class XfsDirReader {
  vol: XfsVolume;
  node: XfsInode;
  ino: u64 = 0;
  type: u8 = 0; // FileType from the entry (0 without ftype)
  name: usize = 0;
  nameLen: u32 = 0;

  private state: i32 = AT_END;
  private failedHard: bool = false;
  // Short-form.
  private sf: usize = 0;
  private sfLen: u32 = 0;
  private sfLeft: u32 = 0; // entries still to read
  private sfInoSize: u32 = 4;
  private sfParent: u64 = 0;
  // Data blocks.
  private region: usize = 0;
  private off: u32 = 0;
  private regionEnd: u32 = 0;
  private dblk: u64 = 0; // next directory block (in directory blocks)
  private nblocks: u64 = 0;
  private where: string = "";

  constructor(vol: XfsVolume, node: XfsInode) {
    this.vol = vol;
    this.node = node;
  }

  private get D(): string { return "directory inode " + this.node.ino.toString(); }

  // Check that the inode is a readable directory and position before its first entry.
  start(): bool {
    const vol = this.vol;
    const node = this.node;
    if (!node.isDir) return vol.failed("inode " + node.ino.toString() + " is not a directory");
    if (node.format == FMT_LOCAL) {
      const size = node.size;
      if (size < 6 || size > <u64>node.forkSize) {
        return vol.failed(this.D + ": short-form directory of " + size.toString() + " bytes (6 to " + node.forkSize.toString() + ")");
      }
      const p = node.fork;
      const count = <u32>load<u8>(p);
      const i8 = <u32>load<u8>(p + 1);
      this.sfInoSize = i8 != 0 ? 8 : 4;
      if (<u64>(2 + this.sfInoSize) > size) return vol.failed(this.D + ": short-form header does not fit its " + size.toString() + " bytes");
      this.sfParent = this.sfInoSize == 8 ? be64(p + 2) : <u64>be32(p + 2);
      this.sf = p;
      this.sfLen = <u32>size;
      this.off = 2 + this.sfInoSize;
      this.sfLeft = count;
      this.state = AT_DOT;
      return true;
    }
    if (node.format != FMT_EXTENTS && node.format != FMT_BTREE) {
      return vol.failed(this.D + ": data fork format " + node.format.toString() + " is not a directory format");
    }
    if (node.size > DIR_LEAF_OFFSET || node.size > vol.src.size) {
      return vol.failed(this.D + " claims " + node.size.toString() + " bytes of entries, more than the source (" + vol.src.size.toString() + ") or 32 GiB");
    }
    const dbs = <u64>vol.sb.dirBlkSize;
    this.nblocks = (node.size + dbs - 1) / dbs;
    this.dblk = 0;
    this.off = 0;
    this.regionEnd = 0;
    this.state = AT_BLOCKS;
    return true;
  }

  // 1: an entry is ready; 0: no more; -1: damaged (vol.error).
  next(): i32 {
    // Every turn consumes an entry (at least 8 bytes of a bounded region), a short-form
    // entry (of a bounded count) or a directory block (of a bounded count): the loop ends.
    for (;;) {
      if (this.state == AT_END) return this.failedHard ? -1 : 0;
      if (this.state == AT_DOT || this.state == AT_DOTDOT) {
        const dot = this.state == AT_DOT;
        this.state++;
        this.ino = dot ? this.node.ino : this.sfParent;
        this.type = 2;
        this.name = DOTS;
        this.nameLen = dot ? 1 : 2;
        return 1;
      }
      if (this.state == AT_SF) return this.sfEntry();
      if (this.off < this.regionEnd) {
        const r = this.dataEntry();
        if (r != 0) return r;
        continue;
      }
      if (!this.nextBlock()) return this.failedHard ? -1 : 0;
    }
    return -1; // not reached
  }

  private sfEntry(): i32 {
    if (this.sfLeft == 0) {
      this.state = AT_END;
      return 0;
    }
    this.sfLeft--;
    const ft: u32 = this.vol.sb.ftype ? 1 : 0;
    const left = this.sfLen - this.off;
    const e = this.sf + this.off;
    if (left < 3) return this.bad("short-form entry at offset " + this.off.toString() + ": only " + left.toString() + " bytes left");
    const nameLen = <u32>load<u8>(e);
    const size: u32 = 3 + nameLen + ft + this.sfInoSize;
    if (nameLen == 0) return this.bad("short-form entry at offset " + this.off.toString() + ": empty name");
    if (size > left) return this.bad("short-form entry at offset " + this.off.toString() + " (" + size.toString() + " bytes) runs past the directory's " + this.sfLen.toString() + " bytes");
    this.name = e + 3;
    this.nameLen = nameLen;
    this.type = ft != 0 ? fileType(load<u8>(e + 3 + nameLen)) : 0;
    const ip = e + 3 + nameLen + ft;
    this.ino = this.sfInoSize == 8 ? be64(ip) : <u64>be32(ip);
    this.off += size;
    if (this.ino == 0) return this.bad("short-form entry \"" + nameOf(this.name, nameLen) + "\": inode 0");
    return 1;
  }

  // Load the next directory block that is not a hole; false when there is none or on error.
  private nextBlock(): bool {
    const vol = this.vol;
    const sb = vol.sb;
    const per = <u64>1 << sb.dirBlkLog;
    const run = vol.run;
    while (this.dblk < this.nblocks) {
      const d = this.dblk++;
      const first = d << sb.dirBlkLog;
      if (!mapBlock(vol, this.node, first, run)) return this.fail(this.D + ": " + vol.inner);
      if (run.kind != RUN_DATA) {
        // A hole (a data block freed when its entries went): skip whole directory blocks.
        const skip = (run.count - 1) >> sb.dirBlkLog;
        this.dblk = skip > this.nblocks - this.dblk ? this.nblocks : this.dblk + skip;
        continue;
      }
      const start = run.pblk;
      // The directory block's fs blocks, each mapped: they need not be contiguous.
      let pblk = run.pblk;
      let left = run.count;
      for (let i: u64 = 0; i < per; i++) {
        if (left == 0) {
          if (!mapBlock(vol, this.node, first + i, run)) return this.fail(this.D + ": " + vol.inner);
          if (run.kind != RUN_DATA) return this.fail(this.D + ": directory block " + d.toString() + " is only partly mapped (fs block " + (first + i).toString() + " is a hole)");
          pblk = run.pblk;
          left = run.count;
        }
        const p = vol.readMeta(pblk);
        if (p == 0) return this.fail(this.D + ", block " + pblk.toString() + ": " + vol.inner);
        memory.copy(vol.dirBuf + (<usize>i << sb.blockLog), p, sb.blockSize);
        pblk++;
        left--;
      }
      this.where = "block " + start.toString() + " (directory block " + d.toString() + ")";
      return this.parseHeader(start);
    }
    this.state = AT_END;
    return false;
  }

  // Check the block's header (v5 CRC, magic, v5 owner) and set the entry region.
  private parseHeader(blk: u64): bool {
    const vol = this.vol;
    const sb = vol.sb;
    const p = vol.dirBuf;
    const dbs = sb.dirBlkSize;
    if (sb.crc) {
      const want = load<u32>(p + DIR3_CRC);
      const got = sumWithHole(p, dbs, DIR3_CRC);
      if (want != got) vol.warn(this.D + ": " + this.where + " checksum " + hex(want, 8) + " does not match its contents (" + hex(got, 8) + ")");
    }
    const magic = be32(p);
    const isBlock = magic == (sb.crc ? DIR3_BLOCK_MAGIC : DIR2_BLOCK_MAGIC);
    const isData = magic == (sb.crc ? DIR3_DATA_MAGIC : DIR2_DATA_MAGIC);
    if (!isBlock && !isData) {
      return this.fail(this.D + ", " + this.where + ": bad magic " + hex(magic, 8) + " (not a directory data block)");
    }
    if (sb.crc) {
      const owner = be64(p + DIR3_OWNER);
      if (owner != this.node.ino) vol.warn(this.D + ": " + this.where + " belongs to inode " + owner.toString());
    }
    const hdr = sb.crc ? DIR3_DATA_HDR : DIR2_DATA_HDR;
    let end = dbs;
    if (isBlock) {
      const count = be32(p + dbs - DIR_BLOCK_TAIL);
      const room = (dbs - DIR_BLOCK_TAIL - hdr) / DIR_LEAF_ENTRY;
      if (count > room) return this.fail(this.D + ", " + this.where + ": block tail counts " + count.toString() + " leaf entries (room for " + room.toString() + ")");
      end = dbs - DIR_BLOCK_TAIL - count * DIR_LEAF_ENTRY;
    }
    this.region = p;
    this.off = hdr;
    this.regionEnd = end;
    return true;
  }

  // The entry at off: 1 live entry, 0 free space (skipped), -1 damaged.
  private dataEntry(): i32 {
    const left = this.regionEnd - this.off;
    const e = this.region + this.off;
    if (left < 8) return this.bad(this.where + ": entry at offset " + this.off.toString() + ": only " + left.toString() + " bytes left");
    if (be16(e) == DIR_FREE_TAG) {
      const len = be16(e + 2);
      if (len < 8 || (len & 7) != 0 || len > left) {
        return this.bad(this.where + ": free space at offset " + this.off.toString() + " has length " + len.toString() + " (a multiple of 8, at most " + left.toString() + ")");
      }
      this.off += len;
      return 0;
    }
    const ft: u32 = this.vol.sb.ftype ? 1 : 0;
    const nameLen = <u32>load<u8>(e + 8);
    const size: u32 = (8 + 1 + nameLen + ft + 2 + 7) & ~(<u32>7);
    if (nameLen == 0) return this.bad(this.where + ": entry at offset " + this.off.toString() + ": empty name");
    if (size > left) return this.bad(this.where + ": entry at offset " + this.off.toString() + " (" + size.toString() + " bytes) runs past the end (" + left.toString() + " bytes left)");
    const tag = be16(e + size - 2);
    if (tag != this.off) return this.bad(this.where + ": entry at offset " + this.off.toString() + " has tag " + tag.toString());
    const ino = be64(e);
    if (ino == 0) return this.bad(this.where + ": entry at offset " + this.off.toString() + ": inode 0");
    this.ino = ino;
    this.name = e + 9;
    this.nameLen = nameLen;
    this.type = ft != 0 ? fileType(load<u8>(e + 9 + nameLen)) : 0;
    this.off += size;
    return 1;
  }

  private fail(msg: string): bool {
    this.vol.fail(msg);
    this.state = AT_END;
    this.failedHard = true;
    return false;
  }

  private bad(msg: string): i32 {
    this.vol.fail(this.D + ", " + msg);
    this.state = AT_END;
    this.failedHard = true;
    return -1;
  }
}

// XFS_DIR3_FT_* are FileType's numbers (1 file ... 7 symlink); anything else is unknown.
function fileType(ft: u8): u8 {
  return ft >= 1 && ft <= 7 ? ft : 0;
}

function nameOf(p: usize, n: u32): string {
  return String.UTF8.decodeUnsafe(p, n, false);
}

