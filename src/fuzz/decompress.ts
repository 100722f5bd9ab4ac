// Fuzz entry: the decompressors (src/loader/decompress) over one compressed stream in memory.
// The first input byte picks the format: FORMATS[b % 8] (gzip xz lzma zstd lz4 bzip2 lzo), or
// for 7 whatever detectFormat says (nothing when it knows none); the rest is the stream.
// Output is limited to 16 MiB. Anything that traps is a finding; so is a broken invariant:
//   - an error result carries no data, and its message names the format ("xz: ...");
//   - a good result is within the limit and its bytes can be read;
//   - the same stream with a limit one byte below what it produced is refused, not cut short;
//   - decompressing it a second time gives the same result: no state kept from the first.
//
// Built with scripts/fuzz/build.sh: runtime stub (src/lib/runtime.ts in its place), imported memory, abort -> src/fuzz/abort.

import { decompress, detectFormat, FORMATS } from "../loader/decompress/index";
import { abortRecord, fuzzFail } from "./abort";
import { selftest } from "./selftest";

const LIMIT: usize = 16 << 20;

export function fuzz_alloc(n: usize): usize {
  return heap.alloc(n);
}

export function fuzz_abort_record(): usize {
  return abortRecord();
}

let lastError: string | null = null;

function check(fmt: string, p: usize, n: usize, limit: usize): usize {
  const d = decompress(fmt, p, n, limit);
  const e = d.error;
  lastError = e;
  if (e != null) {
    if (d.len != 0 || d.ptr != 0) fuzzFail("an error result with data");
    if (!e.startsWith(fmt + ": ")) fuzzFail("an error message that does not name its format");
    return usize.MAX_VALUE;
  }
  if (d.len > limit) fuzzFail("output past the limit");
  if (d.len > 0) {
    // Bounds-checked reads: the bytes are in linear memory.
    let x = load<u8>(d.ptr) ^ load<u8>(d.ptr + d.len - 1);
    if (x == 0x100) fuzzFail("unreachable");
  }
  return d.len;
}

export function fuzz_one(ptr: usize, len: usize): void {
  if (len == 0) return;
  const sel = <i32>(load<u8>(ptr) & 7);
  const p = ptr + 1;
  const n = len - 1;
  let fmt: string;
  if (sel < FORMATS.length) {
    fmt = FORMATS[sel];
  } else {
    fmt = detectFormat(p, n);
    if (fmt.length == 0) return;
  }
  // Nothing is kept from one call to the next (a boot decompresses again after a failed
  // entry): the same stream a second time gives the same result, error message included.
  const d0 = decompress(fmt, p, n, LIMIT);
  const got = check(fmt, p, n, LIMIT);
  const e0 = d0.error;
  if ((e0 != null) != (got == usize.MAX_VALUE) || (e0 == null && got != d0.len) ||
    (e0 != null && e0 != lastError)) fuzzFail("a second call gives another result");
  if (got != usize.MAX_VALUE && got > 0) {
    if (check(fmt, p, n, got - 1) != usize.MAX_VALUE) fuzzFail("output cut short at the limit instead of refused");
  }
}

// Deliberate traps for the harness tests (src/fuzz/selftest.ts); not reachable from fuzz_one.
export function fuzz_selftest(kind: u32, arg: u32): u32 {
  return selftest(kind, arg);
}
