// Directories: DIR_INDEX items (key (dir, DIR_INDEX, index), one entry each) list a directory
// in creation order; DIR_ITEM items (key (dir, DIR_ITEM, crc32c name hash), one or more
// entries whose names share the hash) find one name. An entry (struct btrfs_dir_item) holds
// the location key (an inode: (ino, INODE_ITEM, 0); a subvolume: (id, ROOT_ITEM, -1)), the
// type, the name and (for xattrs) data.

import { Cursor } from "./tree";
import { nameHash } from "./subvol";
import { nameString } from "../ext/format";
import { DIR_ITEM, DIR_INDEX, DIR_HDR, DIR_NAME_LEN, DIR_DATA_LEN, DIR_TYPE, NAME_MAX, ROOT_ITEM, INODE_ITEM } from "./layout";

// At most this many entries in one directory listing, and entries in one DIR_ITEM.
export const MAX_DIR_ENTRIES: i32 = 1 << 20;
const MAX_COLLISIONS: i32 = 256;

// One entry, copied out of the leaf.
export class DirEntry {
  name: string = "";
  oid: u64 = 0; // the inode, or the subvolume id
  subvol: bool = false; // the location is a ROOT_ITEM: the root directory of subvolume oid
  type: u8 = 0;
}

// Check an entry at e (avail bytes left in the item): its length, or 0 and vol.error.
function entryLen(c: Cursor, e: usize, avail: u32): u32 {
  if (avail < DIR_HDR) {
    c.vol.fail(c.where() + ": directory entry header truncated (" + avail.toString() + " bytes left)");
    return 0;
  }
  const nl = <u32>load<u16>(e + DIR_NAME_LEN);
  const dl = <u32>load<u16>(e + DIR_DATA_LEN);
  if (nl == 0 || nl > NAME_MAX) {
    c.vol.fail(c.where() + ": directory entry name length " + nl.toString() + " (1 to 255)");
    return 0;
  }
  if (DIR_HDR + nl + dl > avail) {
    c.vol.fail(c.where() + ": directory entry of " + (DIR_HDR + nl + dl).toString() + " bytes runs past its item (" + avail.toString() + " bytes left)");
    return 0;
  }
  const lt = load<u8>(e + 8);
  if (lt != INODE_ITEM && lt != ROOT_ITEM) {
    c.vol.fail(c.where() + ": directory entry location has key type " + lt.toString() + " (an inode or a subvolume)");
    return 0;
  }
  return DIR_HDR + nl + dl;
}

function fill(out: DirEntry, e: usize): void {
  const nl = <u32>load<u16>(e + DIR_NAME_LEN);
  out.name = nameString(e + DIR_HDR, nl);
  out.oid = load<u64>(e);
  out.subvol = load<u8>(e + 8) == ROOT_ITEM;
  out.type = load<u8>(e + DIR_TYPE);
}

// Every entry of directory dir, in index order; null and vol.error on damage.
export function listDir(c: Cursor, dir: u64): DirEntry[] | null {
  const out = new Array<DirEntry>();
  let r = c.search(dir, DIR_INDEX, 0);
  while (r == 1) {
    if (!c.load()) return null;
    if (c.oid != dir || c.type != DIR_INDEX) break;
    if (out.length >= MAX_DIR_ENTRIES) {
      c.vol.fail(c.tree + ": directory " + dir.toString() + " has more than " + MAX_DIR_ENTRIES.toString() + " entries");
      return null;
    }
    const d = c.data();
    if (d == 0) return null;
    if (entryLen(c, d, c.size) == 0) return null;
    const e = new DirEntry();
    fill(e, d);
    out.push(e);
    r = c.next();
  }
  if (r < 0) return null;
  return out;
}

// The entry called name (n bytes at p) in directory dir: 1 found (into out), 0 not there,
// -1 damage (vol.error).
export function findEntry(c: Cursor, dir: u64, p: usize, n: u32, out: DirEntry): i32 {
  const r = c.exact(dir, DIR_ITEM, nameHash(p, n));
  if (r <= 0) return r;
  const d = c.data();
  if (d == 0) return -1;
  let pos: u32 = 0;
  for (let k = 0; pos < c.size && k < MAX_COLLISIONS; k++) {
    const len = entryLen(c, d + pos, c.size - pos);
    if (len == 0) return -1;
    const e = d + pos;
    if (<u32>load<u16>(e + DIR_NAME_LEN) == n && memory.compare(e + DIR_HDR, p, n) == 0) {
      fill(out, e);
      return 1;
    }
    pos += len;
  }
  return 0;
}
