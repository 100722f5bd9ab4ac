// gzip (RFC 1952): one or more members, each a header (optional extra field, name, comment
// and header CRC), a raw deflate stream (inflate.ts) and a trailer with the CRC-32 and the
// length mod 2^32 of that member's output, both checked.
//
// After a member: another member (concatenated gzip files decompress to the concatenation),
// or zero bytes to the end (padding, as an image or a kernel payload may carry it). Anything
// else after a member is left alone, as Linux's decompressor and libxenguest leave it, and
// counted in out.ignored: the caller warns with the count, so a damaged second member header
// never shortens a kernel silently. Data that starts like a member is decoded as one, and
// its errors are errors.

import { OutBuf } from "./output";
import { inflate, inflateEnd } from "./inflate";
import { crc32Update } from "./checks";

const FTEXT: u32 = 1;
const FHCRC: u32 = 2;
const FEXTRA: u32 = 4;
const FNAME: u32 = 8;
const FCOMMENT: u32 = 16;

function at(pos: usize, what: string): string {
  return "gzip: byte " + pos.toString() + ": " + what;
}

export function gunzip(src: usize, len: usize, out: OutBuf): string | null {
  if (len == 0) return at(0, "empty input (no gzip header)");
  let pos: usize = 0;
  let member = 0;
  for (;;) {
    // Header: ID1 ID2 CM FLG MTIME(4) XFL OS.
    if (len - pos < 10) return at(pos, "gzip header truncated");
    if (load<u8>(src + pos) != 0x1f || load<u8>(src + pos + 1) != 0x8b) return at(pos, "not a gzip header (magic 1f 8b missing)");
    const cm = <u32>load<u8>(src + pos + 2);
    if (cm != 8) return at(pos + 2, "compression method " + cm.toString() + " (only 8, deflate, exists)");
    const flg = <u32>load<u8>(src + pos + 3);
    if ((flg & 0xe0) != 0) return at(pos + 3, "reserved header flags set (0x" + flg.toString(16) + ")");
    const hstart = pos;
    let p = pos + 10;
    if ((flg & FEXTRA) != 0) {
      if (len - p < 2) return at(p, "extra field length truncated");
      const xlen = <usize>load<u16>(src + p);
      p += 2;
      if (len - p < xlen) return at(p, "extra field of " + xlen.toString() + " bytes truncated");
      p += xlen;
    }
    if ((flg & FNAME) != 0) {
      while (p < len && load<u8>(src + p) != 0) p++;
      if (p >= len) return at(p, "file name not terminated");
      p++;
    }
    if ((flg & FCOMMENT) != 0) {
      while (p < len && load<u8>(src + p) != 0) p++;
      if (p >= len) return at(p, "comment not terminated");
      p++;
    }
    if ((flg & FHCRC) != 0) {
      if (len - p < 2) return at(p, "header CRC truncated");
      const want = <u32>load<u16>(src + p);
      const got = crc32Update(0, src + hstart, p - hstart) & 0xffff;
      if (want != got) return at(p, "header CRC 0x" + want.toString(16) + " but the header's is 0x" + got.toString(16));
      p += 2;
    }
    const ostart = out.len;
    const e = inflate(src, src + p, src + len, out);
    if (e != null) return e;
    p = inflateEnd - src;
    if (len - p < 8) return at(p, "member trailer (CRC-32, size) truncated");
    const wantCrc = load<u32>(src + p);
    const wantSize = load<u32>(src + p + 4);
    const n = out.len - ostart;
    const gotCrc = crc32Update(0, out.ptr + ostart, n);
    if (wantCrc != gotCrc) return at(p, "CRC-32 0x" + wantCrc.toString(16) + " but the data's is 0x" + gotCrc.toString(16) + " (member " + member.toString() + ")");
    if (wantSize != <u32>n) return at(p + 4, "size " + wantSize.toString() + " (mod 2^32) but " + n.toString() + " bytes came out (member " + member.toString() + ")");
    pos = p + 8;
    member++;
    if (pos == len) return null;
    if (load<u8>(src + pos) == 0x1f) continue;
    // Zero padding to the end is accepted; anything else is trailing data, counted.
    let q = pos;
    while (q < len && load<u8>(src + q) == 0) q++;
    if (q < len) out.ignored = len - pos;
    return null;
  }
}
