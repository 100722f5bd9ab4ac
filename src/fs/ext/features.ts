// Feature bits: their names (for messages) and which of them this reader can read.

import {
  COMPAT_DIR_PREALLOC, COMPAT_IMAGIC_INODES, COMPAT_HAS_JOURNAL, COMPAT_EXT_ATTR, COMPAT_RESIZE_INODE,
  COMPAT_DIR_INDEX, COMPAT_LAZY_BG, COMPAT_EXCLUDE_INODE, COMPAT_EXCLUDE_BITMAP, COMPAT_SPARSE_SUPER2,
  COMPAT_FAST_COMMIT, COMPAT_STABLE_INODES, COMPAT_ORPHAN_FILE,
  RO_COMPAT_SPARSE_SUPER, RO_COMPAT_LARGE_FILE, RO_COMPAT_BTREE_DIR, RO_COMPAT_HUGE_FILE, RO_COMPAT_GDT_CSUM,
  RO_COMPAT_DIR_NLINK, RO_COMPAT_EXTRA_ISIZE, RO_COMPAT_HAS_SNAPSHOT, RO_COMPAT_QUOTA, RO_COMPAT_BIGALLOC,
  RO_COMPAT_METADATA_CSUM, RO_COMPAT_REPLICA, RO_COMPAT_READONLY, RO_COMPAT_PROJECT, RO_COMPAT_SHARED_BLOCKS,
  RO_COMPAT_VERITY, RO_COMPAT_ORPHAN_PRESENT,
  INCOMPAT_COMPRESSION, INCOMPAT_FILETYPE, INCOMPAT_RECOVER, INCOMPAT_JOURNAL_DEV, INCOMPAT_META_BG,
  INCOMPAT_EXTENTS, INCOMPAT_64BIT, INCOMPAT_MMP, INCOMPAT_FLEX_BG, INCOMPAT_EA_INODE, INCOMPAT_DIRDATA,
  INCOMPAT_CSUM_SEED, INCOMPAT_LARGEDIR, INCOMPAT_INLINE_DATA, INCOMPAT_ENCRYPT, INCOMPAT_CASEFOLD,
} from "./layout";
import { hex } from "./format";

// Incompatible features this reader handles. Everything else set in s_feature_incompat
// makes the mount fail, naming the feature:
//   compression  never finished in Linux; the data would come out compressed
//   journal_dev  the device is an external journal, not a filesystem
//   encrypt      file names and contents are ciphertext without the user's key
// casefold is accepted: directories marked casefolded are refused where a path crosses them
// (lookups there are case-insensitive, which this reader does not do); dirdata only adds
// bytes after names (inside rec_len) and flag bits above the file type, both ignored.
export const INCOMPAT_SUPPORTED: u32 =
  INCOMPAT_FILETYPE | INCOMPAT_RECOVER | INCOMPAT_META_BG | INCOMPAT_EXTENTS | INCOMPAT_64BIT |
  INCOMPAT_MMP | INCOMPAT_FLEX_BG | INCOMPAT_EA_INODE | INCOMPAT_DIRDATA | INCOMPAT_CSUM_SEED |
  INCOMPAT_LARGEDIR | INCOMPAT_INLINE_DATA | INCOMPAT_CASEFOLD;

function compatName(bit: u32): string {
  if (bit == COMPAT_DIR_PREALLOC) return "dir_prealloc";
  if (bit == COMPAT_IMAGIC_INODES) return "imagic_inodes";
  if (bit == COMPAT_HAS_JOURNAL) return "has_journal";
  if (bit == COMPAT_EXT_ATTR) return "ext_attr";
  if (bit == COMPAT_RESIZE_INODE) return "resize_inode";
  if (bit == COMPAT_DIR_INDEX) return "dir_index";
  if (bit == COMPAT_LAZY_BG) return "lazy_bg";
  if (bit == COMPAT_EXCLUDE_INODE) return "exclude_inode";
  if (bit == COMPAT_EXCLUDE_BITMAP) return "exclude_bitmap";
  if (bit == COMPAT_SPARSE_SUPER2) return "sparse_super2";
  if (bit == COMPAT_FAST_COMMIT) return "fast_commit";
  if (bit == COMPAT_STABLE_INODES) return "stable_inodes";
  if (bit == COMPAT_ORPHAN_FILE) return "orphan_file";
  return "compat_" + hex(bit, 8);
}

function roCompatName(bit: u32): string {
  if (bit == RO_COMPAT_SPARSE_SUPER) return "sparse_super";
  if (bit == RO_COMPAT_LARGE_FILE) return "large_file";
  if (bit == RO_COMPAT_BTREE_DIR) return "btree_dir";
  if (bit == RO_COMPAT_HUGE_FILE) return "huge_file";
  if (bit == RO_COMPAT_GDT_CSUM) return "uninit_bg";
  if (bit == RO_COMPAT_DIR_NLINK) return "dir_nlink";
  if (bit == RO_COMPAT_EXTRA_ISIZE) return "extra_isize";
  if (bit == RO_COMPAT_HAS_SNAPSHOT) return "snapshot";
  if (bit == RO_COMPAT_QUOTA) return "quota";
  if (bit == RO_COMPAT_BIGALLOC) return "bigalloc";
  if (bit == RO_COMPAT_METADATA_CSUM) return "metadata_csum";
  if (bit == RO_COMPAT_REPLICA) return "replica";
  if (bit == RO_COMPAT_READONLY) return "read-only";
  if (bit == RO_COMPAT_PROJECT) return "project";
  if (bit == RO_COMPAT_SHARED_BLOCKS) return "shared_blocks";
  if (bit == RO_COMPAT_VERITY) return "verity";
  if (bit == RO_COMPAT_ORPHAN_PRESENT) return "orphan_present";
  return "ro_compat_" + hex(bit, 8);
}

function incompatName(bit: u32): string {
  if (bit == INCOMPAT_COMPRESSION) return "compression";
  if (bit == INCOMPAT_FILETYPE) return "filetype";
  if (bit == INCOMPAT_RECOVER) return "needs_recovery";
  if (bit == INCOMPAT_JOURNAL_DEV) return "journal_dev";
  if (bit == INCOMPAT_META_BG) return "meta_bg";
  if (bit == INCOMPAT_EXTENTS) return "extent";
  if (bit == INCOMPAT_64BIT) return "64bit";
  if (bit == INCOMPAT_MMP) return "mmp";
  if (bit == INCOMPAT_FLEX_BG) return "flex_bg";
  if (bit == INCOMPAT_EA_INODE) return "ea_inode";
  if (bit == INCOMPAT_DIRDATA) return "dirdata";
  if (bit == INCOMPAT_CSUM_SEED) return "metadata_csum_seed";
  if (bit == INCOMPAT_LARGEDIR) return "large_dir";
  if (bit == INCOMPAT_INLINE_DATA) return "inline_data";
  if (bit == INCOMPAT_ENCRYPT) return "encrypt";
  if (bit == INCOMPAT_CASEFOLD) return "casefold";
  return "incompat_" + hex(bit, 8);
}

// "has_journal ext_attr ... metadata_csum": the names of every bit set, in the order
// dumpe2fs prints them (compat, incompat, ro_compat).
export function featureNames(compat: u32, incompat: u32, roCompat: u32): string {
  let s = "";
  for (let i: u32 = 0; i < 32; i++) {
    const bit: u32 = 1 << i;
    if ((compat & bit) != 0) s += (s.length > 0 ? " " : "") + compatName(bit);
  }
  for (let i: u32 = 0; i < 32; i++) {
    const bit: u32 = 1 << i;
    if ((incompat & bit) != 0) s += (s.length > 0 ? " " : "") + incompatName(bit);
  }
  for (let i: u32 = 0; i < 32; i++) {
    const bit: u32 = 1 << i;
    if ((roCompat & bit) != 0) s += (s.length > 0 ? " " : "") + roCompatName(bit);
  }
  return s.length > 0 ? s : "(none)";
}

// The incompatible features set that this reader cannot read, named, or "" if none.
export function unsupportedIncompat(incompat: u32): string {
  const bad = incompat & ~INCOMPAT_SUPPORTED;
  let s = "";
  for (let i: u32 = 0; i < 32; i++) {
    const bit: u32 = 1 << i;
    if ((bad & bit) != 0) s += (s.length > 0 ? ", " : "") + incompatName(bit);
  }
  return s;
}

// Unknown read-only-compatible bits: readable (that is what ro_compat promises), worth a warning.
export const RO_COMPAT_KNOWN: u32 = 0x1ffff;
export function unknownRoCompat(roCompat: u32): string {
  const bad = roCompat & ~RO_COMPAT_KNOWN;
  let s = "";
  for (let i: u32 = 0; i < 32; i++) {
    const bit: u32 = 1 << i;
    if ((bad & bit) != 0) s += (s.length > 0 ? ", " : "") + roCompatName(bit);
  }
  return s;
}
