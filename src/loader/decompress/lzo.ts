// lzop files (what the kernel's CONFIG_KERNEL_LZO, `lzop -9`, writes): the header (versions,
// method LZO1X, flags, mode, times, name, adler32 or CRC-32 of it), then blocks, each with its
// uncompressed and compressed sizes and the checksums the flags ask for (of the decompressed
// data; of the compressed data when it is compressed), compressed with LZO1X or, when that
// did not help, stored; a zero size ends the file. Files may follow one another; four bytes
// after the last are the kernel's appended size, checked. Filters, extra header fields and
// multipart files are refused.

import { OutBuf, copyMatch } from "./output";
import { crc32 } from "../../lib/crc32";

const F_ADLER32_D: u32 = 0x1;
const F_ADLER32_C: u32 = 0x2;
const F_H_EXTRA_FIELD: u32 = 0x40;
const F_CRC32_D: u32 = 0x100;
const F_CRC32_C: u32 = 0x200;
const F_MULTIPART: u32 = 0x400;
const F_H_FILTER: u32 = 0x800;
const F_H_CRC32: u32 = 0x1000;
const MAX_BLOCK: u32 = 64 << 20;

// @ts-ignore: decorator
@inline function be16(p: usize): u32 {
  return (<u32>load<u8>(p) << 8) | <u32>load<u8>(p + 1);
}

// @ts-ignore: decorator
@inline function be32(p: usize): u32 {
  return bswap<u32>(load<u32>(p));
}

export function adler32(p: usize, len: usize): u32 {
  let a: u32 = 1, b: u32 = 0;
  while (len > 0) {
    // 5552 bytes at most before b could overflow 32 bits
    const n = len < 5552 ? len : 5552;
    const end = p + n;
    while (p < end) {
      a += load<u8>(p++);
      b += a;
    }
    a %= 65521;
    b %= 65521;
    len -= n;
  }
  return (b << 16) | a;
}

// ---- LZO1X --------------------------------------------------------------------------------

let failAt: usize = 0;
let failWhy: string = "";

// Decode [ip, iend) to exactly [op, oend); capEnd: the end of writable memory past oend.
// True on success, else failAt (offset in the block) and failWhy.
function lzo1x(ip: usize, iend: usize, op: usize, oend: usize, capEnd: usize): bool {
  const istart = ip;
  const ostart = op;
  let state: u32 = 0; // literals after the last match (0..3), 4 after a literal run
  let t: usize;
  if (ip >= iend) { failWhy = "empty block"; failAt = 0; return false; }
  if (load<u8>(ip) > 17) {
    t = <usize>load<u8>(ip++) - 17;
    if (t > iend - ip) { failWhy = "truncated literals"; failAt = ip - istart; return false; }
    if (t > oend - op) { failWhy = "output longer than the block"; failAt = ip - istart; return false; }
    memory.copy(op, ip, t);
    op += t;
    ip += t;
    state = t < 4 ? <u32>t : 4;
  }
  while (true) {
    if (ip >= iend) { failWhy = "truncated"; failAt = ip - istart; return false; }
    t = <usize>load<u8>(ip++);
    let len: usize, dist: usize, next: usize;
    if (t >= 64) {
      if (ip >= iend) { failWhy = "truncated match"; failAt = ip - istart; return false; }
      len = (t >> 5) + 1;
      dist = ((t >> 2) & 7) + (<usize>load<u8>(ip++) << 3) + 1;
      next = t & 3;
    } else if (t >= 32) {
      len = t & 31;
      if (len == 0) {
        len = 31;
        while (true) {
          if (ip >= iend) { failWhy = "truncated length"; failAt = ip - istart; return false; }
          const b = <usize>load<u8>(ip++);
          if (b != 0) { len += b; break; }
          len += 255;
          if (len > oend - ostart) { failWhy = "match length too long"; failAt = ip - istart; return false; }
        }
      }
      len += 2;
      if (iend - ip < 2) { failWhy = "truncated match"; failAt = ip - istart; return false; }
      const d = <usize>load<u16>(ip);
      ip += 2;
      dist = (d >> 2) + 1;
      next = d & 3;
    } else if (t >= 16) {
      len = t & 7;
      if (len == 0) {
        len = 7;
        while (true) {
          if (ip >= iend) { failWhy = "truncated length"; failAt = ip - istart; return false; }
          const b = <usize>load<u8>(ip++);
          if (b != 0) { len += b; break; }
          len += 255;
          if (len > oend - ostart) { failWhy = "match length too long"; failAt = ip - istart; return false; }
        }
      }
      len += 2;
      if (iend - ip < 2) { failWhy = "truncated match"; failAt = ip - istart; return false; }
      const d = <usize>load<u16>(ip);
      ip += 2;
      dist = 16384 + ((t & 8) << 11) + (d >> 2);
      next = d & 3;
      if (dist == 16384) {
        // the end mark
        if (len != 3) { failWhy = "bad end mark"; failAt = ip - 3 - istart; return false; }
        if (ip != iend) { failWhy = "data after the end mark"; failAt = ip - istart; return false; }
        if (op != oend) { failWhy = "output shorter than the block"; failAt = ip - istart; return false; }
        return true;
      }
    } else if (state == 0) {
      // a literal run
      len = t;
      if (len == 0) {
        len = 15;
        while (true) {
          if (ip >= iend) { failWhy = "truncated length"; failAt = ip - istart; return false; }
          const b = <usize>load<u8>(ip++);
          if (b != 0) { len += b; break; }
          len += 255;
          if (len > iend - istart) { failWhy = "literal run too long"; failAt = ip - istart; return false; }
        }
      }
      len += 3;
      if (len > iend - ip) { failWhy = "truncated literals"; failAt = ip - istart; return false; }
      if (len > oend - op) { failWhy = "output longer than the block"; failAt = ip - istart; return false; }
      memory.copy(op, ip, len);
      op += len;
      ip += len;
      state = 4;
      continue;
    } else {
      // a short match, right after literals
      if (ip >= iend) { failWhy = "truncated match"; failAt = ip - istart; return false; }
      dist = (t >> 2) + (<usize>load<u8>(ip++) << 2) + (state == 4 ? 2049 : 1);
      len = state == 4 ? 3 : 2;
      next = t & 3;
    }
    // the match
    if (dist > op - ostart) { failWhy = "match distance " + dist.toString() + " reaches before the block"; failAt = ip - istart; return false; }
    if (len > oend - op) { failWhy = "output longer than the block"; failAt = ip - istart; return false; }
    copyMatch(op, dist, len, capEnd);
    op += len;
    // then 0..3 literals
    if (next > iend - ip) { failWhy = "truncated literals"; failAt = ip - istart; return false; }
    if (next > oend - op) { failWhy = "output longer than the block"; failAt = ip - istart; return false; }
    for (let i: usize = 0; i < next; i++) store<u8>(op + i, load<u8>(ip + i));
    op += next;
    ip += next;
    state = <u32>next;
  }
}

// ---- the lzop file ------------------------------------------------------------------------

let fileEnd: usize = 0;

function file(src: usize, len: usize, start: usize, out: OutBuf): string | null {
  let pos = start + 9;
  const h0 = pos;
  // the fixed part: version, library version, [version needed, method, level], flags
  if (len - pos < 16) return "lzo: truncated header at byte " + pos.toString();
  const version = be16(src + pos);
  pos += 4; // and the library version
  if (version < 0x0900) return "lzo: lzop version 0x" + version.toString(16) + " too old at byte " + h0.toString();
  if (version >= 0x0940) pos += 2; // version needed to extract
  const method = <u32>load<u8>(src + pos);
  pos++;
  if (method < 1 || method > 3) return "lzo: method " + method.toString() + " at byte " + (pos - 1).toString() + " is not LZO1X";
  if (version >= 0x0940) pos++; // level
  const flags = be32(src + pos);
  pos += 4;
  if ((flags & F_H_FILTER) != 0) return "lzo: filtered file (not supported) at byte " + (pos - 4).toString();
  if ((flags & F_MULTIPART) != 0) return "lzo: multipart file (not supported) at byte " + (pos - 4).toString();
  if ((flags & F_H_EXTRA_FIELD) != 0) return "lzo: header extra field (not supported) at byte " + (pos - 4).toString();
  // mode, mtime (and its high half), name
  const rest: usize = 4 + 4 + (version >= 0x0940 ? 4 : 0);
  if (len - pos < rest + 1) return "lzo: truncated header at byte " + pos.toString();
  pos += rest;
  const nameLen = <usize>load<u8>(src + pos);
  pos += 1 + nameLen;
  if (len < pos + 4) return "lzo: truncated header at byte " + pos.toString();
  const hsum = (flags & F_H_CRC32) != 0 ? crc32(src + h0, <u32>(pos - h0), 0) : adler32(src + h0, pos - h0);
  if (hsum != be32(src + pos)) return "lzo: header checksum mismatch at byte " + pos.toString();
  pos += 4;
  let n: u32 = 0;
  while (true) {
    if (len - pos < 4) return "lzo: truncated block header at byte " + pos.toString();
    const dlen = be32(src + pos);
    const bstart = pos;
    pos += 4;
    if (dlen == 0) break;
    if (dlen > MAX_BLOCK) return "lzo: block " + n.toString() + " size " + dlen.toString() + " too large at byte " + bstart.toString();
    if (len - pos < 4) return "lzo: truncated block header at byte " + pos.toString();
    const clen = be32(src + pos);
    pos += 4;
    if (clen == 0 || clen > dlen) return "lzo: block " + n.toString() + " at byte " + bstart.toString() + ": compressed size " + clen.toString() + " for " + dlen.toString() + " bytes";
    const stored = clen == dlen;
    const sums: usize = ((flags & F_ADLER32_D) != 0 ? 4 : 0) + ((flags & F_CRC32_D) != 0 ? 4 : 0) +
      (stored ? 0 : ((flags & F_ADLER32_C) != 0 ? 4 : 0) + ((flags & F_CRC32_C) != 0 ? 4 : 0));
    if (len - pos < sums + <usize>clen) return "lzo: block " + n.toString() + " at byte " + bstart.toString() + " truncated";
    let sp = pos;
    let dAdler: u32 = 0, dCrc: u32 = 0, cAdler: u32 = 0, cCrc: u32 = 0;
    if ((flags & F_ADLER32_D) != 0) { dAdler = be32(src + sp); sp += 4; }
    if ((flags & F_CRC32_D) != 0) { dCrc = be32(src + sp); sp += 4; }
    if (!stored && (flags & F_ADLER32_C) != 0) { cAdler = be32(src + sp); sp += 4; }
    if (!stored && (flags & F_CRC32_C) != 0) { cCrc = be32(src + sp); sp += 4; }
    const data = src + sp;
    if (!stored) {
      if ((flags & F_ADLER32_C) != 0 && adler32(data, clen) != cAdler) return "lzo: block " + n.toString() + " compressed data checksum mismatch at byte " + sp.toString();
      if ((flags & F_CRC32_C) != 0 && crc32(data, clen, 0) != cCrc) return "lzo: block " + n.toString() + " compressed data checksum mismatch at byte " + sp.toString();
    }
    if (<usize>dlen > out.limit - out.len) return "lzo: output limit (" + out.limit.toString() + " bytes) reached in block " + n.toString() + " at byte " + bstart.toString();
    const o0 = out.len;
    if (stored) {
      if (!out.append(data, dlen)) return "lzo: output limit (" + out.limit.toString() + " bytes) reached at byte " + sp.toString();
    } else {
      if (!out.reserve(dlen)) return "lzo: output limit (" + out.limit.toString() + " bytes) reached at byte " + sp.toString();
      const op = out.ptr + out.len;
      if (!lzo1x(data, data + clen, op, op + dlen, out.ptr + out.cap))
        return "lzo: block " + n.toString() + " corrupt (" + failWhy + ") at byte " + (sp + failAt).toString();
      out.len += dlen;
    }
    if ((flags & F_ADLER32_D) != 0 && adler32(out.ptr + o0, dlen) != dAdler) return "lzo: block " + n.toString() + " checksum mismatch at byte " + bstart.toString();
    if ((flags & F_CRC32_D) != 0 && crc32(out.ptr + o0, dlen, 0) != dCrc) return "lzo: block " + n.toString() + " checksum mismatch at byte " + bstart.toString();
    pos = sp + clen;
    n++;
  }
  fileEnd = pos;
  return null;
}

// @ts-ignore: decorator
@inline function isMagic(p: usize): bool {
  return load<u32>(p) == 0x4f5a4c89 && load<u32>(p, 4) == 0x1a0a0d00 && load<u8>(p, 8) == 0x0a;
}

export function unlzo(src: usize, len: usize, out: OutBuf): string | null {
  let pos: usize = 0;
  if (len < 9 || !isMagic(src)) return "lzo: not an lzop file (bad magic) at byte 0";
  while (pos < len) {
    if (pos > 0 && len - pos == 4) {
      const size = load<u32>(src + pos);
      if (size != <u32>out.len) return "lzo: trailing size " + size.toString() + " at byte " + pos.toString() + " is not the " + out.len.toString() + " bytes decompressed";
      break;
    }
    if (len - pos < 9 || !isMagic(src + pos)) return "lzo: bad magic at byte " + pos.toString();
    const e = file(src, len, pos, out);
    if (e != null) return e;
    pos = fileEnd;
  }
  return null;
}
