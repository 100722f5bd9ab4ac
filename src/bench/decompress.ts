// Benchmark entry: the decompressors (src/loader/decompress) as the loader calls them, for
// build/bench/decompress (scripts/bench/decompress.c, run by scripts/bench/decompress.ts).
// Compiled like the core (src/bench/asconfig.json: the options of asconfig.json's release
// target; AssemblyScript's abort routed to src/fuzz/abort, which needs no import), then
// wasm2c and gcc with the PV image's flags (Makefile: build/bench/decompress).

import { decompress, FORMATS } from "../loader/decompress/index";
import { abortRecord } from "../fuzz/abort";

export function bench_alloc(n: usize): usize {
  return heap.alloc(n);
}

export function bench_abort_record(): usize {
  return abortRecord();
}

// The index of `name` (a string the host wrote as ASCII at p, n bytes) in FORMATS, or -1.
export function bench_format(p: usize, n: usize): i32 {
  return FORMATS.indexOf(String.UTF8.decodeUnsafe(p, n));
}

// Decompress as FORMATS[format]; the result record, three u32s: ptr, len, error (an
// AssemblyScript string, or 0).
export function bench_run(format: i32, src: usize, len: usize, limit: usize): usize {
  const d = decompress(FORMATS[format], src, len, limit);
  const rec = heap.alloc(12);
  store<u32>(rec, <u32>d.ptr);
  store<u32>(rec + 4, <u32>d.len);
  store<u32>(rec + 8, d.error != null ? <u32>changetype<usize>(d.error!) : 0);
  return rec;
}
