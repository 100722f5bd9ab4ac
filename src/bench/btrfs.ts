// Benchmark entry: the btrfs reader (src/fs/btrfs) reading every file of an image in linear
// memory, for build/bench/btrfs-read-all (scripts/bench/fs-read-all.c, run by
// scripts/bench/btrfs-read-all.ts). Compiled like the core (src/bench/asconfig.json), then
// wasm2c and gcc with the PV image's flags (Makefile: build/bench/btrfs-read-all).

import { MemorySource } from "../disk/source";
import { BtrfsFs } from "../fs/btrfs/btrfs";
import { failRecord, newRecord, readAll } from "./read-all";
export { bench_alloc, bench_abort_record } from "./read-all";

// Mount the image at p (len bytes), then read all of its default subvolume (src/bench/read-all.ts:
// the record).
export function bench_read_all(p: usize, len: usize): usize {
  const rec = newRecord();
  const m = BtrfsFs.mount(new MemorySource(p, <u64>len, "image"));
  if (m.fs == null) return failRecord(rec, m.error!);
  return readAll(m.fs!, rec);
}
