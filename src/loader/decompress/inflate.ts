// Raw deflate (RFC 1951): stored, fixed-Huffman and dynamic-Huffman blocks, written straight
// into an OutBuf. gzip.ts wraps it in members.
//
// Decoding is table driven. A Huffman code becomes a table indexed by the next PRIMARY bits
// of the input (deflate sends codes most significant bit first, so the table is indexed by
// the bit-reversed code); codes longer than that go through a second-level table the primary
// entry points to. Each entry is one u32:
//   bits 0-3    how many input bits the code takes (for a second-level entry: the rest of it)
//   bits 4-7    extra bits that follow (length and distance codes), or a second-level
//               table's index width
//   bits 8-10   kind: literal, length/distance base, end of block, second level, invalid
//   bits 16-31  the value: literal byte, length or distance base, second-level table start
// so a length or distance is found with one lookup and one mask, no per-symbol side tables.
//
// Input goes through a 64-bit bit buffer refilled eight bytes at a time while at least eight
// remain, a byte at a time (zeros past the end) near the end. Zeros fed past the end are
// caught: a full byte of them consumed means the data was truncated, and the final position
// is checked exactly. Every loop either consumes input or produces output, and output is
// bounded by the OutBuf limit, so nothing runs unbounded.

import { OutBuf } from "./output";

const K_LIT: u32 = 0 << 8;
const K_LEN: u32 = 1 << 8; // a length (literal/length code) or a distance (distance code)
const K_EOB: u32 = 2 << 8;
const K_SUB: u32 = 3 << 8;
const K_BAD: u32 = 4 << 8;
const KIND: u32 = 7 << 8;

const LBITS: u32 = 10; // literal/length primary table index width
const DBITS: u32 = 8; // distance primary table index width
const CBITS: u32 = 7; // code-length code: every code fits

// Table space: the primary table plus room for a 2^(15 - primary)-entry second-level table
// for every symbol that could need one.
const LTAB_SIZE: usize = (1 << LBITS) + 288 * (1 << (15 - LBITS));
const DTAB_SIZE: usize = (1 << DBITS) + 32 * (1 << (15 - DBITS));

const dynLit: usize = memory.data(<i32>LTAB_SIZE * 4, 16);
const dynDist: usize = memory.data(<i32>DTAB_SIZE * 4, 16);
// The fixed codes are at most 9 (literal/length) and 5 (distance) bits: primary tables only.
const fixLit: usize = memory.data((1 << LBITS) * 4, 16);
const fixDist: usize = memory.data((1 << DBITS) * 4, 16);
const clTab: usize = memory.data(<i32>(1 << CBITS) * 4, 16);
const lens: usize = memory.data(320 + 32, 16); // code lengths of one block (HLIT + HDIST <= 316)
const symInfoLit: usize = memory.data(288 * 4, 16); // per symbol: entry bits 4-31 (kind, extra, value)
const symInfoDist: usize = memory.data(32 * 4, 16);
const scratchCount: usize = memory.data(16 * 4, 16);
const scratchOffs: usize = memory.data(16 * 4, 16);
const scratchSorted: usize = memory.data(320 * 2, 16);
let fixedReady = false;
let infoReady = false;

// The order code-length code lengths are sent in.
const CL_ORDER: usize = memory.data<u8>([16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]);

function initInfo(): void {
  for (let s: u32 = 0; s < 256; s++) store<u32>(symInfoLit + (<usize>s << 2), K_LIT | (s << 16));
  store<u32>(symInfoLit + 256 * 4, K_EOB);
  let base: u32 = 3;
  for (let i: u32 = 0; i < 28; i++) {
    const extra: u32 = i < 8 ? 0 : (i >> 2) - 1;
    store<u32>(symInfoLit + (<usize>(257 + i) << 2), K_LEN | (extra << 4) | (base << 16));
    base += 1 << extra;
  }
  store<u32>(symInfoLit + 285 * 4, K_LEN | (258 << 16));
  store<u32>(symInfoLit + 286 * 4, K_BAD);
  store<u32>(symInfoLit + 287 * 4, K_BAD);
  base = 1;
  for (let i: u32 = 0; i < 30; i++) {
    const extra: u32 = i < 4 ? 0 : (i >> 1) - 1;
    store<u32>(symInfoDist + (<usize>i << 2), K_LEN | (extra << 4) | (base << 16));
    base += 1 << extra;
  }
  store<u32>(symInfoDist + 30 * 4, K_BAD);
  store<u32>(symInfoDist + 31 * 4, K_BAD);
  infoReady = true;
}

// Build the decoding table for n code lengths (bytes at lp). info: per-symbol entry bits
// (0 for the code-length code, whose symbols are their own values). Returns null or what is
// wrong with the code. An incomplete code is accepted only as deflate allows it: a single
// code of length 1 (a block with one distance), or no code at all for distances.
function build(lp: usize, n: u32, table: usize, pbits: u32, info: usize, what: string): string | null {
  memory.fill(scratchCount, 0, 16 * 4);
  let maxLen: u32 = 0;
  for (let s: u32 = 0; s < n; s++) {
    const l = <u32>load<u8>(lp + s);
    if (l != 0) {
      store<u32>(scratchCount + (<usize>l << 2), load<u32>(scratchCount + (<usize>l << 2)) + 1);
      if (l > maxLen) maxLen = l;
    }
  }
  const psize: u32 = 1 << pbits;
  for (let i: u32 = 0; i < psize; i++) store<u32>(table + (<usize>i << 2), K_BAD);
  let left: i32 = 1;
  let total: u32 = 0;
  for (let l: u32 = 1; l <= 15; l++) {
    left = (left << 1) - <i32>load<u32>(scratchCount + (<usize>l << 2));
    total += load<u32>(scratchCount + (<usize>l << 2));
    if (left < 0) return "over-subscribed " + what + " code";
  }
  if (left > 0) {
    // Incomplete: deflate permits one code of length 1 (and an empty distance code).
    if (!(total == 1 && maxLen == 1) && !(total == 0 && info == symInfoDist)) return "incomplete " + what + " code";
  }
  // Symbols sorted by code length (then by value): canonical code order.
  let off: u32 = 0;
  for (let l: u32 = 1; l <= 15; l++) {
    store<u32>(scratchOffs + (<usize>l << 2), off);
    off += load<u32>(scratchCount + (<usize>l << 2));
  }
  for (let s: u32 = 0; s < n; s++) {
    const l = <u32>load<u8>(lp + s);
    if (l != 0) {
      const o = load<u32>(scratchOffs + (<usize>l << 2));
      store<u16>(scratchSorted + (<usize>o << 1), <u16>s);
      store<u32>(scratchOffs + (<usize>l << 2), o + 1);
    }
  }
  const sbits: u32 = maxLen > pbits ? maxLen - pbits : 0;
  let next: u32 = psize; // where the next second-level table goes
  let code: u32 = 0;
  let curLen: u32 = 0;
  for (let k: u32 = 0; k < total; k++) {
    const s = <u32>load<u16>(scratchSorted + (<usize>k << 1));
    const l = <u32>load<u8>(lp + s);
    if (l != curLen) {
      code <<= l - curLen;
      curLen = l;
    }
    // The code, bit-reversed (deflate sends it most significant bit first).
    let r: u32 = 0;
    for (let b: u32 = 0; b < l; b++) r |= ((code >> b) & 1) << (l - 1 - b);
    const inf = info != 0 ? load<u32>(info + (<usize>s << 2)) : (K_LIT | (s << 16));
    if (l <= pbits) {
      const e = inf | l;
      for (let i = r; i < psize; i += 1 << l) store<u32>(table + (<usize>i << 2), e);
    } else {
      const pre = r & (psize - 1);
      let pe = load<u32>(table + (<usize>pre << 2));
      if ((pe & KIND) != K_SUB) {
        pe = K_SUB | (sbits << 4) | (next << 16);
        store<u32>(table + (<usize>pre << 2), pe);
        for (let i: u32 = 0; i < (<u32>1 << sbits); i++) store<u32>(table + (<usize>(next + i) << 2), K_BAD);
        next += 1 << sbits;
      }
      const sub = pe >>> 16;
      const e = inf | (l - pbits);
      for (let i = r >> pbits; i < (<u32>1 << sbits); i += 1 << (l - pbits)) store<u32>(table + (<usize>(sub + i) << 2), e);
    }
    code++;
  }
  return null;
}

function initFixed(): void {
  for (let s = 0; s < 288; s++) store<u8>(lens + s, s < 144 ? 8 : s < 256 ? 9 : s < 280 ? 7 : 8);
  build(lens, 288, fixLit, LBITS, symInfoLit, "literal/length");
  for (let s = 0; s < 30; s++) store<u8>(lens + s, 5);
  // 30 and 31 exist in the fixed code but are invalid in data: give them length 5 too so the
  // code is complete and they decode to invalid entries.
  store<u8>(lens + 30, 5);
  store<u8>(lens + 31, 5);
  build(lens, 32, fixDist, DBITS, symInfoDist, "distance");
  fixedReady = true;
}

// The bit reader used for block headers (not the hot loop, which keeps its own copy in locals).
let gIp: usize = 0;
let gEnd: usize = 0;
let gBB: u64 = 0;
let gBC: u32 = 0;

function refill(): void {
  while (gBC <= 56) {
    if (gIp < gEnd) gBB |= (<u64>load<u8>(gIp)) << gBC;
    gIp++;
    gBC += 8;
  }
}

// n <= 32 bits (the buffer holds at least 57 after a refill).
function bits(n: u32): u32 {
  if (gBC < n) refill();
  const v = <u32>gBB & ((<u32>1 << n) - 1);
  gBB >>>= n;
  gBC -= n;
  return v;
}

// Whether bits past the end of the input have been consumed.
function overrun(): bool {
  return gIp > gEnd && (<u64>(gIp - gEnd) << 3) > <u64>gBC;
}

// The input byte offset (relative to base) being read now, for messages.
function here(base: usize): usize {
  const p = gIp - (gBC >> 3);
  return (p > gEnd ? gEnd : p) - base;
}

// After a successful inflate: where the deflate stream ended (first byte after it).
export let inflateEnd: usize = 0;

// Decompress the raw deflate stream at [start, end) into out. Back-references may not reach
// before what out held when called. Messages are "gzip: byte N: ..." with N relative to base.
export function inflate(base: usize, start: usize, end: usize, out: OutBuf): string | null {
  if (!infoReady) initInfo();
  if (!fixedReady) initFixed();
  gIp = start;
  gEnd = end;
  gBB = 0;
  gBC = 0;
  const floor = out.len;
  let final: u32 = 0;
  do {
    if (overrun()) return "gzip: byte " + here(base).toString() + ": deflate data truncated";
    const hdr = bits(3);
    final = hdr & 1;
    const type = hdr >> 1;
    let lt: usize = fixLit;
    let dt: usize = fixDist;
    if (type == 0) {
      // Stored: skip to a byte boundary, then LEN, NLEN and LEN raw bytes.
      gBB >>>= gBC & 7;
      gBC -= gBC & 7;
      let ip = gIp - (gBC >> 3);
      gBB = 0;
      gBC = 0;
      if (ip > end || end - ip < 4) return "gzip: byte " + (ip > end ? end - base : ip - base).toString() + ": stored block header truncated";
      const n = <u32>load<u16>(ip);
      const nn = <u32>load<u16>(ip, 2);
      if ((n ^ nn) != 0xffff) return "gzip: byte " + (ip - base).toString() + ": stored block length " + n.toString() + " does not match its complement";
      ip += 4;
      if (end - ip < <usize>n) return "gzip: byte " + (ip - base).toString() + ": stored block of " + n.toString() + " bytes truncated";
      if (!out.append(ip, n)) return "gzip: byte " + (ip - base).toString() + ": output exceeds the limit of " + out.limit.toString() + " bytes";
      gIp = ip + n;
      continue;
    } else if (type == 2) {
      const at = here(base);
      const hlit = bits(5) + 257;
      const hdist = bits(5) + 1;
      const hclen = bits(4) + 4;
      if (hlit > 286) return "gzip: byte " + at.toString() + ": " + hlit.toString() + " literal/length codes (at most 286)";
      if (hdist > 30) return "gzip: byte " + at.toString() + ": " + hdist.toString() + " distance codes (at most 30)";
      memory.fill(lens, 0, 19);
      for (let i: u32 = 0; i < hclen; i++) store<u8>(lens + load<u8>(CL_ORDER + i), <u8>bits(3));
      let e = build(lens, 19, clTab, CBITS, 0, "code length");
      if (e != null) return "gzip: byte " + at.toString() + ": " + e;
      const total = hlit + hdist;
      let i: u32 = 0;
      while (i < total) {
        if (gBC < 16) refill();
        const c = load<u32>(clTab + ((<usize>gBB & 127) << 2));
        if ((c & KIND) != K_LIT) return "gzip: byte " + here(base).toString() + ": invalid code length code";
        gBB >>>= c & 15;
        gBC -= c & 15;
        const sym = c >>> 16;
        if (sym < 16) {
          store<u8>(lens + i, <u8>sym);
          i++;
          continue;
        }
        let rep: u32;
        let val: u8 = 0;
        if (sym == 16) {
          if (i == 0) return "gzip: byte " + here(base).toString() + ": code length repeat with nothing before it";
          val = load<u8>(lens + i - 1);
          rep = 3 + bits(2);
        } else if (sym == 17) {
          rep = 3 + bits(3);
        } else {
          rep = 11 + bits(7);
        }
        if (i + rep > total) return "gzip: byte " + here(base).toString() + ": code length repeat runs past the " + total.toString() + " code lengths";
        memory.fill(lens + i, val, rep);
        i += rep;
      }
      if (overrun()) return "gzip: byte " + here(base).toString() + ": deflate data truncated";
      if (load<u8>(lens + 256) == 0) return "gzip: byte " + at.toString() + ": block has no end-of-block code";
      e = build(lens, hlit, dynLit, LBITS, symInfoLit, "literal/length");
      if (e != null) return "gzip: byte " + at.toString() + ": " + e;
      e = build(lens + hlit, hdist, dynDist, DBITS, symInfoDist, "distance");
      if (e != null) return "gzip: byte " + at.toString() + ": " + e;
      lt = dynLit;
      dt = dynDist;
    } else if (type == 3) {
      return "gzip: byte " + here(base).toString() + ": invalid deflate block type 3";
    }

    // The hot loop: Huffman-coded literals and matches until the end-of-block code.
    let ip = gIp;
    let bb = gBB;
    let bc = gBC;
    let o = out.ptr;
    let olen = out.len;
    let cap = out.room(); // the progress hook's next step counts as the end: reserve then calls it
    let err: string | null = null;
    for (;;) {
      if (ip + 8 <= end) {
        bb |= load<u64>(ip) << bc;
        ip += (63 - bc) >> 3;
        bc |= 56;
      } else {
        while (bc <= 56) {
          if (ip < end) bb |= (<u64>load<u8>(ip)) << bc;
          ip++;
          bc += 8;
        }
        if (ip >= end + 8) {
          err = "gzip: byte " + (end - base).toString() + ": deflate data truncated";
          break;
        }
      }
      let e = load<u32>(lt + ((<usize>bb & ((1 << LBITS) - 1)) << 2));
      if ((e & KIND) == K_SUB) {
        bb >>>= LBITS;
        bc -= LBITS;
        e = load<u32>(lt + ((<usize>(e >>> 16) + (<usize>bb & ((<usize>1 << ((e >>> 4) & 15)) - 1))) << 2));
      }
      bb >>>= e & 15;
      bc -= e & 15;
      const kind = e & KIND;
      if (kind == K_LIT) {
        if (olen >= cap) {
          out.len = olen;
          if (!out.reserve(1)) {
            err = "gzip: byte " + (ip - (bc >> 3) - base).toString() + ": output exceeds the limit of " + out.limit.toString() + " bytes";
            break;
          }
          o = out.ptr;
          cap = out.room();
        }
        store<u8>(o + olen, <u8>(e >>> 16));
        olen++;
        continue;
      }
      if (kind == K_LEN) {
        let ex = (e >>> 4) & 15;
        const len = <usize>((e >>> 16) + (<u32>bb & ((<u32>1 << ex) - 1)));
        bb >>>= ex;
        bc -= ex;
        let d = load<u32>(dt + ((<usize>bb & ((1 << DBITS) - 1)) << 2));
        if ((d & KIND) == K_SUB) {
          bb >>>= DBITS;
          bc -= DBITS;
          d = load<u32>(dt + ((<usize>(d >>> 16) + (<usize>bb & ((<usize>1 << ((d >>> 4) & 15)) - 1))) << 2));
        }
        bb >>>= d & 15;
        bc -= d & 15;
        if ((d & KIND) != K_LEN) {
          err = "gzip: byte " + (ip - (bc >> 3) - base).toString() + ": invalid distance code";
          break;
        }
        ex = (d >>> 4) & 15;
        const dist = <usize>((d >>> 16) + (<u32>bb & ((<u32>1 << ex) - 1)));
        bb >>>= ex;
        bc -= ex;
        if (dist > olen - floor) {
          err = "gzip: byte " + (ip - (bc >> 3) - base).toString() + ": invalid distance " + dist.toString() + " (only " + (olen - floor).toString() + " bytes out)";
          break;
        }
        if (len > cap - olen) {
          out.len = olen;
          if (!out.reserve(len)) {
            err = "gzip: byte " + (ip - (bc >> 3) - base).toString() + ": output exceeds the limit of " + out.limit.toString() + " bytes";
            break;
          }
          o = out.ptr;
          cap = out.room();
        }
        let dp = o + olen;
        let sp = dp - dist;
        if (dist >= 8 && len + 8 <= cap - olen) {
          // Eight bytes a step; may write up to 7 bytes past the match, inside the buffer.
          const de = dp + len;
          do {
            store<u64>(dp, load<u64>(sp));
            dp += 8;
            sp += 8;
          } while (dp < de);
        } else if (dist == 1) {
          memory.fill(dp, load<u8>(sp), len);
        } else {
          const de = dp + len;
          do {
            store<u8>(dp, load<u8>(sp));
            dp++;
            sp++;
          } while (dp < de);
        }
        olen += len;
        continue;
      }
      if (kind == K_EOB) break;
      err = "gzip: byte " + (ip - (bc >> 3) - base).toString() + ": invalid literal/length code";
      break;
    }
    out.len = olen;
    gIp = ip;
    gBB = bb;
    gBC = bc;
    if (err != null) return err;
  } while (final == 0);
  // The stream ends at the next byte boundary.
  gBC -= gBC & 7;
  const p = gIp - (gBC >> 3);
  if (p > end) return "gzip: byte " + (end - base).toString() + ": deflate data truncated";
  inflateEnd = p;
  return null;
}
