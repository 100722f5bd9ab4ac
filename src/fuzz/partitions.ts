// Fuzz entry: the partition table reader (src/disk/partitions.ts) over an image in memory.
// The driver calls fuzz_alloc(len), copies the input there, then fuzz_one(ptr, len), once per
// fresh instance. Anything that traps (out-of-bounds, unreachable, an abort, stack exhaustion,
// memory beyond the driver's cap) is a finding; so is a broken invariant checked below.
//
// Built with scripts/fuzz/build.sh: runtime stub (src/lib/runtime.ts in its place), imported memory, abort -> src/fuzz/abort.

import { MemorySource, SliceSource } from "../disk/source";
import { readPartitions } from "../disk/partitions";
import { abortRecord, fuzzFail } from "./abort";
import { selftest } from "./selftest";

export function fuzz_alloc(n: usize): usize {
  return heap.alloc(n);
}

export function fuzz_abort_record(): usize {
  return abortRecord();
}

const LBA_SIZES: u32[] = [512, 2048, 4096];

export function fuzz_one(ptr: usize, len: usize): void {
  const disk = new MemorySource(ptr, <u64>len, "fuzz");
  const sector = heap.alloc(512);
  for (let s = 0; s < LBA_SIZES.length; s++) {
    const t = readPartitions(disk, LBA_SIZES[s]);
    if (t.scheme != "none" && t.scheme != "mbr" && t.scheme != "gpt") fuzzFail("unknown scheme");
    let n = 0;
    for (let i = 0; i < t.parts.length; i++) {
      const p = t.parts[i];
      // addPart's promise: every partition lies inside the disk.
      if (p.start >= disk.size || p.size > disk.size - p.start) fuzzFail("partition beyond the disk");
      if (t.find(p.number) == null) fuzzFail("find() misses a listed partition");
      // Open it the way volumes.ts does and read its first and last bytes.
      const part = new SliceSource(disk, p.start, p.size, "(fuzz," + p.number.toString() + ")");
      if (p.size > 0) {
        const chunk = <u32>min<u64>(p.size, 512);
        if (part.read(0, chunk, sector) != null) fuzzFail("cannot read the start of a partition");
        if (part.read(p.size - chunk, chunk, sector) != null) fuzzFail("cannot read the end of a partition");
      }
      if (part.read(p.size, 1, sector) == null) fuzzFail("read past the end of a partition");
      n += p.kind.length;
    }
    for (let i = 0; i < t.warnings.length; i++) n += t.warnings[i].length;
    const err = t.error;
    if (err != null) n += err.length;
  }
}

// Deliberate traps for the harness tests (src/fuzz/selftest.ts); not reachable from fuzz_one.
export function fuzz_selftest(kind: u32, arg: u32): u32 {
  return selftest(kind, arg);
}
