// Data checksums: the csum tree (tree 7, its ROOT_ITEM in the root tree) holds EXTENT_CSUM
// items, key (EXTENT_CSUM_OBJECTID, EXTENT_CSUM, logical address): an array of checksums, one
// per sector from that address on, of the superblock's type (crc32c, xxhash64, sha256,
// blake2b), over the sector's bytes as they are on the disk (for a compressed extent: the
// compressed bytes).
//
// FileReader checks every sector of a regular extent it reads: a sector the read covers only
// in part is read whole for the check. A mismatch is read again from the other DUP/RAID1
// copies (a good one is used, with a warning); when none is good it is an error naming the
// inode, the file offset and the logical address. A sector with no checksum in the tree (a
// nodatasum file, or a filesystem that never had them) is read unchecked; inodes flagged
// NODATASUM are not looked up at all.
//
// The last checksum item found is kept (copied: a node read may evict its leaf), and so is
// the last range known to have none, so reading an extent in order costs one tree search per
// item, not per sector.

import { Volume } from "./volume";
import { Cursor } from "./tree";
import { computeCsum, csumHex, csumName, csumSize } from "./checksum";
import { ROOT_ITEM, ROOT_ITEM_BYTENR, ROOT_ITEM_LEVEL, ROOT_ITEM_MIN, MAX_LEVEL } from "./layout";

export const CSUM_TREE_OBJECTID: u64 = 7;
export const EXTENT_CSUM_OBJECTID: u64 = 0xfffffffffffffff6; // -10
export const EXTENT_CSUM: u8 = 128;
export const INODE_NODATASUM: u64 = 1;

export class DataCsums {
  vol: Volume;
  private state: i32 = 0; // 0: the tree not looked up yet; 1: ready; -1: no csum tree
  private cur: Cursor | null = null;
  private ss: u64;
  private cs: u32;
  // The cached item: checksums of [itemStart, itemEnd), copied to buf.
  private buf: usize = 0;
  private itemStart: u64 = 0;
  private itemEnd: u64 = 0;
  // A range with no checksums: [gapStart, gapEnd).
  private gapStart: u64 = 0;
  private gapEnd: u64 = 0;
  private sector: usize = 0; // one sector, for partly read sectors and other copies
  private stored: usize = 0; // the stored checksum found by lookup()
  mismatches: u32 = 0; // sectors no copy of which checked out, since the mount

  constructor(vol: Volume) {
    this.vol = vol;
    this.ss = <u64>vol.sb.sectorSize;
    this.cs = csumSize(vol.sb.csumType);
  }

  // Check the sectors under n bytes of data at logical address a, which are at p (read from
  // the first copy). On another copy's good sector the bytes at p are replaced. what: for
  // messages, whose bytes they are ("fs tree 5: inode 259", "...: zstd extent at file offset
  // 0"); fileAt: the file offset of the byte at a, or -1 when the bytes are not the file's
  // own (compressed). null, or the error.
  check(a: u64, p: usize, n: u64, what: string, fileAt: i64): string | null {
    if (n == 0) return null;
    if (this.state == 0 && !this.open()) return this.vol.error;
    if (this.state < 0) return null;
    const ss = this.ss;
    const end = a + n;
    let s = a - a % ss;
    // One turn per sector of the range (n is at most an extent read: 1 MiB or 128 KiB pieces
    // of a file read, bounded by the caller's length).
    for (; s < end; s += ss) {
      const r = this.lookup(s);
      if (r < 0) return this.vol.error;
      if (r == 0) continue;
      let data: usize;
      if (s >= a && s + ss <= end) data = p + <usize>(s - a);
      else {
        if (!this.vol.readLogical(s, <u32>ss, this.sector)) return this.vol.error;
        data = this.sector;
      }
      const d = computeCsum(this.vol.sb.csumType, data, <usize>ss);
      if (memory.compare(d, this.stored, this.cs) == 0) continue;
      const e = this.otherCopies(s, a, p, end, what, fileAt, d);
      if (e != null) return e;
    }
    return null;
  }

  // The sector at s failed on copy 1 (computed checksum at d): try the others.
  private otherCopies(s: u64, a: u64, p: usize, end: u64, what: string, fileAt: i64, d: usize): string | null {
    const t = this.vol.sb.csumType;
    const computed = csumHex(t, d);
    const chunks = this.vol.chunks;
    const n = chunks.copies(s);
    const phys0 = n > 0 ? chunks.physical(s, 0) : 0;
    for (let k = 1; k < n; k++) {
      if (chunks.copies(s) == 0) break;
      const phys = chunks.physical(s, k);
      if (!this.vol.readPhys(phys, <u32>this.ss, this.sector)) return this.vol.error;
      const c = computeCsum(t, this.sector, <usize>this.ss);
      if (memory.compare(c, this.stored, this.cs) != 0) continue;
      // Good: put its part of the range in place.
      const from = s > a ? s : a;
      const to = s + this.ss < end ? s + this.ss : end;
      memory.copy(p + <usize>(from - a), this.sector + <usize>(from - s), <usize>(to - from));
      this.vol.warn(what + ": data" + this.at(s, a, fileAt) + " has a bad " + csumName(t) + " checksum on copy 1 (device offset " +
        phys0.toString() + "); copy " + (k + 1).toString() + " is good");
      return null;
    }
    this.mismatches++;
    return "btrfs: " + what + ": data checksum mismatch" + this.at(s, a, fileAt) + " (device offset " + phys0.toString() +
      "): stored " + csumName(t) + " " + csumHex(t, this.stored) + ", computed " + computed;
  }

  // For messages: where the sector at s is, in the file (when the bytes are its own) and on
  // the logical address space.
  private at(s: u64, a: u64, fileAt: i64): string {
    const where = " in the sector at logical address " + s.toString();
    if (fileAt < 0 || <u64>fileAt + s < a) return where;
    return " at file offset " + (<u64>fileAt + s - a).toString() + " (the sector at logical address " + s.toString() + ")";
  }

  // The csum tree's root from the root tree; without one, data is read unchecked (a warning).
  private open(): bool {
    const c = new Cursor(this.vol, "root tree", this.vol.sb.root, <i32>this.vol.sb.rootLevel);
    const r = c.exact(CSUM_TREE_OBJECTID, ROOT_ITEM, 0);
    if (r < 0) return false;
    if (r == 0) {
      this.vol.warn("no csum tree (tree 7): file data is read without checking its checksums");
      this.state = -1;
      return true;
    }
    if (c.size < ROOT_ITEM_MIN) return this.vol.failed(c.where() + ": root item of " + c.size.toString() + " bytes is shorter than " + ROOT_ITEM_MIN.toString());
    const d = c.data();
    if (d == 0) return false;
    const level = <i32>load<u8>(d + ROOT_ITEM_LEVEL);
    if (level >= MAX_LEVEL) return this.vol.failed(c.where() + ": csum tree root level " + level.toString() + " is 8 or more");
    this.cur = new Cursor(this.vol, "csum tree", load<u64>(d + ROOT_ITEM_BYTENR), level);
    this.buf = heap.alloc(this.vol.sb.nodeSize);
    this.sector = heap.alloc(<usize>this.ss);
    this.state = 1;
    return true;
  }

  // The stored checksum of the sector at s (into this.stored): 1 found, 0 none, -1 error.
  private lookup(s: u64): i32 {
    if (s >= this.itemStart && s < this.itemEnd) {
      this.stored = this.buf + <usize>((s - this.itemStart) / this.ss) * this.cs;
      return 1;
    }
    if (s >= this.gapStart && s < this.gapEnd) return 0;
    const c = this.cur!;
    let r = c.search(EXTENT_CSUM_OBJECTID, EXTENT_CSUM, s);
    if (r < 0) return -1;
    // The first item at or after s bounds the gap; the one before may cover s.
    let next: u64 = U64.MAX_VALUE;
    if (r == 1) {
      if (!c.load()) return -1;
      if (c.oid == EXTENT_CSUM_OBJECTID && c.type == EXTENT_CSUM) {
        if (c.offset == s) return this.take(c, s);
        next = c.offset;
      }
      r = c.prev();
      if (r < 0) return -1;
      if (r == 1) {
        if (!c.load()) return -1;
        if (c.oid == EXTENT_CSUM_OBJECTID && c.type == EXTENT_CSUM && c.offset < s) {
          const k = this.take(c, s);
          if (k != 0) return k;
        }
      }
    } else {
      // No item at or after s: only an item starting within one item's reach before s can
      // cover it. Walk the items from there (each at least a sector: at most `reach` sectors).
      const reach = <u64>(this.vol.sb.nodeSize / this.cs) * this.ss;
      r = c.search(EXTENT_CSUM_OBJECTID, EXTENT_CSUM, s > reach ? s - reach : 0);
      let found = false;
      let at: u64 = 0;
      while (r == 1) {
        if (!c.load()) return -1;
        if (c.oid != EXTENT_CSUM_OBJECTID || c.type != EXTENT_CSUM || c.offset > s) break;
        found = true;
        at = c.offset;
        r = c.next();
      }
      if (r < 0) return -1;
      if (found) {
        const e = c.exact(EXTENT_CSUM_OBJECTID, EXTENT_CSUM, at);
        if (e < 0) return -1;
        if (e == 1) {
          const k = this.take(c, s);
          if (k != 0) return k;
        }
      }
    }
    this.gapStart = s;
    this.gapEnd = next;
    return 0;
  }

  // Keep the item at the cursor; 1 when it covers s (this.stored set), 0 when it does not, -1
  // on damage.
  private take(c: Cursor, s: u64): i32 {
    const W = c.where() + ": ";
    if (c.offset % this.ss != 0) return this.damage(W + "checksums start at " + c.offset.toString() + ", not on a sector boundary");
    if (c.size % this.cs != 0) return this.damage(W + c.size.toString() + " bytes is not a whole number of " + this.cs.toString() + "-byte checksums");
    const count = <u64>(c.size / this.cs);
    const end = c.offset + count * this.ss;
    if (end < c.offset) return this.damage(W + "checksums run past the end of the address space");
    if (s >= end) return 0;
    const d = c.data();
    if (d == 0) return -1;
    memory.copy(this.buf, d, c.size);
    this.itemStart = c.offset;
    this.itemEnd = end;
    this.stored = this.buf + <usize>((s - c.offset) / this.ss) * this.cs;
    return 1;
  }

  private damage(msg: string): i32 {
    this.vol.fail(msg);
    return -1;
  }
}
