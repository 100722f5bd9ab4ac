// bzip2: streams "BZh1".."BZh9" of blocks, each one Burrows-Wheeler transformed, move-to-front
// and zero-run coded, then Huffman coded with up to six tables switched every 50 symbols;
// runs of 4..255 equal bytes were shortened first. Every block has a CRC (MSB-first CRC-32)
// and the stream a combination of them. Streams may follow one another; four bytes after the
// last are the kernel's appended size, checked. Old "randomised" blocks are refused.
//
// Memory: one array of u32 per block (the BWT's links: up to 900000 of them), allocated
// once per call, for the largest block size seen, from the boot attempt's memory.

import { OutBuf } from "./output";
import { attemptAlloc } from "../../lib/attempt";

const BLOCK_MAGIC: u64 = 0x314159265359;
const END_MAGIC: u64 = 0x177245385090;
const MAX_GROUPS: u32 = 6;
const MAX_ALPHA: u32 = 258;
const MAX_SELECTORS: u32 = 18002;
const MAX_LEN: u32 = 20;
const FAST_BITS: u32 = 10;

const CRC: usize = memory.data(256 * 4, 8);
let crcReady = false;

// Per group: the fast table (1024 u32: symbol | length << 16, 0 = longer than 10 bits), and
// for the longer codes, per length, the last code (-1: none) and where its symbols start in
// the group's symbol list.
const FAST: usize = memory.data(MAX_GROUPS * (1 << FAST_BITS) * 4, 8);
const LIMIT: usize = memory.data(MAX_GROUPS * 24 * 4, 8);
const BASE: usize = memory.data(MAX_GROUPS * 24 * 4, 8);
const PERM: usize = memory.data(MAX_GROUPS * MAX_ALPHA * 2, 8);
const MAXLEN: usize = memory.data(MAX_GROUPS * 4, 8);
const LENS: usize = memory.data(MAX_GROUPS * MAX_ALPHA, 8);
const SELECTORS: usize = memory.data(MAX_SELECTORS, 8);
const UNSEQ: usize = memory.data(256, 8); // symbol number -> byte value
const MTF: usize = memory.data(256 + 16, 8);
const COUNTS: usize = memory.data(257 * 4, 8); // bytes per value, then their starts

// ---- bits, most significant first ---------------------------------------------------------

let src0: usize = 0;
let ip: usize = 0;
let iend: usize = 0;
let bb: u64 = 0; // bits not yet used, the low bc of them
let bc: u32 = 0;
let past: u32 = 0; // zero bytes made up past the end of the input

// @ts-ignore: decorator
@inline function fill(): void {
  while (bc <= 56) {
    if (ip < iend) {
      bb = (bb << 8) | <u64>load<u8>(ip);
      ip++;
    } else {
      bb <<= 8;
      past++;
    }
    bc += 8;
  }
}

function bits(n: u32): u32 {
  if (bc < n) fill();
  bc -= n;
  return <u32>((bb >> bc) & ((<u64>1 << n) - 1));
}

function bits48(): u64 {
  const hi = <u64>bits(24);
  return (hi << 24) | <u64>bits(24);
}

// Where reading stands, in bytes (for messages).
function at(): usize {
  const consumed = (ip - src0) * 8 + <usize>past * 8 - <usize>bc;
  return consumed >> 3;
}

function overrun(): bool {
  return past * 8 > bc;
}

let err: string | null = null;

// @ts-ignore: decorator
@inline function fail(what: string): bool {
  err = "bzip2: " + what + " at byte " + at().toString();
  return false;
}

function makeCrc(): void {
  for (let n: u32 = 0; n < 256; n++) {
    let c = n << 24;
    for (let k = 0; k < 8; k++) c = (c & 0x80000000) != 0 ? (c << 1) ^ 0x04c11db7 : c << 1;
    store<u32>(CRC + (<usize>n << 2), c);
  }
  crcReady = true;
}

// ---- Huffman tables -----------------------------------------------------------------------

// Decoding tables for group g from its code lengths (alpha symbols).
function buildGroup(g: u32, alpha: u32): bool {
  const lens = LENS + <usize>g * MAX_ALPHA;
  const fast = FAST + (<usize>g << (FAST_BITS + 2));
  const limit = LIMIT + <usize>g * 24 * 4;
  const base = BASE + <usize>g * 24 * 4;
  const perm = PERM + <usize>g * MAX_ALPHA * 2;
  memory.fill(fast, 0, 4 << FAST_BITS);
  let maxLen: u32 = 0;
  let k: u32 = 0;
  let code: u32 = 0;
  for (let L: u32 = 1; L <= MAX_LEN; L++) {
    const first = code;
    store<i32>(base + (<usize>L << 2), <i32>k - <i32>first);
    for (let s: u32 = 0; s < alpha; s++) {
      if (<u32>load<u8>(lens + s) != L) continue;
      if (code >= (<u32>1 << L)) return false; // more codes than fit: not a prefix code
      store<u16>(perm + (<usize>k << 1), <u16>s);
      k++;
      if (L <= FAST_BITS) {
        const from = code << (FAST_BITS - L);
        const to = (code + 1) << (FAST_BITS - L);
        for (let i = from; i < to; i++) store<u32>(fast + (<usize>i << 2), s | (L << 16));
      }
      code++;
      maxLen = L;
    }
    // codes of this length: first .. code-1
    store<i32>(limit + (<usize>L << 2), code == first ? -1 : <i32>code - 1);
    code <<= 1;
  }
  store<u32>(MAXLEN + (<usize>g << 2), maxLen);
  return true;
}

// ---- one block ----------------------------------------------------------------------------

let tt: usize = 0;
let ttCap: usize = 0;
let blockMax: usize = 0;

// Decode a block's symbols into tt (bytes, before the inverse BWT). The count, or -1.
function symbols(): i32 {
  // the symbols in use
  const used16 = bits(16);
  let nInUse: u32 = 0;
  for (let i: u32 = 0; i < 16; i++) {
    if ((used16 & (0x8000 >> i)) == 0) continue;
    const u = bits(16);
    for (let j: u32 = 0; j < 16; j++) if ((u & (0x8000 >> j)) != 0) store<u8>(UNSEQ + nInUse++, <u8>(i * 16 + j));
  }
  if (nInUse == 0) { fail("block uses no symbols"); return -1; }
  const alpha = nInUse + 2;
  const nGroups = bits(3);
  if (nGroups < 2 || nGroups > 6) { fail("bad number of Huffman groups " + nGroups.toString()); return -1; }
  const nSel = bits(15);
  if (nSel == 0) { fail("no selectors"); return -1; }
  // selectors, move-to-front coded in unary
  let order: u32 = 0x543210; // group numbers, front in the low nibble
  for (let i: u32 = 0; i < nSel; i++) {
    let j: u32 = 0;
    while (bits(1) != 0) {
      j++;
      if (j >= nGroups) { fail("bad selector"); return -1; }
    }
    const sh = j << 2;
    const g = (order >> sh) & 15;
    const below = order & ((<u32>1 << sh) - 1);
    order = (order & ~((<u32>16 << sh) - 1)) | (below << 4) | g;
    if (i < <u32>MAX_SELECTORS) store<u8>(SELECTORS + i, <u8>g);
    if (overrun()) { fail("truncated selectors"); return -1; }
  }
  const nSelectors = nSel < <u32>MAX_SELECTORS ? nSel : <u32>MAX_SELECTORS;
  // code lengths, delta coded
  for (let g: u32 = 0; g < nGroups; g++) {
    let len = <i32>bits(5);
    const lens = LENS + <usize>g * MAX_ALPHA;
    for (let s: u32 = 0; s < alpha; s++) {
      while (true) {
        if (len < 1 || len > <i32>MAX_LEN) { fail("bad Huffman code length"); return -1; }
        if (bits(1) == 0) break;
        len += bits(1) == 0 ? 1 : -1;
        if (overrun()) { fail("truncated code lengths"); return -1; }
      }
      store<u8>(lens + s, <u8>len);
    }
    if (!buildGroup(g, alpha)) { fail("bad Huffman code lengths (not a prefix code)"); return -1; }
  }
  if (overrun()) { fail("truncated block header"); return -1; }
  // MTF and zero runs
  for (let i: u32 = 0; i < 256; i++) store<u8>(MTF + i, <u8>i);
  memory.fill(COUNTS, 0, 256 * 4);
  const eob = alpha - 1;
  let count: usize = 0;
  let sel: u32 = 0;
  let left: u32 = 0;
  let g: u32 = 0;
  let fast: usize = 0, limit: usize = 0, base: usize = 0, perm: usize = 0, maxLen: u32 = 0;
  let run: usize = 0;
  let runBit: usize = 1;
  const ttp = tt;
  const max = blockMax;
  while (true) {
    if (left == 0) {
      if (sel >= nSelectors) { fail("more symbols than selectors"); return -1; }
      g = <u32>load<u8>(SELECTORS + sel++);
      fast = FAST + (<usize>g << (FAST_BITS + 2));
      limit = LIMIT + <usize>g * 24 * 4;
      base = BASE + <usize>g * 24 * 4;
      perm = PERM + <usize>g * MAX_ALPHA * 2;
      maxLen = load<u32>(MAXLEN + (<usize>g << 2));
      left = 50;
    }
    left--;
    if (bc < MAX_LEN) fill();
    const peek = <u32>(bb >> (bc - MAX_LEN)) & 0xfffff;
    let e = load<u32>(fast + (<usize>(peek >> (MAX_LEN - FAST_BITS)) << 2));
    let sym: u32 = 0;
    if (e != 0) {
      sym = e & 0xffff;
      bc -= e >> 16;
    } else {
      let L: u32 = FAST_BITS + 1;
      while (true) {
        if (L > maxLen) { fail("bad Huffman code"); return -1; }
        const c = <i32>(peek >> (MAX_LEN - L));
        if (c <= load<i32>(limit + (<usize>L << 2))) {
          sym = <u32>load<u16>(perm + (<usize>(load<i32>(base + (<usize>L << 2)) + c) << 1));
          break;
        }
        L++;
      }
      bc -= L;
    }
    if (sym <= 1) {
      // RUNA / RUNB: a zero run's length in bijective base 2
      if (runBit > max) { fail("zero run too long"); return -1; }
      run += runBit << sym;
      runBit <<= 1;
      continue;
    }
    if (run != 0) {
      if (run > max - count) { fail("block larger than its stream's block size"); return -1; }
      const b = load<u8>(MTF);
      const v = load<u8>(UNSEQ + b);
      const ce = COUNTS + (<usize>v << 2);
      store<u32>(ce, load<u32>(ce) + <u32>run);
      const end = count + run;
      while (count < end) store<u32>(ttp + (count++ << 2), v);
      run = 0;
      runBit = 1;
    }
    if (sym == eob) break;
    if (overrun()) { fail("truncated block"); return -1; }
    if (count >= max) { fail("block larger than its stream's block size"); return -1; }
    // move to front
    const pos = <usize>(sym - 1);
    const b = load<u8>(MTF + pos);
    if (pos < 16) {
      for (let i = pos; i > 0; i--) store<u8>(MTF + i, load<u8>(MTF + i - 1));
    } else {
      memory.copy(MTF + 1, MTF, pos);
    }
    store<u8>(MTF, b);
    const v = load<u8>(UNSEQ + b);
    const ce = COUNTS + (<usize>v << 2);
    store<u32>(ce, load<u32>(ce) + 1);
    store<u32>(ttp + (count++ << 2), v);
  }
  if (overrun()) { fail("truncated block"); return -1; }
  return <i32>count;
}

// Undo the BWT and the runs of the block (count entries in tt, starting at origPtr) into out;
// the block's CRC.
let blockCrc: u32 = 0;

function output(count: usize, origPtr: usize, out: OutBuf): bool {
  const ttp = tt;
  // where each byte value's entries start
  let sum: u32 = 0;
  for (let i: usize = 0; i < 256; i++) {
    const c = load<u32>(COUNTS + (i << 2));
    store<u32>(COUNTS + (i << 2), sum);
    sum += c;
  }
  for (let i: usize = 0; i < count; i++) {
    const v = <usize>(load<u32>(ttp + (i << 2)) & 0xff);
    const ce = COUNTS + (v << 2);
    const k = <usize>load<u32>(ce);
    store<u32>(ce, <u32>k + 1);
    const te = ttp + (k << 2);
    store<u32>(te, load<u32>(te) | (<u32>i << 8));
  }
  let t = <usize>(load<u32>(ttp + (origPtr << 2)) >> 8);
  let crc: u32 = 0xffffffff;
  if (!out.reserve(count < out.limit - out.len ? count : out.limit - out.len)) return fail("output limit reached");
  let op = out.ptr + out.len;
  let oend = out.ptr + out.cap;
  let last: u32 = 0x100;
  let same: u32 = 0;
  for (let i: usize = 0; i < count; i++) {
    const x = load<u32>(ttp + (t << 2));
    const b = x & 0xff;
    t = <usize>(x >> 8);
    if (same == 4) {
      // b more copies of the run's byte
      if (<usize>b > oend - op) {
        out.len = op - out.ptr;
        if (!out.reserve(b)) return fail("output limit (" + out.limit.toString() + " bytes) reached");
        op = out.ptr + out.len;
        oend = out.ptr + out.cap;
      }
      for (let j: u32 = 0; j < b; j++) {
        store<u8>(op++, <u8>last);
        crc = (crc << 8) ^ load<u32>(CRC + (<usize>((crc >> 24) ^ last) << 2));
      }
      same = 0;
      last = 0x100;
      continue;
    }
    if (b == last) same++;
    else { same = 1; last = b; }
    if (op == oend) {
      out.len = op - out.ptr;
      if (!out.reserve(1)) return fail("output limit (" + out.limit.toString() + " bytes) reached");
      op = out.ptr + out.len;
      oend = out.ptr + out.cap;
    }
    store<u8>(op++, <u8>b);
    crc = (crc << 8) ^ load<u32>(CRC + (<usize>((crc >> 24) ^ b) << 2));
  }
  out.len = op - out.ptr;
  blockCrc = ~crc;
  return true;
}

// ---- streams ------------------------------------------------------------------------------

function stream(out: OutBuf): bool {
  // "BZh" and the block size, byte aligned
  if (iend - ip < 4) return fail("truncated stream header");
  if (load<u8>(ip) != 0x42 || load<u8>(ip + 1) != 0x5a || load<u8>(ip + 2) != 0x68) return fail("bad magic");
  const level = <u32>load<u8>(ip + 3) - 0x30;
  if (level < 1 || level > 9) return fail("bad block size '" + String.fromCharCode(level + 0x30) + "'");
  ip += 4;
  blockMax = <usize>level * 100000;
  if (ttCap < blockMax) {
    tt = attemptAlloc(blockMax * 4, false);
    if (tt == 0) {
      ttCap = 0;
      return fail("no memory for a block of " + blockMax.toString() + " bytes");
    }
    ttCap = blockMax;
  }
  let combined: u32 = 0;
  let n: u32 = 0;
  while (true) {
    const magic = bits48();
    if (magic == END_MAGIC) {
      const want = bits(32);
      if (overrun()) return fail("truncated end of stream");
      if (want != combined) return fail("stream CRC mismatch");
      // to the byte boundary
      bc -= bc & 7;
      return true;
    }
    if (magic != BLOCK_MAGIC) {
      if (overrun()) return fail("truncated stream");
      return fail("bad block magic (block " + n.toString() + ")");
    }
    const want = bits(32);
    if (bits(1) != 0) return fail("randomised block (obsolete, not supported)");
    const origPtr = <usize>bits(24);
    const count = symbols();
    if (count < 0) return false;
    if (origPtr >= <usize>count) return fail("block " + n.toString() + " start pointer out of range");
    if (!output(<usize>count, origPtr, out)) return false;
    if (blockCrc != want) return fail("block " + n.toString() + " CRC mismatch");
    combined = ((combined << 1) | (combined >> 31)) ^ blockCrc;
    n++;
  }
}

export function bunzip2(src: usize, len: usize, out: OutBuf): string | null {
  if (!crcReady) makeCrc();
  err = null;
  src0 = src;
  ip = src;
  iend = src + len;
  bb = 0;
  bc = 0;
  past = 0;
  tt = 0;
  ttCap = 0;
  if (len < 4) return "bzip2: input too short (" + len.toString() + " bytes) at byte 0";
  let streams = 0;
  while (true) {
    // whole bytes still in the bit buffer go back to the input (not the made-up ones)
    ip -= <usize>((bc >> 3) - past);
    past = 0;
    bc = 0;
    bb = 0;
    const left = iend - ip;
    if (left == 0) break;
    if (streams > 0 && left == 4 && load<u8>(ip) != 0x42) {
      const size = load<u32>(ip);
      if (size != <u32>out.len) return "bzip2: trailing size " + size.toString() + " at byte " + (ip - src).toString() + " is not the " + out.len.toString() + " bytes decompressed";
      break;
    }
    if (!stream(out)) return err;
    streams++;
  }
  return null;
}
