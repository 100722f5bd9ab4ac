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

// For off 3, 5, 6, 7, nibble off: the smallest multiple of off that is at least 8 (9, 10, 12, 14).
const MATCH_STEP: u32 = 0xeca89880;

// The word loops of a match copy: from op up to e, `off` bytes back, in whole 8- or 16-byte
// words, writing up to 15 bytes past e (the caller has that room; the overshoot is overwritten
// later). Overlapping allowed: the output repeats with period off.
// @ts-ignore: decorator
@inline
export function copyMatchWords(op: usize, off: usize, e: usize): void {
  if (off >= 16) {
    do {
      store<u64>(op, load<u64>(op - off));
      store<u64>(op, load<u64>(op - off, 8), 8);
      op += 16;
    } while (op < e);
  } else if (off >= 8) {
    do {
      store<u64>(op, load<u64>(op - off));
      op += 8;
    } while (op < e);
  } else if ((off & (off - 1)) == 0) {
    // off 1, 2 or 4: the period divides 8, so every word is the same; no load depends on a
    // store just made.
    let v: u64;
    if (off == 1) v = <u64>load<u8>(op - 1) * 0x0101010101010101;
    else if (off == 2) v = <u64>load<u16>(op - 2) * 0x0001000100010001;
    else v = <u64>load<u32>(op - 4) * 0x0000000100000001;
    do {
      store<u64>(op, v);
      store<u64>(op, v, 8);
      op += 16;
    } while (op < e);
  } else {
    // off 3, 5, 6 or 7: the first 8 bytes one by one (each reads bytes just written), then
    // whole words from d back, the smallest multiple of off that is at least 8 (nibble off
    // of MATCH_STEP): the output repeats with period off, and the words no longer overlap.
    store<u8>(op, load<u8>(op - off));
    store<u8>(op + 1, load<u8>(op + 1 - off));
    store<u8>(op + 2, load<u8>(op + 2 - off));
    store<u8>(op + 3, load<u8>(op + 3 - off));
    store<u8>(op + 4, load<u8>(op + 4 - off));
    store<u8>(op + 5, load<u8>(op + 5 - off));
    store<u8>(op + 6, load<u8>(op + 6 - off));
    store<u8>(op + 7, load<u8>(op + 7 - off));
    op += 8;
    if (op < e) {
      const d = <usize>((MATCH_STEP >> (<u32>off << 2)) & 15);
      do {
        store<u64>(op, load<u64>(op - d));
        op += 8;
      } while (op < e);
    }
  }
}

// Copy an LZ77 match: `len` bytes to `op` from `off` bytes back, overlapping allowed (the
// output repeats with period `off`). `capEnd` is the end of the writable buffer: when there
// are 16 bytes of room past op + len, whole words (copyMatchWords); without that room, byte by
// byte. The caller has checked that off is non-zero and reaches no further back than its
// output, and that op + len <= capEnd. No memory.copy: a match is short, and the shim's
// memmove is rep movs (words, then bytes), which costs over a hundred cycles to start, and a
// match's source and destination may be closer than a word.
// @ts-ignore: decorator
@inline
export function copyMatch(op: usize, off: usize, len: usize, capEnd: usize): void {
  const e = op + len;
  if (capEnd - e >= 16) {
    copyMatchWords(op, off, e);
  } else {
    for (; op < e; op++) store<u8>(op, load<u8>(op - off));
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
