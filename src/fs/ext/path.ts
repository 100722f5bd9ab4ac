// Path lookup: absolute paths, component by component from the root directory. "." stays,
// ".." follows the directory's own ".." entry (so it is the parent on disk, as in Linux);
// symlinks are followed, relative to the directory holding them or from the root, at most
// MAX_SYMLINKS in one lookup (a loop ends there).

import { Volume } from "./volume";
import { Inodes, Inode } from "./inode";
import { DirReader } from "./dir";
import { readLinkBytes } from "./symlink";
import { ROOT_INO, DIRENT_NAME_MAX, FL_CASEFOLD } from "./layout";
import { printable } from "./format";
import { stripFlavor } from "./groups";

export const MAX_SYMLINKS: i32 = 8;

const SLASH: u8 = 0x2f;
const DOT: u8 = 0x2e;

// The entry called name (len bytes) in directory dir: its inode number, 0 if there is
// none, -1 if the directory is damaged (vol.error).
export function findEntry(vol: Volume, dir: Inode, name: usize, len: u32): i64 {
  const r = new DirReader(vol, dir);
  if (!r.start()) return -1;
  for (;;) {
    const k = r.next();
    if (k < 0) return -1;
    if (k == 0) return 0;
    if (r.nameLen == len && memory.compare(r.name, name, len) == 0) return <i64>r.ino;
  }
  return -1; // not reached
}

// The inode number path names, or 0 and vol.error. followLast: whether a symlink as the
// last component is followed (a trailing slash always follows it).
export function resolvePath(vol: Volume, inodes: Inodes, path: string, followLast: bool): u32 {
  if (path.length == 0 || path.charCodeAt(0) != SLASH) {
    vol.fail("path \"" + path + "\" is not absolute");
    return 0;
  }
  const encoded = String.UTF8.encode(path);
  let buf = changetype<usize>(encoded);
  let end = <u32>encoded.byteLength;
  let pos: u32 = 0;
  let cur: u32 = ROOT_INO;
  let links: i32 = 0;

  // Each turn consumes a component; symlinks add at most MAX_SYMLINKS bounded targets.
  for (;;) {
    while (pos < end && load<u8>(buf + pos) == SLASH) pos++;
    const dir = inodes.get(cur);
    if (dir == null) return failPath(vol, path);
    if (pos >= end) return cur;
    const start = pos;
    while (pos < end && load<u8>(buf + pos) != SLASH) pos++;
    const len = pos - start;
    const name = buf + start;
    // Is anything but slashes left after this component?
    let more = pos;
    while (more < end && load<u8>(buf + more) == SLASH) more++;
    const last = more >= end;
    const trailingSlash = pos < end;

    if (!dir.isDir) return failPath(vol, path, "inode " + cur.toString() + " is not a directory");
    if (len == 1 && load<u8>(name) == DOT) continue;
    if (len > DIRENT_NAME_MAX) return failPath(vol, path, "name of " + len.toString() + " bytes is too long");
    const dotdot = len == 2 && load<u8>(name) == DOT && load<u8>(name + 1) == DOT;
    if (!dotdot && (dir.flags & FL_CASEFOLD) != 0) {
      return failPath(vol, path, "directory inode " + cur.toString() + " is casefolded (casefold feature): case-insensitive lookup is not supported");
    }
    const found = findEntry(vol, dir, name, len);
    if (found < 0) return failPath(vol, path);
    if (found == 0) return failPath(vol, path, "\"" + printable(name, len) + "\" not found in directory inode " + cur.toString());
    const ino = <u32>found;
    const child = inodes.get(ino);
    if (child == null) return failPath(vol, path);

    if (child.isSymlink && (!last || followLast || trailingSlash)) {
      if (++links > MAX_SYMLINKS) return failPath(vol, path, "too many levels of symbolic links (more than " + MAX_SYMLINKS.toString() + ")");
      const n = readLinkBytes(vol, child);
      if (n < 0) return failPath(vol, path);
      // The rest of the path now follows the target: target + what was left.
      const rest = end - pos;
      const next = heap.alloc(<usize>n + rest);
      memory.copy(next, vol.linkBuf, n);
      memory.copy(next + n, buf + pos, rest);
      if (load<u8>(next) == SLASH) cur = ROOT_INO;
      buf = next;
      end = <u32>n + rest;
      pos = 0;
      continue;
    }
    if (trailingSlash && last && !child.isDir) return failPath(vol, path, "inode " + ino.toString() + " is not a directory");
    cur = ino;
  }
  return 0; // not reached
}

// A lookup error: the path, then what went wrong (the reason given, or vol.error).
function failPath(vol: Volume, path: string, reason: string | null = null): u32 {
  const why = reason != null ? reason : stripFlavor(vol);
  vol.fail(path + ": " + why);
  return 0;
}
