// The LZMA decoder shared by xz (LZMA2 chunks, xz.ts) and legacy .lzma (lzma.ts): a range
// decoder and the LZMA symbol decoder, writing straight into an OutBuf.
//
// The dictionary is the output itself: everything decoded stays in the OutBuf, so a match
// copies from earlier output and there is no circular window. Matches may not reach back
// before `dictStart` (where the last dictionary reset happened). The declared dictionary size
// is not enforced: with the whole output at hand it only bounds what an encoder may use.
//
// The decoder is resumable: lzmaRun stops when the output reaches `stop` (an LZMA2 chunk's
// end, or the room the caller reserved) and keeps the state, the last four distances and a
// match cut short by that stop (`pending`), so the next call carries on. Range coder state is
// kept between calls too, though LZMA2 starts a new range coder for every chunk.
//
// The hot loop keeps the range coder in locals and decodes bits inline: a function per bit
// would keep range, code and the input pointer in memory. Input past the end reads as zeros
// and is caught by the pointer check at the top of every symbol; output never passes `stop`.

import { attemptAlloc } from "../../lib/attempt";

import { copyMatch, OutBuf } from "./output";

// Probability array layout (u16 entries, each starting at 1024 = one half).
const IS_MATCH: u32 = 0; // [state][pos_state]: 12 x 16
const IS_REP: u32 = 192; // [state]
const IS_REP0: u32 = 204;
const IS_REP1: u32 = 216;
const IS_REP2: u32 = 228;
const IS_REP0_LONG: u32 = 240; // [state][pos_state]
const DIST_SLOT: u32 = 432; // [len_state 0..3][64]
const DIST_SPECIAL: u32 = 688; // reverse bit trees of the distance slots 4..13 (114)
const DIST_ALIGN: u32 = 802; // the low four bits of long distances (16)
const LEN: u32 = 818; // length decoder: choice, choice2, low[16][8], mid[16][8], high[256]
const REP_LEN: u32 = 1332;
const LITERAL: u32 = 1846; // [0x300 << (lc + lp)]
const L_CHOICE2: u32 = 1;
const L_LOW: u32 = 2;
const L_MID: u32 = 130;
const L_HIGH: u32 = 258;

const TOP: u32 = 1 << 24;
const SMALL_PROBS: u32 = LITERAL + (0x300 << 4); // enough for lc + lp <= 4 (xz's limit)
const smallProbs: usize = memory.data(<i32>SMALL_PROBS * 2, 16);

// Decoder state, kept between calls.
let probs: usize = smallProbs;
let lc: u32 = 3;
let lp: u32 = 0;
let pb: u32 = 2;
let state: u32 = 0;
let rep0: u32 = 0;
let rep1: u32 = 0;
let rep2: u32 = 0;
let rep3: u32 = 0;
export let pending: u32 = 0; // bytes of a match still to copy
export let dictStart: usize = 0; // output offset of the last dictionary reset
export let rcRange: u32 = 0;
export let rcCode: u32 = 0;
export let rcIp: usize = 0; // next input byte (may run past the end: those read as zeros)
export let lzErr: string = ""; // after ST_ERR: what was wrong

export const ST_STOP: i32 = 0; // output reached `stop`
export const ST_END: i32 = 1; // end-of-payload marker
export const ST_FULL: i32 = 2; // (probe) the next symbol would write past `stop`
export const ST_ERR: i32 = -1;

// Set lc/lp/pb from a properties byte ((pb * 5 + lp) * 9 + lc). Returns null or what is wrong.
// Probabilities beyond xz's lc + lp <= 4 (legacy .lzma allows up to lc 8, lp 4) need a heap
// block.
export function lzmaProps(b: u32, maxLcLp: u32): string | null {
  if (b >= 9 * 5 * 5) return "invalid LZMA properties byte 0x" + b.toString(16);
  const nlc = b % 9;
  const nlp = (b / 9) % 5;
  const npb = b / 45;
  if (nlc + nlp > maxLcLp) return "LZMA lc + lp = " + (nlc + nlp).toString() + " (at most " + maxLcLp.toString() + ")";
  const need = LITERAL + (<u32>0x300 << (nlc + nlp));
  if (need > SMALL_PROBS) {
    // A fresh block each time (rare: legacy .lzma only, once per stream), the boot attempt's
    // memory: not kept across calls, as it is given back when the attempt fails.
    probs = attemptAlloc(<usize>need * 2, false);
    if (probs == 0) return "no memory for " + need.toString() + " LZMA probabilities";
  } else {
    probs = smallProbs;
  }
  lc = nlc;
  lp = nlp;
  pb = npb;
  return null;
}

// State reset: all probabilities one half, state 0, distances 0 (after lzmaProps).
export function lzmaReset(): void {
  const n = LITERAL + (<u32>0x300 << (lc + lp));
  const end = probs + (<usize>n << 1);
  for (let p = probs; p < end; p += 8) store<u64>(p, 0x0400040004000400);
  state = 0;
  rep0 = 0;
  rep1 = 0;
  rep2 = 0;
  rep3 = 0;
  pending = 0;
}

// A new stream: nothing carried over from the last call, which may have stopped at an error
// in the middle of a match (a second decompression in the same boot, after a failed entry).
export function lzmaForget(): void {
  pending = 0;
}

// A dictionary reset: matches may not reach before output offset `at` from now on.
export function lzmaDictReset(at: usize): void {
  dictStart = at;
}

// Start a range decoder at ip: five bytes, the first zero. Returns null or what is wrong.
export function rcInit(ip: usize, end: usize): string | null {
  if (end < ip || end - ip < 5) return "range coder start truncated";
  if (load<u8>(ip) != 0) return "range coder's first byte is not zero";
  rcCode = (<u32>load<u8>(ip, 1) << 24) | (<u32>load<u8>(ip, 2) << 16) | (<u32>load<u8>(ip, 3) << 8) | <u32>load<u8>(ip, 4);
  rcRange = 0xffffffff;
  rcIp = ip + 5;
  return null;
}

// After the last symbol: the range decoder's last normalization. A cleanly finished stream
// then has code 0.
export function rcFinish(end: usize): bool {
  if (rcRange < TOP) {
    rcRange <<= 8;
    rcCode = (rcCode << 8) | (rcIp < end ? <u32>load<u8>(rcIp) : 0);
    rcIp++;
  }
  return rcCode == 0;
}

// Decode symbols from the range coder (input up to iend) into out until its length reaches
// stop (out.cap >= stop: the caller reserved it). mayEnd: an end marker is allowed. probe:
// called with no room, only to see whether an end marker comes next.
export function lzmaRun(iend: usize, out: OutBuf, stop: usize, mayEnd: bool, probe: bool): i32 {
  const o = out.ptr;
  const cap = out.cap;
  let pos = out.len;
  const ds = dictStart;
  const pr = probs;
  const pbMask: u32 = (1 << pb) - 1;
  const lpMask: u32 = (1 << lp) - 1;
  const lcv = lc;
  let range = rcRange;
  let code = rcCode;
  let ip = rcIp;
  let st = state;
  let r0 = rep0;
  let r1 = rep1;
  let r2 = rep2;
  let r3 = rep3;
  let result: i32 = ST_STOP;
  let len: u32 = pending;

  for (;;) {
    // A match to copy (pending from a previous call, or just decoded), in whole words where 16
    // bytes of room follow it (output.ts copyMatch; what it writes past the match lies past the
    // output's length until later output replaces it), small distances too: a kernel's runs of
    // zeros and padding are matches one to seven bytes back.
    if (len != 0) {
      const dist = <usize>r0 + 1;
      let n = <usize>len;
      if (n > stop - pos) n = stop - pos;
      if (n != 0) copyMatch(o + pos, dist, n, o + cap);
      pos += n;
      len -= <u32>n;
      if (len != 0) {
        if (probe) result = ST_FULL;
        break; // stop reached in the middle of a match
      }
    }
    if (ip > iend) {
      lzErr = "compressed data truncated";
      result = ST_ERR;
      break;
    }
    if (pos >= stop && !probe) break;
    const rel = <u32>(pos - ds);
    const posState = rel & pbMask;

    // is_match[state][posState]
    let pa = pr + ((<usize>(IS_MATCH + (st << 4) + posState)) << 1);
    let p = <u32>load<u16>(pa);
    if (range < TOP) { range <<= 8; code = (code << 8) | (ip < iend ? <u32>load<u8>(ip) : 0); ip++; }
    let bound = (range >>> 11) * p;
    if (code < bound) {
      range = bound;
      store<u16>(pa, <u16>(p + ((2048 - p) >>> 5)));
      // Literal.
      if (pos >= stop) {
        result = ST_FULL;
        break;
      }
      const prev: u32 = pos > ds ? <u32>load<u8>(o + pos - 1) : 0;
      const lbase = pr + ((<usize>(LITERAL + 0x300 * (((rel & lpMask) << lcv) + (prev >> (8 - lcv))))) << 1);
      let sym: u32 = 1;
      if (st < 7) {
        do {
          pa = lbase + (<usize>sym << 1);
          p = <u32>load<u16>(pa);
          if (range < TOP) { range <<= 8; code = (code << 8) | (ip < iend ? <u32>load<u8>(ip) : 0); ip++; }
          bound = (range >>> 11) * p;
          if (code < bound) {
            range = bound;
            store<u16>(pa, <u16>(p + ((2048 - p) >>> 5)));
            sym <<= 1;
          } else {
            range -= bound;
            code -= bound;
            store<u16>(pa, <u16>(p - (p >>> 5)));
            sym = (sym << 1) | 1;
          }
        } while (sym < 0x100);
      } else {
        // Matched literal: the byte at rep0 steers the probabilities while its bits agree.
        let mb: u32 = <u32>load<u8>(o + pos - <usize>r0 - 1) << 1;
        let offs: u32 = 0x100;
        do {
          const mbit = mb & offs;
          mb <<= 1;
          pa = lbase + (<usize>(offs + mbit + sym) << 1);
          p = <u32>load<u16>(pa);
          if (range < TOP) { range <<= 8; code = (code << 8) | (ip < iend ? <u32>load<u8>(ip) : 0); ip++; }
          bound = (range >>> 11) * p;
          if (code < bound) {
            range = bound;
            store<u16>(pa, <u16>(p + ((2048 - p) >>> 5)));
            sym <<= 1;
            offs &= ~mbit;
          } else {
            range -= bound;
            code -= bound;
            store<u16>(pa, <u16>(p - (p >>> 5)));
            sym = (sym << 1) | 1;
            offs &= mbit;
          }
        } while (sym < 0x100);
      }
      store<u8>(o + pos, <u8>sym);
      pos++;
      st = st < 4 ? 0 : st < 10 ? st - 3 : st - 6;
      continue;
    }
    range -= bound;
    code -= bound;
    store<u16>(pa, <u16>(p - (p >>> 5)));

    // is_rep[state]
    pa = pr + ((<usize>(IS_REP + st)) << 1);
    p = <u32>load<u16>(pa);
    if (range < TOP) { range <<= 8; code = (code << 8) | (ip < iend ? <u32>load<u8>(ip) : 0); ip++; }
    bound = (range >>> 11) * p;
    let lenBase: u32;
    let isRep = false;
    if (code < bound) {
      range = bound;
      store<u16>(pa, <u16>(p + ((2048 - p) >>> 5)));
      // A match with a new distance.
      r3 = r2;
      r2 = r1;
      r1 = r0;
      lenBase = LEN;
      st = st < 7 ? 7 : 10;
    } else {
      range -= bound;
      code -= bound;
      store<u16>(pa, <u16>(p - (p >>> 5)));
      isRep = true;
      if (pos == ds) {
        lzErr = "repeated match before any output";
        result = ST_ERR;
        break;
      }
      // is_rep0[state]
      pa = pr + ((<usize>(IS_REP0 + st)) << 1);
      p = <u32>load<u16>(pa);
      if (range < TOP) { range <<= 8; code = (code << 8) | (ip < iend ? <u32>load<u8>(ip) : 0); ip++; }
      bound = (range >>> 11) * p;
      if (code < bound) {
        range = bound;
        store<u16>(pa, <u16>(p + ((2048 - p) >>> 5)));
        // is_rep0_long[state][posState]: 0 is a one-byte "short rep".
        pa = pr + ((<usize>(IS_REP0_LONG + (st << 4) + posState)) << 1);
        p = <u32>load<u16>(pa);
        if (range < TOP) { range <<= 8; code = (code << 8) | (ip < iend ? <u32>load<u8>(ip) : 0); ip++; }
        bound = (range >>> 11) * p;
        if (code < bound) {
          range = bound;
          store<u16>(pa, <u16>(p + ((2048 - p) >>> 5)));
          st = st < 7 ? 9 : 11;
          if (pos >= stop) {
            result = ST_FULL;
            break;
          }
          if (<usize>r0 >= pos - ds) {
            lzErr = "invalid distance " + (<u64>r0 + 1).toString() + " (only " + (pos - ds).toString() + " bytes out)";
            result = ST_ERR;
            break;
          }
          store<u8>(o + pos, load<u8>(o + pos - <usize>r0 - 1));
          pos++;
          continue;
        }
        range -= bound;
        code -= bound;
        store<u16>(pa, <u16>(p - (p >>> 5)));
      } else {
        range -= bound;
        code -= bound;
        store<u16>(pa, <u16>(p - (p >>> 5)));
        let dist: u32;
        // is_rep1[state]
        pa = pr + ((<usize>(IS_REP1 + st)) << 1);
        p = <u32>load<u16>(pa);
        if (range < TOP) { range <<= 8; code = (code << 8) | (ip < iend ? <u32>load<u8>(ip) : 0); ip++; }
        bound = (range >>> 11) * p;
        if (code < bound) {
          range = bound;
          store<u16>(pa, <u16>(p + ((2048 - p) >>> 5)));
          dist = r1;
        } else {
          range -= bound;
          code -= bound;
          store<u16>(pa, <u16>(p - (p >>> 5)));
          // is_rep2[state]
          pa = pr + ((<usize>(IS_REP2 + st)) << 1);
          p = <u32>load<u16>(pa);
          if (range < TOP) { range <<= 8; code = (code << 8) | (ip < iend ? <u32>load<u8>(ip) : 0); ip++; }
          bound = (range >>> 11) * p;
          if (code < bound) {
            range = bound;
            store<u16>(pa, <u16>(p + ((2048 - p) >>> 5)));
            dist = r2;
          } else {
            range -= bound;
            code -= bound;
            store<u16>(pa, <u16>(p - (p >>> 5)));
            dist = r3;
            r3 = r2;
          }
          r2 = r1;
        }
        r1 = r0;
        r0 = dist;
      }
      lenBase = REP_LEN;
      st = st < 7 ? 8 : 11;
    }

    // The length: choice bits pick the low (2..9), mid (10..17) or high (18..273) tree.
    pa = pr + (<usize>lenBase << 1);
    p = <u32>load<u16>(pa);
    if (range < TOP) { range <<= 8; code = (code << 8) | (ip < iend ? <u32>load<u8>(ip) : 0); ip++; }
    bound = (range >>> 11) * p;
    let tree: u32;
    let tbits: u32 = 3;
    let add: u32 = 0;
    if (code < bound) {
      range = bound;
      store<u16>(pa, <u16>(p + ((2048 - p) >>> 5)));
      tree = lenBase + L_LOW + (posState << 3);
    } else {
      range -= bound;
      code -= bound;
      store<u16>(pa, <u16>(p - (p >>> 5)));
      pa = pr + (<usize>(lenBase + L_CHOICE2) << 1);
      p = <u32>load<u16>(pa);
      if (range < TOP) { range <<= 8; code = (code << 8) | (ip < iend ? <u32>load<u8>(ip) : 0); ip++; }
      bound = (range >>> 11) * p;
      if (code < bound) {
        range = bound;
        store<u16>(pa, <u16>(p + ((2048 - p) >>> 5)));
        tree = lenBase + L_MID + (posState << 3);
        add = 8;
      } else {
        range -= bound;
        code -= bound;
        store<u16>(pa, <u16>(p - (p >>> 5)));
        tree = lenBase + L_HIGH;
        tbits = 8;
        add = 16;
      }
    }
    const tb = pr + (<usize>tree << 1);
    const tlim: u32 = 1 << tbits;
    let sym: u32 = 1;
    do {
      pa = tb + (<usize>sym << 1);
      p = <u32>load<u16>(pa);
      if (range < TOP) { range <<= 8; code = (code << 8) | (ip < iend ? <u32>load<u8>(ip) : 0); ip++; }
      bound = (range >>> 11) * p;
      if (code < bound) {
        range = bound;
        store<u16>(pa, <u16>(p + ((2048 - p) >>> 5)));
        sym <<= 1;
      } else {
        range -= bound;
        code -= bound;
        store<u16>(pa, <u16>(p - (p >>> 5)));
        sym = (sym << 1) | 1;
      }
    } while (sym < tlim);
    const mlen = sym - tlim + add; // 0-based: the match is mlen + 2 bytes

    if (!isRep) {
      // The distance: a 6-bit slot, then reverse-tree, direct and align bits.
      const ss = pr + (<usize>(DIST_SLOT + ((mlen < 4 ? mlen : 3) << 6)) << 1);
      sym = 1;
      do {
        pa = ss + (<usize>sym << 1);
        p = <u32>load<u16>(pa);
        if (range < TOP) { range <<= 8; code = (code << 8) | (ip < iend ? <u32>load<u8>(ip) : 0); ip++; }
        bound = (range >>> 11) * p;
        if (code < bound) {
          range = bound;
          store<u16>(pa, <u16>(p + ((2048 - p) >>> 5)));
          sym <<= 1;
        } else {
          range -= bound;
          code -= bound;
          store<u16>(pa, <u16>(p - (p >>> 5)));
          sym = (sym << 1) | 1;
        }
      } while (sym < 64);
      const slot = sym - 64;
      let dist: u32 = slot;
      if (slot >= 4) {
        const nd = (slot >> 1) - 1;
        dist = (2 | (slot & 1)) << nd;
        let rb: usize;
        let rbits: u32;
        if (slot < 14) {
          rb = pr + (<usize>(DIST_SPECIAL + dist - slot - 1) << 1);
          rbits = nd;
        } else {
          let direct: u32 = 0;
          for (let i: u32 = nd - 4; i > 0; i--) {
            if (range < TOP) { range <<= 8; code = (code << 8) | (ip < iend ? <u32>load<u8>(ip) : 0); ip++; }
            range >>>= 1;
            if (code >= range) {
              code -= range;
              direct = (direct << 1) | 1;
            } else {
              direct <<= 1;
            }
          }
          dist += direct << 4;
          rb = pr + (<usize>DIST_ALIGN << 1);
          rbits = 4;
        }
        // Reverse bit tree: the first bit decoded is the lowest.
        let m: u32 = 1;
        for (let i: u32 = 0; i < rbits; i++) {
          pa = rb + (<usize>m << 1);
          p = <u32>load<u16>(pa);
          if (range < TOP) { range <<= 8; code = (code << 8) | (ip < iend ? <u32>load<u8>(ip) : 0); ip++; }
          bound = (range >>> 11) * p;
          if (code < bound) {
            range = bound;
            store<u16>(pa, <u16>(p + ((2048 - p) >>> 5)));
            m <<= 1;
          } else {
            range -= bound;
            code -= bound;
            store<u16>(pa, <u16>(p - (p >>> 5)));
            m = (m << 1) | 1;
            dist |= <u32>1 << i;
          }
        }
      }
      if (dist == 0xffffffff) {
        // The end-of-payload marker.
        if (!mayEnd) {
          lzErr = "end marker where none is allowed";
          result = ST_ERR;
        } else if (ip > iend) {
          lzErr = "compressed data truncated";
          result = ST_ERR;
        } else {
          result = ST_END;
        }
        break;
      }
      r0 = dist;
    }
    if (pos >= stop) {
      result = ST_FULL;
      break;
    }
    if (<usize>r0 >= pos - ds) {
      lzErr = "invalid distance " + (<u64>r0 + 1).toString() + " (only " + (pos - ds).toString() + " bytes out)";
      result = ST_ERR;
      break;
    }
    len = mlen + 2;
  }

  out.len = pos;
  rcRange = range;
  rcCode = code;
  rcIp = ip;
  state = st;
  rep0 = r0;
  rep1 = r1;
  rep2 = r2;
  rep3 = r3;
  pending = len;
  return result;
}
