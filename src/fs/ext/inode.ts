// Inodes: find one in its group's inode table, copy it out, check it, and decode the
// fields the reader uses. A handful of recent inodes are kept, so walking a path or a
// directory does not read the same inode twice.

import { Volume } from "./volume";
import { Groups, stripFlavor } from "./groups";
import {
  I_MODE, I_UID, I_SIZE_LO, I_MTIME, I_GID, I_LINKS_COUNT, I_FLAGS, I_BLOCK, I_GENERATION, I_SIZE_HIGH,
  I_UID_HIGH, I_GID_HIGH, I_CHECKSUM_LO, I_EXTRA_ISIZE, I_CHECKSUM_HI, GOOD_OLD_INODE_SIZE,
  S_IFMT, S_IFREG, S_IFDIR, S_IFLNK, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK,
  FT_UNKNOWN, FT_REG, FT_DIR, FT_CHRDEV, FT_BLKDEV, FT_FIFO, FT_SOCK, FT_SYMLINK,
  FL_EXTENTS, FL_INLINE_DATA,
} from "./layout";
import { crc32cUpdate, crc32cU32 } from "../../lib/crc32c";
import { hex } from "./format";

const ZERO4: usize = memory.data(4);

export class Inode {
  ino: u32 = 0;
  raw: usize = 0; // a private copy of the whole on-disk inode (s_inode_size bytes)
  mode: u16 = 0;
  flags: u32 = 0;
  size: u64 = 0;
  links: u16 = 0;
  uid: u32 = 0;
  gid: u32 = 0;
  mtime: u32 = 0;
  generation: u32 = 0;
  // Where the in-inode extended attributes start (128 + i_extra_isize), or 0 if there is
  // no valid room for them.
  xattrStart: u32 = 0;
  csumSeed: u32 = 0; // seed of this inode's extent and directory block checksums

  get fileType(): u16 { return this.mode & S_IFMT; }
  get isDir(): bool { return this.fileType == S_IFDIR; }
  get isReg(): bool { return this.fileType == S_IFREG; }
  get isSymlink(): bool { return this.fileType == S_IFLNK; }
  get hasExtents(): bool { return (this.flags & FL_EXTENTS) != 0; }
  get hasInlineData(): bool { return (this.flags & FL_INLINE_DATA) != 0; }
  get iblock(): usize { return this.raw + I_BLOCK; }

  // The directory-entry type code for this inode's mode.
  get ftype(): u8 {
    const t = this.fileType;
    if (t == S_IFREG) return FT_REG;
    if (t == S_IFDIR) return FT_DIR;
    if (t == S_IFLNK) return FT_SYMLINK;
    if (t == S_IFCHR) return FT_CHRDEV;
    if (t == S_IFBLK) return FT_BLKDEV;
    if (t == S_IFIFO) return FT_FIFO;
    if (t == S_IFSOCK) return FT_SOCK;
    return FT_UNKNOWN;
  }
}

// Inodes are kept in a small ring of slots, each with its own copy buffer, so reading
// inodes costs no memory after the first few (the runtime never frees). An Inode from get()
// stays valid until RECENT other inodes have been read: callers use it and let it go,
// never holding one across a loop of further lookups.
const RECENT: i32 = 8;

export class Inodes {
  vol: Volume;
  groups: Groups;
  private slots: StaticArray<Inode> = new StaticArray<Inode>(RECENT);
  private next: i32 = 0;

  constructor(vol: Volume, groups: Groups) {
    this.vol = vol;
    this.groups = groups;
    for (let i = 0; i < RECENT; i++) {
      const n = new Inode();
      n.raw = heap.alloc(vol.sb.inodeSize);
      unchecked(this.slots[i] = n);
    }
  }

  // Inode ino, or null and vol.error.
  get(ino: u32): Inode | null {
    if (ino != 0) {
      for (let i = 0; i < RECENT; i++) {
        const r = unchecked(this.slots[i]);
        if (r.ino == ino) return r;
      }
    }
    const node = unchecked(this.slots[this.next]);
    this.next = (this.next + 1) % RECENT;
    node.ino = 0; // invalid until loaded
    return this.load(ino, node) ? node : null;
  }

  private load(ino: u32, node: Inode): bool {
    const vol = this.vol;
    const sb = vol.sb;
    if (ino == 0 || ino > sb.inodesCount) {
      return vol.failed("inode " + ino.toString() + " does not exist (inodes 1 to " + sb.inodesCount.toString() + ")");
    }
    const g = (ino - 1) / sb.inodesPerGroup;
    const index = (ino - 1) % sb.inodesPerGroup;
    const table = this.groups.inodeTable(g);
    if (table == 0) return vol.failed("inode " + ino.toString() + ": " + stripFlavor(vol));
    if (this.groups.uninitialized(index)) {
      return vol.failed("inode " + ino.toString() + " is in the uninitialized part of group " + g.toString() + "'s inode table");
    }
    const byteInTable: u64 = <u64>index * sb.inodeSize;
    const blk = table + (byteInTable >> sb.logBlockSize);
    const p = vol.readMeta(blk);
    if (p == 0) return vol.failed("inode " + ino.toString() + ": inode table block " + blk.toString() + ": " + stripFlavor(vol));
    // The inode size is a power of two no larger than the block, so it never straddles one.
    memory.copy(node.raw, p + <usize>(byteInTable & (sb.blockSize - 1)), sb.inodeSize);
    const raw = node.raw;
    node.mode = load<u16>(raw + I_MODE);
    node.links = load<u16>(raw + I_LINKS_COUNT);
    node.flags = load<u32>(raw + I_FLAGS);
    node.size = <u64>load<u32>(raw + I_SIZE_LO) | (<u64>load<u32>(raw + I_SIZE_HIGH) << 32);
    node.uid = <u32>load<u16>(raw + I_UID) | (<u32>load<u16>(raw + I_UID_HIGH) << 16);
    node.gid = <u32>load<u16>(raw + I_GID) | (<u32>load<u16>(raw + I_GID_HIGH) << 16);
    node.mtime = load<u32>(raw + I_MTIME);
    node.generation = load<u32>(raw + I_GENERATION);
    node.xattrStart = 0;
    node.csumSeed = 0;

    let extra: u32 = 0;
    if (sb.inodeSize > GOOD_OLD_INODE_SIZE) {
      extra = load<u16>(raw + I_EXTRA_ISIZE);
      if (GOOD_OLD_INODE_SIZE + extra > sb.inodeSize || (extra & 3) != 0) {
        vol.warn("inode " + ino.toString() + ": bad i_extra_isize " + extra.toString() + " (ignored)");
        extra = 0;
      } else if (GOOD_OLD_INODE_SIZE + extra + 4 <= sb.inodeSize) {
        node.xattrStart = GOOD_OLD_INODE_SIZE + extra;
      }
    }
    if (node.mode == 0 && node.links == 0) return vol.failed("inode " + ino.toString() + " is not in use");
    if (node.links == 0) return vol.failed("inode " + ino.toString() + " is deleted (no links)");
    if (sb.metadataCsum) {
      node.csumSeed = crc32cU32(crc32cU32(sb.csumSeed, ino), node.generation);
      this.verify(node, ino, extra);
    }
    node.ino = ino;
    return true;
  }

  // metadata_csum: crc32c of the inode number, generation and the inode with its two
  // checksum halves left out; the high half exists only if i_extra_isize covers it.
  private verify(node: Inode, ino: u32, extra: u32): void {
    const sb = this.vol.sb;
    const raw = node.raw;
    const size = sb.inodeSize;
    let c = crc32cUpdate(node.csumSeed, raw, I_CHECKSUM_LO);
    c = crc32cUpdate(c, ZERO4, 2);
    c = crc32cUpdate(c, raw + I_CHECKSUM_LO + 2, GOOD_OLD_INODE_SIZE - I_CHECKSUM_LO - 2);
    let want = <u32>load<u16>(raw + I_CHECKSUM_LO);
    if (size > GOOD_OLD_INODE_SIZE) {
      const hasHi = extra >= 4;
      c = crc32cUpdate(c, raw + GOOD_OLD_INODE_SIZE, I_CHECKSUM_HI - GOOD_OLD_INODE_SIZE);
      let off = I_CHECKSUM_HI;
      if (hasHi) {
        c = crc32cUpdate(c, ZERO4, 2);
        off += 2;
        want |= <u32>load<u16>(raw + I_CHECKSUM_HI) << 16;
      }
      c = crc32cUpdate(c, raw + off, size - off);
      if (!hasHi) c &= 0xffff;
    } else {
      c &= 0xffff;
    }
    if (c != want) this.vol.warn("inode " + ino.toString() + " checksum " + hex(want, 8) + " does not match its contents (" + hex(c, 8) + ")");
  }
}
