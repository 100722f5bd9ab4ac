// Fuzz entry: the btrfs reader (src/fs/btrfs) over a whole-disk image in memory. Mount it,
// then walk the whole tree from the default subvolume's root (bounded depth and entries, each directory once), stat everything, read every regular
// file (whole up to a cap, and a few ranges of larger or sparse ones), read every symlink and
// resolve it through lookup, and look every path up again by name. Same contract as
// src/fuzz/partitions.ts: a trap, a timeout or a broken invariant checked here is a finding.
//
// The input is the disk image itself, or (to keep the 1-4 MiB images the fuzzer works on
// small, so that mutations land on metadata rather than on zeros) the same image in a sparse
// form, recognised by its first 4 bytes "PVZ1" (as src/fuzz/ext.ts):
//   "PVZ1", u32 image size (capped at 16 MiB), then records of u32 sector number + 512 bytes
//   of data to put there; sectors not given are zeros; a trailing partial record is ignored.
// scripts/fuzz/seeds.ts makes such inputs from mkfs.btrfs images (and expands them back).
// Unlike ext's, the sparse form is read in place (SparseSource), never expanded, so an image
// may state any size below 4 GiB.

import { BlockSource, MemorySource } from "../disk/source";
import { BtrfsFs } from "../fs/btrfs/btrfs";
import { FileType } from "../fs/fs";
import { abortRecord, fuzzFail } from "./abort";
import { selftest } from "./selftest";

export function fuzz_alloc(n: usize): usize {
  return heap.alloc(n);
}

export function fuzz_abort_record(): usize {
  return abortRecord();
}

export function fuzz_selftest(kind: u32, arg: u32): u32 {
  return selftest(kind, arg);
}

const MAX_DEPTH: i32 = 12; // directory levels below the root
const MAX_ENTRIES: i32 = 2048; // entries visited per input
const MAX_DIRS: i32 = 256; // directories listed per input
const WHOLE_FILE_CAP: u64 = 4 << 20; // files up to this are read whole with readFile
const READ_BUDGET: u64 = 64 << 20; // bytes readFile may allocate per input (the stub never frees)
const RANGE: u32 = 4096;
const LOOKUPS_PER_DIR: i32 = 16;

let fs: BtrfsFs | null = null;
let entries: i32 = 0;
let dirs: i32 = 0;
let readBytes: u64 = 0;
let scratch: usize = 0;
let scratch2: usize = 0;
// Inodes already walked or read: a directory linked into itself (a damaged "." or a hard link
// to an ancestor) is listed once, not once per level, and a file with many names read once.
let seen: Set<u64> = new Set<u64>();

const SPARSE_MAGIC: u32 = 0x315a5650; // "PVZ1"
const SPARSE_MAX: u32 = 0xffffffff; // read in place: any size up to 4 GiB
const SECTOR: u32 = 512;

// The image an input stands for: the input itself, or its sparse form read in place (a
// btrfs image is 100 MiB or more, mostly zeros: expanding each input would cost more than
// reading it), sectors not given reading as zeros.
class SparseSource extends BlockSource {
  private sectors: Map<u32, usize> = new Map<u32, usize>();
  private length: u64;

  constructor(ptr: usize, len: usize) {
    super();
    this.length = <u64>min<u32>(load<u32>(ptr + 4), SPARSE_MAX);
    const end = ptr + len;
    for (let r = ptr + 8; r + 4 + SECTOR <= end; r += 4 + SECTOR) this.sectors.set(load<u32>(r), r + 4);
  }

  get size(): u64 { return this.length; }
  get name(): string { return "fuzz"; }

  read(offset: u64, len: u32, dst: usize): string | null {
    if (offset > this.length || <u64>len > this.length - offset) return "fuzz: read past the end";
    let done: u32 = 0;
    while (done < len) {
      const at = offset + done;
      const sector = <u32>(at / SECTOR);
      const inSector = <u32>(at % SECTOR);
      const n = min<u32>(SECTOR - inSector, len - done);
      if (this.sectors.has(sector)) memory.copy(dst + done, this.sectors.get(sector) + inSector, n);
      else memory.fill(dst + done, 0, n);
      done += n;
    }
    return null;
  }
}

function image(ptr: usize, len: usize): BlockSource {
  if (len < 8 || load<u32>(ptr) != SPARSE_MAGIC) return new MemorySource(ptr, <u64>len, "fuzz");
  return new SparseSource(ptr, len);
}

export function fuzz_one(ptr: usize, len: usize): void {
  const m = BtrfsFs.mount(image(ptr, len));
  const f = m.fs;
  if (f == null) {
    if (m.error == null) fuzzFail("mount failed without an error");
    return;
  }
  fs = f;
  entries = 0;
  dirs = 0;
  seen = new Set<u64>();
  readBytes = 0;
  scratch = heap.alloc(RANGE);
  scratch2 = heap.alloc(RANGE);
  f.describe();
  const root = f.lookup("/");
  if (root.error != null) return;
  walk(root.ino, "", 0);
  // A few names that are not there, through every kind of directory on the way.
  f.lookup("/no/such/path");
  f.lookup("/boot/grub/menu.lst");
  f.lookup("/../../.././vmlinuz");
  f.lookup("/@/.snapshots/1/snapshot/boot/grub/grub.cfg");
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
