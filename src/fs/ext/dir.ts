// Directories, read linearly: every entry of every block (an htree directory's index
// blocks look like empty entries to this walk, so indexed directories read as plain ones),
// or the two regions of an inline_data directory. No allocation per entry: the reader
// exposes the current entry's fields, its name pointing into a buffer that is valid until
// the next call.
//
// Each entry is checked the way Linux does before it is used: rec_len at least 12, a
// multiple of 4, inside the block and large enough for the name; the inode number in range.

import { Volume } from "./volume";
import { Inode } from "./inode";
import { Run, RUN_DATA } from "./run";
import { mapBlock, inlineTail } from "./file";
import { XattrValue } from "./xattr";
import { stripFlavor } from "./groups";
import { crc32cUpdate } from "../../lib/crc32c";
import { hex } from "./format";
import {
  DIRENT_HEADER, DIRENT_MIN, DIR_TAIL_SIZE, DIR_TAIL_FT, FT_MASK, FT_SYMLINK, FT_UNKNOWN, FT_DIR, I_BLOCK_SIZE, FL_ENCRYPT,
} from "./layout";

const DOTS: usize = memory.data<u8>([0x2e, 0x2e]);

// Where the reader is.
const AT_DOT: i32 = 0; // inline: "." next (synthesized: inline directories store neither)
const AT_DOTDOT: i32 = 1; // inline: ".." next (the parent number is in i_block's first 4 bytes)
const AT_IBLOCK: i32 = 2; // inline: entries in the rest of i_block
const AT_XATTR: i32 = 3; // inline: entries in system.data
const AT_BLOCKS: i32 = 4; // block directory
const AT_END: i32 = 5;

export class DirReader {
  vol: Volume;
  node: Inode;
  // The current entry.
  ino: u32 = 0;
  type: u8 = FT_UNKNOWN; // from the entry (FT_UNKNOWN without the filetype feature)
  name: usize = 0;
  nameLen: u32 = 0;

  private state: i32 = AT_END;
  private region: usize = 0;
  private regionLen: u32 = 0;
  private off: u32 = 0;
  private blk: u64 = 0; // physical block of the region (block directories), for messages
  private lblk: u64 = 0; // next logical block to load
  private nblocks: u64 = 0;
  private run: Run = new Run();
  private runStart: u64 = 0;
  private runValid: bool = false;
  private tail: XattrValue = new XattrValue();
  private failedHard: bool = false;

  constructor(vol: Volume, node: Inode) {
    this.vol = vol;
    this.node = node;
  }

  // Check that the inode is a readable directory and position before its first entry.
  // false and vol.error if not.
  start(): bool {
    const vol = this.vol;
    const node = this.node;
    if (!node.isDir) return vol.failed("inode " + node.ino.toString() + " is not a directory");
    if ((node.flags & FL_ENCRYPT) != 0) return vol.failed("directory inode " + node.ino.toString() + " is encrypted (encrypt feature): its names cannot be read");
    if (node.hasInlineData) {
      if (!inlineTail(vol, node, this.tail)) return false;
      this.state = AT_DOT;
      return true;
    }
    if (node.size > vol.src.size) {
      return vol.failed("directory inode " + node.ino.toString() + " claims " + node.size.toString() + " bytes, more than the whole source (" + vol.src.size.toString() + ")");
    }
    this.nblocks = (node.size + vol.sb.blockSize - 1) >> vol.sb.logBlockSize;
    this.lblk = 0;
    this.regionLen = 0;
    this.off = 0;
    this.state = AT_BLOCKS;
    return true;
  }

  // 1: an entry is ready; 0: no more; -1: damaged (vol.error).
  next(): i32 {
    const vol = this.vol;
    // Every turn consumes an entry (at least 12 bytes of a bounded region) or a region (of
    // a bounded count): the loop ends.
    for (;;) {
      if (this.state == AT_END) return this.failedHard ? -1 : 0;
      if (this.state == AT_DOT || this.state == AT_DOTDOT) {
        const dot = this.state == AT_DOT;
        this.state++;
        let ino = this.node.ino;
        if (!dot) {
          ino = load<u32>(this.node.iblock);
          if (ino == 0 || ino > vol.sb.inodesCount) {
            vol.fail("directory inode " + this.node.ino.toString() + ": inline parent inode " + ino.toString() + " does not exist");
            this.state = AT_END;
            this.failedHard = true;
            return -1;
          }
        }
        this.ino = ino;
        this.type = FT_DIR;
        this.name = DOTS;
        this.nameLen = dot ? 1 : 2;
        return 1;
      }
      if (this.off < this.regionLen) {
        const r = this.entry();
        if (r != 0) return r;
        continue;
      }
      if (!this.nextRegion()) return this.failedHard ? -1 : 0;
    }
    return -1; // not reached
  }

  // Load the next region; false when there is none (state AT_END) or on error.
  private nextRegion(): bool {
    const vol = this.vol;
    this.off = 0;
    this.regionLen = 0;
    if (this.state == AT_IBLOCK) {
      if (this.region == 0) {
        this.region = this.node.iblock + 4;
        this.regionLen = I_BLOCK_SIZE - 4;
        return true;
      }
      this.state = AT_XATTR;
      if (this.tail.found && this.tail.len > 0) {
        this.region = this.tail.ptr;
        this.regionLen = this.tail.len;
        return true;
      }
      this.state = AT_END;
      return false;
    }
    if (this.state == AT_XATTR) {
      this.state = AT_END;
      return false;
    }
    // Block directory: the next block that is not a hole.
    while (this.lblk < this.nblocks) {
      if (!this.runValid || this.lblk < this.runStart || this.lblk - this.runStart >= this.run.count) {
        if (!mapBlock(vol, this.node, this.lblk, this.run)) {
          this.state = AT_END;
          vol.fail("directory " + stripFlavor(vol));
          this.failedHard = true;
          return false;
        }
        this.runStart = this.lblk;
        this.runValid = true;
      }
      const inRun = this.lblk - this.runStart;
      if (this.run.kind != RUN_DATA) {
        // A hole (or unwritten blocks) in a directory holds no entries.
        const skip = this.run.count - inRun;
        this.lblk = skip > this.nblocks - this.lblk ? this.nblocks : this.lblk + skip;
        continue;
      }
      const pblk = this.run.pblk + inRun;
      const p = vol.readMeta(pblk);
      if (p == 0) {
        this.state = AT_END;
        vol.fail("directory inode " + this.node.ino.toString() + ", block " + pblk.toString() + ": " + stripFlavor(vol));
        this.failedHard = true;
        return false;
      }
      const bs = vol.sb.blockSize;
      if (vol.sb.metadataCsum && !vol.cache.checked) {
        vol.cache.markChecked();
        this.verifyLeaf(p, pblk);
      }
      memory.copy(vol.dirBuf, p, bs);
      this.region = vol.dirBuf;
      this.regionLen = bs;
      this.blk = pblk;
      this.lblk++;
      return true;
    }
    this.state = AT_END;
    return false;
  }

  // Parse the entry at off: 1 if it is a live entry (fields set), 0 if it is an empty slot
  // (skipped), -1 if damaged.
  private entry(): i32 {
    const vol = this.vol;
    const left = this.regionLen - this.off;
    const e = this.region + this.off;
    if (left < DIRENT_HEADER) return this.bad("only " + left.toString() + " bytes left for an entry");
    const ino = load<u32>(e);
    let recLen = <u32>load<u16>(e + 4);
    const nameLen = <u32>load<u8>(e + 6);
    const ft = load<u8>(e + 7);
    if (vol.sb.blockSize == 65536 && this.state == AT_BLOCKS) {
      // 64 KiB blocks: rec_len 65536 does not fit 16 bits; it is stored as 0 or 65535,
      // and the low two bits (always 0 in a real length) carry bits 16-17.
      recLen = recLen == 65535 || recLen == 0 ? 65536 : (recLen & 65532) | ((recLen & 3) << 16);
    }
    if (recLen < DIRENT_MIN) return this.bad("rec_len " + recLen.toString() + " is below 12");
    if ((recLen & 3) != 0) return this.bad("rec_len " + recLen.toString() + " is not a multiple of 4");
    if (recLen > left) return this.bad("rec_len " + recLen.toString() + " runs past the end (" + left.toString() + " bytes left)");
    if (DIRENT_HEADER + nameLen > recLen) return this.bad("name of " + nameLen.toString() + " bytes does not fit rec_len " + recLen.toString());
    if (ino == 0) {
      this.off += recLen;
      return 0;
    }
    if (ino > vol.sb.inodesCount) return this.bad("inode " + ino.toString() + " does not exist (" + vol.sb.inodesCount.toString() + " inodes)");
    if (nameLen == 0) return this.bad("empty name for inode " + ino.toString());
    this.off += recLen;
    this.ino = ino;
    this.name = e + DIRENT_HEADER;
    this.nameLen = nameLen;
    let t: u8 = FT_UNKNOWN;
    if (vol.sb.hasFiletype) {
      t = ft & FT_MASK;
      if (t > FT_SYMLINK) t = FT_UNKNOWN;
    }
    this.type = t;
    return 1;
  }

  private bad(msg: string): i32 {
    const where = this.state == AT_BLOCKS
      ? "block " + this.blk.toString() + " (logical " + (this.lblk - 1).toString() + ")"
      : "inline data";
    this.vol.fail("directory inode " + this.node.ino.toString() + ", " + where + ": entry at offset " + this.off.toString() + ": " + msg);
    this.state = AT_END;
    this.failedHard = true;
    return -1;
  }

  // metadata_csum leaf blocks end with a 12-byte fake entry (inode 0, rec_len 12, name_len
  // 0, type 0xDE) whose last 4 bytes are crc32c(inode seed, the block before it). Index
  // blocks of htree directories carry their checksum elsewhere and are not checked here.
  private verifyLeaf(p: usize, pblk: u64): void {
    const bs = this.vol.sb.blockSize;
    const t = p + bs - DIR_TAIL_SIZE;
    if (load<u32>(t) != 0 || load<u16>(t + 4) != <u16>DIR_TAIL_SIZE || load<u8>(t + 6) != 0 || load<u8>(t + 7) != DIR_TAIL_FT) return;
    const want = load<u32>(t + 8);
    const got = crc32cUpdate(this.node.csumSeed, p, bs - DIR_TAIL_SIZE);
    if (want != got) {
      this.vol.warn("directory inode " + this.node.ino.toString() + ": block " + pblk.toString() + " checksum " + hex(want, 8) + " does not match its contents (" + hex(got, 8) + ")");
    }
  }
}
