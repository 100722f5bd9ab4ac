// Fuzz entry: the ext2/3/4 reader (src/fs/ext) over a whole-disk image in memory. Mount it,
// then the walk of src/fuzz/fswalk.ts: the whole tree (bounded depth and entries, each
// directory once), stat everything, read every regular file (whole up to a cap, and a few
// ranges of larger or sparse ones), read every symlink and resolve it through lookup, and look
// every path up again by name. Same contract as src/fuzz/partitions.ts: a trap, a timeout or
// a broken invariant checked here is a finding.
//
// The input is the disk image itself, or (to keep the 1-4 MiB images the fuzzer works on
// small, so that mutations land on metadata rather than on zeros) the same image in the sparse
// "PVZ1" form of src/fuzz/fswalk.ts, expanded to at most 16 MiB. scripts/fuzz/seeds.ts makes such inputs from mke2fs images (and expands them back).

import { ExtFs } from "../fs/ext/ext";
import { abortRecord, fuzzFail } from "./abort";
import { selftest } from "./selftest";
import { walkTree, expandedImage } from "./fswalk";

export function fuzz_alloc(n: usize): usize {
  return heap.alloc(n);
}

export function fuzz_abort_record(): usize {
  return abortRecord();
}

export function fuzz_selftest(kind: u32, arg: u32): u32 {
  return selftest(kind, arg);
}

const SPARSE_MAX: u32 = 16 << 20; // the sparse form expands to at most this

export function fuzz_one(ptr: usize, len: usize): void {
  const m = ExtFs.mount(expandedImage(ptr, len, SPARSE_MAX));
  const f = m.fs;
  if (f == null) {
    if (m.error == null) fuzzFail("mount failed without an error");
    return;
  }
  f.describe();
  const root = f.lookup("/");
  if (root.ino != 0 && root.ino != 2) fuzzFail("lookup(\"/\") is not inode 2");
  walkTree(f, 2);
  // A few names that are not there, through every kind of directory on the way.
  f.lookup("/no/such/path");
  f.lookup("/boot/grub/menu.lst");
  f.lookup("/../../.././vmlinuz");
}
