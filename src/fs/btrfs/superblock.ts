// The btrfs superblock (struct btrfs_super_block): 4 KiB at 64 KiB with copies at 64 MiB and
// 256 GiB. Each copy present in the source is checked (magic, its own byte offset, checksum,
// sizes); the valid one with the highest generation is used, and a bad or older primary is a
// warning. Incompatible features the reader does not know, or cannot read, refuse the mount.

import { BlockSource } from "../../disk/source";
import { hex } from "../ext/format";
import { csumName, csumKnown, blockCsumOk, computeCsum, csumSize, csumHex } from "./checksum";
import {
  SUPER_SIZE, SUPER_PRIMARY, SUPER_COPY1, SUPER_COPY2, MAGIC, SB_FSID, SB_BYTENR, SB_MAGIC, SB_GENERATION, SB_ROOT,
  SB_CHUNK_ROOT, SB_LOG_ROOT, SB_TOTAL_BYTES, SB_NUM_DEVICES, SB_SECTORSIZE, SB_NODESIZE, SB_SYS_ARRAY_SIZE,
  SB_COMPAT_RO, SB_INCOMPAT, SB_CSUM_TYPE, SB_ROOT_LEVEL, SB_CHUNK_ROOT_LEVEL, SB_DEV_ITEM, SB_LABEL, SB_METADATA_UUID,
  SYS_ARRAY_MAX, DEV_ITEM_UUID, MAX_LEVEL, INCOMPAT_METADATA_UUID, INCOMPAT_EXTENT_TREE_V2, INCOMPAT_RAID_STRIPE_TREE,
  INCOMPAT_MIXED_BACKREF, INCOMPAT_DEFAULT_SUBVOL, INCOMPAT_MIXED_GROUPS, INCOMPAT_COMPRESS_LZO, INCOMPAT_COMPRESS_ZSTD,
  INCOMPAT_BIG_METADATA, INCOMPAT_EXTENDED_IREF, INCOMPAT_RAID56, INCOMPAT_SKINNY_METADATA, INCOMPAT_NO_HOLES,
  INCOMPAT_RAID1C34, INCOMPAT_ZONED, INCOMPAT_SIMPLE_QUOTA,
} from "./layout";

const KNOWN_INCOMPAT: u64 = INCOMPAT_MIXED_BACKREF | INCOMPAT_DEFAULT_SUBVOL | INCOMPAT_MIXED_GROUPS |
  INCOMPAT_COMPRESS_LZO | INCOMPAT_COMPRESS_ZSTD | INCOMPAT_BIG_METADATA | INCOMPAT_EXTENDED_IREF | INCOMPAT_RAID56 |
  INCOMPAT_SKINNY_METADATA | INCOMPAT_NO_HOLES | INCOMPAT_METADATA_UUID | INCOMPAT_RAID1C34 | INCOMPAT_ZONED |
  INCOMPAT_SIMPLE_QUOTA;

const INCOMPAT_NAMES: string[] = ["mixed_backref", "default_subvol", "mixed_groups", "compress_lzo", "compress_zstd",
  "big_metadata", "extended_iref", "raid56", "skinny_metadata", "no_holes", "metadata_uuid", "raid1c34", "zoned",
  "extent_tree_v2", "raid_stripe_tree", "", "simple_quota"];

export function uuidString(p: usize): string {
  let s = "";
  for (let i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s += "-";
    const b = <u32>load<u8>(p + i);
    s += (b < 16 ? "0" : "") + b.toString(16);
  }
  return s;
}

function isPow2(x: u32): bool {
  return x != 0 && (x & (x - 1)) == 0;
}

export class Superblock {
  raw: usize = 0; // the chosen copy, SUPER_SIZE bytes
  at: u64 = 0; // its offset
  csumType: u16 = 0;
  generation: u64 = 0;
  root: u64 = 0;
  rootLevel: u8 = 0;
  chunkRoot: u64 = 0;
  chunkRootLevel: u8 = 0;
  logRoot: u64 = 0;
  totalBytes: u64 = 0;
  numDevices: u64 = 0;
  sectorSize: u32 = 0;
  nodeSize: u32 = 0;
  sysArraySize: u32 = 0;
  incompat: u64 = 0;
  compatRo: u64 = 0;
  devid: u64 = 0;
  devUuid: string = "";
  label: string = "";
  uuid: string = "";
  metaFsid: usize = 0; // the fsid tree blocks carry (metadata_uuid when that feature is on)

  get features(): string {
    let s = "";
    for (let i = 0; i < INCOMPAT_NAMES.length; i++) {
      if ((this.incompat & (<u64>1 << i)) != 0 && INCOMPAT_NAMES[i].length > 0) s += (s.length > 0 ? " " : "") + INCOMPAT_NAMES[i];
    }
    return s;
  }

  // Check one copy (SUPER_SIZE bytes at p, read from offset `at`): null, or why not.
  static check(p: usize, at: u64): string | null {
    if (load<u64>(p + SB_MAGIC) != MAGIC) return "no btrfs magic";
    if (load<u64>(p + SB_BYTENR) != at) return "it records offset " + load<u64>(p + SB_BYTENR).toString() + ", not " + at.toString();
    const t = load<u16>(p + SB_CSUM_TYPE);
    if (!csumKnown(t)) return "unknown checksum type " + t.toString();
    if (!blockCsumOk(t, p, SUPER_SIZE)) {
      const d = computeCsum(t, p + 0x20, SUPER_SIZE - 0x20);
      return csumName(t) + " checksum mismatch (stored " + csumHex(t, p) + ", computed " + csumHex(t, d) + ")";
    }
    return null;
  }

  // Read every copy the source holds and keep the best. null, or why the mount is refused.
  load(src: BlockSource, warnings: string[]): string | null {
    const offsets: u64[] = [SUPER_PRIMARY, SUPER_COPY1, SUPER_COPY2];
    let best: usize = 0;
    let bestAt: u64 = 0;
    let bestGen: u64 = 0;
    let primaryWhy: string | null = null;
    let found = 0;
    const buf = heap.alloc(SUPER_SIZE * 3);
    for (let i = 0; i < 3; i++) {
      const at = offsets[i];
      const p = buf + <usize>i * SUPER_SIZE;
      if (at + <u64>SUPER_SIZE > src.size) {
        if (i == 0) primaryWhy = "the source is too small (" + src.size.toString() + " bytes)";
        continue;
      }
      const err = src.read(at, SUPER_SIZE, p);
      let why: string | null = err != null ? err : Superblock.check(p, at);
      if (why == null) {
        found++;
        const gen = load<u64>(p + SB_GENERATION);
        if (best == 0 || gen > bestGen) {
          best = p;
          bestAt = at;
          bestGen = gen;
        }
      } else if (i == 0) primaryWhy = why;
      else if (load<u64>(p + SB_MAGIC) == MAGIC) warnings.push("btrfs: superblock copy at " + at.toString() + ": " + why);
    }
    if (best == 0) return "btrfs: superblock at " + SUPER_PRIMARY.toString() + ": " + primaryWhy!;
    if (primaryWhy != null) warnings.push("btrfs: primary superblock at 65536: " + primaryWhy + "; using the copy at " + bestAt.toString());
    else if (bestAt != SUPER_PRIMARY) warnings.push("btrfs: the superblock copy at " + bestAt.toString() + " is newer (generation " + bestGen.toString() + ") than the primary; using it");
    this.raw = best;
    this.at = bestAt;
    return this.parse();
  }

  private parse(): string | null {
    const p = this.raw;
    const F = "btrfs: superblock at " + this.at.toString() + ": ";
    this.csumType = load<u16>(p + SB_CSUM_TYPE);
    this.generation = load<u64>(p + SB_GENERATION);
    this.root = load<u64>(p + SB_ROOT);
    this.rootLevel = load<u8>(p + SB_ROOT_LEVEL);
    this.chunkRoot = load<u64>(p + SB_CHUNK_ROOT);
    this.chunkRootLevel = load<u8>(p + SB_CHUNK_ROOT_LEVEL);
    this.logRoot = load<u64>(p + SB_LOG_ROOT);
    this.totalBytes = load<u64>(p + SB_TOTAL_BYTES);
    this.numDevices = load<u64>(p + SB_NUM_DEVICES);
    this.sectorSize = load<u32>(p + SB_SECTORSIZE);
    this.nodeSize = load<u32>(p + SB_NODESIZE);
    this.sysArraySize = load<u32>(p + SB_SYS_ARRAY_SIZE);
    this.incompat = load<u64>(p + SB_INCOMPAT);
    this.compatRo = load<u64>(p + SB_COMPAT_RO);
    this.devid = load<u64>(p + SB_DEV_ITEM);
    this.devUuid = uuidString(p + SB_DEV_ITEM + DEV_ITEM_UUID);
    this.uuid = uuidString(p + SB_FSID);
    this.metaFsid = (this.incompat & INCOMPAT_METADATA_UUID) != 0 ? p + SB_METADATA_UUID : p + SB_FSID;
    let n = 0;
    while (n < 256 && load<u8>(p + SB_LABEL + n) != 0) n++;
    this.label = String.UTF8.decodeUnsafe(p + SB_LABEL, n, false);

    if (!isPow2(this.sectorSize) || this.sectorSize < 4096 || this.sectorSize > 65536)
      return F + "sector size " + this.sectorSize.toString() + " is not a power of two from 4096 to 65536";
    if (!isPow2(this.nodeSize) || this.nodeSize < this.sectorSize || this.nodeSize > 65536)
      return F + "node size " + this.nodeSize.toString() + " is not a power of two from the sector size to 65536";
    if (this.sysArraySize > SYS_ARRAY_MAX) return F + "sys_chunk_array_size " + this.sysArraySize.toString() + " is above " + SYS_ARRAY_MAX.toString();
    if (<i32>this.rootLevel >= MAX_LEVEL || <i32>this.chunkRootLevel >= MAX_LEVEL)
      return F + "tree level " + max<u32>(this.rootLevel, this.chunkRootLevel).toString() + " is " + MAX_LEVEL.toString() + " or more";
    const unknown = this.incompat & ~KNOWN_INCOMPAT & ~INCOMPAT_EXTENT_TREE_V2 & ~INCOMPAT_RAID_STRIPE_TREE;
    if (unknown != 0) return "btrfs: unknown incompatible features " + hex(unknown) + ": cannot read it";
    if ((this.incompat & INCOMPAT_EXTENT_TREE_V2) != 0) return "btrfs: incompatible feature extent_tree_v2 is not supported";
    if ((this.incompat & INCOMPAT_RAID_STRIPE_TREE) != 0) return "btrfs: incompatible feature raid_stripe_tree is not supported";
    if (csumSize(this.csumType) == 0) return F + "bad checksum type";
    return null;
  }
}
