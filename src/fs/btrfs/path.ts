// Path lookup across subvolumes. A path starts at the default subvolume's root directory;
// components are looked up by name hash (DIR_ITEM), an entry naming a subvolume (a ROOT_ITEM
// location) continues in that subvolume's root directory, ".." goes back to the directory
// the walk came from (btrfs stores no ".." entries; a directory has one parent, so this is
// the parent on disk), symlinks are followed (at most MAX_SYMLINKS per lookup).
//
// GRUB's paths from the top level: SUSE's grub.cfg names files as
// "/@/.snapshots/N/snapshot/boot/..." (and Fedora's as "/root/boot/..."), relative to the
// top-level subvolume (tree 5) whatever the default is. When the default subvolume is not the
// top level and a path's first component is not in it, the path is looked up again from the
// top level.

import { Volume } from "./volume";
import { Subvols, INO_BITS, INO_MASK } from "./subvol";
import { Inode, readInode } from "./inode";
import { DirEntry, findEntry } from "./dir";
import { FileReader } from "./file";
import { INODE_NODATASUM } from "./csum";
import { printable } from "../ext/format";
import { FS_TREE_OBJECTID, NAME_MAX, EMPTY_SUBVOL_DIR_OBJECTID } from "./layout";

export const MAX_SYMLINKS: i32 = 8;
export const SYMLINK_MAX: u64 = 4095;
const MAX_DEPTH: i32 = 4096; // directories deep one lookup may go
const SLASH: u8 = 0x2f;
const DOT: u8 = 0x2e;

export class Resolver {
  vol: Volume;
  subvols: Subvols;
  files: FileReader;
  notFound: bool = false; // the last failure was a missing name (not damage)
  firstMissing: bool = false; // ... and it was the path's first component

  constructor(vol: Volume, subvols: Subvols, files: FileReader) {
    this.vol = vol;
    this.subvols = subvols;
    this.files = files;
  }

  // The inode behind a handle (its subvolume index in `idx`); null and vol.error.
  idx: i32 = 0;
  inode(h: u64): Inode | null {
    const i = <i64>(h >> INO_BITS) - 1;
    if (i < 0 || i >= <i64>this.subvols.list.length) {
      this.vol.fail("inode handle " + h.toString() + " names no subvolume");
      return null;
    }
    this.idx = <i32>i;
    return readInode(this.subvols.cursor(<i32>i), h & INO_MASK);
  }

  // A symlink's target bytes (in fresh memory; length in linkLen), or 0 and vol.error.
  linkLen: u32 = 0;
  readLinkBytes(idx: i32, node: Inode): usize {
    if (node.size == 0 || node.size > SYMLINK_MAX) {
      this.vol.fail("fs tree " + this.subvols.get(idx).id.toString() + ": symlink inode " + node.ino.toString() + " has a target of " + node.size.toString() + " bytes (1 to " + SYMLINK_MAX.toString() + ")");
      return 0;
    }
    const buf = heap.alloc(<usize>node.size);
    const e = this.files.read(this.subvols.cursor(idx), node.ino, node.size, 0, <u32>node.size, buf, (node.flags & INODE_NODATASUM) == 0);
    if (e != null) {
      this.vol.error = e;
      return 0;
    }
    this.linkLen = <u32>node.size;
    return buf;
  }

  // The handle path names, starting at the default subvolume (startIdx) and, failing its
  // first component, at the top level (topIdx >= 0). 0 and vol.error.
  resolve(path: string, followLast: bool, startIdx: i32, topIdx: i32): u64 {
    const h = this.walk(path, followLast, startIdx);
    if (h != 0 || topIdx < 0 || topIdx == startIdx || !this.firstMissing) return h;
    const why = this.vol.error;
    const again = this.walk(path, followLast, topIdx);
    if (again == 0 && this.firstMissing) this.vol.error = why; // name the default subvolume's miss
    return again;
  }

  private walk(path: string, followLast: bool, startIdx: i32): u64 {
    this.notFound = false;
    this.firstMissing = false;
    if (path.length == 0 || path.charCodeAt(0) != SLASH) return this.fail(path, "not an absolute path");
    const encoded = String.UTF8.encode(path);
    let buf = changetype<usize>(encoded);
    let end = <u32>encoded.byteLength;
    let pos: u32 = 0;
    const sv = this.subvols;
    const rootH = sv.handle(startIdx, sv.get(startIdx).dirid);
    let cur = rootH;
    const stack = new Array<u64>(); // the directories above cur
    let links = 0;
    let first = true;
    const ent = new DirEntry();
    for (;;) { // each turn consumes a component; symlinks add at most 8 bounded targets
      while (pos < end && load<u8>(buf + pos) == SLASH) pos++;
      const dir = this.inode(cur);
      if (dir == null) return this.fail(path, null);
      if (pos >= end) return cur;
      const start = pos;
      while (pos < end && load<u8>(buf + pos) != SLASH) pos++;
      const len = pos - start;
      const name = buf + start;
      let more = pos;
      while (more < end && load<u8>(buf + more) == SLASH) more++;
      const last = more >= end;
      const trailingSlash = pos < end;
      if (!dir.isDir) return this.fail(path, "inode " + dir.ino.toString() + " is not a directory");
      if (len == 1 && load<u8>(name) == DOT) continue;
      if (len == 2 && load<u8>(name) == DOT && load<u8>(name + 1) == DOT) {
        if (stack.length > 0) cur = stack.pop();
        continue;
      }
      if (len > NAME_MAX) return this.fail(path, "name of " + len.toString() + " bytes is too long");
      const idx = this.idx;
      const c = sv.cursor(idx);
      const r = findEntry(c, dir.ino, name, len, ent);
      if (r < 0) return this.fail(path, null);
      if (r == 0) {
        this.notFound = true;
        this.firstMissing = first;
        return this.fail(path, "\"" + printable(name, len) + "\" not found in directory " + dir.ino.toString() + " of subvolume " + sv.get(idx).id.toString());
      }
      first = false;
      let child: u64;
      if (ent.subvol) {
        const a = sv.attached(sv.get(idx).id, dir.ino, ent.oid);
        if (a < 0) return this.fail(path, null);
        if (a == 0) {
          child = sv.handle(idx, EMPTY_SUBVOL_DIR_OBJECTID); // an empty directory, as in Linux
          if (last) return child;
          return this.fail(path, "\"" + printable(name, len) + "\" is a subvolume not attached here (an empty directory)");
        }
        const j = sv.index(ent.oid);
        if (j < 0) return this.fail(path, null);
        child = sv.handle(j, sv.get(j).dirid);
      } else {
        if (ent.oid == 0 || ent.oid > INO_MASK) return this.fail(path, "entry \"" + printable(name, len) + "\" names inode " + ent.oid.toString() + " (out of range)");
        child = sv.handle(idx, ent.oid);
      }
      const node = this.inode(child);
      if (node == null) return this.fail(path, null);
      if (node.isSymlink && (!last || followLast || trailingSlash)) {
        if (++links > MAX_SYMLINKS) return this.fail(path, "too many levels of symbolic links (more than " + MAX_SYMLINKS.toString() + ")");
        const t = this.readLinkBytes(this.idx, node);
        if (t == 0) return this.fail(path, null);
        const n = this.linkLen;
        const rest = end - pos;
        const next = heap.alloc(<usize>n + rest);
        memory.copy(next, t, n);
        memory.copy(next + n, buf + pos, rest);
        if (load<u8>(next) == SLASH) {
          cur = rootH;
          stack.length = 0;
        }
        buf = next;
        end = n + rest;
        pos = 0;
        continue;
      }
      if (trailingSlash && last && !node.isDir) return this.fail(path, "inode " + node.ino.toString() + " is not a directory");
      if (stack.length >= MAX_DEPTH) return this.fail(path, "more than " + MAX_DEPTH.toString() + " directories deep");
      stack.push(cur);
      cur = child;
    }
    return 0; // not reached
  }

  private fail(path: string, reason: string | null): u64 {
    let why: string = reason != null ? reason : (this.vol.error != null ? this.vol.error! : "unknown error");
    if (why.startsWith("btrfs: ")) why = why.substr(7);
    this.vol.error = "btrfs: " + path + ": " + why;
    return 0;
  }
}

export const TOP_LEVEL: u64 = FS_TREE_OBJECTID;
