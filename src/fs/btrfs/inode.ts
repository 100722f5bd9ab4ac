// Inodes: the INODE_ITEM (struct btrfs_inode_item, key (ino, INODE_ITEM, 0)) of an fs tree,
// parsed into what stat and the readers need.

import { Cursor } from "./tree";
import {
  INODE_ITEM, INODE_ITEM_SIZE, INODE_SIZE, INODE_NBYTES, INODE_NLINK, INODE_UID, INODE_GID, INODE_MODE, INODE_FLAGS,
  INODE_MTIME, S_IFMT, S_IFDIR, S_IFREG, S_IFLNK,
} from "./layout";

export class Inode {
  ino: u64 = 0;
  size: u64 = 0;
  nbytes: u64 = 0;
  nlink: u32 = 0;
  uid: u32 = 0;
  gid: u32 = 0;
  mode: u32 = 0;
  flags: u64 = 0;
  mtime: u64 = 0;

  get isDir(): bool { return (this.mode & S_IFMT) == S_IFDIR; }
  get isReg(): bool { return (this.mode & S_IFMT) == S_IFREG; }
  get isSymlink(): bool { return (this.mode & S_IFMT) == S_IFLNK; }

  // The type as directory entries code it (ext's numbering, src/fs/fs.ts FileType).
  get ftype(): i32 {
    const t = this.mode & S_IFMT;
    if (t == S_IFREG) return 1;
    if (t == S_IFDIR) return 2;
    if (t == 0x2000) return 3;
    if (t == 0x6000) return 4;
    if (t == 0x1000) return 5;
    if (t == 0xc000) return 6;
    if (t == S_IFLNK) return 7;
    return 0;
  }
}

// The inode ino of the tree c searches, or null and c.vol.error.
export function readInode(c: Cursor, ino: u64): Inode | null {
  const r = c.exact(ino, INODE_ITEM, 0);
  if (r < 0) return null;
  if (r == 0) {
    c.vol.fail(c.tree + ": inode " + ino.toString() + " not found");
    return null;
  }
  if (c.size < INODE_ITEM_SIZE) {
    c.vol.fail(c.where() + ": inode item of " + c.size.toString() + " bytes is shorter than " + INODE_ITEM_SIZE.toString());
    return null;
  }
  const d = c.data();
  if (d == 0) return null;
  const n = new Inode();
  n.ino = ino;
  n.size = load<u64>(d + INODE_SIZE);
  n.nbytes = load<u64>(d + INODE_NBYTES);
  n.nlink = load<u32>(d + INODE_NLINK);
  n.uid = load<u32>(d + INODE_UID);
  n.gid = load<u32>(d + INODE_GID);
  n.mode = load<u32>(d + INODE_MODE);
  n.flags = load<u64>(d + INODE_FLAGS);
  n.mtime = load<u64>(d + INODE_MTIME);
  return n;
}
