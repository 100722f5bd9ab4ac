// What every filesystem fuzz target (src/fuzz/ext.ts, xfs.ts, btrfs.ts) does with a mounted
// FileSystem (src/fs/fs.ts): walk the whole tree from the root (bounded depth and entries,
// each directory once), stat everything, read every regular file (whole up to a cap, and a
// few ranges of larger or sparse ones), read every symlink and resolve it through lookup, and
// look the first names of each directory up again by path. The API's promises are checked on
// the way; a broken one is a finding (fuzzFail), as a trap or a timeout is.
//
// Also the sparse input form the ext and XFS targets read (scripts/fuzz/seeds.ts makes it):
//   "PVZ1", u32 image size, then records of u32 sector number + 512 bytes of data to put
//   there; sectors not given are zeros; a trailing partial record is ignored.

import { MemorySource } from "../disk/source";
import { FileSystem, FileType } from "../fs/fs";
import { fuzzFail } from "./abort";

const MAX_DEPTH: i32 = 12; // directory levels below the root
const MAX_ENTRIES: i32 = 2048; // entries visited per input
const MAX_DIRS: i32 = 256; // directories listed per input
const WHOLE_FILE_CAP: u64 = 4 << 20; // files up to this are read whole with readFile
const READ_BUDGET: u64 = 64 << 20; // bytes readFile may allocate per input (kept memory: never freed)
const RANGE: u32 = 4096;
const LOOKUPS_PER_DIR: i32 = 16;

export const SPARSE_MAGIC: u32 = 0x315a5650; // "PVZ1"
export const SECTOR: u32 = 512;

let fs: FileSystem | null = null;
let entries: i32 = 0;
let dirs: i32 = 0;
let readBytes: u64 = 0;
let scratch: usize = 0;
let scratch2: usize = 0;
// Inodes already walked or read: a directory linked into itself (a damaged "." or a hard link
// to an ancestor) is listed once, not once per level, and a file with many names read once.
let seen: Set<u64> = new Set<u64>();

// The image an input stands for: the input itself, or its sparse form expanded into fresh
// (zeroed) memory of at most `max` bytes.
export function expandedImage(ptr: usize, len: usize, max: u32): MemorySource {
  if (len < 8 || load<u32>(ptr) != SPARSE_MAGIC) return new MemorySource(ptr, <u64>len, "fuzz");
  const size = min<u32>(load<u32>(ptr + 4), max);
  const img = heap.alloc(size);
  const end = ptr + len;
  for (let r = ptr + 8; r + 4 + SECTOR <= end; r += 4 + SECTOR) {
    const at = <u64>load<u32>(r) * SECTOR;
    if (at >= <u64>size) continue;
    memory.copy(img + <usize>at, r + 4, <usize>min<u64>(<u64>SECTOR, <u64>size - at));
  }
  return new MemorySource(img, size, "fuzz");
}

// The whole walk from the directory `rootIno`.
export function walkTree(f: FileSystem, rootIno: u64): void {
  fs = f;
  entries = 0;
  dirs = 0;
  seen = new Set<u64>();
  readBytes = 0;
  scratch = heap.alloc(RANGE);
  scratch2 = heap.alloc(RANGE);
  walk(rootIno, "", 0);
}

function walk(ino: u64, path: string, depth: i32): void {
  const f = fs!;
  if (++dirs > MAX_DIRS || seen.has(ino)) return;
  seen.add(ino);
  const d = f.list(ino);
  if (d.error != null) return;
  for (let i = 0; i < d.entries.length; i++) {
    const e = d.entries[i];
    if (e.name == "." || e.name == "..") continue;
    if (++entries > MAX_ENTRIES) return;
    const p = path + "/" + e.name;
    const st = f.stat(e.ino);
    if (st.error != null) continue;
    if (st.ino != e.ino) fuzzFail("stat returned another inode");
    // Look the entry up again by its path (the first few of each directory: a lookup scans
    // the directory, all of them would be quadratic). It may fail (a name with '/', a
    // duplicate name) but must not trap.
    if (i < LOOKUPS_PER_DIR) f.lookup(p, false);
    if (st.type == FileType.File) readFile(e.ino, st.size);
    else if (st.type == FileType.Symlink) {
      f.readLink(e.ino);
      const r = f.lookup(p, true);
      if (r.ino != 0) {
        const t = f.stat(r.ino);
        if (t.error == null && t.type == FileType.File) readFile(r.ino, t.size);
      }
    } else if (st.type == FileType.Dir && depth < MAX_DEPTH) {
      walk(e.ino, p, depth + 1);
    }
  }
}

function readFile(ino: u64, size: u64): void {
  const f = fs!;
  if (seen.has(ino)) return;
  seen.add(ino);
  if (size <= WHOLE_FILE_CAP && readBytes + size <= READ_BUDGET) {
    readBytes += size;
    const data = f.readFile(ino);
    if (data.error == null) {
      if (data.size != size) fuzzFail("readFile size differs from stat");
      // The first bytes through readRange must be the same.
      const n = <u32>min<u64>(size, <u64>RANGE);
      if (f.readRange(ino, 0, n, scratch) == null && memory.compare(scratch, data.data, n) != 0) {
        fuzzFail("readRange and readFile disagree");
      }
    }
  } else {
    // Too large to read whole here: its start, a piece in the middle, its end.
    const n = <u32>min<u64>(size, <u64>RANGE);
    f.readRange(ino, 0, n, scratch);
    f.readRange(ino, size / 2, <u32>min<u64>(size - size / 2, <u64>RANGE), scratch);
    f.readRange(ino, size - <u64>n, n, scratch);
  }
  // "A range past the end is refused."
  if (f.readRange(ino, size, 1, scratch2) == null) fuzzFail("readRange past the end of a file succeeded");
  if (size > 0 && f.readRange(ino, size - 1, 2, scratch2) == null) fuzzFail("readRange across the end of a file succeeded");
}
