// LZO1X decoding of one btrfs lzo segment, with "at most this much output" semantics: a
// segment's uncompressed length is not stored (it is a sector, or less for the last one), so
// unlike src/loader/decompress/lzo.ts (lzop files state each block's exact size) this returns
// how much it produced. The same instruction decoding as that file.

import { copyMatch } from "../../loader/decompress/output";

export let lzoWhy: string = "";
export let lzoAt: usize = 0;

function bad(why: string, at: usize): i64 {
  lzoWhy = why;
  lzoAt = at;
  return -1;
}

// Decode [ip, iend) into [op, op + omax); capEnd: the end of writable memory (>= op + omax).
// The bytes produced, or -1 (lzoWhy, lzoAt: the offset in the segment).
export function lzo1xSegment(ip: usize, iend: usize, op: usize, omax: usize, capEnd: usize): i64 {
  const istart = ip;
  const ostart = op;
  const oend = op + omax;
  let state: u32 = 0;
  let t: usize;
  if (ip >= iend) return bad("empty segment", 0);
  if (load<u8>(ip) > 17) {
    t = <usize>load<u8>(ip++) - 17;
    if (t > iend - ip) return bad("truncated literals", ip - istart);
    if (t > oend - op) return bad("output longer than a sector", ip - istart);
    memory.copy(op, ip, t);
    op += t;
    ip += t;
    state = t < 4 ? <u32>t : 4;
  }
  // Each turn consumes input; lengths are bounded by the output room.
  while (true) {
    if (ip >= iend) return bad("truncated", ip - istart);
    t = <usize>load<u8>(ip++);
    let len: usize, dist: usize, next: usize;
    if (t >= 64) {
      if (ip >= iend) return bad("truncated match", ip - istart);
      len = (t >> 5) + 1;
      dist = ((t >> 2) & 7) + (<usize>load<u8>(ip++) << 3) + 1;
      next = t & 3;
    } else if (t >= 32) {
      len = t & 31;
      if (len == 0) {
        len = 31;
        while (true) {
          if (ip >= iend) return bad("truncated length", ip - istart);
          const b = <usize>load<u8>(ip++);
          if (b != 0) { len += b; break; }
          len += 255;
          if (len > omax) return bad("match length too long", ip - istart);
        }
      }
      len += 2;
      if (iend - ip < 2) return bad("truncated match", ip - istart);
      const d = <usize>load<u16>(ip);
      ip += 2;
      dist = (d >> 2) + 1;
      next = d & 3;
    } else if (t >= 16) {
      len = t & 7;
      if (len == 0) {
        len = 7;
        while (true) {
          if (ip >= iend) return bad("truncated length", ip - istart);
          const b = <usize>load<u8>(ip++);
          if (b != 0) { len += b; break; }
          len += 255;
          if (len > omax) return bad("match length too long", ip - istart);
        }
      }
      len += 2;
      if (iend - ip < 2) return bad("truncated match", ip - istart);
      const d = <usize>load<u16>(ip);
      ip += 2;
      dist = 16384 + ((t & 8) << 11) + (d >> 2);
      next = d & 3;
      if (dist == 16384) {
        if (len != 3) return bad("bad end mark", ip - 3 - istart);
        return <i64>(op - ostart); // the end mark (input after it: the sector's padding)
      }
    } else if (state == 0) {
      len = t;
      if (len == 0) {
        len = 15;
        while (true) {
          if (ip >= iend) return bad("truncated length", ip - istart);
          const b = <usize>load<u8>(ip++);
          if (b != 0) { len += b; break; }
          len += 255;
          if (len > iend - istart) return bad("literal run too long", ip - istart);
        }
      }
      len += 3;
      if (len > iend - ip) return bad("truncated literals", ip - istart);
      if (len > oend - op) return bad("output longer than a sector", ip - istart);
      memory.copy(op, ip, len);
      op += len;
      ip += len;
      state = 4;
      continue;
    } else {
      if (ip >= iend) return bad("truncated match", ip - istart);
      dist = (t >> 2) + (<usize>load<u8>(ip++) << 2) + (state == 4 ? 2049 : 1);
      len = state == 4 ? 3 : 2;
      next = t & 3;
    }
    if (dist > op - ostart) return bad("match distance " + dist.toString() + " reaches before the segment", ip - istart);
    if (len > oend - op) return bad("output longer than a sector", ip - istart);
    copyMatch(op, dist, len, capEnd);
    op += len;
    if (next > iend - ip) return bad("truncated literals", ip - istart);
    if (next > oend - op) return bad("output longer than a sector", ip - istart);
    for (let i: usize = 0; i < next; i++) store<u8>(op + i, load<u8>(ip + i));
    op += next;
    ip += next;
    state = <u32>next;
  }
  return -1; // not reached
}
