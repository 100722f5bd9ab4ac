// LZ4: the legacy frame (magic 0x184C2102, what `lz4 -l` and the kernel's CONFIG_KERNEL_LZ4
// write: independent blocks of at most 8 MiB, each preceded by its compressed size) and the
// modern frame (magic 0x184D2204, `lz4`'s default: a descriptor, blocks of 64 KiB..4 MiB that
// may refer back into earlier blocks, optional xxHash32 block and content checksums, optional
// content size), skippable frames, any number of frames one after the other. The kernel's
// build appends the uncompressed size as a 32-bit little-endian number after the last legacy
// block: four bytes left over at the end are taken as that and checked.

import { OutBuf, copyMatch, copyMatchWords } from "./output";

const LEGACY_MAGIC: u32 = 0x184c2102;
const FRAME_MAGIC: u32 = 0x184d2204;
const LEGACY_BLOCK: usize = 8 << 20;

// ---- xxHash32 -----------------------------------------------------------------------------

const P32_1: u32 = 2654435761;
const P32_2: u32 = 2246822519;
const P32_3: u32 = 3266489917;
const P32_4: u32 = 668265263;
const P32_5: u32 = 374761393;

// @ts-ignore: decorator
@inline function round32(acc: u32, lane: u32): u32 {
  return rotl<u32>(acc + lane * P32_2, 13) * P32_1;
}

export function xxh32(p: usize, len: usize, seed: u32): u32 {
  const end = p + len;
  let h: u32;
  if (len >= 16) {
    let v1 = seed + P32_1 + P32_2, v2 = seed + P32_2, v3 = seed, v4 = seed - P32_1;
    const last = end - 16;
    do {
      v1 = round32(v1, load<u32>(p));
      v2 = round32(v2, load<u32>(p, 4));
      v3 = round32(v3, load<u32>(p, 8));
      v4 = round32(v4, load<u32>(p, 12));
      p += 16;
    } while (p <= last);
    h = rotl<u32>(v1, 1) + rotl<u32>(v2, 7) + rotl<u32>(v3, 12) + rotl<u32>(v4, 18);
  } else {
    h = seed + P32_5;
  }
  h += <u32>len;
  while (p + 4 <= end) {
    h = rotl<u32>(h + load<u32>(p) * P32_3, 17) * P32_4;
    p += 4;
  }
  while (p < end) {
    h = rotl<u32>(h + <u32>load<u8>(p) * P32_5, 11) * P32_1;
    p++;
  }
  h ^= h >>> 15;
  h *= P32_2;
  h ^= h >>> 13;
  h *= P32_3;
  h ^= h >>> 16;
  return h;
}

// ---- one LZ4 block ------------------------------------------------------------------------

// Where the block decoder stopped when it failed (an offset into the block), for the message.
let failAt: usize = 0;

// How many sequences from ip, op may take the fast path below without looking at the block's
// ends: each takes at most 17 bytes of input (token, 14 literals, offset) and reads no
// further, and writes at most 38 bytes past op (16 of literals from op, 24 of match from
// op + 14), advancing op by at most 32; 32 a sequence covers both. ipFast and opFast: the last
// ip and op a fast sequence may start from (0 when the block is too short for any).
// @ts-ignore: decorator
@inline function fastBudget(ip: usize, op: usize, ipFast: usize, opFast: usize): usize {
  if (ip > ipFast || op > opFast) return 0;
  const a = ipFast - ip, b = opFast - op;
  return (a < b ? a : b) >> 5;
}

// Decode the block [ip, iend) to op, writing below oend; matches may reach back to lowest.
// The new output end, or 0 with failAt set: 1<<31|offset for "output past oend", else the
// offset of the bad or truncated sequence. Writes may overshoot oend (never capEnd) by up to
// 24 bytes, which the next sequence or block overwrites.
function block(ip: usize, iend: usize, op: usize, oend: usize, lowest: usize, capEnd: usize): usize {
  const istart = ip;
  const ipFast: usize = iend - istart >= 32 ? iend - 32 : 0;
  const oFast: usize = oend - op >= 32 ? oend - 32 : 0;
  const cFast: usize = capEnd - op >= 48 ? capEnd - 48 : 0;
  const opFast: usize = oFast < cFast ? oFast : cFast;
  while (true) {
    // The common sequence far from both ends: literals and match each short (no length
    // byte, so at most 14 and 18 bytes) and the match at least a word back: 16 bytes of
    // literals and three words of match at once, with no look at the ends while the budget
    // lasts. A sequence that is not such stops the run; when its literals are done already,
    // the code after the run goes on from its offset (ip there, the token in `token`).
    let token: usize = 0;
    let literalsDone = false;
    let k = fastBudget(ip, op, ipFast, opFast);
    while (k != 0) {
      token = <usize>load<u8>(ip);
      const n = token >> 4;
      if (n == 15) break;
      store<u64>(op, load<u64>(ip, 1));
      store<u64>(op, load<u64>(ip, 9), 8);
      ip += n + 1;
      op += n;
      const off = <usize>load<u16>(ip);
      const m = token & 15;
      if (off < 8 || off > op - lowest) { literalsDone = true; break; }
      const from = op - off;
      if (m != 15) {
        ip += 2;
        store<u64>(op, load<u64>(from));
        store<u64>(op, load<u64>(from, 8), 8);
        store<u64>(op, load<u64>(from, 16), 16);
        op += m + 4;
        if (--k == 0) k = fastBudget(ip, op, ipFast, opFast);
      } else {
        // A match of 19 to 273 bytes (one length byte) at least 16 back, in 16-byte words
        // (each reads only bytes already written); op here is at least 18 below opFast, so
        // that opFast - op does not wrap and a match ending by opFast leaves room for the
        // overshoot. Then the budget starts again from where the match ends.
        const b = <usize>load<u8>(ip, 2);
        const len = b + 19;
        if (b == 255 || off < 16 || len > opFast - op) { literalsDone = true; break; }
        ip += 3;
        const end = op + len;
        copyMatchWords(op, off, end);
        op = end;
        k = fastBudget(ip, op, ipFast, opFast);
      }
    }
    if (!literalsDone) {
      if (ip >= iend) { failAt = ip - istart; return 0; }
      token = <usize>load<u8>(ip++);
      // literals
      let n = token >> 4;
      if (n == 15) {
        let b: usize;
        do {
          if (ip >= iend) { failAt = ip - istart; return 0; }
          b = <usize>load<u8>(ip++);
          n += b;
        } while (b == 255);
      }
      if (n > iend - ip) { failAt = ip - istart; return 0; }
      if (n > oend - op) { failAt = (ip - istart) | (<usize>1 << 31); return 0; }
      // Up to 256 bytes in whole 16-byte words when both sides have room for the overshoot
      // (rep movs, the shim's memory.copy, costs over a hundred cycles to start).
      if (n <= 256 && iend - ip - n >= 16 && capEnd - op - n >= 16) {
        let i: usize = 0;
        do {
          store<u64>(op + i, load<u64>(ip + i));
          store<u64>(op + i, load<u64>(ip + i, 8), 8);
          i += 16;
        } while (i < n);
      } else {
        memory.copy(op, ip, n);
      }
      op += n;
      ip += n;
      if (ip == iend) return op; // the last sequence has literals only
      if (iend - ip < 2) { failAt = ip - istart; return 0; }
    }
    // match
    const off = <usize>load<u16>(ip);
    ip += 2;
    if (off == 0 || off > op - lowest) { failAt = ip - 2 - istart; return 0; }
    let m = token & 15;
    if (m == 15) {
      let b: usize;
      do {
        if (ip >= iend) { failAt = ip - istart; return 0; }
        b = <usize>load<u8>(ip++);
        m += b;
      } while (b == 255);
    }
    m += 4;
    if (m > oend - op) { failAt = (ip - istart) | (<usize>1 << 31); return 0; }
    if (m <= 24 && off >= 8 && capEnd - op >= 24) {
      // A short match: three words, each reading only bytes already written (off >= 8).
      const from = op - off;
      store<u64>(op, load<u64>(from));
      store<u64>(op, load<u64>(from, 8), 8);
      store<u64>(op, load<u64>(from, 16), 16);
    } else {
      copyMatch(op, off, m, capEnd);
    }
    op += m;
  }
  // not reached (AssemblyScript's flow analysis takes the inner loop's breaks for the outer's)
  return 0;
}

// Decode one block of `clen` bytes at p into out, at most `max` bytes; matches reach back to
// out offset `lowest`. null, or what was wrong (at byte `at` of the input).
function decodeBlock(p: usize, clen: usize, out: OutBuf, max: usize, lowest: usize, at: usize, blockNo: u32): string | null {
  // An LZ4 block expands at most ~255 times; room for that (or the limit) up front.
  let want = clen * 255 + 16;
  if (want > max) want = max;
  let room = out.limit - out.len;
  const limited = want > room;
  if (!limited) room = want;
  if (!out.reserve(room)) return "lz4: output limit reached at byte " + at.toString();
  const op0 = out.ptr + out.len;
  const r = block(p, p + clen, op0, op0 + room, out.ptr + lowest, out.ptr + out.cap);
  if (r == 0) {
    const where = at + (failAt & 0x7fffffff);
    if ((failAt >> 31) != 0) {
      if (limited) return "lz4: output limit (" + out.limit.toString() + " bytes) reached in block " + blockNo.toString() + " at byte " + where.toString();
      return "lz4: block " + blockNo.toString() + " at byte " + at.toString() + " decodes to more than " + max.toString() + " bytes";
    }
    return "lz4: block " + blockNo.toString() + " corrupt or truncated at byte " + where.toString();
  }
  out.len = r - out.ptr;
  return null;
}

// ---- frames -------------------------------------------------------------------------------

export function unlz4(src: usize, len: usize, out: OutBuf): string | null {
  let pos: usize = 0;
  let frames = 0;
  // The kernel's trailing size field counts what the legacy frames produced.
  let legacyOut: usize = 0;
  let legacyLast = false;
  if (len < 4) return "lz4: input too short (" + len.toString() + " bytes) at byte 0";
  while (pos < len) {
    if (len - pos < 4) return "lz4: " + (len - pos).toString() + " stray bytes at byte " + pos.toString();
    const magic = load<u32>(src + pos);
    if (magic == LEGACY_MAGIC) {
      const start = out.len;
      const e = legacy(src, len, pos + 4, out);
      if (e != null) return e;
      legacyOut += out.len - start;
      pos = legacyEnd;
      legacyLast = true;
    } else if (magic == FRAME_MAGIC) {
      const e = frame(src, len, pos, out);
      if (e != null) return e;
      pos = frameEnd;
      legacyLast = false;
    } else if ((magic & 0xfffffff0) == 0x184d2a50) {
      if (len - pos < 8) return "lz4: truncated skippable frame at byte " + pos.toString();
      const n = <usize>load<u32>(src + pos + 4);
      if (n > len - pos - 8) return "lz4: skippable frame at byte " + pos.toString() + " runs past the end";
      pos += 8 + n;
      legacyLast = false;
    } else if (frames > 0 && legacyLast && len - pos == 4) {
      // the kernel's appended uncompressed size
      if (<u32>magic != <u32>legacyOut)
        return "lz4: trailing size " + magic.toString() + " at byte " + pos.toString() + " is not the " + legacyOut.toString() + " bytes decompressed";
      pos += 4;
    } else {
      return "lz4: bad magic 0x" + magic.toString(16) + " at byte " + pos.toString();
    }
    frames++;
  }
  return null;
}

let legacyEnd: usize = 0;

// Legacy blocks from pos to the next magic number or the end; legacyEnd is where they stop.
function legacy(src: usize, len: usize, pos: usize, out: OutBuf): string | null {
  let n: u32 = 0;
  while (true) {
    if (pos == len) break;
    if (len - pos < 4) return "lz4: truncated legacy block size at byte " + pos.toString();
    const csize = <usize>load<u32>(src + pos);
    if (csize == LEGACY_MAGIC || csize == FRAME_MAGIC || (csize & 0xfffffff0) == 0x184d2a50) break;
    // the kernel's trailing size field: four bytes that end the input
    if (len - pos == 4 && n > 0) break;
    if (csize == 0 || csize > LEGACY_BLOCK + LEGACY_BLOCK / 255 + 16)
      return "lz4: bad legacy block size " + csize.toString() + " at byte " + pos.toString();
    if (csize > len - pos - 4)
      return "lz4: legacy block " + n.toString() + " at byte " + pos.toString() + " truncated (" + csize.toString() + " bytes, " + (len - pos - 4).toString() + " left)";
    const e = decodeBlock(src + pos + 4, csize, out, LEGACY_BLOCK, out.len, pos + 4, n);
    if (e != null) return e;
    pos += 4 + csize;
    n++;
  }
  legacyEnd = pos;
  return null;
}

let frameEnd: usize = 0;

function frame(src: usize, len: usize, start: usize, out: OutBuf): string | null {
  let pos = start + 4;
  if (len - pos < 3) return "lz4: truncated frame descriptor at byte " + pos.toString();
  const flg = <u32>load<u8>(src + pos);
  const bd = <u32>load<u8>(src + pos + 1);
  if ((flg >> 6) != 1) return "lz4: frame version " + (flg >> 6).toString() + " at byte " + pos.toString() + " (only 1 is known)";
  if ((flg & 2) != 0 || (bd & 0x8f) != 0) return "lz4: reserved descriptor bits set at byte " + pos.toString();
  const indep = (flg & 0x20) != 0;
  const blockSum = (flg & 0x10) != 0;
  const hasSize = (flg & 0x08) != 0;
  const contentSum = (flg & 0x04) != 0;
  if ((flg & 0x01) != 0) return "lz4: frame at byte " + start.toString() + " needs a dictionary (not supported)";
  const bsid = bd >> 4;
  if (bsid < 4) return "lz4: bad block maximum size id " + bsid.toString() + " at byte " + (pos + 1).toString();
  const bmax: usize = <usize>1 << (8 + 2 * bsid);
  const dlen: usize = 2 + (hasSize ? 8 : 0);
  if (len - pos < dlen + 1) return "lz4: truncated frame descriptor at byte " + pos.toString();
  let csize: u64 = 0;
  if (hasSize) csize = load<u64>(src + pos + 2);
  const hc = (xxh32(src + pos, dlen, 0) >> 8) & 0xff;
  if (hc != <u32>load<u8>(src + pos + dlen)) return "lz4: frame descriptor checksum mismatch at byte " + (pos + dlen).toString();
  pos += dlen + 1;
  const fstart = out.len;
  let n: u32 = 0;
  while (true) {
    if (len - pos < 4) return "lz4: truncated block size at byte " + pos.toString();
    const w = load<u32>(src + pos);
    pos += 4;
    if (w == 0) break;
    const raw = (w >> 31) != 0;
    const bsize = <usize>(w & 0x7fffffff);
    if (bsize > bmax) return "lz4: block " + n.toString() + " size " + bsize.toString() + " at byte " + (pos - 4).toString() + " exceeds the frame's " + bmax.toString();
    if (bsize > len - pos || (blockSum && len - pos - bsize < 4))
      return "lz4: block " + n.toString() + " at byte " + (pos - 4).toString() + " truncated";
    if (blockSum && xxh32(src + pos, bsize, 0) != load<u32>(src + pos + bsize))
      return "lz4: block " + n.toString() + " checksum mismatch at byte " + (pos + bsize).toString();
    if (raw) {
      if (!out.append(src + pos, bsize)) return "lz4: output limit (" + out.limit.toString() + " bytes) reached in block " + n.toString() + " at byte " + pos.toString();
    } else {
      const e = decodeBlock(src + pos, bsize, out, bmax, indep ? out.len : fstart, pos, n);
      if (e != null) return e;
    }
    pos += bsize + (blockSum ? 4 : 0);
    n++;
  }
  const produced = out.len - fstart;
  if (hasSize && csize != <u64>produced)
    return "lz4: frame at byte " + start.toString() + " declares " + csize.toString() + " bytes, decoded " + produced.toString();
  if (contentSum) {
    if (len - pos < 4) return "lz4: truncated content checksum at byte " + pos.toString();
    if (xxh32(out.ptr + fstart, produced, 0) != load<u32>(src + pos))
      return "lz4: content checksum mismatch at byte " + pos.toString();
    pos += 4;
  }
  frameEnd = pos;
  return null;
}
