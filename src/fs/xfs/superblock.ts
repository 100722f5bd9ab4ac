// The XFS superblock (xfs_dsb, the first sector of allocation group 0): read, check and keep
// the geometry everything else depends on. Every value later used as a shift, a divisor, a
// size or a loop bound is checked here, once. v4 and v5 (CRC) superblocks; the other AGs'
// copies are not read.

import {
  be16, be32, be64, SB_MAGIC, SB_MAGICNUM, SB_BLOCKSIZE, SB_DBLOCKS, SB_RBLOCKS, SB_UUID, SB_LOGSTART, SB_ROOTINO,
  SB_AGBLOCKS, SB_AGCOUNT, SB_LOGBLOCKS, SB_VERSIONNUM, SB_SECTSIZE, SB_INODESIZE, SB_INOPBLOCK, SB_FNAME, SB_BLOCKLOG,
  SB_SECTLOG, SB_INODELOG, SB_INOPBLOG, SB_AGBLKLOG, SB_INPROGRESS, SB_DIRBLKLOG, SB_FEATURES2, SB_FEATURES_COMPAT,
  SB_FEATURES_RO_COMPAT, SB_FEATURES_INCOMPAT, SB_FEATURES_LOG_INCOMPAT, SB_CRC,
  VERSION_NUMBITS, VERSION_DIRV2BIT, VERSION_MOREBITSBIT, VERSION_BORGBIT, VERSION_ATTRBIT, VERSION_NLINKBIT,
  VERSION_QUOTABIT, VERSION_ALIGNBIT, VERSION_DALIGNBIT, VERSION_LOGV2BIT, VERSION_SECTORBIT, VERSION_EXTFLGBIT,
  F2_LAZYSBCOUNT, F2_ATTR2, F2_PARENT, F2_PROJID32, F2_CRC, F2_FTYPE,
  RO_FINOBT, RO_RMAPBT, RO_REFLINK, RO_INOBTCNT,
  IN_FTYPE, IN_SPINODES, IN_META_UUID, IN_BIGTIME, IN_NEEDSREPAIR, IN_NREXT64, IN_EXCHRANGE, IN_PARENT, IN_METADIR,
  IN_ZONED, IN_KNOWN,
} from "./layout";
import { crc32cUpdate } from "../../lib/crc32c";
import { hex, printable } from "../ext/format";
import { addWarning } from "../ext/warnings";

// The largest block, inode and directory block sizes the format allows.
const MAX_BLOCKLOG: u32 = 16;

export class XfsSuper {
  version: u32 = 0; // 4 or 5
  blockSize: u32 = 0;
  blockLog: u32 = 0;
  sectSize: u32 = 0;
  inodeSize: u32 = 0;
  inodeLog: u32 = 0;
  inopbLog: u32 = 0; // log2(inodes per block)
  agBlocks: u32 = 0;
  agBlkLog: u32 = 0;
  agCount: u32 = 0;
  dblocks: u64 = 0;
  rootIno: u64 = 0;
  dirBlkLog: u32 = 0; // log2(fs blocks per directory block)
  dirBlkSize: u32 = 0;
  logStart: u64 = 0; // fsblock of the internal log (0: external log)
  logBlocks: u32 = 0;
  versionNum: u32 = 0;
  features2: u32 = 0;
  roCompat: u32 = 0;
  incompat: u32 = 0;
  logIncompat: u32 = 0;
  label: string = "";
  uuid: string = "";

  get crc(): bool { return this.version == 5; }
  get ftype(): bool { return this.crc ? (this.incompat & IN_FTYPE) != 0 : (this.features2 & F2_FTYPE) != 0; }
  get bigtime(): bool { return (this.incompat & IN_BIGTIME) != 0; }
  // Bits of an inode number below the AG number: block in the AG, then inode in the block.
  get aginoLog(): u32 { return this.agBlkLog + this.inopbLog; }

  get featureList(): string {
    const f: string[] = [];
    const v = this.versionNum;
    if (this.crc) f.push("crc");
    if ((v & VERSION_ATTRBIT) != 0) f.push("attr");
    if ((v & VERSION_NLINKBIT) != 0) f.push("nlink");
    if ((v & VERSION_QUOTABIT) != 0) f.push("quota");
    if ((v & VERSION_ALIGNBIT) != 0) f.push("align");
    if ((v & VERSION_DALIGNBIT) != 0) f.push("dalign");
    if ((v & VERSION_LOGV2BIT) != 0) f.push("logv2");
    if ((v & VERSION_SECTORBIT) != 0) f.push("sector");
    if ((v & VERSION_EXTFLGBIT) != 0) f.push("extflg");
    if ((v & VERSION_BORGBIT) != 0) f.push("ascii-ci");
    const f2 = this.features2;
    if ((f2 & F2_LAZYSBCOUNT) != 0) f.push("lazycount");
    if ((f2 & F2_ATTR2) != 0) f.push("attr2");
    if ((f2 & F2_PARENT) != 0) f.push("parent");
    if ((f2 & F2_PROJID32) != 0) f.push("projid32bit");
    if (this.ftype) f.push("ftype");
    const ro = this.roCompat;
    if ((ro & RO_FINOBT) != 0) f.push("finobt");
    if ((ro & RO_RMAPBT) != 0) f.push("rmapbt");
    if ((ro & RO_REFLINK) != 0) f.push("reflink");
    if ((ro & RO_INOBTCNT) != 0) f.push("inobtcount");
    const inc = this.incompat;
    if ((inc & IN_SPINODES) != 0) f.push("sparse");
    if ((inc & IN_META_UUID) != 0) f.push("meta_uuid");
    if ((inc & IN_BIGTIME) != 0) f.push("bigtime");
    if ((inc & IN_NEEDSREPAIR) != 0) f.push("needsrepair");
    if ((inc & IN_NREXT64) != 0) f.push("nrext64");
    if ((inc & IN_EXCHRANGE) != 0) f.push("exchange");
    if ((inc & IN_PARENT) != 0) f.push("parent");
    if ((inc & IN_METADIR) != 0) f.push("metadir");
    if ((inc & IN_ZONED) != 0) f.push("zoned");
    const unknown = inc & ~(IN_KNOWN | IN_METADIR | IN_ZONED);
    if (unknown != 0) f.push("incompat_" + hex(unknown, 8));
    return f.join(" ");
  }

  // Check the superblock sector at raw (sectorLen bytes read, at least 512) from a source of
  // sourceSize bytes. null when mountable, else the reason; warnings for what reads anyway.
  parse(raw: usize, sectorLen: u32, sourceSize: u64, warnings: string[]): string | null {
    const magic = be32(raw + SB_MAGICNUM);
    if (magic != SB_MAGIC) return "no XFS superblock: magic " + hex(magic, 8) + " at byte 0, not 0x58465342 (\"XFSB\")";
    const F = "xfs: superblock: ";
    this.versionNum = be16(raw + SB_VERSIONNUM);
    this.version = this.versionNum & VERSION_NUMBITS;
    if (this.version != 4 && this.version != 5) {
      return F + "version " + this.version.toString() + " (sb_versionnum " + hex(this.versionNum, 4) + "): only versions 4 and 5 are read";
    }
    if ((this.versionNum & VERSION_MOREBITSBIT) != 0 || this.version == 5) this.features2 = be32(raw + SB_FEATURES2);
    if (this.version == 5) {
      this.roCompat = be32(raw + SB_FEATURES_RO_COMPAT);
      this.incompat = be32(raw + SB_FEATURES_INCOMPAT);
      this.logIncompat = be32(raw + SB_FEATURES_LOG_INCOMPAT);
      const compat = be32(raw + SB_FEATURES_COMPAT);
      if (compat != 0) addWarning(warnings, F + "unknown compatible features " + hex(compat, 8) + " (ignored)");
      if ((this.features2 & F2_CRC) == 0) addWarning(warnings, F + "version 5 without the crc bit in sb_features2 (reading as v5)");
    } else if ((this.versionNum & VERSION_DIRV2BIT) == 0) {
      return F + "version 1 directories (no dirv2 bit in sb_versionnum " + hex(this.versionNum, 4) + ") are not supported";
    }
    if ((this.incompat & (IN_METADIR | IN_ZONED)) != 0 || (this.incompat & ~IN_KNOWN) != 0) {
      return F + "unsupported incompatible feature " + hex(this.incompat & ~IN_KNOWN, 8) + " (features: " + this.featureList + ")";
    }
    if ((this.roCompat & ~(RO_FINOBT | RO_RMAPBT | RO_REFLINK | RO_INOBTCNT)) != 0) {
      addWarning(warnings, F + "unknown read-only-compatible feature " + hex(this.roCompat & ~(<u32>0xf), 8) + ": reading anyway");
    }
    if ((this.incompat & IN_NEEDSREPAIR) != 0) addWarning(warnings, F + "the filesystem is marked as needing xfs_repair (needsrepair): reading anyway");
    if (load<u8>(raw + SB_INPROGRESS) != 0) return F + "mkfs did not finish (sb_inprogress is set)";

    // Sizes and their logarithms must agree.
    this.blockSize = be32(raw + SB_BLOCKSIZE);
    this.blockLog = load<u8>(raw + SB_BLOCKLOG);
    if (this.blockLog < 9 || this.blockLog > MAX_BLOCKLOG || this.blockSize != <u32>1 << this.blockLog) {
      return F + "bad block size " + this.blockSize.toString() + " (sb_blocklog " + this.blockLog.toString() + "; a power of two from 512 to 65536)";
    }
    this.sectSize = be16(raw + SB_SECTSIZE);
    const sectLog = <u32>load<u8>(raw + SB_SECTLOG);
    if (sectLog < 9 || sectLog > 15 || this.sectSize != <u32>1 << sectLog || this.sectSize > this.blockSize) {
      return F + "bad sector size " + this.sectSize.toString() + " (sb_sectlog " + sectLog.toString() + ")";
    }
    this.inodeSize = be16(raw + SB_INODESIZE);
    this.inodeLog = load<u8>(raw + SB_INODELOG);
    const minInode: u32 = this.version == 5 ? 512 : 256;
    if (this.inodeLog < 8 || this.inodeLog > 11 || this.inodeSize != <u32>1 << this.inodeLog || this.inodeSize < minInode || this.inodeSize > this.blockSize) {
      return F + "bad inode size " + this.inodeSize.toString() + " (sb_inodelog " + this.inodeLog.toString() + "; " + minInode.toString() + " to 2048, at most the block size)";
    }
    this.inopbLog = load<u8>(raw + SB_INOPBLOG);
    const inopb = be16(raw + SB_INOPBLOCK);
    if (this.inopbLog != this.blockLog - this.inodeLog || inopb != <u32>1 << this.inopbLog) {
      return F + "bad inodes per block " + inopb.toString() + " (sb_inopblog " + this.inopbLog.toString() + ", block " + this.blockSize.toString() + ", inode " + this.inodeSize.toString() + ")";
    }
    this.agBlocks = be32(raw + SB_AGBLOCKS);
    this.agBlkLog = load<u8>(raw + SB_AGBLKLOG);
    this.agCount = be32(raw + SB_AGCOUNT);
    if (this.agBlocks < 2 || this.agBlkLog > 31 || this.agBlkLog == 0 || (<u64>1 << this.agBlkLog) < <u64>this.agBlocks || (<u64>1 << (this.agBlkLog - 1)) >= <u64>this.agBlocks) {
      return F + "bad AG size " + this.agBlocks.toString() + " blocks (sb_agblklog " + this.agBlkLog.toString() + ")";
    }
    if (this.aginoLog > 32) return F + "bad geometry: " + this.aginoLog.toString() + " bits of inode number per AG (at most 32)";
    this.dblocks = be64(raw + SB_DBLOCKS);
    if (this.agCount == 0 || this.dblocks == 0 || this.dblocks > <u64>this.agCount * this.agBlocks || this.dblocks <= <u64>(this.agCount - 1) * this.agBlocks) {
      return F + "bad geometry: " + this.dblocks.toString() + " blocks in " + this.agCount.toString() + " AGs of " + this.agBlocks.toString() + " blocks";
    }
    this.dirBlkLog = load<u8>(raw + SB_DIRBLKLOG);
    if (this.blockLog + this.dirBlkLog > MAX_BLOCKLOG) {
      return F + "bad directory block size: 2^" + this.dirBlkLog.toString() + " blocks of " + this.blockSize.toString() + " bytes (at most 64 KiB)";
    }
    this.dirBlkSize = this.blockSize << this.dirBlkLog;
    if (be64(raw + SB_RBLOCKS) != 0) addWarning(warnings, F + "the filesystem has a realtime section: files on it cannot be read");
    this.logStart = be64(raw + SB_LOGSTART);
    this.logBlocks = be32(raw + SB_LOGBLOCKS);
    this.rootIno = be64(raw + SB_ROOTINO);

    if (this.crc) {
      // crc32c of the superblock sector with the CRC field as zeros, inverted, little-endian.
      if (sectorLen >= this.sectSize) {
        const want = load<u32>(raw + SB_CRC);
        const got = sumWithHole(raw, this.sectSize, SB_CRC);
        if (want != got) addWarning(warnings, F + "checksum " + hex(want, 8) + " does not match its contents (" + hex(got, 8) + ")");
      }
    }
    if (this.logIncompat != 0) {
      addWarning(warnings, F + "log-incompatible features " + hex(this.logIncompat, 8) + " are set: the log may hold changes not replayed here");
    }
    const fsBytes = this.dblocks << this.blockLog;
    if (fsBytes > sourceSize) {
      addWarning(warnings, F + "the filesystem (" + fsBytes.toString() + " bytes) is larger than its source (" + sourceSize.toString() + " bytes): reads past the end fail");
    }
    this.label = labelOf(raw + SB_FNAME);
    this.uuid = uuidString(raw + SB_UUID);
    return null;
  }
}

// The standard XFS metadata checksum of len bytes at p, the 4 bytes at `hole` counted as
// zeros: what a little-endian load of the stored field must equal.
export function sumWithHole(p: usize, len: u32, hole: u32): u32 {
  let c = crc32cUpdate(0xffffffff, p, hole);
  c = crc32cUpdate(c, ZERO4, 4);
  c = crc32cUpdate(c, p + hole + 4, len - hole - 4);
  return ~c;
}

const ZERO4: usize = memory.data(4);

// The volume name: up to 12 bytes, NUL-padded.
function labelOf(p: usize): string {
  let n: u32 = 0;
  while (n < 12 && load<u8>(p + n) != 0) n++;
  return printable(p, n);
}

// xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, as blkid prints it.
export function uuidString(p: usize): string {
  let s = "";
  for (let i: u32 = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s += "-";
    s += hex(load<u8>(p + i), 2).substr(2);
  }
  return s;
}
