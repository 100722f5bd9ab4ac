// Fuzz entry: the btrfs reader (src/fs/btrfs) over a whole-disk image in memory. Mount it,
// then the walk of src/fuzz/fswalk.ts from the default subvolume's root (every directory,
// file and symlink, crossing into subvolumes, the API's promises checked), and again without
// data checksums when some failed. Same contract as
// src/fuzz/partitions.ts: a trap, a timeout or a broken invariant checked here is a finding.
//
// The input is the disk image itself, or the same image in the sparse "PVZ1" form of
// src/fuzz/fswalk.ts (so that mutations land on metadata rather than on zeros).
// scripts/fuzz/seeds.ts makes such inputs from mkfs.btrfs images (and expands them back).
// Unlike ext's, the sparse form is read in place (SparseSource), never expanded, so an image
// may state any size below 4 GiB.

import { BlockSource, MemorySource } from "../disk/source";
import { BtrfsFs } from "../fs/btrfs/btrfs";
import { abortRecord, fuzzFail } from "./abort";
import { selftest } from "./selftest";
import { walkTree, SPARSE_MAGIC, SECTOR } from "./fswalk";

export function fuzz_alloc(n: usize): usize {
  return heap.alloc(n);
}

export function fuzz_abort_record(): usize {
  return abortRecord();
}

export function fuzz_selftest(kind: u32, arg: u32): u32 {
  return selftest(kind, arg);
}

const SPARSE_MAX: u32 = 0xffffffff; // read in place: any size up to 4 GiB

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
  f.describe();
  const root = f.lookup("/");
  if (root.error != null) return;
  walkTree(f, root.ino);
  // Mutated or blanked file data (the regression inputs blank it) fails its data checksums,
  // and the walk stops at each such file before its extents are decoded: walk again without
  // the checks, so that extent copying and the decompressors are fuzzed on that data too.
  if (f.files.sums.mismatches > 0) {
    f.files.checkSums = false;
    walkTree(f, root.ino);
    f.files.checkSums = true;
  }
  // A few names that are not there, through every kind of directory on the way.
  f.lookup("/no/such/path");
  f.lookup("/boot/grub/menu.lst");
  f.lookup("/../../.././vmlinuz");
  f.lookup("/@/.snapshots/1/snapshot/boot/grub/grub.cfg");
}
