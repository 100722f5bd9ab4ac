// Where a decompressor writes: one buffer that grows as the output does, up to a limit (what
// the domain can hold). It is the boot attempt's memory (src/lib/attempt.ts), given back when
// the attempt fails; the newest block grows in place, so growing the buffer while nothing
// else is allocated costs no copy.

import { attemptAlloc, attemptExtend, attemptOpen } from "../../lib/attempt";

const PAGE: usize = 4096;
const NEVER: usize = <usize>-1;

// A caller that shows progress (src/boot/report.ts) sets a hook: every OutBuf made while it is
// set calls it with the output's length each time the output passes another `step` bytes
// (checked where a decoder asks for room, once per block or match: never per byte).
let progressHook: ((len: usize) => void) | null = null;
let progressStep: usize = 0;

export function setProgress(hook: ((len: usize) => void) | null, step: usize): void {
  progressHook = hook;
  progressStep = step;
}

export class OutBuf {
  ptr: usize = 0; // page-aligned: a loader can hand the output's pages on where they are
  len: usize = 0;
  cap: usize = 0;
  limit: usize;
  ignored: usize = 0; // set by a decoder that stops before the input's end (gzip's trailing data)
  private raw: usize = 0; // the block from the allocator; ptr is its first page boundary
  private nextProgress: usize = NEVER; // the length at which progressHook is called next
  private rawSize: usize = 0;

  constructor(initial: usize, limit: usize) {
    this.limit = limit;
    const n: usize = initial < 4096 ? 4096 : initial;
    const cap = n < limit ? n : limit;
    const raw = attemptAlloc(cap + PAGE - 1, false);
    if (raw != 0) { // else no memory: cap stays 0, and reserve tries again
      this.raw = raw;
      this.rawSize = cap + PAGE - 1;
      this.cap = cap;
      this.ptr = (raw + PAGE - 1) & ~(PAGE - 1);
    }
    if (progressHook != null && progressStep > 0) this.nextProgress = progressStep;
  }

  // Room for n more bytes; false when the output would pass the limit (or the memory).
  reserve(n: usize): bool {
    // Crossing the next progress step: the hook runs, and the next step lies past these n
    // bytes, so that room() covers every byte a successful reserve granted.
    if (n > this.nextProgress - this.len || this.len >= this.nextProgress) this.progress(n);
    if (this.len + n <= this.cap) return true;
    if (n > this.limit - this.len) return false;
    let want: usize = this.cap;
    if (want == 0) want = this.limit < 4096 ? this.limit : 4096;
    while (want < this.len + n) want = want > (this.limit >> 1) ? this.limit : want << 1;
    if (this.raw != 0 && attemptExtend(this.raw, this.rawSize, want + PAGE - 1)) {
      this.rawSize = want + PAGE - 1;
      this.cap = want;
      return true;
    }
    if (this.raw != 0 && !attemptOpen()) {
      // Kept memory (no boot attempt: the tools, the benchmark): the newest block grows in place.
      const at = this.ptr - this.raw;
      const raw = heap.realloc(this.raw, want + PAGE - 1);
      const ptr = (raw + PAGE - 1) & ~(PAGE - 1);
      if (raw + at != ptr) memory.copy(ptr, raw + at, this.len); // moved: back to a page boundary
      this.raw = raw;
      this.rawSize = want + PAGE - 1;
      this.ptr = ptr;
      this.cap = want;
      return true;
    }
    const raw = attemptAlloc(want + PAGE - 1, false);
    if (raw == 0) return false;
    const ptr = (raw + PAGE - 1) & ~(PAGE - 1);
    if (this.len > 0) memory.copy(ptr, this.ptr, this.len);
    this.raw = raw;
    this.rawSize = want + PAGE - 1;
    this.ptr = ptr;
    this.cap = want;
    return true;
  }

  // The capacity as a decoder that caches it should see it: up to the next progress step, so
  // that a decoder writing into room it reserved long ago still passes through reserve (and
  // the hook) each step. After a successful reserve(n), at least len + n.
  room(): usize {
    return this.nextProgress > this.len && this.nextProgress < this.cap ? this.nextProgress : this.cap;
  }

  private progress(n: usize): void {
    this.nextProgress = this.len + (n > progressStep ? n : progressStep);
    const hook = progressHook;
    if (hook != null) hook(this.len);
  }

  byte(b: u32): bool {
    if (this.len == this.cap && !this.reserve(1)) return false;
    store<u8>(this.ptr + this.len, <u8>b);
    this.len++;
    return true;
  }

  append(p: usize, n: usize): bool {
    if (!this.reserve(n)) return false;
    memory.copy(this.ptr + this.len, p, n);
    this.len += n;
    return true;
  }
}

// Copy an LZ77 match: `len` bytes to `op` from `off` bytes back, overlapping allowed (the
// output repeats with period `off`). `capEnd` is the end of the writable buffer: when there
// is room past op + len, whole 8- or 16-byte words are copied and the overshoot is later
// overwritten. The caller has checked that off is non-zero and reaches no further back than
// its output, and that op + len <= capEnd.
@inline
export function copyMatch(op: usize, off: usize, len: usize, capEnd: usize): void {
  let s = op - off;
  const e = op + len;
  if (off >= 16 && capEnd - e >= 16) {
    do {
      store<u64>(op, load<u64>(s));
      store<u64>(op, load<u64>(s, 8), 8);
      op += 16;
      s += 16;
    } while (op < e);
  } else if (off >= 8 && capEnd - e >= 8) {
    do {
      store<u64>(op, load<u64>(s));
      op += 8;
      s += 8;
    } while (op < e);
  } else if (off >= len) {
    memory.copy(op, s, len);
  } else {
    // overlapping: the output repeats with period off, so any multiple of it works too
    let d = off;
    while (op < e) {
      let k = e - op;
      if (k > d) k = d;
      memory.copy(op, op - d, k);
      op += k;
      d <<= 1;
    }
  }
}

// A decompressor's result: the bytes, or what was wrong and where ("xz: block 2 at byte
// 81234: bad LZMA2 chunk header").
export class Decompressed {
  ptr: usize = 0;
  len: usize = 0;
  error: string | null = null;
  zeroTail: bool = false; // the output's last page is zero past len (room was left for it)
  ignored: usize = 0; // bytes after the stream that the format's decoder left alone (gzip)
}
