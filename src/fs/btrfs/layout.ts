// btrfs on-disk constants: where the superblock copies are, the sizes of the tree node header,
// leaf items and key pointers, the item types and object ids the reader uses. Facts from the
// btrfs on-disk format documentation (btrfs-progs' Documentation/dev/On-disk-format.rst and
// the kernel's include/uapi/linux/btrfs_tree.h, read for facts only).

// The superblock: 4 KiB at 64 KiB, copies at 64 MiB and 256 GiB.
export const SUPER_SIZE: u32 = 4096;
export const SUPER_PRIMARY: u64 = 0x10000;
export const SUPER_COPY1: u64 = 0x4000000;
export const SUPER_COPY2: u64 = 0x4000000000;
export const MAGIC: u64 = 0x4d5f53665248425f; // "_BHRfS_M"

// Superblock field offsets.
export const SB_CSUM = 0x00;
export const SB_FSID = 0x20;
export const SB_BYTENR = 0x30;
export const SB_MAGIC = 0x40;
export const SB_GENERATION = 0x48;
export const SB_ROOT = 0x50;
export const SB_CHUNK_ROOT = 0x58;
export const SB_LOG_ROOT = 0x60;
export const SB_TOTAL_BYTES = 0x70;
export const SB_ROOT_DIR = 0x80;
export const SB_NUM_DEVICES = 0x88;
export const SB_SECTORSIZE = 0x90;
export const SB_NODESIZE = 0x94;
export const SB_SYS_ARRAY_SIZE = 0xa0;
export const SB_COMPAT_RO = 0xb4;
export const SB_INCOMPAT = 0xbc;
export const SB_CSUM_TYPE = 0xc4;
export const SB_ROOT_LEVEL = 0xc6;
export const SB_CHUNK_ROOT_LEVEL = 0xc7;
export const SB_DEV_ITEM = 0xc9; // a dev_item: devid at +0, uuid at +66
export const SB_LABEL = 0x12b; // 256 bytes
export const SB_METADATA_UUID = 0x23b;
export const SB_SYS_ARRAY = 0x32b; // 2048 bytes
export const SYS_ARRAY_MAX: u32 = 2048;

export const DEV_ITEM_UUID = 66;

// Incompatible features.
export const INCOMPAT_MIXED_BACKREF: u64 = 0x1;
export const INCOMPAT_DEFAULT_SUBVOL: u64 = 0x2;
export const INCOMPAT_MIXED_GROUPS: u64 = 0x4;
export const INCOMPAT_COMPRESS_LZO: u64 = 0x8;
export const INCOMPAT_COMPRESS_ZSTD: u64 = 0x10;
export const INCOMPAT_BIG_METADATA: u64 = 0x20;
export const INCOMPAT_EXTENDED_IREF: u64 = 0x40;
export const INCOMPAT_RAID56: u64 = 0x80;
export const INCOMPAT_SKINNY_METADATA: u64 = 0x100;
export const INCOMPAT_NO_HOLES: u64 = 0x200;
export const INCOMPAT_METADATA_UUID: u64 = 0x400;
export const INCOMPAT_RAID1C34: u64 = 0x800;
export const INCOMPAT_ZONED: u64 = 0x1000;
export const INCOMPAT_EXTENT_TREE_V2: u64 = 0x2000;
export const INCOMPAT_RAID_STRIPE_TREE: u64 = 0x4000;
export const INCOMPAT_SIMPLE_QUOTA: u64 = 0x10000;

// Tree nodes: a header, then items (leaves) or key pointers (internal nodes).
export const HDR_SIZE: u32 = 101;
export const HDR_CSUM = 0x00;
export const HDR_FSID = 0x20;
export const HDR_BYTENR = 0x30;
export const HDR_GENERATION = 0x50;
export const HDR_OWNER = 0x58;
export const HDR_NRITEMS = 0x60;
export const HDR_LEVEL = 0x64;
export const KEY_SIZE: u32 = 17; // objectid u64, type u8, offset u64
export const ITEM_SIZE: u32 = 25; // key, data offset u32 (from the header's end), size u32
export const PTR_SIZE: u32 = 33; // key, block pointer u64, generation u64
export const MAX_LEVEL: i32 = 8;

// Item types.
export const INODE_ITEM: u8 = 1;
export const INODE_REF: u8 = 12;
export const DIR_ITEM: u8 = 84;
export const DIR_INDEX: u8 = 96;
export const EXTENT_DATA: u8 = 108;
export const ROOT_ITEM: u8 = 132;
export const ROOT_BACKREF: u8 = 144;
export const ROOT_REF: u8 = 156;
export const DEV_ITEM: u8 = 216;
export const CHUNK_ITEM: u8 = 228;

// Object ids.
export const ROOT_TREE_OBJECTID: u64 = 1;
export const CHUNK_TREE_OBJECTID: u64 = 3;
export const DEV_ITEMS_OBJECTID: u64 = 1;
export const FS_TREE_OBJECTID: u64 = 5;
export const ROOT_TREE_DIR_OBJECTID: u64 = 6;
export const FIRST_FREE_OBJECTID: u64 = 256;
export const FIRST_CHUNK_TREE_OBJECTID: u64 = 256;
export const EMPTY_SUBVOL_DIR_OBJECTID: u64 = 2; // what a snapshot shows for a nested subvolume
export const LAST_FREE_OBJECTID: u64 = 0xffffffffffffff00; // -256

// Chunk items: length, owner, stripe_len, type, io_align, io_width, sector_size, num_stripes
// u16 at 44, sub_stripes u16 at 46, then 32-byte stripes (devid, offset, dev_uuid).
export const CHUNK_LENGTH = 0;
export const CHUNK_TYPE = 24;
export const CHUNK_NUM_STRIPES = 44;
export const CHUNK_HDR: u32 = 48;
export const STRIPE_SIZE: u32 = 32;
export const BG_DATA: u64 = 0x1;
export const BG_SYSTEM: u64 = 0x2;
export const BG_METADATA: u64 = 0x4;
export const BG_RAID0: u64 = 0x8;
export const BG_RAID1: u64 = 0x10;
export const BG_DUP: u64 = 0x20;
export const BG_RAID10: u64 = 0x40;
export const BG_RAID5: u64 = 0x80;
export const BG_RAID6: u64 = 0x100;
export const BG_RAID1C3: u64 = 0x200;
export const BG_RAID1C4: u64 = 0x400;

// Root items (the root tree's description of each tree): an inode item (160 bytes), then
// generation, root_dirid, bytenr, byte_limit, bytes_used, last_snapshot, flags, refs,
// drop_progress (a key), drop_level, level.
export const ROOT_ITEM_DIRID = 168;
export const ROOT_ITEM_BYTENR = 176;
export const ROOT_ITEM_LEVEL = 238;
export const ROOT_ITEM_MIN: u32 = 239;

// Inode items (160 bytes).
export const INODE_SIZE = 16;
export const INODE_NBYTES = 24;
export const INODE_NLINK = 40;
export const INODE_UID = 44;
export const INODE_GID = 48;
export const INODE_MODE = 52;
export const INODE_FLAGS = 64;
export const INODE_MTIME = 136;
export const INODE_ITEM_SIZE: u32 = 160;

// Directory items: location key, transid u64, data_len u16, name_len u16, type u8, name, data.
export const DIR_LOCATION = 0;
export const DIR_DATA_LEN = 25;
export const DIR_NAME_LEN = 27;
export const DIR_TYPE = 29;
export const DIR_HDR: u32 = 30;
export const NAME_MAX: u32 = 255;

// File extent items: generation, ram_bytes, compression u8, encryption u8, other_encoding
// u16, type u8; inline data follows at 21; regular and prealloc extents have disk_bytenr,
// disk_num_bytes, offset, num_bytes.
export const FE_RAM_BYTES = 8;
export const FE_COMPRESSION = 16;
export const FE_ENCRYPTION = 17;
export const FE_OTHER_ENCODING = 18;
export const FE_TYPE = 20;
export const FE_INLINE_DATA: u32 = 21;
export const FE_DISK_BYTENR = 21;
export const FE_DISK_NUM_BYTES = 29;
export const FE_OFFSET = 37;
export const FE_NUM_BYTES = 45;
export const FE_REG_SIZE: u32 = 53;
export const FE_INLINE: u8 = 0;
export const FE_REG: u8 = 1;
export const FE_PREALLOC: u8 = 2;

export const COMPRESS_NONE: u8 = 0;
export const COMPRESS_ZLIB: u8 = 1;
export const COMPRESS_LZO: u8 = 2;
export const COMPRESS_ZSTD: u8 = 3;
// The largest a compressed extent holds, uncompressed and compressed (the kernel's limit).
export const COMPRESSED_MAX: u32 = 128 * 1024;

// Checksum types.
export const CSUM_CRC32C: u16 = 0;
export const CSUM_XXHASH: u16 = 1;
export const CSUM_SHA256: u16 = 2;
export const CSUM_BLAKE2: u16 = 3;

// Mode bits.
export const S_IFMT: u32 = 0xf000;
export const S_IFDIR: u32 = 0x4000;
export const S_IFREG: u32 = 0x8000;
export const S_IFLNK: u32 = 0xa000;
