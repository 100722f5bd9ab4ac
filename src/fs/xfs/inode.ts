// XFS inodes (xfs_dinode): find one from its number, copy it out, check it, and decode the
// fields the reader uses. An inode number is the AG number, then the block in the AG
// (sb_agblklog bits), then the inode in the block (sb_inopblog bits), so no inode B+tree is
// needed to find one. v1/v2 inodes (v4 filesystems) have a 100-byte core, v3 inodes (v5) a
// 176-byte one with a CRC, the inode's own number and the filesystem UUID. The data fork
// (extents, a B+tree root, or local data) follows the core, up to the attribute fork
// (di_forkoff * 8 bytes in) or the end of the inode.
//
// A handful of recent inodes are kept (each slot with its own copy), as in the ext reader.

import { XfsVolume, BAD_BLOCK } from "./volume";
import {
  be16, be32, be64, DI_MAGIC, DI_MODE, DI_VERSION, DI_FORMAT, DI_ONLINK, DI_UID, DI_GID, DI_NLINK, DI_BIG_NEXTENTS,
  DI_MTIME, DI_SIZE, DI_NEXTENTS, DI_FORKOFF, DI_FLAGS, DI_GEN, DI_CRC, DI_FLAGS2, DI_INO, DI_CORE_V2, DI_CORE_V3,
  DIFLAG2_BIGTIME, DIFLAG2_NREXT64, S_IFMT, S_IFREG, S_IFDIR, S_IFLNK, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK,
} from "./layout";
import { sumWithHole } from "./superblock";
import { hex } from "../ext/format";

export class XfsInode {
  ino: u64 = 0;
  raw: usize = 0; // a private copy of the on-disk inode (sb_inodesize bytes)
  block: u64 = 0; // the linear block it was read from, for messages
  version: u32 = 0;
  format: u8 = 0; // of the data fork
  mode: u32 = 0;
  nlink: u32 = 0;
  uid: u32 = 0;
  gid: u32 = 0;
  mtime: u32 = 0; // seconds since 1970, low 32 bits
  size: u64 = 0;
  nextents: u64 = 0; // data fork extents
  flags: u32 = 0; // di_flags
  flags2: u64 = 0;
  forkOff: u32 = 0; // where the data fork starts in raw
  forkSize: u32 = 0; // its size in bytes

  get fileType(): u32 { return this.mode & S_IFMT; }
  get isDir(): bool { return this.fileType == S_IFDIR; }
  get isReg(): bool { return this.fileType == S_IFREG; }
  get isSymlink(): bool { return this.fileType == S_IFLNK; }
  get fork(): usize { return this.raw + this.forkOff; }

  // The directory-entry type code (FileType) for this inode's mode.
  get ftype(): u8 {
    const t = this.fileType;
    if (t == S_IFREG) return 1;
    if (t == S_IFDIR) return 2;
    if (t == S_IFCHR) return 3;
    if (t == S_IFBLK) return 4;
    if (t == S_IFIFO) return 5;
    if (t == S_IFSOCK) return 6;
    if (t == S_IFLNK) return 7;
    return 0;
  }
}

const RECENT: i32 = 8;
// Seconds between 1901-12-13T20:45:52Z (the zero of bigtime timestamps) and 1970.
const BIGTIME_EPOCH_OFFSET: u64 = <u64>1 << 31;

export class XfsInodes {
  vol: XfsVolume;
  private slots: StaticArray<XfsInode> = new StaticArray<XfsInode>(RECENT);
  private next: i32 = 0;

  constructor(vol: XfsVolume) {
    this.vol = vol;
    for (let i = 0; i < RECENT; i++) {
      const n = new XfsInode();
      n.raw = heap.alloc(vol.sb.inodeSize);
      unchecked(this.slots[i] = n);
    }
  }

  // Inode ino, or null and vol.error. Valid until RECENT other inodes have been read.
  get(ino: u64): XfsInode | null {
    if (ino != 0) {
      for (let i = 0; i < RECENT; i++) {
        const r = unchecked(this.slots[i]);
        if (r.ino == ino) return r;
      }
    }
    const node = unchecked(this.slots[this.next]);
    this.next = (this.next + 1) % RECENT;
    node.ino = 0;
    return this.load(ino, node) ? node : null;
  }

  // Where inode ino lives: its linear block, or BAD_BLOCK and a reason in vol.error.
  locate(ino: u64): u64 {
    const vol = this.vol;
    const sb = vol.sb;
    const agno = sb.aginoLog >= 64 ? 0 : ino >> sb.aginoLog;
    const agbno = (ino >> sb.inopbLog) & ((<u64>1 << sb.agBlkLog) - 1);
    if (agno >= <u64>sb.agCount || agbno >= <u64>sb.agBlocks) {
      vol.fail("inode " + ino.toString() + " does not exist (AG " + agno.toString() + " block " + agbno.toString() + "; " + sb.agCount.toString() + " AGs of " + sb.agBlocks.toString() + " blocks)");
      return BAD_BLOCK;
    }
    const blk = agno * sb.agBlocks + agbno;
    if (blk >= sb.dblocks) {
      vol.fail("inode " + ino.toString() + " is past the end of the filesystem (block " + blk.toString() + ")");
      return BAD_BLOCK;
    }
    return blk;
  }

  private load(ino: u64, node: XfsInode): bool {
    const vol = this.vol;
    const sb = vol.sb;
    if (ino == 0) return vol.failed("inode 0 does not exist");
    const blk = this.locate(ino);
    if (blk == BAD_BLOCK) return false;
    const p = vol.readMeta(blk);
    if (p == 0) return vol.failed("inode " + ino.toString() + ": " + vol.inner);
    const within = <usize>(ino & ((<u64>1 << sb.inopbLog) - 1)) << sb.inodeLog;
    memory.copy(node.raw, p + within, sb.inodeSize);
    const raw = node.raw;
    const I = "inode " + ino.toString() + " (block " + blk.toString() + ", offset " + (<u32>within).toString() + ")";
    node.block = blk;

    const magic = be16(raw);
    if (magic != DI_MAGIC) return vol.failed(I + ": bad magic " + hex(magic, 4) + " (not an inode)");
    node.version = load<u8>(raw + DI_VERSION);
    const wantV3 = sb.crc;
    if (wantV3 ? node.version != 3 : node.version != 1 && node.version != 2) {
      return vol.failed(I + ": inode version " + node.version.toString() + " on a version " + sb.version.toString() + " filesystem");
    }
    if (wantV3) {
      const want = load<u32>(raw + DI_CRC);
      const got = sumWithHole(raw, sb.inodeSize, DI_CRC);
      if (want != got) vol.warn("inode " + ino.toString() + " checksum " + hex(want, 8) + " does not match its contents (" + hex(got, 8) + ")");
      const self = be64(raw + DI_INO);
      if (self != ino) return vol.failed(I + " holds inode " + self.toString() + " (di_ino)");
    }
    node.mode = be16(raw + DI_MODE);
    node.nlink = node.version == 1 ? be16(raw + DI_ONLINK) : be32(raw + DI_NLINK);
    if (node.mode == 0) return vol.failed("inode " + ino.toString() + " is not in use");
    if (node.nlink == 0) return vol.failed("inode " + ino.toString() + " is deleted (no links)");
    node.format = load<u8>(raw + DI_FORMAT);
    node.uid = be32(raw + DI_UID);
    node.gid = be32(raw + DI_GID);
    node.flags = be16(raw + DI_FLAGS);
    node.flags2 = wantV3 ? be64(raw + DI_FLAGS2) : 0;
    const size = be64(raw + DI_SIZE);
    if (<i64>size < 0) return vol.failed(I + ": negative size " + (<i64>size).toString());
    node.size = size;
    node.nextents = (node.flags2 & DIFLAG2_NREXT64) != 0 ? be64(raw + DI_BIG_NEXTENTS) : <u64>be32(raw + DI_NEXTENTS);
    if ((node.flags2 & DIFLAG2_BIGTIME) != 0) {
      const ns = be64(raw + DI_MTIME);
      node.mtime = <u32>(ns / 1000000000 - BIGTIME_EPOCH_OFFSET);
    } else {
      node.mtime = be32(raw + DI_MTIME);
    }
    const core = wantV3 ? DI_CORE_V3 : DI_CORE_V2;
    const lit = sb.inodeSize - core;
    const forkoff = <u32>load<u8>(raw + DI_FORKOFF) << 3;
    if (forkoff >= lit) return vol.failed(I + ": attribute fork offset " + forkoff.toString() + " is past the inode's literal area (" + lit.toString() + " bytes)");
    node.forkOff = core;
    node.forkSize = forkoff != 0 ? forkoff : lit;
    // The generation is not used, but a v3 inode with di_gen is fine as it is.
    be32(raw + DI_GEN);
    node.ino = ino;
    return true;
  }
}
