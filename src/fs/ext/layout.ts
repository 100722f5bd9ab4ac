// ext2/3/4 on-disk layout: the offsets, magic numbers and flag bits this reader uses.
// Facts from the format's public description (Linux Documentation/filesystems/ext4,
// e2fsprogs' ext2_fs.h); every multi-byte field is little-endian, as wasm loads are.

// The superblock: 1024 bytes at byte 1024 of the filesystem, whatever the block size.
export const SB_OFFSET: u32 = 1024;
export const SB_SIZE: u32 = 1024;
export const SB_MAGIC: u16 = 0xef53;

export const S_INODES_COUNT: u32 = 0x00;
export const S_BLOCKS_COUNT_LO: u32 = 0x04;
export const S_FIRST_DATA_BLOCK: u32 = 0x14;
export const S_LOG_BLOCK_SIZE: u32 = 0x18;
export const S_LOG_CLUSTER_SIZE: u32 = 0x1c;
export const S_BLOCKS_PER_GROUP: u32 = 0x20;
export const S_CLUSTERS_PER_GROUP: u32 = 0x24;
export const S_INODES_PER_GROUP: u32 = 0x28;
export const S_MAGIC: u32 = 0x38;
export const S_STATE: u32 = 0x3a;
export const S_REV_LEVEL: u32 = 0x4c;
export const S_FIRST_INO: u32 = 0x54;
export const S_INODE_SIZE: u32 = 0x58;
export const S_FEATURE_COMPAT: u32 = 0x5c;
export const S_FEATURE_INCOMPAT: u32 = 0x60;
export const S_FEATURE_RO_COMPAT: u32 = 0x64;
export const S_UUID: u32 = 0x68;
export const S_VOLUME_NAME: u32 = 0x78;
export const S_DESC_SIZE: u32 = 0xfe;
export const S_FIRST_META_BG: u32 = 0x104;
export const S_BLOCKS_COUNT_HI: u32 = 0x150;
export const S_MIN_EXTRA_ISIZE: u32 = 0x15c;
export const S_LOG_GROUPS_PER_FLEX: u32 = 0x174;
export const S_CHECKSUM_TYPE: u32 = 0x175;
export const S_BACKUP_BGS: u32 = 0x24c;
export const S_CHECKSUM_SEED: u32 = 0x270;
export const S_ENCODING: u32 = 0x27c;
export const S_CHECKSUM: u32 = 0x3fc;

export const STATE_VALID: u16 = 0x0001;
export const STATE_ERROR: u16 = 0x0002;

export const GOOD_OLD_REV: u32 = 0;
export const GOOD_OLD_INODE_SIZE: u32 = 128;
export const GOOD_OLD_FIRST_INO: u32 = 11;
export const ROOT_INO: u32 = 2;

// s_feature_compat
export const COMPAT_DIR_PREALLOC: u32 = 0x0001;
export const COMPAT_IMAGIC_INODES: u32 = 0x0002;
export const COMPAT_HAS_JOURNAL: u32 = 0x0004;
export const COMPAT_EXT_ATTR: u32 = 0x0008;
export const COMPAT_RESIZE_INODE: u32 = 0x0010;
export const COMPAT_DIR_INDEX: u32 = 0x0020;
export const COMPAT_LAZY_BG: u32 = 0x0040;
export const COMPAT_EXCLUDE_INODE: u32 = 0x0080;
export const COMPAT_EXCLUDE_BITMAP: u32 = 0x0100;
export const COMPAT_SPARSE_SUPER2: u32 = 0x0200;
export const COMPAT_FAST_COMMIT: u32 = 0x0400;
export const COMPAT_STABLE_INODES: u32 = 0x0800;
export const COMPAT_ORPHAN_FILE: u32 = 0x1000;

// s_feature_ro_compat: all readable by definition (they only forbid writing).
export const RO_COMPAT_SPARSE_SUPER: u32 = 0x0001;
export const RO_COMPAT_LARGE_FILE: u32 = 0x0002;
export const RO_COMPAT_BTREE_DIR: u32 = 0x0004;
export const RO_COMPAT_HUGE_FILE: u32 = 0x0008;
export const RO_COMPAT_GDT_CSUM: u32 = 0x0010;
export const RO_COMPAT_DIR_NLINK: u32 = 0x0020;
export const RO_COMPAT_EXTRA_ISIZE: u32 = 0x0040;
export const RO_COMPAT_HAS_SNAPSHOT: u32 = 0x0080;
export const RO_COMPAT_QUOTA: u32 = 0x0100;
export const RO_COMPAT_BIGALLOC: u32 = 0x0200;
export const RO_COMPAT_METADATA_CSUM: u32 = 0x0400;
export const RO_COMPAT_REPLICA: u32 = 0x0800;
export const RO_COMPAT_READONLY: u32 = 0x1000;
export const RO_COMPAT_PROJECT: u32 = 0x2000;
export const RO_COMPAT_SHARED_BLOCKS: u32 = 0x4000;
export const RO_COMPAT_VERITY: u32 = 0x8000;
export const RO_COMPAT_ORPHAN_PRESENT: u32 = 0x10000;

// s_feature_incompat: a reader must understand every bit that is set.
export const INCOMPAT_COMPRESSION: u32 = 0x0001;
export const INCOMPAT_FILETYPE: u32 = 0x0002;
export const INCOMPAT_RECOVER: u32 = 0x0004;
export const INCOMPAT_JOURNAL_DEV: u32 = 0x0008;
export const INCOMPAT_META_BG: u32 = 0x0010;
export const INCOMPAT_EXTENTS: u32 = 0x0040;
export const INCOMPAT_64BIT: u32 = 0x0080;
export const INCOMPAT_MMP: u32 = 0x0100;
export const INCOMPAT_FLEX_BG: u32 = 0x0200;
export const INCOMPAT_EA_INODE: u32 = 0x0400;
export const INCOMPAT_DIRDATA: u32 = 0x1000;
export const INCOMPAT_CSUM_SEED: u32 = 0x2000;
export const INCOMPAT_LARGEDIR: u32 = 0x4000;
export const INCOMPAT_INLINE_DATA: u32 = 0x8000;
export const INCOMPAT_ENCRYPT: u32 = 0x10000;
export const INCOMPAT_CASEFOLD: u32 = 0x20000;

// Group descriptor (32 bytes; 64 or more with the 64bit feature).
export const BG_BLOCK_BITMAP_LO: u32 = 0x00;
export const BG_INODE_TABLE_LO: u32 = 0x08;
export const BG_FLAGS: u32 = 0x12;
export const BG_ITABLE_UNUSED_LO: u32 = 0x1c;
export const BG_CHECKSUM: u32 = 0x1e;
export const BG_INODE_TABLE_HI: u32 = 0x28;
export const BG_ITABLE_UNUSED_HI: u32 = 0x32;
export const BG_INODE_UNINIT: u16 = 0x0001;
export const DESC_SIZE_MIN: u32 = 32;
export const DESC_SIZE_MIN_64BIT: u32 = 64;
export const DESC_SIZE_MAX: u32 = 1024;

// Inode.
export const I_MODE: u32 = 0x00;
export const I_UID: u32 = 0x02;
export const I_SIZE_LO: u32 = 0x04;
export const I_MTIME: u32 = 0x10;
export const I_DTIME: u32 = 0x14;
export const I_GID: u32 = 0x18;
export const I_LINKS_COUNT: u32 = 0x1a;
export const I_FLAGS: u32 = 0x20;
export const I_BLOCK: u32 = 0x28;
export const I_BLOCK_SIZE: u32 = 60;
export const I_GENERATION: u32 = 0x64;
export const I_SIZE_HIGH: u32 = 0x6c;
export const I_UID_HIGH: u32 = 0x78;
export const I_GID_HIGH: u32 = 0x7a;
export const I_CHECKSUM_LO: u32 = 0x7c;
export const I_EXTRA_ISIZE: u32 = 0x80;
export const I_CHECKSUM_HI: u32 = 0x82;

export const S_IFMT: u16 = 0xf000;
export const S_IFIFO: u16 = 0x1000;
export const S_IFCHR: u16 = 0x2000;
export const S_IFDIR: u16 = 0x4000;
export const S_IFBLK: u16 = 0x6000;
export const S_IFREG: u16 = 0x8000;
export const S_IFLNK: u16 = 0xa000;
export const S_IFSOCK: u16 = 0xc000;

export const FL_COMPR: u32 = 0x00000004;
export const FL_INDEX: u32 = 0x00001000;
export const FL_ENCRYPT: u32 = 0x00000800;
export const FL_EXTENTS: u32 = 0x00080000;
export const FL_VERITY: u32 = 0x00100000;
export const FL_EA_INODE: u32 = 0x00200000;
export const FL_INLINE_DATA: u32 = 0x10000000;
export const FL_CASEFOLD: u32 = 0x40000000;

// Extended attributes kept in the inode body, after the 128 fixed bytes and i_extra_isize.
export const XATTR_MAGIC: u32 = 0xea020000;
export const XATTR_ENTRY_SIZE: u32 = 16; // e_name_len, e_name_index, e_value_offs, e_value_inum, e_value_size, e_hash
export const XATTR_INDEX_SYSTEM: u8 = 7; // "system." (inline data lives in system.data)

// Extent tree nodes.
export const EXT_MAGIC: u16 = 0xf30a;
export const EXT_HEADER_SIZE: u32 = 12;
export const EXT_ENTRY_SIZE: u32 = 12;
export const EXT_MAX_DEPTH: u32 = 5;
export const EXT_INIT_MAX_LEN: u32 = 32768; // ee_len above this: an uninitialized (unwritten) extent

// Directory entries.
export const DIRENT_HEADER: u32 = 8; // inode u32, rec_len u16, name_len u8, file_type u8
export const DIRENT_MIN: u32 = 12;
export const DIRENT_NAME_MAX: u32 = 255;
export const DIR_TAIL_SIZE: u32 = 12;
export const DIR_TAIL_FT: u8 = 0xde; // the fake entry that holds a leaf block's checksum

// Directory entry file types (and the types this reader reports).
export const FT_UNKNOWN: u8 = 0;
export const FT_REG: u8 = 1;
export const FT_DIR: u8 = 2;
export const FT_CHRDEV: u8 = 3;
export const FT_BLKDEV: u8 = 4;
export const FT_FIFO: u8 = 5;
export const FT_SOCK: u8 = 6;
export const FT_SYMLINK: u8 = 7;
export const FT_MASK: u8 = 0x0f; // dirdata keeps flags in the high bits

// Symlink targets longer than this are refused (the VFS limit, NUL included).
export const SYMLINK_MAX: u32 = 4096;
