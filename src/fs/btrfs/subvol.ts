// Subvolumes: each is a tree of its own (an fs tree), described in the root tree by a
// ROOT_ITEM (struct btrfs_root_item, key (id, ROOT_ITEM, 0 or the snapshot's transid)) giving
// its root node, level and root directory (normally 256). The top level is tree 5; the
// default subvolume (what `btrfs subvolume set-default` sets) is the location of the root
// tree's DIR_ITEM "default" in directory 6, or tree 5 when there is none.
//
// Inode handles pack the subvolume with the inode number: (table index + 1) << 48 | objectid,
// the table holding the subvolumes met so far (at most MAX_SUBVOLS per mount). btrfs inode
// numbers above 2^48 are refused (none reach that).

import { Volume } from "./volume";
import { Cursor } from "./tree";
import { crc32cUpdate } from "../../lib/crc32c";
import {
  ROOT_ITEM, ROOT_REF, ROOT_ITEM_DIRID, ROOT_ITEM_BYTENR, ROOT_ITEM_LEVEL, ROOT_ITEM_MIN, DIR_ITEM, DIR_HDR, DIR_NAME_LEN,
  DIR_DATA_LEN, ROOT_TREE_DIR_OBJECTID, FS_TREE_OBJECTID, MAX_LEVEL, FIRST_FREE_OBJECTID, LAST_FREE_OBJECTID,
} from "./layout";

export const MAX_SUBVOLS: i32 = 4096;
export const INO_BITS: u64 = 48;
export const INO_MASK: u64 = (<u64>1 << INO_BITS) - 1;

export class Subvol {
  id: u64 = 0;
  root: u64 = 0;
  level: i32 = 0;
  dirid: u64 = 0;
  cur: Cursor | null = null; // its fs tree's cursor, made on first use
}

// The name hash of DIR_ITEM keys: crc32c's register from ~1 over the name, not inverted.
export function nameHash(p: usize, n: u32): u64 {
  return <u64>crc32cUpdate(0xfffffffe, p, n);
}

export class Subvols {
  vol: Volume;
  list: Subvol[] = [];
  rootTree: Cursor;

  constructor(vol: Volume) {
    this.vol = vol;
    this.rootTree = new Cursor(vol, "root tree", vol.sb.root, <i32>vol.sb.rootLevel);
  }

  // The table index of subvolume (tree) id, reading its ROOT_ITEM the first time; -1 and
  // vol.error when it is not there or damaged.
  index(id: u64): i32 {
    for (let i = 0; i < this.list.length; i++) if (unchecked(this.list[i]).id == id) return i;
    if (id != FS_TREE_OBJECTID && (id < FIRST_FREE_OBJECTID || id > LAST_FREE_OBJECTID)) {
      this.vol.fail("tree " + id.toString() + " is not a subvolume (ids are 5 or 256 and up)");
      return -1;
    }
    if (this.list.length >= MAX_SUBVOLS) {
      this.vol.fail("more than " + MAX_SUBVOLS.toString() + " subvolumes used in one mount");
      return -1;
    }
    // The ROOT_ITEM with the highest offset for this id.
    const c = this.rootTree;
    let r = c.search(id, ROOT_ITEM, 0);
    let found = false;
    let sv = new Subvol();
    let steps = 0;
    while (r == 1) {
      if (!c.load()) return -1;
      if (c.oid != id || c.type != ROOT_ITEM) break;
      if (++steps > 64) break;
      if (c.size < ROOT_ITEM_MIN) {
        this.vol.fail(c.where() + ": root item of " + c.size.toString() + " bytes is shorter than " + ROOT_ITEM_MIN.toString());
        return -1;
      }
      const d = c.data();
      if (d == 0) return -1;
      sv.id = id;
      sv.root = load<u64>(d + ROOT_ITEM_BYTENR);
      sv.level = <i32>load<u8>(d + ROOT_ITEM_LEVEL);
      sv.dirid = load<u64>(d + ROOT_ITEM_DIRID);
      if (sv.level >= MAX_LEVEL) {
        this.vol.fail(c.where() + ": root level " + sv.level.toString() + " is 8 or more");
        return -1;
      }
      if (sv.dirid == 0 || sv.dirid > INO_MASK) {
        this.vol.fail(c.where() + ": root directory " + sv.dirid.toString() + " is out of range");
        return -1;
      }
      found = true;
      r = c.next();
    }
    if (r < 0) return -1;
    if (!found) {
      this.vol.fail("subvolume " + id.toString() + ": no root item in the root tree");
      return -1;
    }
    this.list.push(sv);
    return this.list.length - 1;
  }

  // The id of the default subvolume (5 when none is set); 0 and vol.error on damage.
  defaultId(): u64 {
    const name = "default";
    const buf = String.UTF8.encode(name);
    const np = changetype<usize>(buf);
    const n = <u32>buf.byteLength;
    const c = this.rootTree;
    const r = c.exact(ROOT_TREE_DIR_OBJECTID, DIR_ITEM, nameHash(np, n));
    if (r < 0) return 0;
    if (r == 0) return FS_TREE_OBJECTID;
    const d = c.data();
    if (d == 0) return 0;
    // One or more entries (hash collisions) in the item.
    let pos: u32 = 0;
    let k = 0;
    while (pos + DIR_HDR <= c.size && k++ < 256) {
      const e = d + pos;
      const nl = <u32>load<u16>(e + DIR_NAME_LEN);
      const dl = <u32>load<u16>(e + DIR_DATA_LEN);
      if (pos + DIR_HDR + nl + dl > c.size) break;
      if (nl == n && memory.compare(e + DIR_HDR, np, n) == 0) return load<u64>(e);
      pos += DIR_HDR + nl + dl;
    }
    return FS_TREE_OBJECTID;
  }

  // Is subvolume child really attached under directory dir of subvolume parent? Its ROOT_REF
  // (key (parent, ROOT_REF, child): dirid u64, sequence u64, name) says where it was made.
  // A snapshot copies its parent's entries for nested subvolumes, but no ROOT_REF points
  // back at the snapshot: Linux shows such an entry as an empty directory, and so does this
  // reader. 1 yes, 0 no, -1 damage (vol.error).
  attached(parent: u64, dir: u64, child: u64): i32 {
    const c = this.rootTree;
    const r = c.exact(parent, ROOT_REF, child);
    if (r <= 0) return r;
    if (c.size < 18) return 0;
    const d = c.data();
    if (d == 0) return -1;
    return load<u64>(d) == dir ? 1 : 0;
  }

  get(i: i32): Subvol {
    return unchecked(this.list[i]);
  }

  // A handle for (table index, objectid).
  handle(i: i32, oid: u64): u64 {
    return (<u64>(i + 1) << INO_BITS) | oid;
  }

  // The fs tree cursor of subvolume table index i (one per subvolume: callers use it one
  // search at a time).
  cursor(i: i32): Cursor {
    const s = unchecked(this.list[i]);
    if (s.cur == null) s.cur = new Cursor(this.vol, "fs tree " + s.id.toString(), s.root, s.level);
    return s.cur!;
  }
}
