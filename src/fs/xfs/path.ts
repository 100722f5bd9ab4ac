// Path lookup on XFS: absolute paths, component by component from the root directory, as
// the ext reader does it (src/fs/ext/path.ts): "." stays, ".." follows the directory's own
// ".." entry, symlinks are followed relative to their directory or from the root, at most
// MAX_SYMLINKS in one lookup.

import { XfsVolume } from "./volume";
import { XfsInodes, XfsInode } from "./inode";
import { XfsDirReader } from "./dir";
import { readLinkBytes } from "./symlink";
import { NAME_MAX } from "./layout";
import { printable } from "../ext/format";

export const MAX_SYMLINKS: i32 = 8;
const SLASH: u8 = 0x2f;
const DOT: u8 = 0x2e;

// The entry called name (len bytes) in directory dir: its inode number, 0 if there is none,
// and false (vol.error) if the directory is damaged.
export class Found {
  ino: u64 = 0;
}

export function findEntry(vol: XfsVolume, dir: XfsInode, name: usize, len: u32, out: Found): bool {
  out.ino = 0;
  const r = new XfsDirReader(vol, dir);
  if (!r.start()) return false;
  for (;;) {
    const k = r.next();
    if (k < 0) return false;
    if (k == 0) return true;
    if (r.nameLen == len && memory.compare(r.name, name, len) == 0) {
      out.ino = r.ino;
      return true;
    }
  }
  return false; // not reached
}

// The inode number path names, or 0 and vol.error.
export function resolvePath(vol: XfsVolume, inodes: XfsInodes, path: string, followLast: bool): u64 {
  if (path.length == 0 || path.charCodeAt(0) != SLASH) {
    vol.fail("path \"" + path + "\" is not absolute");
    return 0;
  }
  const root = vol.sb.rootIno;
  const encoded = String.UTF8.encode(path);
  let buf = changetype<usize>(encoded);
  let end = <u32>encoded.byteLength;
  let pos: u32 = 0;
  let cur: u64 = root;
  let links: i32 = 0;
  const found = new Found();

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
    let more = pos;
    while (more < end && load<u8>(buf + more) == SLASH) more++;
    const last = more >= end;
    const trailingSlash = pos < end;

    if (!dir.isDir) return failPath(vol, path, "inode " + cur.toString() + " is not a directory");
    if (len == 1 && load<u8>(name) == DOT) continue;
    if (len > NAME_MAX) return failPath(vol, path, "name of " + len.toString() + " bytes is too long");
    if (!findEntry(vol, dir, name, len, found)) return failPath(vol, path);
    if (found.ino == 0) return failPath(vol, path, "\"" + printable(name, len) + "\" not found in directory inode " + cur.toString());
    const ino = found.ino;
    const child = inodes.get(ino);
    if (child == null) return failPath(vol, path);

    if (child.isSymlink && (!last || followLast || trailingSlash)) {
      if (++links > MAX_SYMLINKS) return failPath(vol, path, "too many levels of symbolic links (more than " + MAX_SYMLINKS.toString() + ")");
      const n = readLinkBytes(vol, child);
      if (n < 0) return failPath(vol, path);
      const rest = end - pos;
      const next = heap.alloc(<usize>n + rest);
      memory.copy(next, vol.linkBuf, n);
      memory.copy(next + n, buf + pos, rest);
      if (load<u8>(next) == SLASH) cur = root;
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

function failPath(vol: XfsVolume, path: string, reason: string | null = null): u64 {
  const why = reason != null ? reason : vol.inner;
  vol.fail(path + ": " + why);
  return 0;
}
