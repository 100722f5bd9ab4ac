// xz (the .xz file format, version 1.x): streams of blocks, each block LZMA2 (lzma_dec.ts)
// optionally behind the x86 BCJ filter (bcj_x86.ts), then an index and a footer. Checked:
// every header and index CRC-32, the block check (CRC-32, CRC-64 or SHA-256; "none" has
// nothing to check), block sizes against their headers and against the index, the index against the
// blocks, the footer against the header and the index, and all padding being zeros.
//
// Check types the format reserves but does not define (2, 3, 5..9, 11..15) are skipped over
// by their defined sizes, unverified (xz itself only warns of them).
//
// Filters: LZMA2 (0x21) last, x86 BCJ (0x04, optional start offset) before it; any other
// filter is an error naming its ID.
//
// After a stream: stream padding (zeros, a multiple of four bytes) and further streams, whose
// output follows. The kernel build appends the uncompressed size (4 bytes, little endian)
// after the payload's stream, so exactly four bytes equal to the output size mod 2^32 at the
// very end are accepted too; anything else after a stream is an error.

import { OutBuf } from "./output";
import { crc32Update, crc64Update, sha256 } from "./checks";
import { bcjX86Decode } from "./bcj_x86";
import { lzmaForget, lzmaProps, lzmaReset, lzmaDictReset, rcInit, rcFinish, lzmaRun, rcIp, lzErr, pending, ST_STOP, ST_ERR } from "./lzma_dec";

// Nothing here allocates on the heap unless it fails (messages): the output buffer is the
// newest heap block and grows in place only while it stays so.
const MAGIC: usize = memory.data<u8>([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
const FILTER_LZMA2: u64 = 0x21;
const FILTER_X86: u64 = 0x04;

function at(pos: usize, what: string): string {
  return "xz: byte " + pos.toString() + ": " + what;
}

function hex(v: u64): string {
  return "0x" + v.toString(16);
}

// Variable-length integers: 7 bits a byte, low first, at most 9 bytes, no needless zeros.
let vli: u64 = 0;
const VLI_BAD: usize = <usize>-1;

function readVli(p: usize, end: usize): usize {
  let v: u64 = 0;
  for (let i: u32 = 0; i < 9; i++) {
    if (p >= end) return VLI_BAD;
    const b = <u64>load<u8>(p);
    p++;
    v |= (b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) {
      if (b == 0 && i != 0) return VLI_BAD;
      vli = v;
      return p;
    }
  }
  return VLI_BAD;
}

function vliSize(v: u64): usize {
  let n: usize = 1;
  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}

function checkSize(t: u32): usize {
  return t == 0 ? 0 : <usize>4 << ((t - 1) / 3);
}

// What one stream's blocks were, for checking the index: (unpadded size, uncompressed size)
// pairs in static memory; past the table's capacity only their count and sums are kept,
// compared as a whole with the index's records.
const MAX_RECORDS: u32 = 1024;
const records: usize = memory.data(<i32>MAX_RECORDS * 16, 16);
const shaOut: usize = memory.data(32, 16);

// Decode one stream starting at pos; returns null or the error. Sets streamEnd.
let streamEnd: usize = 0;

function stream(src: usize, len: usize, pos: usize, out: OutBuf): string | null {
  const end = src + len;
  // Stream header: magic, flags (0, check type), CRC-32 of the flags.
  if (len - pos < 12) return at(pos, "stream header truncated");
  for (let i: usize = 0; i < 6; i++) if (load<u8>(src + pos + i) != load<u8>(MAGIC + i)) return at(pos, "not an xz stream (bad magic)");
  const flags = <u32>load<u16>(src + pos + 6);
  if (load<u32>(src + pos + 8) != crc32Update(0, src + pos + 6, 2)) return at(pos + 8, "stream header CRC-32 mismatch");
  if ((flags & 0xf0ff) != 0) return at(pos + 6, "unsupported stream flags " + hex(flags));
  const check = flags >> 8;
  const csize = checkSize(check);
  pos += 12;

  let nblocks: u64 = 0;
  let sumUnpadded: u64 = 0;
  let sumUncomp: u64 = 0;
  for (;;) {
    if (pos >= len) return at(pos, "truncated before the index");
    const hb = <u32>load<u8>(src + pos);
    if (hb == 0) break; // the index indicator
    // Block header.
    const bstart = pos;
    const hsize = <usize>(hb + 1) * 4;
    if (len - pos < hsize) return at(pos, "block header truncated");
    const hend = pos + hsize - 4;
    if (load<u32>(src + hend) != crc32Update(0, src + pos, hsize - 4)) return at(hend, "block header CRC-32 mismatch");
    const bflags = <u32>load<u8>(src + pos + 1);
    if ((bflags & 0x3c) != 0) return at(pos + 1, "reserved block flags set (" + hex(bflags) + ")");
    const nfilters = (bflags & 3) + 1;
    let p = src + pos + 2;
    const he = src + hend;
    let wantComp: u64 = 0xffffffffffffffff;
    let wantUncomp: u64 = 0xffffffffffffffff;
    if ((bflags & 0x40) != 0) {
      p = readVli(p, he);
      if (p == VLI_BAD || vli == 0) return at(pos, "bad compressed size in the block header");
      wantComp = vli;
    }
    if ((bflags & 0x80) != 0) {
      p = readVli(p, he);
      if (p == VLI_BAD) return at(pos, "bad uncompressed size in the block header");
      wantUncomp = vli;
    }
    let x86 = false;
    let x86start: u32 = 0;
    let dictProp: u32 = 0;
    for (let f: u32 = 0; f < nfilters; f++) {
      const fp = p;
      p = readVli(p, he);
      if (p == VLI_BAD) return at(fp - src, "bad filter ID in the block header");
      const id = vli;
      p = readVli(p, he);
      if (p == VLI_BAD || vli > <u64>(he - p)) return at(fp - src, "bad filter properties size in the block header");
      const psize = <usize>vli;
      const last = f == nfilters - 1;
      if (id == FILTER_LZMA2) {
        if (!last) return at(fp - src, "LZMA2 filter is not the last filter");
        if (psize != 1) return at(fp - src, "LZMA2 properties of " + psize.toString() + " bytes (1 expected)");
        dictProp = <u32>load<u8>(p);
        if (dictProp > 40) return at(p - src, "LZMA2 dictionary size byte " + dictProp.toString() + " (at most 40)");
      } else if (id == FILTER_X86) {
        if (last) return at(fp - src, "x86 BCJ filter cannot be the last filter");
        if (x86) return at(fp - src, "x86 BCJ filter given twice");
        if (psize == 4) x86start = load<u32>(p);
        else if (psize != 0) return at(fp - src, "x86 BCJ properties of " + psize.toString() + " bytes (0 or 4 expected)");
        x86 = true;
      } else {
        return at(fp - src, "unsupported filter " + hex(id) + (id == 0x03 ? " (delta)" : id >= 0x05 && id <= 0x0b ? " (a BCJ filter for another architecture)" : id == 0x21 ? "" : "") + " (supported: x86 BCJ 0x4, LZMA2 0x21)");
      }
      p += psize;
    }
    while (p < he) {
      if (load<u8>(p) != 0) return at(p - src, "block header padding is not zero");
      p++;
    }
    pos += hsize;

    // LZMA2 chunks.
    const dataStart = pos;
    const ostart = out.len;
    let needDict = true;
    let needProps = true;
    let ip = src + pos;
    for (;;) {
      if (ip >= end) return at(len, "LZMA2 data truncated");
      const c = <u32>load<u8>(ip);
      const cpos = ip - src;
      if (c == 0) {
        ip++;
        break;
      }
      if (c >= 0xe0 || c == 1) {
        needProps = true;
        needDict = false;
        if (pending != 0) return at(cpos, "LZMA2 dictionary reset in the middle of a match");
        lzmaDictReset(out.len);
      } else if (needDict) {
        return at(cpos, "LZMA2 chunk without the dictionary reset the first one needs");
      }
      if (c >= 0x80) {
        const hl: usize = c >= 0xc0 ? 6 : 5;
        if (<usize>(end - ip) < hl) return at(cpos, "LZMA2 chunk header truncated");
        const usize_ = ((<usize>(c & 0x1f)) << 16) + ((<usize>load<u8>(ip, 1)) << 8) + <usize>load<u8>(ip, 2) + 1;
        const csize_ = ((<usize>load<u8>(ip, 3)) << 8) + <usize>load<u8>(ip, 4) + 1;
        if (c >= 0xa0 && pending != 0) return at(cpos, "LZMA2 state reset in the middle of a match");
        if (c >= 0xc0) {
          const e = lzmaProps(<u32>load<u8>(ip, 5), 4);
          if (e != null) return at(cpos + 5, e);
          needProps = false;
          lzmaReset();
        } else if (needProps) {
          return at(cpos, "LZMA2 chunk without the properties it needs");
        } else if (c >= 0xa0) {
          lzmaReset();
        }
        ip += hl;
        if (<usize>(end - ip) < csize_) return at(ip - src, "LZMA2 chunk of " + csize_.toString() + " compressed bytes truncated");
        const cend = ip + csize_;
        const e = rcInit(ip, cend);
        if (e != null) return at(ip - src, e);
        if (!out.reserve(usize_)) return at(ip - src, "output exceeds the limit of " + out.limit.toString() + " bytes");
        const r = lzmaRun(cend, out, out.len + usize_, false, false);
        if (r == ST_ERR) return at((rcIp > cend ? cend : rcIp) - src, rcIp > cend ? "LZMA2 chunk needs more than its " + csize_.toString() + " compressed bytes (" + lzErr + ")" : lzErr);
        if (r != ST_STOP) return at(cpos, "LZMA2 chunk ends early");
        if (!rcFinish(cend) || rcIp != cend) return at(cpos, "LZMA2 chunk's compressed size does not match its data (corrupt chunk)");
        ip = cend;
      } else {
        if (c > 2) return at(cpos, "invalid LZMA2 control byte " + hex(c));
        if (pending != 0) return at(cpos, "LZMA2 uncompressed chunk in the middle of a match");
        if (end - ip < 3) return at(cpos, "LZMA2 chunk header truncated");
        const n = ((<usize>load<u8>(ip, 1)) << 8) + <usize>load<u8>(ip, 2) + 1;
        ip += 3;
        if (<usize>(end - ip) < n) return at(ip - src, "LZMA2 uncompressed chunk of " + n.toString() + " bytes truncated");
        if (!out.append(ip, n)) return at(ip - src, "output exceeds the limit of " + out.limit.toString() + " bytes");
        ip += n;
      }
    }
    if (pending != 0) return at(ip - src - 1, "LZMA2 data ends in the middle of a match");
    pos = ip - src;
    const comp = <u64>(pos - dataStart);
    const uncomp = <u64>(out.len - ostart);
    if (wantComp != 0xffffffffffffffff && wantComp != comp) return at(bstart, "block compressed size " + comp.toString() + ", its header says " + wantComp.toString());
    if (wantUncomp != 0xffffffffffffffff && wantUncomp != uncomp) return at(bstart, "block uncompressed size " + uncomp.toString() + ", its header says " + wantUncomp.toString());
    if (x86) bcjX86Decode(out.ptr + ostart, out.len - ostart, x86start);
    // Block padding to a multiple of four, then the check.
    while ((pos - dataStart) & 3) {
      if (pos >= len) return at(pos, "block padding truncated");
      if (load<u8>(src + pos) != 0) return at(pos, "block padding is not zero");
      pos++;
    }
    if (len - pos < csize) return at(pos, "block check truncated");
    if (check == 1) {
      const got = crc32Update(0, out.ptr + ostart, out.len - ostart);
      if (got != load<u32>(src + pos)) return at(pos, "block CRC-32 " + hex(load<u32>(src + pos)) + " but the data's is " + hex(got));
    } else if (check == 4) {
      const got = crc64Update(0, out.ptr + ostart, out.len - ostart);
      if (got != load<u64>(src + pos)) return at(pos, "block CRC-64 " + hex(load<u64>(src + pos)) + " but the data's is " + hex(got));
    } else if (check == 10) {
      sha256(out.ptr + ostart, out.len - ostart, shaOut);
      if (memory.compare(shaOut, src + pos, 32) != 0) return at(pos, "block SHA-256 mismatch");
    }
    pos += csize;
    const unpadded = <u64>hsize + comp + <u64>csize;
    if (nblocks < <u64>MAX_RECORDS) {
      store<u64>(records + <usize>nblocks * 16, unpadded);
      store<u64>(records + <usize>nblocks * 16 + 8, uncomp);
    }
    nblocks++;
    sumUnpadded += unpadded;
    sumUncomp += uncomp;
  }

  // Index: indicator, record count, records, padding, CRC-32.
  const istart = pos;
  let p = src + pos + 1;
  p = readVli(p, end);
  if (p == VLI_BAD) return at(pos + 1, "bad or truncated index record count");
  if (vli != nblocks) return at(pos + 1, "index lists " + vli.toString() + " blocks, the stream has " + nblocks.toString());
  let iu: u64 = 0;
  let iz: u64 = 0;
  for (let i: u64 = 0; i < nblocks; i++) {
    const rp = p;
    p = readVli(p, end);
    if (p == VLI_BAD) return at(rp - src, "bad or truncated index record");
    const a = vli;
    p = readVli(p, end);
    if (p == VLI_BAD) return at(rp - src, "bad or truncated index record");
    const b = vli;
    if (i < <u64>MAX_RECORDS) {
      if (a != load<u64>(records + <usize>i * 16) || b != load<u64>(records + <usize>i * 16 + 8)) {
        return at(rp - src, "index record " + i.toString() + " does not match block " + i.toString());
      }
    }
    iu += a;
    iz += b;
  }
  if (iu != sumUnpadded || iz != sumUncomp) return at(istart, "index does not match the blocks");
  while ((p - src - istart) & 3) {
    if (p >= end) return at(p - src, "index padding truncated");
    if (load<u8>(p) != 0) return at(p - src, "index padding is not zero");
    p++;
  }
  if (end - p < 4) return at(p - src, "index CRC-32 truncated");
  if (load<u32>(p) != crc32Update(0, src + istart, p - src - istart)) return at(p - src, "index CRC-32 mismatch");
  p += 4;
  const isize = p - src - istart;

  // Stream footer: CRC-32, backward size, flags, "YZ".
  pos = p - src;
  if (len - pos < 12) return at(pos, "stream footer truncated");
  if (load<u8>(p + 10) != 0x59 || load<u8>(p + 11) != 0x5a) return at(pos + 10, "stream footer magic missing");
  if (load<u32>(p) != crc32Update(0, p + 4, 6)) return at(pos, "stream footer CRC-32 mismatch");
  if (<u32>load<u16>(p + 8) != flags) return at(pos + 8, "stream footer flags differ from the header's");
  const backward = (<u64>load<u32>(p + 4) + 1) * 4;
  if (backward != <u64>isize) return at(pos + 4, "stream footer's index size " + backward.toString() + " but the index has " + isize.toString());
  streamEnd = pos + 12;
  return null;
}

export function unxz(src: usize, len: usize, out: OutBuf): string | null {
  if (len == 0) return at(0, "empty input (no xz stream)");
  lzmaForget();
  let pos: usize = 0;
  for (;;) {
    const e = stream(src, len, pos, out);
    if (e != null) return e;
    pos = streamEnd;
    // The kernel's size trailer (checked first: its low byte may well be zero).
    if (len - pos == 4 && load<u32>(src + pos) == <u32>out.len) return null;
    // Stream padding: zeros in groups of four.
    let q = pos;
    while (q < len && load<u8>(src + q) == 0) q++;
    if (q == len) {
      if (((q - pos) & 3) != 0) return at(pos, "stream padding is not a multiple of four bytes");
      return null;
    }
    if (len - q >= 6 && load<u8>(src + q) == 0xfd && load<u8>(src + q + 1) == 0x37) {
      if (((q - pos) & 3) != 0) return at(pos, "stream padding is not a multiple of four bytes");
      pos = q;
      continue;
    }
    return at(q, "data after the stream is neither padding, another stream, nor the 4-byte size");
  }
}
