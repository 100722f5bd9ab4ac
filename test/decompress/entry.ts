// Test entry for the decompressors (src/loader/decompress): the host copies compressed bytes
// into this module's memory, calls run(format, ptr, len, limit), then reads the result record:
// [ptr, len, error string address or 0, bytes ignored after the stream], four u32s at the
// returned address.
//
// Built by test/decompress/wasm.ts to build/decompress-test.wasm; AssemblyScript's abort is
// routed to testAbort so the message reaches the host, then the module traps.

import { decompress, detectFormat, FORMATS } from "../../src/loader/decompress/index";

@external("env", "hostAbort")
declare function hostAbort(msg: usize, file: usize, line: u32, col: u32): void;

export function testAbort(msg: string | null, file: string | null, line: u32, col: u32): void {
  hostAbort(changetype<usize>(msg), changetype<usize>(file), line, col);
  unreachable();
}

export function alloc(n: usize): usize {
  return heap.alloc(n);
}

// Forget everything allocated so far (the stub allocator's reset): one module instance can
// run many cases without its memory growing without end.
export function reset(): void {
  heap.reset();
}

// format: an index into FORMATS.
export function run(format: u32, src: usize, len: usize, limit: usize): usize {
  const r = decompress(FORMATS[format], src, len, limit);
  const rec = heap.alloc(16);
  store<u32>(rec, <u32>r.ptr);
  store<u32>(rec + 4, <u32>r.len);
  store<u32>(rec + 8, r.error != null ? <u32>changetype<usize>(r.error!) : 0);
  store<u32>(rec + 12, <u32>r.ignored);
  return rec;
}

// The index of the detected format in FORMATS, or -1.
export function detect(src: usize, len: usize): i32 {
  return FORMATS.indexOf(detectFormat(src, len));
}
