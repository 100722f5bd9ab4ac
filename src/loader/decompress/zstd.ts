// Zstandard (RFC 8878): frames as `zstd` and the kernel's CONFIG_KERNEL_ZSTD write them (any
// window size, single-segment or not, content size, xxHash64 content checksum), raw, RLE and
// compressed blocks; literals raw, RLE or Huffman-coded (one or four streams, a new tree or
// the previous one); sequences with predefined, RLE, FSE or repeated tables and the three
// repeat offsets; skippable frames; any number of frames one after the other. Dictionaries
// are refused. Four bytes after the last frame are the kernel's appended size, checked. The
// whole output stays in one buffer, so a frame's window is simply what it has produced so far.

import { OutBuf, copyMatch, copyMatchWords } from "./output";
import { NORM, SPREAD, NEXT, fseLog, fseSyms, readNorm, buildFse, spreadFse, spreadOne, bInit, bRead, bReload, bDone, bStart, bPtr, bBits, bUsed, setReader, setReaderAt } from "./zstd_fse";

const MAGIC: u32 = 0xfd2fb528;
const BLOCK_MAX: usize = 128 << 10;

// ---- static tables ------------------------------------------------------------------------

const LL_BASE: usize = memory.data<u32>([
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
  16, 18, 20, 22, 24, 28, 32, 40, 48, 64, 128, 256, 512, 1024, 2048, 4096,
  8192, 16384, 32768, 65536]);
const LL_BITS: usize = memory.data<u8>([
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  1, 1, 1, 1, 2, 2, 3, 3, 4, 6, 7, 8, 9, 10, 11, 12,
  13, 14, 15, 16]);
const ML_BASE: usize = memory.data<u32>([
  3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18,
  19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34,
  35, 37, 39, 41, 43, 47, 51, 59, 67, 83, 99, 131, 259, 515, 1027, 2051,
  4099, 8195, 16387, 32771, 65539]);
const ML_BITS: usize = memory.data<u8>([
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  1, 1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 7, 8, 9, 10, 11,
  12, 13, 14, 15, 16]);
const OF_BASE: usize = memory.data<u32>([
  1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768,
  65536, 131072, 262144, 524288, 1048576, 2097152, 4194304, 8388608,
  16777216, 33554432, 67108864, 134217728, 268435456, 536870912, 1073741824, 2147483648]);
const OF_BITS: usize = memory.data<u8>([
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
  16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31]);
const SYM_LL: usize = memory.data(36 * 8, 8);
const SYM_ML: usize = memory.data(53 * 8, 8);
const SYM_OF: usize = memory.data(32 * 8, 8);
const NB_INFO: usize = memory.data(10 * 8, 8);
const LL_DEFAULT: usize = memory.data<i16>([
  4, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1,
  2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 2, 1, 1, 1, 1, 1,
  -1, -1, -1, -1]);
const ML_DEFAULT: usize = memory.data<i16>([
  1, 4, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1,
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1,
  -1, -1, -1, -1, -1]);
const OF_DEFAULT: usize = memory.data<i16>([
  1, 1, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1,
  1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1]);

// Sequence decoding tables, 16-byte cells: [value u32, extra bits u8, state bits u8, 63 -
// extra bits u8, 63 - state bits u8, next u32]. A state is its cell's address; next is the
// address of the cell that the next state's bits count from (the decoder adds bits << 4).
// The shift counts spare the loop a subtraction per field read.
const LL_TAB: usize = memory.data(512 * 16, 16);
const ML_TAB: usize = memory.data(512 * 16, 16);
const OF_TAB: usize = memory.data(256 * 16, 16);
const LL_PRE: usize = memory.data(64 * 16, 16);
const ML_PRE: usize = memory.data(64 * 16, 16);
const OF_PRE: usize = memory.data(32 * 16, 16);
const W_TAB: usize = memory.data(64 * 8, 8); // Huffman weights' FSE table
// Huffman decoding table: u16 cells symbol | bits << 8, indexed by the next 11 bits.
const HUF: usize = memory.data(2048 * 2, 8);
const HUF_SHIFT: u64 = 64 - 11; // a lookup's index: the next 11 bits
const RANK: usize = memory.data(12 * 4, 8); // huffTree's positions per weight
const WEIGHTS: usize = memory.data(256, 8);
// Decoded literals of one block, with slack for 16-byte copies.
const LITS: usize = memory.data(<i32>BLOCK_MAX + 64, 8);

const LL: u32 = 0;
const ML: u32 = 1;
const OF: u32 = 2;

let predefReady = false;
// The tables in use (for repeat mode) and their accuracy logs, per frame.
let llTab: usize = 0, mlTab: usize = 0, ofTab: usize = 0;
let llLog: u32 = 0, mlLog: u32 = 0, ofLog: u32 = 0;
let hufBits: u32 = 0; // 0: no Huffman table yet in this frame
let rep1: usize = 1, rep2: usize = 4, rep3: usize = 8;

let err: string | null = null;

// @ts-ignore: decorator
@inline function fail(what: string, at: usize): bool {
  err = "zstd: " + what + " at byte " + at.toString();
  return false;
}

// A sequence table at tab for code `kind` from the spread symbols (SPREAD, NEXT: spreadFse or
// spreadOne): each cell's base value and extra bits (from the code's SYM_* table), and its
// state's bits and next cell.
function seqValues(tab: usize, log: u32, kind: u32): void {
  const size: usize = <usize>1 << log;
  const sym = kind == LL ? SYM_LL : kind == ML ? SYM_ML : SYM_OF;
  const top = tab - (size << 4);
  for (let u: usize = 0; u < size; u++) {
    const s = <usize>load<u8>(SPREAD + u);
    const x = <u32>load<u16>(NEXT + (s << 1));
    store<u16>(NEXT + (s << 1), <u16>(x + 1));
    const nb = log - (31 - clz<u32>(x));
    const e = tab + (u << 4);
    store<u64>(e, load<u64>(sym + (s << 3)) | load<u64>(NB_INFO + (<usize>nb << 3)));
    store<u32>(e, <u32>(top + (<usize>(x << nb) << 4)), 8);
  }
}

// The SYM_* tables: per symbol, the cell's first 8 bytes without the state's bits; NB_INFO:
// per count of state bits, those.
function symTable(sym: usize, base: usize, bits: usize, n: usize): void {
  for (let s: usize = 0; s < n; s++) {
    const b = <u32>load<u8>(bits + s);
    store<u32>(sym + (s << 3), load<u32>(base + (s << 2)));
    store<u32>(sym + (s << 3), b | (63 - b) << 16, 4);
  }
}

// Once, before the first frame: the SYM_* and NB_INFO tables every sequence table is built
// from (seqValues), then the tables of the predefined distributions.
function predefined(): void {
  symTable(SYM_LL, LL_BASE, LL_BITS, 36);
  symTable(SYM_ML, ML_BASE, ML_BITS, 53);
  symTable(SYM_OF, OF_BASE, OF_BITS, 32);
  for (let nb: u64 = 0; nb < 10; nb++) store<u64>(NB_INFO + (<usize>nb << 3), (nb << 8 | (63 - nb) << 24) << 32);
  memory.copy(NORM, LL_DEFAULT, 36 * 2);
  spreadFse(6, 36);
  seqValues(LL_PRE, 6, LL);
  memory.copy(NORM, ML_DEFAULT, 53 * 2);
  spreadFse(6, 53);
  seqValues(ML_PRE, 6, ML);
  memory.copy(NORM, OF_DEFAULT, 29 * 2);
  spreadFse(5, 29);
  seqValues(OF_PRE, 5, OF);
  predefReady = true;
}

// ---- Huffman ------------------------------------------------------------------------------

// A Huffman tree description at p: the weights, then the decoding table in HUF. The bytes it
// took, or 0 (err set).
function huffTree(p: usize, avail: usize, at: usize): usize {
  if (avail == 0) { fail("missing Huffman tree", at); return 0; }
  const hb = <usize>load<u8>(p);
  let n: usize = 0;
  let used: usize;
  if (hb >= 128) {
    n = hb - 127;
    used = 1 + ((n + 1) >> 1);
    if (used > avail) { fail("truncated Huffman weights", at); return 0; }
    for (let i: usize = 0; i < n; i++) {
      const b = <u32>load<u8>(p + 1 + (i >> 1));
      store<u8>(WEIGHTS + i, <u8>((i & 1) != 0 ? b & 15 : b >> 4));
    }
  } else {
    used = 1 + hb;
    if (hb == 0 || used > avail) { fail("bad Huffman weights size", at); return 0; }
    const d = readNorm(p + 1, hb, 12, 6);
    if (d == 0 || !buildFse(W_TAB, fseLog, fseSyms)) { fail("bad FSE table for Huffman weights", at + 1); return 0; }
    if (!bInit(p + 1 + d, hb - d)) { fail("bad Huffman weights stream", at + 1 + d); return 0; }
    const log = fseLog;
    if (<u32>64 - bUsed < 2 * log) { fail("Huffman weights stream too short", at + 1 + d); return 0; }
    let s1 = bRead(log), s2 = bRead(log);
    bReload();
    // two interleaved states; once a state's update reads past the stream's start, the
    // other state's symbol is the last weight
    while (true) {
      if (n + 2 > 255) { fail("too many Huffman weights", at); return 0; }
      let e = W_TAB + (<usize>s1 << 3);
      store<u8>(WEIGHTS + n++, <u8>load<u32>(e));
      s1 = <u32>load<u16>(e, 6) + bRead(load<u8>(e, 5));
      if (!bReload()) {
        store<u8>(WEIGHTS + n++, <u8>load<u32>(W_TAB + (<usize>s2 << 3)));
        break;
      }
      if (n + 2 > 255) { fail("too many Huffman weights", at); return 0; }
      e = W_TAB + (<usize>s2 << 3);
      store<u8>(WEIGHTS + n++, <u8>load<u32>(e));
      s2 = <u32>load<u16>(e, 6) + bRead(load<u8>(e, 5));
      if (!bReload()) {
        store<u8>(WEIGHTS + n++, <u8>load<u32>(W_TAB + (<usize>s1 << 3)));
        break;
      }
    }
  }
  // the last symbol's weight is what makes the total a power of two
  let total: u32 = 0;
  for (let i: usize = 0; i < n; i++) {
    const w = <u32>load<u8>(WEIGHTS + i);
    if (w > 11) { fail("Huffman weight above 11", at); return 0; }
    if (w != 0) total += <u32>1 << (w - 1);
  }
  if (total == 0) { fail("Huffman weights all zero", at); return 0; }
  const maxBits: u32 = 32 - clz<u32>(total);
  if (maxBits > 11) { fail("Huffman code longer than 11 bits", at); return 0; }
  const rest = (<u32>1 << maxBits) - total;
  if ((rest & (rest - 1)) != 0) { fail("Huffman weights do not complete a tree", at); return 0; }
  store<u8>(WEIGHTS + n, <u8>(32 - clz<u32>(rest)));
  n++;
  // The table is indexed by 11 bits whatever maxBits (the lookups shift by a constant): lowest
  // weights first, each weight's symbols in order, 2^(w - 1 + 11 - maxBits) cells each. RANK:
  // the symbols of each weight, then where its next symbol's cells start.
  for (let w: usize = 0; w <= 11; w++) store<u32>(RANK + (w << 2), 0);
  for (let s: usize = 0; s < n; s++) {
    const r = RANK + (<usize>load<u8>(WEIGHTS + s) << 2);
    store<u32>(r, load<u32>(r) + 1);
  }
  let pos: u32 = 0;
  for (let w: u32 = 1; w <= maxBits; w++) {
    const r = RANK + (<usize>w << 2);
    const c = load<u32>(r);
    store<u32>(r, pos);
    pos += c << (w - 1 + 11 - maxBits);
  }
  for (let s: usize = 0; s < n; s++) {
    const w = <u32>load<u8>(WEIGHTS + s);
    if (w == 0) continue;
    const r = RANK + (<usize>w << 2);
    const at = load<u32>(r);
    const len: u32 = <u32>1 << (w - 1 + 11 - maxBits);
    store<u32>(r, at + len);
    const v = <u64>((maxBits + 1 - w) << 8 | <u32>s);
    const e = HUF + (<usize>at << 1);
    if (len >= 4) {
      const v4 = v * 0x0001000100010001;
      for (let i: usize = 0; i < <usize>len; i += 4) store<u64>(e + (i << 1), v4);
    } else if (len == 2) {
      store<u32>(e, <u32>v * 0x00010001);
    } else {
      store<u16>(e, <u16>v);
    }
  }
  hufBits = maxBits;
  return used;
}

// One Huffman stream [p, p+n) to count literals at op.
function huffStream(p: usize, n: usize, op: usize, count: usize): bool {
  if (!bInit(p, n)) return false;
  return huffRest(bStart, bPtr, bBits, bUsed, op, op + count);
}

// Go on with a stream from where its reader stands until oend; then every bit must be used,
// none more.
function huffRest(start: usize, ptr: usize, bits: u64, used: u32, op: usize, oend: usize): bool {
  while (oend - op >= 4) {
    if (used > 64) return false;
    if (ptr >= start + 8) {
      ptr -= used >> 3; used &= 7; bits = load<u64>(ptr);
    } else if (ptr > start) {
      let nb = <usize>(used >> 3);
      if (nb > ptr - start) nb = ptr - start;
      ptr -= nb; used -= <u32>nb << 3; bits = load<u64>(ptr);
    }
    let e = <u32>load<u16>(HUF + (<usize>((bits << used) >>> HUF_SHIFT) << 1));
    store<u8>(op, <u8>e); used += e >> 8;
    e = <u32>load<u16>(HUF + (<usize>((bits << used) >>> HUF_SHIFT) << 1));
    store<u8>(op, <u8>e, 1); used += e >> 8;
    e = <u32>load<u16>(HUF + (<usize>((bits << used) >>> HUF_SHIFT) << 1));
    store<u8>(op, <u8>e, 2); used += e >> 8;
    e = <u32>load<u16>(HUF + (<usize>((bits << used) >>> HUF_SHIFT) << 1));
    store<u8>(op, <u8>e, 3); used += e >> 8;
    op += 4;
  }
  while (op < oend) {
    if (used > 64) return false;
    if (ptr >= start + 8) {
      ptr -= used >> 3; used &= 7; bits = load<u64>(ptr);
    } else if (ptr > start) {
      let nb = <usize>(used >> 3);
      if (nb > ptr - start) nb = ptr - start;
      ptr -= nb; used -= <u32>nb << 3; bits = load<u64>(ptr);
    }
    const e = <u32>load<u16>(HUF + (<usize>((bits << used) >>> HUF_SHIFT) << 1));
    store<u8>(op, <u8>e); used += e >> 8;
    op++;
  }
  setReaderAt(start, ptr, bits, used);
  return bDone();
}

// Four streams of seg, seg, seg and last literals, decoded side by side while all of them
// have 8 bytes or more to go (independent work for the processor to overlap), each then
// finished alone. 0, or the stream (1..4) that was corrupt.
function huff4(q: usize, s1: usize, s2: usize, s3: usize, s4: usize, seg: usize, last: usize): u32 {
  if (s1 < 8 || s2 < 8 || s3 < 8 || s4 < 8) {
    // short streams share the reader's scratch: one after the other
    if (!huffStream(q, s1, LITS, seg)) return 1;
    if (!huffStream(q + s1, s2, LITS + seg, seg)) return 2;
    if (!huffStream(q + s1 + s2, s3, LITS + 2 * seg, seg)) return 3;
    if (!huffStream(q + s1 + s2 + s3, s4, LITS + 3 * seg, last)) return 4;
    return 0;
  }
  if (!bInit(q, s1)) return 1;
  const a0 = bStart; let ap = bPtr, ab = bBits, au = bUsed;
  if (!bInit(q + s1, s2)) return 2;
  const b0 = bStart; let bp = bPtr, bb = bBits, bu = bUsed;
  if (!bInit(q + s1 + s2, s3)) return 3;
  const c0 = bStart; let cp = bPtr, cb = bBits, cu = bUsed;
  if (!bInit(q + s1 + s2 + s3, s4)) return 4;
  const d0 = bStart; let dp = bPtr, db = bBits, du = bUsed;
  let ao = LITS, bo = LITS + seg, co = LITS + 2 * seg, do_ = LITS + 3 * seg;
  const dend = do_ + last;
  // stream 4 may be the shortest in symbols (last <= seg): it bounds the loop
  while (dend - do_ >= 4 && ap >= a0 + 8 && bp >= b0 + 8 && cp >= c0 + 8 && dp >= d0 + 8) {
    ap -= au >> 3; au &= 7; ab = load<u64>(ap);
    bp -= bu >> 3; bu &= 7; bb = load<u64>(bp);
    cp -= cu >> 3; cu &= 7; cb = load<u64>(cp);
    dp -= du >> 3; du &= 7; db = load<u64>(dp);
    // four symbols from each (unrolled: constant offsets, no counter)
    let e: u32;
    e = <u32>load<u16>(HUF + (<usize>((ab << au) >>> HUF_SHIFT) << 1));
    store<u8>(ao, <u8>e, 0); au += e >> 8;
    e = <u32>load<u16>(HUF + (<usize>((bb << bu) >>> HUF_SHIFT) << 1));
    store<u8>(bo, <u8>e, 0); bu += e >> 8;
    e = <u32>load<u16>(HUF + (<usize>((cb << cu) >>> HUF_SHIFT) << 1));
    store<u8>(co, <u8>e, 0); cu += e >> 8;
    e = <u32>load<u16>(HUF + (<usize>((db << du) >>> HUF_SHIFT) << 1));
    store<u8>(do_, <u8>e, 0); du += e >> 8;
    e = <u32>load<u16>(HUF + (<usize>((ab << au) >>> HUF_SHIFT) << 1));
    store<u8>(ao, <u8>e, 1); au += e >> 8;
    e = <u32>load<u16>(HUF + (<usize>((bb << bu) >>> HUF_SHIFT) << 1));
    store<u8>(bo, <u8>e, 1); bu += e >> 8;
    e = <u32>load<u16>(HUF + (<usize>((cb << cu) >>> HUF_SHIFT) << 1));
    store<u8>(co, <u8>e, 1); cu += e >> 8;
    e = <u32>load<u16>(HUF + (<usize>((db << du) >>> HUF_SHIFT) << 1));
    store<u8>(do_, <u8>e, 1); du += e >> 8;
    e = <u32>load<u16>(HUF + (<usize>((ab << au) >>> HUF_SHIFT) << 1));
    store<u8>(ao, <u8>e, 2); au += e >> 8;
    e = <u32>load<u16>(HUF + (<usize>((bb << bu) >>> HUF_SHIFT) << 1));
    store<u8>(bo, <u8>e, 2); bu += e >> 8;
    e = <u32>load<u16>(HUF + (<usize>((cb << cu) >>> HUF_SHIFT) << 1));
    store<u8>(co, <u8>e, 2); cu += e >> 8;
    e = <u32>load<u16>(HUF + (<usize>((db << du) >>> HUF_SHIFT) << 1));
    store<u8>(do_, <u8>e, 2); du += e >> 8;
    e = <u32>load<u16>(HUF + (<usize>((ab << au) >>> HUF_SHIFT) << 1));
    store<u8>(ao, <u8>e, 3); au += e >> 8;
    e = <u32>load<u16>(HUF + (<usize>((bb << bu) >>> HUF_SHIFT) << 1));
    store<u8>(bo, <u8>e, 3); bu += e >> 8;
    e = <u32>load<u16>(HUF + (<usize>((cb << cu) >>> HUF_SHIFT) << 1));
    store<u8>(co, <u8>e, 3); cu += e >> 8;
    e = <u32>load<u16>(HUF + (<usize>((db << du) >>> HUF_SHIFT) << 1));
    store<u8>(do_, <u8>e, 3); du += e >> 8;
    ao += 4; bo += 4; co += 4; do_ += 4;
  }
  if (!huffRest(a0, ap, ab, au, ao, LITS + seg)) return 1;
  if (!huffRest(b0, bp, bb, bu, bo, LITS + 2 * seg)) return 2;
  if (!huffRest(c0, cp, cb, cu, co, LITS + 3 * seg)) return 3;
  if (!huffRest(d0, dp, db, du, do_, dend)) return 4;
  return 0;
}

// ---- literals -----------------------------------------------------------------------------

let litPtr: usize = 0;
let litLen: usize = 0;

// The literals section at p (block bytes left: avail). The bytes it took, or 0 (err set).
function literals(p: usize, avail: usize, at: usize): usize {
  if (avail == 0) { fail("missing literals section", at); return 0; }
  const b0 = <u32>load<u8>(p);
  const type = b0 & 3;
  const sf = (b0 >> 2) & 3;
  if (type < 2) {
    let hl: usize, size: usize;
    if ((sf & 1) == 0) { hl = 1; size = <usize>(b0 >> 3); }
    else if (sf == 1) { hl = 2; if (avail < 2) { fail("truncated literals header", at); return 0; } size = <usize>(b0 >> 4) | (<usize>load<u8>(p + 1) << 4); }
    else { hl = 3; if (avail < 3) { fail("truncated literals header", at); return 0; } size = <usize>(b0 >> 4) | (<usize>load<u8>(p + 1) << 4) | (<usize>load<u8>(p + 2) << 12); }
    if (size > BLOCK_MAX) { fail("literals larger than a block", at); return 0; }
    if (type == 0) {
      if (size > avail - hl) { fail("truncated raw literals", at); return 0; }
      litPtr = p + hl;
      litLen = size;
      return hl + size;
    }
    if (avail - hl < 1) { fail("truncated RLE literals", at); return 0; }
    memory.fill(LITS, load<u8>(p + hl), size);
    litPtr = LITS;
    litLen = size;
    return hl + 1;
  }
  // Huffman-coded
  let hl: usize, bitsEach: u32, streams: u32;
  if (sf == 0) { hl = 3; bitsEach = 10; streams = 1; }
  else if (sf == 1) { hl = 3; bitsEach = 10; streams = 4; }
  else if (sf == 2) { hl = 4; bitsEach = 14; streams = 4; }
  else { hl = 5; bitsEach = 18; streams = 4; }
  if (avail < hl) { fail("truncated literals header", at); return 0; }
  let h: u64 = 0;
  for (let i: usize = 0; i < hl; i++) h |= <u64>load<u8>(p + i) << (<u64>i << 3);
  const mask: u64 = (<u64>1 << bitsEach) - 1;
  const regen = <usize>((h >> 4) & mask);
  const csize = <usize>((h >> (4 + <u64>bitsEach)) & mask);
  if (regen > BLOCK_MAX) { fail("literals larger than a block", at); return 0; }
  if (csize > avail - hl) { fail("truncated Huffman literals", at); return 0; }
  let q = p + hl;
  let left = csize;
  if (type == 2) {
    const t = huffTree(q, left, at + hl);
    if (t == 0) return 0;
    q += t;
    left -= t;
  } else if (hufBits == 0) {
    fail("treeless literals without a previous Huffman tree", at);
    return 0;
  }
  if (streams == 1) {
    if (!huffStream(q, left, LITS, regen)) { fail("corrupt Huffman literals stream", at + (q - p)); return 0; }
  } else {
    if (left < 6) { fail("truncated literals jump table", at + (q - p)); return 0; }
    const s1 = <usize>load<u16>(q), s2 = <usize>load<u16>(q + 2), s3 = <usize>load<u16>(q + 4);
    q += 6;
    left -= 6;
    if (s1 + s2 + s3 > left) { fail("bad literals jump table", at + (q - p) - 6); return 0; }
    const s4 = left - s1 - s2 - s3;
    const seg = (regen + 3) >> 2;
    if (seg * 3 > regen) { fail("too few literals for four streams", at); return 0; }
    const bad = huff4(q, s1, s2, s3, s4, seg, regen - 3 * seg);
    if (bad != 0) { fail("corrupt Huffman literals stream " + bad.toString(), at + (q - p)); return 0; }
  }
  litPtr = LITS;
  litLen = regen;
  return hl + csize;
}

// ---- sequences ----------------------------------------------------------------------------

// One table for sequence code `kind` in `mode` at p. The bytes it took, or -1 (err set).
function seqTable(kind: u32, mode: u32, p: usize, avail: usize, at: usize): isize {
  const maxSym: u32 = kind == LL ? 35 : kind == ML ? 52 : 31;
  const maxLog: u32 = kind == OF ? 8 : 9;
  const dyn = kind == LL ? LL_TAB : kind == ML ? ML_TAB : OF_TAB;
  let tab: usize = 0, log: u32 = 0, used: isize = 0;
  if (mode == 0) {
    tab = kind == LL ? LL_PRE : kind == ML ? ML_PRE : OF_PRE;
    log = kind == OF ? 5 : 6;
  } else if (mode == 1) {
    if (avail < 1) { fail("truncated RLE sequence code", at); return -1; }
    const s = <u32>load<u8>(p);
    if (s > maxSym) { fail("bad RLE sequence code", at); return -1; }
    spreadOne(s);
    seqValues(dyn, 0, kind);
    tab = dyn;
    log = 0;
    used = 1;
  } else if (mode == 2) {
    const d = readNorm(p, avail, maxSym, maxLog);
    if (d == 0 || !spreadFse(fseLog, fseSyms)) { fail("bad FSE table description", at); return -1; }
    seqValues(dyn, fseLog, kind);
    tab = dyn;
    log = fseLog;
    used = <isize>d;
  } else {
    tab = kind == LL ? llTab : kind == ML ? mlTab : ofTab;
    log = kind == LL ? llLog : kind == ML ? mlLog : ofLog;
    if (tab == 0) { fail("repeated sequence table without a previous one", at); return -1; }
  }
  if (kind == LL) { llTab = tab; llLog = log; }
  else if (kind == ML) { mlTab = tab; mlLog = log; }
  else { ofTab = tab; ofLog = log; }
  return used;
}

// copyMatch (output.ts) when there are 32 bytes of room past op + len (len >= 3), the
// overshoot (up to 29 bytes) overwritten later. off is non-zero and within the output.
// @ts-ignore: decorator
@inline function matchFast(op: usize, off: usize, len: usize): void {
  const e = op + len;
  if (off >= 16) {
    // 32 bytes whatever len (most matches are no longer), in order: from 16 to 31 back, the
    // second half's source is the first half just written
    store<u64>(op, load<u64>(op - off));
    store<u64>(op, load<u64>(op - off, 8), 8);
    store<u64>(op, load<u64>(op - off, 16), 16);
    store<u64>(op, load<u64>(op - off, 24), 24);
    if (op + 32 < e) copyMatchWords(op + 32, off, e);
  } else {
    copyMatchWords(op, off, e);
  }
}

// ll literals from s to d in 16-byte words, up to 15 bytes past both ends (the caller has
// that room, and the bytes past d's end are overwritten by what comes next).
// @ts-ignore: decorator
@inline function copyLiterals(d: usize, s: usize, ll: usize): void {
  const e = d + ll;
  do {
    store<u64>(d, load<u64>(s));
    store<u64>(d, load<u64>(s, 8), 8);
    d += 16;
    s += 16;
  } while (d < e);
}

// A compressed block [p, p+n) into out; fstart: where this frame's output begins.
function compressedBlock(p: usize, n: usize, out: OutBuf, fstart: usize, at: usize): bool {
  const lused = literals(p, n, at);
  if (lused == 0) return false;
  let q = p + lused;
  let left = n - lused;
  const sat = at + lused;
  if (left < 1) return fail("missing sequences section", sat);
  let nseq = <usize>load<u8>(q);
  if (nseq < 128) { q += 1; left -= 1; }
  else if (nseq < 255) {
    if (left < 2) return fail("truncated sequences header", sat);
    nseq = ((nseq - 128) << 8) + <usize>load<u8>(q + 1);
    q += 2; left -= 2;
  } else {
    if (left < 3) return fail("truncated sequences header", sat);
    nseq = <usize>load<u16>(q + 1) + 0x7f00;
    q += 3; left -= 3;
  }
  // output room for this block: at most a block, at most the limit
  let room = out.limit - out.len;
  const limited = room < BLOCK_MAX;
  if (!limited) room = BLOCK_MAX;
  if (!out.reserve(room)) return fail("output limit reached", at);
  const base = out.ptr;
  let op = base + out.len;
  const oend = op + room;
  const capEnd = base + out.cap;
  const lowest = base + fstart;
  let lp = litPtr;
  const lend = litPtr + litLen;
  if (nseq == 0) {
    if (left != 0) return fail("bytes after an empty sequences section", at + (q - p));
    if (litLen > room) return limited ? fail("output limit (" + out.limit.toString() + " bytes) reached", at) : fail("block larger than 128 KiB", at);
    memory.copy(op, lp, litLen);
    out.len += litLen;
    return true;
  }
  if (left < 1) return fail("truncated sequences header", sat);
  const modes = <u32>load<u8>(q);
  if ((modes & 3) != 0) return fail("reserved bits set in sequence modes", at + (q - p));
  q++; left--;
  let t = seqTable(LL, modes >> 6, q, left, at + (q - p));
  if (t < 0) return false;
  q += <usize>t; left -= <usize>t;
  t = seqTable(OF, (modes >> 4) & 3, q, left, at + (q - p));
  if (t < 0) return false;
  q += <usize>t; left -= <usize>t;
  t = seqTable(ML, (modes >> 2) & 3, q, left, at + (q - p));
  if (t < 0) return false;
  q += <usize>t; left -= <usize>t;
  const bsat = at + (q - p);
  if (!bInit(q, left)) return fail("bad sequences bitstream", bsat);
  if (<u32>64 - bUsed < llLog + ofLog + mlLog) return fail("sequences bitstream too short", bsat);
  // the states: their cells' addresses
  let llE = llTab + (<usize>bRead(llLog) << 4);
  let ofE = ofTab + (<usize>bRead(ofLog) << 4);
  let mlE = mlTab + (<usize>bRead(mlLog) << 4);
  const start = bStart;
  let ptr = bPtr;
  let bits = bBits;
  let used = bUsed;
  let r1 = rep1, r2 = rep2, r3 = rep3;
  // The fast path of a sequence copies 16-byte words, up to 15 bytes past the literals' end
  // and 29 past the match's (matchFast): it needs the sequence to end 32 bytes before the
  // buffer's end (and within the block's room), and its literals 16 bytes before theirs (LITS
  // has that slack; literals read raw from the input do not). Signed differences: both limits
  // may lie a little behind.
  const fastEnd = capEnd - oend >= 32 ? oend : capEnd - 32;
  const litFast = lp == LITS ? lend : lend - 16;
  for (let i = nseq; i > 0; i--) {
    // One refill per sequence: after it at most 7 bits are used, or ptr is at the stream's
    // start and bits holds all that is left. Bits used stay at most 64 while ptr is past the
    // start: the code below reads at most 57 bits between two refills.
    let nb = <usize>(used >> 3);
    if (ptr - start >= nb) {
      ptr -= nb; used &= 7;
    } else {
      if (used > 64) return fail("sequences bitstream overrun", bsat);
      used -= <u32>(ptr - start) << 3; ptr = start;
    }
    bits = load<u64>(ptr);
    // a field's n extra bits (n may be 0): ((bits << used) >>> 1) >>> (63 - n), from the cell
    const ofBits = <u32>load<u8>(ofE, 4);
    const mlBits = <u32>load<u8>(mlE, 4);
    const llBits = <u32>load<u8>(llE, 4);
    let ov = <usize>load<u32>(ofE) + <usize>(((bits << used) >>> 1) >>> load<u8>(ofE, 6));
    used += ofBits;
    const ml = <usize>load<u32>(mlE) + <usize>(((bits << used) >>> 1) >>> load<u8>(mlE, 6));
    used += mlBits;
    if (ofBits + mlBits + llBits > 31) {
      // rare: the extra bits with the states (at most 26) could pass 64; at most 54 used here
      nb = <usize>(used >> 3);
      if (ptr - start >= nb) {
        ptr -= nb; used &= 7;
      } else {
        used -= <u32>(ptr - start) << 3; ptr = start; // over 64 only at the start: no move
      }
      bits = load<u64>(ptr);
    }
    const ll = <usize>load<u32>(llE) + <usize>(((bits << used) >>> 1) >>> load<u8>(llE, 6));
    used += llBits;
    if (i > 1) {
      // next states (the last sequence has none)
      if (used > 64) return fail("sequences bitstream overrun", bsat);
      let e = <usize>load<u32>(llE, 8) + (<usize>(((bits << used) >>> 1) >>> load<u8>(llE, 7)) << 4);
      used += load<u8>(llE, 5);
      llE = e;
      e = <usize>load<u32>(mlE, 8) + (<usize>(((bits << used) >>> 1) >>> load<u8>(mlE, 7)) << 4);
      used += load<u8>(mlE, 5);
      mlE = e;
      e = <usize>load<u32>(ofE, 8) + (<usize>(((bits << used) >>> 1) >>> load<u8>(ofE, 7)) << 4);
      used += load<u8>(ofE, 5);
      ofE = e;
    } else if (used > 64 && ofBits > 16 && <i32>(used - mlBits - llBits) > 64) {
      // the last sequence's offset alone overran (past 64 used, ptr stayed at the start)
      return fail("sequences bitstream overrun", bsat);
    }
    // repeat offsets
    let off: usize;
    if (ov > 3) {
      off = ov - 3;
      r3 = r2; r2 = r1; r1 = off;
    } else {
      const idx = ov - (ll == 0 ? 0 : 1);
      if (idx == 0) off = r1;
      else if (idx == 1) { off = r2; r2 = r1; r1 = off; }
      else if (idx == 2) { off = r3; r3 = r2; r2 = r1; r1 = off; }
      else {
        off = r1 - 1;
        if (off == 0) return fail("repeat offset of zero", bsat);
        r3 = r2; r2 = r1; r1 = off;
      }
    }
    // execute: literals, then the match; the fast path's two room checks at once (the OR of
    // the two differences is negative when either is)
    if ((<isize>(fastEnd - op - ll - ml) | <isize>(litFast - lp - ll)) >= 0) {
      copyLiterals(op, lp, ll);
      op += ll;
      lp += ll;
      if (off > op - lowest) return fail("match offset " + off.toString() + " reaches before the frame's start", bsat);
      matchFast(op, off, ml);
      op += ml;
      continue;
    }
    if (ll > lend - lp) return fail("sequence uses more literals than the block has", bsat);
    if (ll + ml > <usize>(oend - op)) {
      return limited ? fail("output limit (" + out.limit.toString() + " bytes) reached", bsat) : fail("block larger than 128 KiB", bsat);
    }
    if (ll + 16 <= lend - lp && ll + 16 <= capEnd - op) {
      copyLiterals(op, lp, ll);
    } else {
      // byte by byte: no memory.copy in the loop (gcc would keep the memory's descriptor live
      // for it, and a copy this close to an end is short)
      for (let k: usize = 0; k < ll; k++) store<u8>(op + k, load<u8>(lp + k));
    }
    op += ll;
    lp += ll;
    if (off > op - lowest) return fail("match offset " + off.toString() + " reaches before the frame's start", bsat);
    copyMatch(op, off, ml, capEnd);
    op += ml;
  }
  rep1 = r1; rep2 = r2; rep3 = r3;
  setReader(ptr, bits, used);
  if (!bDone()) return fail("sequences bitstream not used exactly", bsat);
  const rest = lend - lp;
  if (rest > <usize>(oend - op)) {
    return limited ? fail("output limit (" + out.limit.toString() + " bytes) reached", at) : fail("block larger than 128 KiB", at);
  }
  memory.copy(op, lp, rest);
  op += rest;
  out.len = op - base;
  return true;
}

// ---- frames -------------------------------------------------------------------------------

let frameEnd: usize = 0;

function frame(src: usize, len: usize, start: usize, out: OutBuf): bool {
  let pos = start + 4;
  if (pos >= len) return fail("truncated frame header", pos);
  const fhd = <u32>load<u8>(src + pos);
  const fcsFlag = fhd >> 6;
  const single = (fhd & 0x20) != 0;
  if ((fhd & 0x08) != 0) return fail("reserved bit set in frame header", pos);
  const checksum = (fhd & 0x04) != 0;
  const didFlag = fhd & 3;
  const didSize: usize = didFlag == 0 ? 0 : didFlag == 1 ? 1 : didFlag == 2 ? 2 : 4;
  const fcsSize: usize = fcsFlag == 0 ? (single ? 1 : 0) : fcsFlag == 1 ? 2 : fcsFlag == 2 ? 4 : 8;
  const hsize: usize = 1 + (single ? 0 : 1) + didSize + fcsSize;
  if (hsize > len - pos) return fail("truncated frame header", pos);
  let q = src + pos + 1;
  if (!single) {
    q++; // the window descriptor: the whole output stays in memory, any window will do
  }
  let dict: u32 = 0;
  if (didSize == 1) dict = load<u8>(q);
  else if (didSize == 2) dict = load<u16>(q);
  else if (didSize == 4) dict = load<u32>(q);
  if (dict != 0) return fail("frame needs dictionary " + dict.toString() + " (not supported)", pos);
  q += didSize;
  let fcs: u64 = 0;
  if (fcsSize == 1) fcs = load<u8>(q);
  else if (fcsSize == 2) fcs = <u64>load<u16>(q) + 256;
  else if (fcsSize == 4) fcs = load<u32>(q);
  else if (fcsSize == 8) fcs = load<u64>(q);
  pos += hsize;
  if (fcsSize != 0 && fcs > <u64>(out.limit - out.len)) return fail("frame content size " + fcs.toString() + " exceeds the output limit (" + out.limit.toString() + " bytes)", start);
  // fresh per-frame state
  rep1 = 1; rep2 = 4; rep3 = 8;
  llTab = 0; mlTab = 0; ofTab = 0;
  hufBits = 0;
  const fstart = out.len;
  while (true) {
    if (len - pos < 3) return fail("truncated block header", pos);
    const bh = <u32>load<u16>(src + pos) | (<u32>load<u8>(src + pos + 2) << 16);
    const last = (bh & 1) != 0;
    const type = (bh >> 1) & 3;
    const bsize = <usize>(bh >> 3);
    pos += 3;
    if (type == 3) return fail("reserved block type", pos - 3);
    if (bsize > BLOCK_MAX) return fail("block size " + bsize.toString() + " above 128 KiB", pos - 3);
    if (type == 1) {
      if (len - pos < 1) return fail("truncated RLE block", pos);
      if (!out.reserve(bsize)) return fail("output limit (" + out.limit.toString() + " bytes) reached", pos);
      memory.fill(out.ptr + out.len, load<u8>(src + pos), bsize);
      out.len += bsize;
      pos += 1;
    } else {
      if (bsize > len - pos) return fail("truncated block (" + bsize.toString() + " bytes, " + (len - pos).toString() + " left)", pos - 3);
      if (type == 0) {
        if (!out.append(src + pos, bsize)) return fail("output limit (" + out.limit.toString() + " bytes) reached", pos);
      } else {
        if (!compressedBlock(src + pos, bsize, out, fstart, pos)) return false;
      }
      pos += bsize;
    }
    if (last) break;
  }
  const produced = out.len - fstart;
  if (fcsSize != 0 && fcs != <u64>produced)
    return fail("frame declares " + fcs.toString() + " bytes, decoded " + produced.toString() + ";", pos);
  if (checksum) {
    if (len - pos < 4) return fail("truncated content checksum", pos);
    if (<u32>xxh64(out.ptr + fstart, produced) != load<u32>(src + pos)) return fail("content checksum mismatch", pos);
    pos += 4;
  }
  frameEnd = pos;
  return true;
}

export function unzstd(src: usize, len: usize, out: OutBuf): string | null {
  if (!predefReady) predefined();
  err = null;
  let pos: usize = 0;
  if (len < 4) return "zstd: input too short (" + len.toString() + " bytes) at byte 0";
  while (pos < len) {
    if (len - pos < 4) return "zstd: " + (len - pos).toString() + " stray bytes at byte " + pos.toString();
    const magic = load<u32>(src + pos);
    if (len - pos == 4 && pos > 0 && magic != MAGIC) {
      // the kernel's build appends the uncompressed size (32-bit little-endian)
      if (magic != <u32>out.len) return "zstd: trailing size " + magic.toString() + " at byte " + pos.toString() + " is not the " + out.len.toString() + " bytes decompressed";
      break;
    }
    if (magic == MAGIC) {
      if (!frame(src, len, pos, out)) return err;
      pos = frameEnd;
    } else if ((magic & 0xfffffff0) == 0x184d2a50) {
      if (len - pos < 8) return "zstd: truncated skippable frame at byte " + pos.toString();
      const n = <usize>load<u32>(src + pos + 4);
      if (n > len - pos - 8) return "zstd: skippable frame at byte " + pos.toString() + " runs past the end";
      pos += 8 + n;
    } else {
      return "zstd: bad magic 0x" + magic.toString(16) + " at byte " + pos.toString();
    }
  }
  return null;
}

// ---- xxHash64 (the content checksum is its low 32 bits) -----------------------------------

const P64_1: u64 = 11400714785074694791;
const P64_2: u64 = 14029467366897019727;
const P64_3: u64 = 1609587929392839161;
const P64_4: u64 = 9650029242287828579;
const P64_5: u64 = 2870177450012600261;

// @ts-ignore: decorator
@inline function round64(acc: u64, lane: u64): u64 {
  return rotl<u64>(acc + lane * P64_2, 31) * P64_1;
}

// @ts-ignore: decorator
@inline function merge64(h: u64, v: u64): u64 {
  return (h ^ round64(0, v)) * P64_1 + P64_4;
}

export function xxh64(p: usize, len: usize): u64 {
  const end = p + len;
  let h: u64;
  if (len >= 32) {
    let v1: u64 = P64_1 + P64_2, v2: u64 = P64_2, v3: u64 = 0, v4: u64 = 0 - P64_1;
    const last = end - 32;
    do {
      v1 = round64(v1, load<u64>(p));
      v2 = round64(v2, load<u64>(p, 8));
      v3 = round64(v3, load<u64>(p, 16));
      v4 = round64(v4, load<u64>(p, 24));
      p += 32;
    } while (p <= last);
    h = rotl<u64>(v1, 1) + rotl<u64>(v2, 7) + rotl<u64>(v3, 12) + rotl<u64>(v4, 18);
    h = merge64(h, v1);
    h = merge64(h, v2);
    h = merge64(h, v3);
    h = merge64(h, v4);
  } else {
    h = P64_5;
  }
  h += <u64>len;
  while (p + 8 <= end) {
    h ^= round64(0, load<u64>(p));
    h = rotl<u64>(h, 27) * P64_1 + P64_4;
    p += 8;
  }
  if (p + 4 <= end) {
    h ^= <u64>load<u32>(p) * P64_1;
    h = rotl<u64>(h, 23) * P64_2 + P64_3;
    p += 4;
  }
  while (p < end) {
    h ^= <u64>load<u8>(p) * P64_5;
    h = rotl<u64>(h, 11) * P64_1;
    p++;
  }
  h ^= h >> 33;
  h *= P64_2;
  h ^= h >> 29;
  h *= P64_3;
  h ^= h >> 32;
  return h;
}
