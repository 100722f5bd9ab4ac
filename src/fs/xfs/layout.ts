// XFS on-disk layout: the offsets, magic numbers and flag bits this reader uses, and the
// big-endian loads every structure needs. Facts from the format's public description
// (xfsprogs' libxfs/xfs_format.h, xfs_da_format.h, xfs_log_format.h; the kernel's
// Documentation/filesystems/xfs): every multi-byte field is big-endian, except the CRCs,
// which are stored little-endian as the inverted crc32c register.

// ---- big-endian loads -------------------------------------------------------------------
export function be16(p: usize): u32 { return <u32>bswap<u16>(load<u16>(p)); }
export function be32(p: usize): u32 { return bswap<u32>(load<u32>(p)); }
export function be64(p: usize): u64 { return bswap<u64>(load<u64>(p)); }

// ---- the superblock (sector 0 of AG 0) --------------------------------------------------
export const SB_MAGIC: u32 = 0x58465342; // "XFSB"
export const SB_READ: u32 = 512; // bytes read to parse it (the smallest sector)
export const SB_MAGICNUM: u32 = 0;
export const SB_BLOCKSIZE: u32 = 4;
export const SB_DBLOCKS: u32 = 8;
export const SB_RBLOCKS: u32 = 16;
export const SB_UUID: u32 = 32;
export const SB_LOGSTART: u32 = 48;
export const SB_ROOTINO: u32 = 56;
export const SB_AGBLOCKS: u32 = 84;
export const SB_AGCOUNT: u32 = 88;
export const SB_LOGBLOCKS: u32 = 96;
export const SB_VERSIONNUM: u32 = 100;
export const SB_SECTSIZE: u32 = 102;
export const SB_INODESIZE: u32 = 104;
export const SB_INOPBLOCK: u32 = 106;
export const SB_FNAME: u32 = 108; // 12 bytes
export const SB_BLOCKLOG: u32 = 120;
export const SB_SECTLOG: u32 = 121;
export const SB_INODELOG: u32 = 122;
export const SB_INOPBLOG: u32 = 123;
export const SB_AGBLKLOG: u32 = 124;
export const SB_INPROGRESS: u32 = 126;
export const SB_DIRBLKLOG: u32 = 192;
export const SB_FEATURES2: u32 = 200;
export const SB_BAD_FEATURES2: u32 = 204;
export const SB_FEATURES_COMPAT: u32 = 208;
export const SB_FEATURES_RO_COMPAT: u32 = 212;
export const SB_FEATURES_INCOMPAT: u32 = 216;
export const SB_FEATURES_LOG_INCOMPAT: u32 = 220;
export const SB_CRC: u32 = 224;
export const SB_META_UUID: u32 = 248;

// sb_versionnum
export const VERSION_NUMBITS: u32 = 0x000f;
export const VERSION_ATTRBIT: u32 = 0x0010;
export const VERSION_NLINKBIT: u32 = 0x0020;
export const VERSION_QUOTABIT: u32 = 0x0040;
export const VERSION_ALIGNBIT: u32 = 0x0080;
export const VERSION_DALIGNBIT: u32 = 0x0100;
export const VERSION_LOGV2BIT: u32 = 0x0400;
export const VERSION_SECTORBIT: u32 = 0x0800;
export const VERSION_EXTFLGBIT: u32 = 0x1000;
export const VERSION_DIRV2BIT: u32 = 0x2000;
export const VERSION_BORGBIT: u32 = 0x4000; // ASCII case-insensitive names
export const VERSION_MOREBITSBIT: u32 = 0x8000;
// sb_features2
export const F2_LAZYSBCOUNT: u32 = 0x02;
export const F2_ATTR2: u32 = 0x08;
export const F2_PARENT: u32 = 0x10;
export const F2_PROJID32: u32 = 0x80;
export const F2_CRC: u32 = 0x100;
export const F2_FTYPE: u32 = 0x200;
// v5 sb_features_ro_compat
export const RO_FINOBT: u32 = 0x1;
export const RO_RMAPBT: u32 = 0x2;
export const RO_REFLINK: u32 = 0x4;
export const RO_INOBTCNT: u32 = 0x8;
// v5 sb_features_incompat
export const IN_FTYPE: u32 = 0x1;
export const IN_SPINODES: u32 = 0x2;
export const IN_META_UUID: u32 = 0x4;
export const IN_BIGTIME: u32 = 0x8;
export const IN_NEEDSREPAIR: u32 = 0x10;
export const IN_NREXT64: u32 = 0x20;
export const IN_EXCHRANGE: u32 = 0x40;
export const IN_PARENT: u32 = 0x80;
export const IN_METADIR: u32 = 0x100;
export const IN_ZONED: u32 = 0x200;
// What this reader reads: everything else in sb_features_incompat is refused.
export const IN_KNOWN: u32 = IN_FTYPE | IN_SPINODES | IN_META_UUID | IN_BIGTIME | IN_NEEDSREPAIR | IN_NREXT64 | IN_EXCHRANGE | IN_PARENT;

// ---- inodes (xfs_dinode) -----------------------------------------------------------------
export const DI_MAGIC: u32 = 0x494e; // "IN"
export const DI_MODE: u32 = 2;
export const DI_VERSION: u32 = 4;
export const DI_FORMAT: u32 = 5;
export const DI_ONLINK: u32 = 6;
export const DI_UID: u32 = 8;
export const DI_GID: u32 = 12;
export const DI_NLINK: u32 = 16;
export const DI_BIG_NEXTENTS: u32 = 24;
export const DI_MTIME: u32 = 40;
export const DI_SIZE: u32 = 56;
export const DI_NBLOCKS: u32 = 64;
export const DI_NEXTENTS: u32 = 76;
export const DI_FORKOFF: u32 = 82;
export const DI_FLAGS: u32 = 90;
export const DI_GEN: u32 = 92;
export const DI_CRC: u32 = 100; // v3
export const DI_FLAGS2: u32 = 120; // v3
export const DI_INO: u32 = 152; // v3
export const DI_UUID: u32 = 160; // v3
export const DI_CORE_V2: u32 = 100; // the literal area (data fork) starts here in v1/v2 inodes
export const DI_CORE_V3: u32 = 176; // and here in v3 inodes

// di_format
export const FMT_DEV: u8 = 0;
export const FMT_LOCAL: u8 = 1;
export const FMT_EXTENTS: u8 = 2;
export const FMT_BTREE: u8 = 3;

// di_flags, di_flags2
export const DIFLAG_REALTIME: u32 = 0x1;
export const DIFLAG2_BIGTIME: u64 = 0x8;
export const DIFLAG2_NREXT64: u64 = 0x10;

// st_mode types
export const S_IFMT: u32 = 0o170000;
export const S_IFIFO: u32 = 0o010000;
export const S_IFCHR: u32 = 0o020000;
export const S_IFDIR: u32 = 0o040000;
export const S_IFBLK: u32 = 0o060000;
export const S_IFREG: u32 = 0o100000;
export const S_IFLNK: u32 = 0o120000;
export const S_IFSOCK: u32 = 0o140000;

// ---- extent records and the bmap B+tree (xfs_bmbt_rec, xfs_btree_block) -----------------
export const BMBT_REC_SIZE: u32 = 16;
export const BMAP_MAGIC: u32 = 0x424d4150; // "BMAP" (v4)
export const BMAP3_MAGIC: u32 = 0x424d4133; // "BMA3" (v5)
export const LBLOCK_HDR_V4: u32 = 24; // magic, level, numrecs, leftsib, rightsib
export const LBLOCK_HDR_V5: u32 = 72; // + blkno, lsn, uuid, owner, crc, pad
export const LBLOCK_CRC: u32 = 64;
export const LBLOCK_BLKNO: u32 = 24;
export const LBLOCK_OWNER: u32 = 56;
export const BMDR_HDR: u32 = 4; // the root in the inode: level, numrecs
export const BTREE_MAX_LEVELS: u32 = 9; // deeper than any bmap tree can be

// ---- directories (dir2 / dir3) -----------------------------------------------------------
export const DIR_LEAF_OFFSET: u64 = <u64>1 << 35; // byte offset where leaf blocks start (32 GiB)
export const DIR2_BLOCK_MAGIC: u32 = 0x58443242; // "XD2B": single-block directory (v4)
export const DIR3_BLOCK_MAGIC: u32 = 0x58444233; // "XDB3" (v5)
export const DIR2_DATA_MAGIC: u32 = 0x58443244; // "XD2D": data block of a larger directory (v4)
export const DIR3_DATA_MAGIC: u32 = 0x58444433; // "XDD3" (v5)
export const DIR2_DATA_HDR: u32 = 16; // magic + 3 bestfree
export const DIR3_DATA_HDR: u32 = 64; // magic, crc, blkno, lsn, uuid, owner, 3 bestfree, pad
export const DIR3_CRC: u32 = 4;
export const DIR3_BLKNO: u32 = 8;
export const DIR3_OWNER: u32 = 40;
export const DIR_BLOCK_TAIL: u32 = 8; // count, stale
export const DIR_LEAF_ENTRY: u32 = 8; // hashval, address
export const DIR_FREE_TAG: u32 = 0xffff;
export const NAME_MAX: u32 = 255;

// ---- symlinks ------------------------------------------------------------------------------
export const SYMLINK_MAXLEN: u32 = 1024;
export const SYMLINK_MAGIC: u32 = 0x58534c4d; // "XSLM" (v5 remote symlink blocks)
export const SYMLINK_HDR: u32 = 56; // magic, offset, bytes, crc, uuid, owner, blkno, lsn
export const SYMLINK_CRC: u32 = 12;

// ---- the log ------------------------------------------------------------------------------
export const LOG_MAGIC: u32 = 0xfeedbabe;
export const BBSIZE: u32 = 512; // the log's basic block
export const LOG_H_CYCLE: u32 = 4;
export const LOG_H_VERSION: u32 = 8;
export const LOG_H_LEN: u32 = 12;
export const LOG_H_NUM_LOGOPS: u32 = 40;
export const LOG_H_SIZE: u32 = 320;
export const LOG_OP_FLAGS: u32 = 9; // oh_flags in the first op header after the record header
export const LOG_UNMOUNT_TRANS: u32 = 0x20;
