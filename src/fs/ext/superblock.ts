// The superblock: read, check and keep the geometry everything else depends on.
// Every value later used as a divisor, a size or a loop bound is checked here, once.

import {
  SB_MAGIC, S_INODES_COUNT, S_BLOCKS_COUNT_LO, S_FIRST_DATA_BLOCK, S_LOG_BLOCK_SIZE, S_LOG_CLUSTER_SIZE,
  S_BLOCKS_PER_GROUP, S_INODES_PER_GROUP, S_MAGIC, S_STATE, S_REV_LEVEL, S_FIRST_INO, S_INODE_SIZE,
  S_FEATURE_COMPAT, S_FEATURE_INCOMPAT, S_FEATURE_RO_COMPAT, S_UUID, S_VOLUME_NAME, S_DESC_SIZE,
  S_FIRST_META_BG, S_BLOCKS_COUNT_HI, S_LOG_GROUPS_PER_FLEX, S_CHECKSUM_TYPE, S_BACKUP_BGS, S_CHECKSUM_SEED,
  S_CHECKSUM, STATE_VALID, STATE_ERROR, GOOD_OLD_REV, GOOD_OLD_INODE_SIZE, GOOD_OLD_FIRST_INO,
  COMPAT_HAS_JOURNAL, COMPAT_SPARSE_SUPER2,
  RO_COMPAT_SPARSE_SUPER, RO_COMPAT_GDT_CSUM, RO_COMPAT_METADATA_CSUM, RO_COMPAT_BIGALLOC, RO_COMPAT_HUGE_FILE,
  RO_COMPAT_DIR_NLINK, RO_COMPAT_EXTRA_ISIZE,
  INCOMPAT_FILETYPE, INCOMPAT_RECOVER, INCOMPAT_META_BG, INCOMPAT_EXTENTS, INCOMPAT_64BIT, INCOMPAT_FLEX_BG,
  INCOMPAT_CSUM_SEED, INCOMPAT_INLINE_DATA, INCOMPAT_MMP, INCOMPAT_LARGEDIR, INCOMPAT_EA_INODE, INCOMPAT_CASEFOLD,
  DESC_SIZE_MIN, DESC_SIZE_MIN_64BIT, DESC_SIZE_MAX, ROOT_INO,
} from "./layout";
import { featureNames, unsupportedIncompat, unknownRoCompat } from "./features";
import { crc32cUpdate } from "../../lib/crc32c";
import { hex, printable } from "./format";
import { addWarning } from "./warnings";

// Block numbers above this cannot be addressed by extents (48 bits) and would overflow
// byte offsets with 64 KiB blocks; no real filesystem comes near it.
const MAX_BLOCKS: u64 = <u64>1 << 48;

export class Superblock {
  // "ext2", "ext3" or "ext4", by the features used: the prefix of every message.
  flavor: string = "ext";
  blockSize: u32 = 0;
  logBlockSize: u32 = 0; // log2(blockSize)
  clusterRatio: u32 = 1; // blocks per allocation cluster (bigalloc)
  blocksCount: u64 = 0;
  inodesCount: u32 = 0;
  firstDataBlock: u32 = 0;
  blocksPerGroup: u32 = 0;
  inodesPerGroup: u32 = 0;
  groupCount: u32 = 0;
  inodeSize: u32 = 0;
  firstIno: u32 = 0;
  revLevel: u32 = 0;
  compat: u32 = 0;
  incompat: u32 = 0;
  roCompat: u32 = 0;
  descSize: u32 = 32;
  descPerBlock: u32 = 0;
  gdtBlocks: u32 = 0; // blocks holding all group descriptors
  firstMetaBg: u32 = 0;
  logGroupsPerFlex: u32 = 0;
  backupBg0: u32 = 0; // sparse_super2's two backup groups
  backupBg1: u32 = 0;
  state: u16 = 0;
  csumSeed: u32 = 0; // the seed of every metadata checksum (metadata_csum)
  label: string = "";
  uuid: string = "";
  raw: usize = 0; // the 1024 bytes as read (checksums of group descriptors use the UUID)

  get metadataCsum(): bool { return (this.roCompat & RO_COMPAT_METADATA_CSUM) != 0; }
  get gdtCsum(): bool { return (this.roCompat & (RO_COMPAT_METADATA_CSUM | RO_COMPAT_GDT_CSUM)) != 0; }
  get is64bit(): bool { return (this.incompat & INCOMPAT_64BIT) != 0; }
  get hasFiletype(): bool { return (this.incompat & INCOMPAT_FILETYPE) != 0; }
  get metaBg(): bool { return (this.incompat & INCOMPAT_META_BG) != 0; }
  get inlineData(): bool { return (this.incompat & INCOMPAT_INLINE_DATA) != 0; }
  get sparseSuper(): bool { return (this.roCompat & RO_COMPAT_SPARSE_SUPER) != 0; }
  get sparseSuper2(): bool { return (this.compat & COMPAT_SPARSE_SUPER2) != 0; }
  get featureList(): string { return featureNames(this.compat, this.incompat, this.roCompat); }

  // The block that holds the superblock (block 1 with 1 KiB blocks, else block 0); the
  // classic group descriptor table starts right after it.
  get superBlockNumber(): u32 { return this.blockSize == 1024 ? 1 : 0; }

  // Check the 1024 bytes at raw (read from byte 1024 of a source of sourceSize bytes).
  // null when mountable; warnings for what can be read anyway.
  parse(raw: usize, sourceSize: u64, warnings: string[]): string | null {
    this.raw = raw;
    const magic = load<u16>(raw + S_MAGIC);
    if (magic != SB_MAGIC) return "no ext2/3/4 superblock: magic " + hex(magic, 4) + " at byte 1080, not 0xef53";

    this.compat = load<u32>(raw + S_FEATURE_COMPAT);
    this.incompat = load<u32>(raw + S_FEATURE_INCOMPAT);
    this.roCompat = load<u32>(raw + S_FEATURE_RO_COMPAT);
    this.revLevel = load<u32>(raw + S_REV_LEVEL);
    this.flavor = flavorOf(this.compat, this.incompat, this.roCompat);
    const F = this.flavor + ": ";
    if (this.revLevel == GOOD_OLD_REV && (this.compat | this.incompat | this.roCompat) != 0) {
      // Revision 0 predates feature flags; Linux honours them anyway, and so does this.
      addWarning(warnings, F + "feature flags set on a revision 0 filesystem: run e2fsck");
    }

    const unsupported = unsupportedIncompat(this.incompat);
    if (unsupported.length > 0) return F + "unsupported feature: " + unsupported + " (features: " + this.featureList + ")";
    const unknownRo = unknownRoCompat(this.roCompat);
    if (unknownRo.length > 0) addWarning(warnings, F + "unknown read-only feature " + unknownRo + ": reading anyway");

    const logBs = load<u32>(raw + S_LOG_BLOCK_SIZE);
    if (logBs > 6) return F + "bad block size: s_log_block_size " + logBs.toString() + " (at most 6, 64 KiB)";
    this.logBlockSize = 10 + logBs;
    this.blockSize = <u32>1024 << logBs;
    const bs = this.blockSize;

    if ((this.roCompat & RO_COMPAT_BIGALLOC) != 0) {
      const logCs = load<u32>(raw + S_LOG_CLUSTER_SIZE);
      if (logCs < logBs || logCs - logBs > 16) {
        return F + "bad cluster size: s_log_cluster_size " + logCs.toString() + " with s_log_block_size " + logBs.toString();
      }
      this.clusterRatio = <u32>1 << (logCs - logBs);
    }

    if (this.revLevel == GOOD_OLD_REV) {
      this.inodeSize = GOOD_OLD_INODE_SIZE;
      this.firstIno = GOOD_OLD_FIRST_INO;
    } else {
      if (this.revLevel > 1) addWarning(warnings, F + "revision level " + this.revLevel.toString() + " is newer than 1: reading as 1");
      this.inodeSize = load<u16>(raw + S_INODE_SIZE);
      this.firstIno = load<u32>(raw + S_FIRST_INO);
      const isz = this.inodeSize;
      if (isz < GOOD_OLD_INODE_SIZE || isz > bs || (isz & (isz - 1)) != 0) {
        return F + "bad inode size " + isz.toString() + " (a power of two from 128 to the block size " + bs.toString() + ")";
      }
      if (this.firstIno < GOOD_OLD_FIRST_INO) return F + "bad first inode " + this.firstIno.toString() + " (at least 11)";
    }

    this.inodesCount = load<u32>(raw + S_INODES_COUNT);
    this.blocksCount = <u64>load<u32>(raw + S_BLOCKS_COUNT_LO);
    if (this.is64bit) this.blocksCount |= <u64>load<u32>(raw + S_BLOCKS_COUNT_HI) << 32;
    this.firstDataBlock = load<u32>(raw + S_FIRST_DATA_BLOCK);
    this.blocksPerGroup = load<u32>(raw + S_BLOCKS_PER_GROUP);
    this.inodesPerGroup = load<u32>(raw + S_INODES_PER_GROUP);

    if (this.blocksCount == 0 || this.blocksCount >= MAX_BLOCKS) return F + "bad block count " + this.blocksCount.toString();
    // With 1 KiB blocks (and no clusters) block 0 is the boot block and the superblock is
    // block 1, the first of group 0; otherwise the superblock is inside block 0.
    const wantFirst: u32 = bs == 1024 && this.clusterRatio == 1 ? 1 : 0;
    if (this.firstDataBlock != wantFirst) {
      return F + "bad first data block " + this.firstDataBlock.toString() + " (" + wantFirst.toString() + " with " + bs.toString() + "-byte blocks)";
    }
    if (<u64>this.firstDataBlock >= this.blocksCount) return F + "first data block " + this.firstDataBlock.toString() + " is past the end";

    // A group's bitmaps are one block: at most 8 * blockSize clusters and inodes per group.
    const maxPerGroup: u64 = <u64>bs * 8;
    if (this.blocksPerGroup == 0 || <u64>this.blocksPerGroup > maxPerGroup * this.clusterRatio || this.blocksPerGroup % this.clusterRatio != 0) {
      return F + "bad blocks per group " + this.blocksPerGroup.toString();
    }
    if (this.inodesPerGroup == 0 || <u64>this.inodesPerGroup > maxPerGroup) return F + "bad inodes per group " + this.inodesPerGroup.toString();

    const groups: u64 = (this.blocksCount - this.firstDataBlock + this.blocksPerGroup - 1) / this.blocksPerGroup;
    // groups * inodesPerGroup must equal a u32: checked in steps that cannot overflow.
    if (groups > 0xffffffff || groups * this.inodesPerGroup != <u64>this.inodesCount) {
      return F + "bad geometry: " + groups.toString() + " groups of " + this.inodesPerGroup.toString() + " inodes but an inode count of " + this.inodesCount.toString();
    }
    this.groupCount = <u32>groups; // fits: groups * inodesPerGroup == a u32
    if (this.inodesCount < ROOT_INO) return F + "bad inode count " + this.inodesCount.toString();

    if (this.is64bit) {
      const ds = <u32>load<u16>(raw + S_DESC_SIZE);
      if (ds < DESC_SIZE_MIN_64BIT || ds > DESC_SIZE_MAX || ds > bs || (ds & (ds - 1)) != 0) {
        return F + "bad group descriptor size " + ds.toString() + " (64bit: a power of two from 64 to 1024)";
      }
      this.descSize = ds;
    } else {
      this.descSize = DESC_SIZE_MIN;
    }
    this.descPerBlock = bs / this.descSize;
    this.gdtBlocks = <u32>((groups + this.descPerBlock - 1) / this.descPerBlock);
    if (this.metaBg) {
      this.firstMetaBg = load<u32>(raw + S_FIRST_META_BG);
      if (this.firstMetaBg > this.gdtBlocks) {
        return F + "bad first meta block group " + this.firstMetaBg.toString() + " (" + this.gdtBlocks.toString() + " descriptor blocks)";
      }
    }
    const classicGdt: u64 = this.metaBg ? <u64>this.firstMetaBg : <u64>this.gdtBlocks;
    if (<u64>this.superBlockNumber + 1 + classicGdt > this.blocksCount) {
      return F + "group descriptors (" + classicGdt.toString() + " blocks) run past the end of the filesystem";
    }
    if (this.sparseSuper2) {
      this.backupBg0 = load<u32>(raw + S_BACKUP_BGS);
      this.backupBg1 = load<u32>(raw + S_BACKUP_BGS + 4);
    }
    this.logGroupsPerFlex = load<u8>(raw + S_LOG_GROUPS_PER_FLEX);
    if ((this.incompat & INCOMPAT_FLEX_BG) != 0 && this.logGroupsPerFlex > 31) {
      addWarning(warnings, F + "odd flex_bg size 2^" + this.logGroupsPerFlex.toString() + " (ignored: not needed to read)");
    }

    // Checksums: reported, never a reason to refuse a filesystem that otherwise reads.
    if (this.metadataCsum) {
      const type = load<u8>(raw + S_CHECKSUM_TYPE);
      if (type != 1) addWarning(warnings, F + "unknown metadata checksum type " + type.toString() + " (1 is crc32c): checking as crc32c");
      const want = load<u32>(raw + S_CHECKSUM);
      const got = crc32cUpdate(0xffffffff, raw, S_CHECKSUM);
      if (want != got) addWarning(warnings, F + "superblock checksum " + hex(want, 8) + " does not match its contents (" + hex(got, 8) + ")");
      this.csumSeed = (this.incompat & INCOMPAT_CSUM_SEED) != 0 ? load<u32>(raw + S_CHECKSUM_SEED) : crc32cUpdate(0xffffffff, raw + S_UUID, 16);
    }

    this.state = load<u16>(raw + S_STATE);
    if ((this.incompat & INCOMPAT_RECOVER) != 0) {
      addWarning(warnings, F + "the journal needs recovery (needs_recovery): it is not replayed here, so the latest changes may be missing");
    } else if ((this.compat & COMPAT_HAS_JOURNAL) == 0 && (this.state & STATE_VALID) == 0) {
      addWarning(warnings, F + "not cleanly unmounted: run e2fsck");
    }
    if ((this.state & STATE_ERROR) != 0) addWarning(warnings, F + "the filesystem has errors recorded: run e2fsck");

    const fsBytes = this.blocksCount << this.logBlockSize;
    if (fsBytes > sourceSize) {
      addWarning(warnings, F + "the filesystem (" + fsBytes.toString() + " bytes) is larger than its source (" + sourceSize.toString() + " bytes): reads past the end fail");
    }

    this.label = volumeLabel(raw + S_VOLUME_NAME);
    this.uuid = uuidString(raw + S_UUID);
    return null;
  }
}

function flavorOf(compat: u32, incompat: u32, roCompat: u32): string {
  const ext4Incompat = INCOMPAT_EXTENTS | INCOMPAT_64BIT | INCOMPAT_FLEX_BG | INCOMPAT_INLINE_DATA | INCOMPAT_MMP |
    INCOMPAT_CSUM_SEED | INCOMPAT_LARGEDIR | INCOMPAT_EA_INODE | INCOMPAT_CASEFOLD | INCOMPAT_META_BG;
  const ext4RoCompat = RO_COMPAT_HUGE_FILE | RO_COMPAT_GDT_CSUM | RO_COMPAT_DIR_NLINK | RO_COMPAT_EXTRA_ISIZE |
    RO_COMPAT_BIGALLOC | RO_COMPAT_METADATA_CSUM;
  if ((incompat & ext4Incompat) != 0 || (roCompat & ext4RoCompat) != 0) return "ext4";
  if ((compat & COMPAT_HAS_JOURNAL) != 0) return "ext3";
  return "ext2";
}

// The volume name: up to 16 bytes, NUL-padded; shown as printable text.
function volumeLabel(p: usize): string {
  let n: u32 = 0;
  while (n < 16 && load<u8>(p + n) != 0) n++;
  return printable(p, n);
}

// xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, as blkid prints it.
function uuidString(p: usize): string {
  let s = "";
  for (let i: u32 = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s += "-";
    s += hex(load<u8>(p + i), 2).substr(2);
  }
  return s;
}
