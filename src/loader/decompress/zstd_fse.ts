// zstd's entropy tables (RFC 8878 section 4.1): reading an FSE table description, building
// FSE decoding tables (for the sequence codes and for the Huffman weights), and the backward
// bit reader both share. The hot loops (zstd.ts) keep their own copies of the reader's state
// in locals; this one, on globals, serves the cold paths.

// Normalized counts read by readNorm (i16 per symbol) and the next-state counters of a build.
export const NORM: usize = memory.data(256 * 2, 8);
export const NEXT: usize = memory.data(256 * 2, 8);
export const SPREAD: usize = memory.data(512, 8); // a table's symbols, one byte per cell
// Streams shorter than 8 bytes are copied here, so that one 8-byte load works.
const SMALL: usize = memory.data(16, 8);

export let fseLog: u32 = 0; // accuracy log of the description readNorm read
export let fseSyms: u32 = 0; // number of symbols it gave counts for

// ---- forward bits, for the table descriptions ---------------------------------------------

// Up to 25 bits from bit `pos` of [p, p+avail); bytes past the end read as zero (the caller
// checks, once done, that what it consumed lies within avail).
// @ts-ignore: decorator
@inline function fwd(p: usize, avail: usize, pos: u32, n: u32): u32 {
  const b = <usize>(pos >> 3);
  let w: u32 = 0;
  if (b + 4 <= avail) {
    w = load<u32>(p + b);
  } else {
    for (let i: usize = 0; i < 4; i++) if (b + i < avail) w |= <u32>load<u8>(p + b + i) << (<u32>i << 3);
  }
  return (w >>> (pos & 7)) & ((<u32>1 << n) - 1);
}

// An FSE table description at p (at most avail bytes): counts into NORM, fseLog, fseSyms.
// The bytes it took, or 0 when it is malformed (accuracy above maxLog, a symbol above maxSym,
// counts that do not add up).
export function readNorm(p: usize, avail: usize, maxSym: u32, maxLog: u32): usize {
  if (avail == 0) return 0;
  let pos: u32 = 0;
  const log = fwd(p, avail, pos, 4) + 5;
  pos += 4;
  if (log > maxLog) return 0;
  let remaining: i32 = (1 << log) + 1;
  let threshold: i32 = 1 << log;
  let nb: u32 = log + 1;
  let sym: u32 = 0;
  while (remaining > 1) {
    if (sym > maxSym) return 0;
    if ((pos >> 3) > <u32>avail) return 0;
    const max: i32 = 2 * threshold - 1 - remaining;
    const v = <i32>fwd(p, avail, pos, nb);
    let val: i32;
    if ((v & (threshold - 1)) < max) {
      val = v & (threshold - 1);
      pos += nb - 1;
    } else {
      val = v & (2 * threshold - 1);
      if (val >= threshold) val -= max;
      pos += nb;
    }
    const count = val - 1;
    store<i16>(NORM + (<usize>sym << 1), <i16>count);
    sym++;
    remaining -= count < 0 ? -count : count;
    if (remaining < 1) return 0;
    if (count == 0) {
      // runs of further zero counts, two bits at a time, 3 meaning "and more"
      while (true) {
        if ((pos >> 3) > <u32>avail) return 0;
        const r = fwd(p, avail, pos, 2);
        pos += 2;
        for (let i: u32 = 0; i < r; i++) {
          if (sym > maxSym) return 0;
          store<i16>(NORM + (<usize>sym << 1), 0);
          sym++;
        }
        if (r != 3) break;
      }
    }
    while (remaining < threshold) {
      nb--;
      threshold >>= 1;
    }
  }
  if (remaining != 1) return 0;
  const used = <usize>((pos + 7) >> 3);
  if (used > avail) return 0;
  fseLog = log;
  fseSyms = sym;
  return used;
}

// The counts in NORM (nsym symbols, accuracy log) spread over the table's cells: each cell's
// symbol in SPREAD (a byte per cell), each symbol's count in NEXT (its cells' first state
// value, counted up as a table is built from SPREAD). False when the counts cannot be spread
// (a malformed description).
export function spreadFse(log: u32, nsym: u32): bool {
  const size: i32 = 1 << log;
  let high: i32 = size - 1;
  for (let s: u32 = 0; s < nsym; s++) {
    const c = <i32>load<i16>(NORM + (<usize>s << 1));
    if (c == -1) {
      if (high < 0) return false;
      store<u8>(SPREAD + <usize>high, <u8>s);
      high--;
      store<u16>(NEXT + (<usize>s << 1), 1);
    } else {
      store<u16>(NEXT + (<usize>s << 1), <u16>c);
    }
  }
  const mask = size - 1;
  const step = (size >> 1) + (size >> 3) + 3;
  let pos: i32 = 0;
  if (high == mask) {
    // no symbol of count -1 holds the top cells: no position to skip
    for (let s: u32 = 0; s < nsym; s++) {
      const c = <i32>load<i16>(NORM + (<usize>s << 1));
      for (let i: i32 = 0; i < c; i++) {
        store<u8>(SPREAD + <usize>pos, <u8>s);
        pos = (pos + step) & mask;
      }
    }
    return pos == 0;
  }
  for (let s: u32 = 0; s < nsym; s++) {
    const c = <i32>load<i16>(NORM + (<usize>s << 1));
    for (let i: i32 = 0; i < c; i++) {
      store<u8>(SPREAD + <usize>pos, <u8>s);
      do pos = (pos + step) & mask; while (pos > high);
    }
  }
  return pos == 0;
}

// A one-cell table of symbol s (RLE mode): its state takes no bits and stays 0.
export function spreadOne(s: u32): void {
  store<u8>(SPREAD, <u8>s);
  store<u16>(NEXT + (<usize>s << 1), 1);
}

// An FSE decoding table at tab from the counts in NORM (fseSyms symbols, accuracy log):
// 8-byte cells [symbol u32, 0 u8, bits u8, next state base u16]. False when the counts
// cannot be spread (a malformed description).
export function buildFse(tab: usize, log: u32, nsym: u32): bool {
  if (!spreadFse(log, nsym)) return false;
  const size: usize = <usize>1 << log;
  for (let u: usize = 0; u < size; u++) {
    const e = tab + (u << 3);
    const s = <usize>load<u8>(SPREAD + u);
    const x = <u32>load<u16>(NEXT + (s << 1));
    store<u16>(NEXT + (s << 1), <u16>(x + 1));
    const nb = log - (31 - clz<u32>(x));
    store<u32>(e, <u32>s);
    store<u8>(e, 0, 4);
    store<u8>(e, <u8>nb, 5);
    store<u16>(e, <u16>((x << nb) - <u32>size), 6);
  }
  return true;
}

// ---- the backward bit reader (cold paths) -------------------------------------------------

export let bStart: usize = 0;
export let bPtr: usize = 0;
export let bBits: u64 = 0;
export let bUsed: u32 = 0;

// Start reading the stream [p, p+n) from its end. False when it is empty or its last byte,
// which carries the end mark, is zero.
export function bInit(p: usize, n: usize): bool {
  if (n == 0) return false;
  const last = <u32>load<u8>(p + n - 1);
  if (last == 0) return false;
  const mark = 8 - (31 - clz<u32>(last));
  if (n >= 8) {
    bStart = p;
    bPtr = p + n - 8;
    bBits = load<u64>(bPtr);
    bUsed = mark;
  } else {
    store<u64>(SMALL, 0);
    memory.copy(SMALL, p, n); // the low bytes: the missing high ones count as read
    bStart = SMALL;
    bPtr = SMALL;
    bBits = load<u64>(SMALL);
    bUsed = mark + (8 - <u32>n) * 8;
  }
  return true;
}

// @ts-ignore: decorator
@inline export function bRead(n: u32): u32 {
  const v = <u32>(((bBits << bUsed) >>> 1) >>> (63 - n));
  bUsed += n;
  return v;
}

// Refill after reading: false once more bits were read than the stream holds.
export function bReload(): bool {
  if (bUsed > 64) return false;
  if (bPtr >= bStart + 8) {
    bPtr -= bUsed >> 3;
    bUsed &= 7;
  } else {
    if (bPtr == bStart) return true;
    let nb = <usize>(bUsed >> 3);
    if (nb > bPtr - bStart) nb = bPtr - bStart;
    bPtr -= nb;
    bUsed -= <u32>nb << 3;
  }
  bBits = load<u64>(bPtr);
  return true;
}

// Every bit read, none more.
export function bDone(): bool {
  return bReload() && bPtr == bStart && bUsed == 64;
}

// Hand back the state a hot loop kept in locals (same stream, same start).
export function setReader(ptr: usize, bits: u64, used: u32): void {
  bPtr = ptr;
  bBits = bits;
  bUsed = used;
}

// The same for a stream other than the last one started.
export function setReaderAt(start: usize, ptr: usize, bits: u64, used: u32): void {
  bStart = start;
  setReader(ptr, bits, used);
}
