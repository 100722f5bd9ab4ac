// File data: the EXTENT_DATA items of an inode (struct btrfs_file_extent_item, key (ino,
// EXTENT_DATA, file offset)). Inline extents hold their bytes in the item; regular extents
// point at [disk_bytenr, + disk_num_bytes) of which the file uses num_bytes from `offset` on
// (of the decompressed data when compressed); prealloc extents and disk_bytenr 0 (a hole)
// read as zeros, and so do ranges no item covers (the no_holes feature omits hole items).
//
// A read copies in each extent that overlaps the range, in file order, and zero-fills what no
// extent gives (holes, prealloc extents, the end of a short compressed extent) as it goes:
// uncompressed data straight from the device into the caller's memory, compressed extents
// through Decompressor (the last one decompressed is kept, so sequential reads of one extent
// decompress it once). Bounded: the items walked for one read are at most the range's
// sectors plus a few.
//
// With sums (a file without the NODATASUM flag), the bytes of regular extents read from the
// disk are checked against the csum tree (csum.ts): the part of the extent read, or all of a
// compressed extent before it is decompressed. Inline extents are covered by the leaf's own
// checksum.

import { Volume } from "./volume";
import { Cursor } from "./tree";
import { Decompressor, compressionName } from "./compress";
import { DataCsums } from "./csum";
import {
  EXTENT_DATA, FE_RAM_BYTES, FE_COMPRESSION, FE_ENCRYPTION, FE_OTHER_ENCODING, FE_TYPE, FE_INLINE_DATA, FE_DISK_BYTENR,
  FE_DISK_NUM_BYTES, FE_OFFSET, FE_NUM_BYTES, FE_REG_SIZE, FE_INLINE, FE_REG, FE_PREALLOC, COMPRESS_NONE, COMPRESSED_MAX,
} from "./layout";

export class FileReader {
  vol: Volume;
  dec: Decompressor;
  sums: DataCsums;
  checkSums: bool = true; // false: no data checksum is checked (the fuzz target's second walk)
  private cbuf: usize = 0; // compressed input, COMPRESSED_MAX bytes
  private cachedAt: u64 = U64.MAX_VALUE; // disk_bytenr of what dec.out holds
  private cachedLen: u64 = 0;
  // During a read: the file offset up to which dst holds data or zeros (from the range's start).
  private done: u64 = 0;
  private base: u64 = 0;
  private dst: usize = 0;

  constructor(vol: Volume) {
    this.vol = vol;
    this.dec = new Decompressor(vol.sb.sectorSize);
    this.sums = new DataCsums(vol);
  }

  // len bytes at offset of inode ino (whose size is `size`) of the tree c searches, into dst;
  // sums: check data checksums. null, or what is wrong.
  read(c: Cursor, ino: u64, size: u64, offset: u64, len: u32, dst: usize, sums: bool): string | null {
    const F = c.tree + ": inode " + ino.toString() + ": ";
    if (offset > size || <u64>len > size - offset) {
      return "btrfs: " + F + "range of " + len.toString() + " bytes at " + offset.toString() + " is past the end of the file (" + size.toString() + " bytes)";
    }
    if (len == 0) return null;
    const end = offset + len;
    this.base = offset;
    this.done = offset;
    this.dst = dst;
    // The item at or before offset: it may cover the start.
    let r = c.search(ino, EXTENT_DATA, offset);
    if (r < 0) return this.vol.error;
    if (r == 1) {
      if (!c.load()) return this.vol.error;
      // Past offset: step back one (nothing before it: stay, it is the tree's first item).
      if (!(c.oid == ino && c.type == EXTENT_DATA && c.offset <= offset) && c.prev() < 0) return this.vol.error;
    } else if (r == 0) {
      // Nothing at or after offset in the whole tree: walk this inode's extents from the start.
      r = c.search(ino, EXTENT_DATA, 0);
    }
    const maxItems: u64 = (<u64>len >> 9) + 16;
    let items: u64 = 0;
    while (r == 1) {
      if (!c.load()) return this.vol.error;
      if (c.oid > ino || (c.oid == ino && c.type > EXTENT_DATA)) break;
      if (c.oid == ino && c.type == EXTENT_DATA) {
        if (c.offset >= end) break;
        if (++items > maxItems) return "btrfs: " + F + "more than " + maxItems.toString() + " extents for a read of " + len.toString() + " bytes";
        const e = this.extent(c, F, offset, len, dst, sums && this.checkSums);
        if (e != null) return e;
      }
      r = c.next();
    }
    if (r < 0) return this.vol.error;
    this.zeroTo(end);
    return null;
  }

  // Zeros in dst from what is done up to file offset x; a write up to x follows.
  private zeroTo(x: u64): void {
    if (x <= this.done) return;
    memory.fill(this.dst + <usize>(this.done - this.base), 0, <usize>(x - this.done));
    this.done = x;
  }

  // File bytes [from, to) were written to dst (what lies before from is zeroed first).
  private wrote(from: u64, to: u64): void {
    this.zeroTo(from);
    if (to > this.done) this.done = to;
  }

  // The extent item at the cursor: copy its part of [offset, offset + len) into dst.
  private extent(c: Cursor, F: string, offset: u64, len: u32, dst: usize, sums: bool): string | null {
    const end = offset + len;
    const fileOff = c.offset;
    const size = c.size;
    const W = "btrfs: " + c.where() + ": ";
    if (size < FE_INLINE_DATA) return W + "file extent item of " + size.toString() + " bytes is too short";
    let d = c.data();
    if (d == 0) return this.vol.error;
    const ram = load<u64>(d + FE_RAM_BYTES);
    const comp = load<u8>(d + FE_COMPRESSION);
    const type = load<u8>(d + FE_TYPE);
    if (load<u8>(d + FE_ENCRYPTION) != 0 || load<u16>(d + FE_OTHER_ENCODING) != 0) return W + "extent is encrypted or encoded: not supported";
    if (type == FE_INLINE) {
      const n = size - FE_INLINE_DATA;
      if (comp == COMPRESS_NONE) {
        return this.copyPart(fileOff, d + FE_INLINE_DATA, <u64>n, offset, len, dst);
      }
      if (ram > <u64>COMPRESSED_MAX) return W + "inline extent of " + ram.toString() + " bytes (at most " + COMPRESSED_MAX.toString() + ")";
      if (this.cbuf == 0) this.cbuf = heap.alloc(COMPRESSED_MAX);
      memory.copy(this.cbuf, d + FE_INLINE_DATA, n);
      this.cachedAt = U64.MAX_VALUE;
      const e = this.dec.run(comp, this.cbuf, n, <u32>ram);
      if (e != null) return W + compressionName(comp) + " inline extent: " + e;
      return this.copyPart(fileOff, this.dec.out.ptr, <u64>this.dec.out.len, offset, len, dst);
    }
    if (type != FE_REG && type != FE_PREALLOC) return W + "file extent type " + type.toString() + " is unknown";
    if (size < FE_REG_SIZE) return W + "file extent item of " + size.toString() + " bytes is too short";
    const diskAt = load<u64>(d + FE_DISK_BYTENR);
    const diskLen = load<u64>(d + FE_DISK_NUM_BYTES);
    const extOff = load<u64>(d + FE_OFFSET);
    const num = load<u64>(d + FE_NUM_BYTES);
    if (num == 0 || fileOff + num < fileOff) return W + "extent of " + num.toString() + " bytes";
    if (type == FE_PREALLOC || diskAt == 0) return null; // zeros, already there
    const from = offset > fileOff ? offset : fileOff; // file bytes [from, to) are wanted
    const stop = fileOff + num;
    const to = end < stop ? end : stop;
    if (from >= to) return null;
    if (comp == COMPRESS_NONE) {
      if (extOff > diskLen || num > diskLen - extOff) return W + "uses " + num.toString() + " bytes at " + extOff.toString() + " of a " + diskLen.toString() + "-byte extent";
      const at = diskAt + extOff + (from - fileOff);
      this.zeroTo(from);
      if (!this.vol.readLogical(at, <u32>(to - from), dst + <usize>(from - offset))) return W + this.strip(this.vol.error!);
      this.wrote(from, to);
      if (sums) return this.sums.check(at, dst + <usize>(from - offset), to - from, F.substr(0, F.length - 2), <i64>from);
      return null;
    }
    if (diskLen > <u64>COMPRESSED_MAX || ram > <u64>COMPRESSED_MAX) {
      return W + compressionName(comp) + " extent of " + diskLen.toString() + " bytes for " + ram.toString() + " (at most " + COMPRESSED_MAX.toString() + " each)";
    }
    if (extOff > ram || num > ram - extOff) return W + "uses " + num.toString() + " bytes at " + extOff.toString() + " of " + ram.toString() + " decompressed";
    if (this.cachedAt != diskAt || this.cachedLen != diskLen) {
      if (this.cbuf == 0) this.cbuf = heap.alloc(COMPRESSED_MAX);
      this.cachedAt = U64.MAX_VALUE;
      if (!this.vol.readLogical(diskAt, <u32>diskLen, this.cbuf)) return W + this.strip(this.vol.error!);
      if (sums) {
        const bad = this.sums.check(diskAt, this.cbuf, diskLen, F + compressionName(comp) + " extent at file offset " + fileOff.toString(), -1);
        if (bad != null) return bad;
      }
      const e = this.dec.run(comp, this.cbuf, <u32>diskLen, <u32>ram);
      if (e != null) return W + compressionName(comp) + " extent at " + diskAt.toString() + ": " + e;
      this.cachedAt = diskAt;
      this.cachedLen = diskLen;
    }
    const have = <u64>this.dec.out.len; // shorter than ram: the rest is zeros
    const s = extOff + (from - fileOff);
    if (s < have) {
      const n = have - s < to - from ? have - s : to - from;
      this.zeroTo(from);
      memory.copy(dst + <usize>(from - offset), this.dec.out.ptr + <usize>s, <usize>n);
      this.wrote(from, from + n);
    }
    return null;
  }

  // Bytes [fileOff, fileOff + n) of the file are at p: copy their part of the range.
  private copyPart(fileOff: u64, p: usize, n: u64, offset: u64, len: u32, dst: usize): string | null {
    const end = offset + len;
    const from = offset > fileOff ? offset : fileOff;
    const stop = fileOff + n;
    const to = end < stop ? end : stop;
    if (from < to) {
      this.zeroTo(from);
      memory.copy(dst + <usize>(from - offset), p + <usize>(from - fileOff), <usize>(to - from));
      this.wrote(from, to);
    }
    return null;
  }

  private strip(e: string): string {
    return e.startsWith("btrfs: ") ? e.substr(7) : e;
  }
}
