// Benchmark entry: the XFS reader (src/fs/xfs) reading every file of an image in linear memory,
// for build/bench/xfs-read-all (scripts/bench/fs-read-all.c, run by scripts/bench/xfs-read-all.ts).
// Compiled like the core (src/bench/asconfig.json), then wasm2c and gcc with the PV image's
// flags (Makefile: build/bench/xfs-read-all).

import { MemorySource } from "../disk/source";
import { XfsFs } from "../fs/xfs/xfs";
import { failRecord, newRecord, readAll } from "./read-all";
export { bench_alloc, bench_abort_record } from "./read-all";

// Mount the image at p (len bytes), then read it all (src/bench/read-all.ts: the record).
export function bench_read_all(p: usize, len: usize): usize {
  const rec = newRecord();
  const m = XfsFs.mount(new MemorySource(p, <u64>len, "image"));
  if (m.fs == null) return failRecord(rec, m.error!);
  return readAll(m.fs!, rec);
}
