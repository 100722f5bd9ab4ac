// Fuzz entry: the XFS reader (src/fs/xfs) over a whole-disk image in memory, as src/fuzz/ext.ts
// does for ext: mount it, then the walk of src/fuzz/fswalk.ts (every directory, file and
// symlink, the API's promises checked). Same contract as src/fuzz/partitions.ts: a trap, a
// timeout or a broken invariant checked here is a finding.
//
// The input is the disk image itself, or (to keep the 1-4 MiB images the fuzzer works on
// small, so that mutations land on metadata rather than on zeros) the same image in the sparse
// "PVZ1" form of src/fuzz/fswalk.ts, expanded to at most 16 MiB. scripts/fuzz/seeds.ts makes such inputs from mkfs.xfs images (and expands them back).

import { XfsFs } from "../fs/xfs/xfs";
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
  const m = XfsFs.mount(expandedImage(ptr, len, SPARSE_MAX));
  const f = m.fs;
  if (f == null) {
    if (m.error == null) fuzzFail("mount failed without an error");
    return;
  }
  f.describe();
  const root = f.lookup("/");
  if (root.ino != f.rootIno) fuzzFail("lookup(\"/\") is not the superblock's root inode");
  walkTree(f, root.ino);
  // A few names that are not there, through every kind of directory on the way.
  f.lookup("/no/such/path");
  f.lookup("/boot/grub/menu.lst");
  f.lookup("/../../.././vmlinuz");
}
