// Compressed extents: zlib (a zlib stream: 2-byte header, deflate, adler32), lzo (btrfs's own
// framing: a u32 total length, then per sector of input a u32 segment length and an LZO1X
// segment; a segment header never straddles a sector boundary, the gap is zero padding) and
// zstd (one zstd frame, followed by the padding to the sector). Decoded with the loader's
// decompressors (src/loader/decompress: inflate, unzstd) and lzo1x.ts, into one reusable
// 128 KiB buffer per mount: an extent decompresses to at most 128 KiB.

import { OutBuf } from "../../loader/decompress/output";
import { inflate } from "../../loader/decompress/inflate";
import { unzstd } from "../../loader/decompress/zstd";
import { lzo1xSegment, lzoWhy, lzoAt } from "./lzo1x";
import { COMPRESS_ZLIB, COMPRESS_LZO, COMPRESS_ZSTD, COMPRESSED_MAX } from "./layout";

export function compressionName(t: u8): string {
  if (t == COMPRESS_ZLIB) return "zlib";
  if (t == COMPRESS_LZO) return "lzo";
  if (t == COMPRESS_ZSTD) return "zstd";
  return "unknown (" + t.toString() + ")";
}

export class Decompressor {
  out: OutBuf = new OutBuf(COMPRESSED_MAX + 4096, COMPRESSED_MAX);
  sectorSize: u32;

  constructor(sectorSize: u32) {
    this.sectorSize = sectorSize;
  }

  // Decompress n bytes at p (type t) into this.out (its len: bytes produced, at most ram).
  // null, or what was wrong (offsets are within the compressed data).
  run(t: u8, p: usize, n: u32, ram: u32): string | null {
    const out = this.out;
    out.len = 0;
    out.limit = ram;
    if (t == COMPRESS_ZLIB) return this.zlib(p, n);
    if (t == COMPRESS_ZSTD) return this.zstd(p, n);
    if (t == COMPRESS_LZO) return this.lzo(p, n, ram);
    return "compression type " + t.toString() + " is unknown";
  }

  private zlib(p: usize, n: u32): string | null {
    if (n < 2) return "zlib: stream of " + n.toString() + " bytes";
    const cmf = <u32>load<u8>(p);
    const flg = <u32>load<u8>(p + 1);
    if ((cmf & 0x0f) != 8 || ((cmf << 8) | flg) % 31 != 0) return "zlib: bad stream header " + cmf.toString(16) + " " + flg.toString(16) + " at byte 0";
    if ((flg & 0x20) != 0) return "zlib: stream needs a preset dictionary";
    return inflate(p, p + 2, p + n, this.out);
  }

  // unzstd takes whole frames and nothing after them: find where the frame ends by its
  // header and block headers, then decode exactly that.
  private zstd(p: usize, n: u32): string | null {
    if (n < 6 || load<u32>(p) != 0xfd2fb528) return "zstd: no frame magic at byte 0";
    const fhd = <u32>load<u8>(p + 4);
    const single = (fhd & 0x20) != 0;
    const did = fhd & 3;
    const fcs = fhd >> 6;
    let pos: u32 = 5 + (single ? 0 : 1) + (did == 0 ? 0 : did == 1 ? 1 : did == 2 ? 2 : 4) +
      (fcs == 0 ? (single ? 1 : 0) : fcs == 1 ? 2 : fcs == 2 ? 4 : 8);
    for (let k = 0; ; k++) { // each block takes at least 3 bytes: bounded by n
      if (pos + 3 > n) return "zstd: frame truncated at byte " + pos.toString();
      const bh = <u32>load<u16>(p + pos) | (<u32>load<u8>(p + pos + 2) << 16);
      const type = (bh >> 1) & 3;
      const size: u32 = type == 1 ? 1 : bh >> 3;
      pos += 3;
      if (size > n - pos) return "zstd: block at byte " + (pos - 3).toString() + " runs past the extent";
      pos += size;
      if ((bh & 1) != 0) break;
    }
    if ((fhd & 0x04) != 0) pos += 4;
    if (pos > n) return "zstd: frame checksum truncated";
    return unzstd(p, pos, this.out);
  }

  private lzo(p: usize, n: u32, ram: u32): string | null {
    const out = this.out;
    const ss = this.sectorSize;
    if (n < 4) return "lzo: extent of " + n.toString() + " bytes";
    const total = load<u32>(p);
    if (total > n || total < 4) return "lzo: total length " + total.toString() + " does not fit the " + n.toString() + " bytes stored";
    let pos: u32 = 4;
    // Each turn consumes at least 5 bytes of input: bounded by total.
    while (pos < total && out.len < <usize>ram) {
      const inSector = ss - pos % ss;
      if (inSector < 4) pos += inSector; // no header across a sector boundary
      if (pos + 4 > total) break;
      const seg = load<u32>(p + pos);
      pos += 4;
      if (seg == 0 || seg > total - pos) return "lzo: segment at byte " + (pos - 4).toString() + " of " + seg.toString() + " bytes runs past the total " + total.toString();
      const room = <usize>ram - out.len;
      const omax = room < <usize>ss ? room : <usize>ss;
      const got = lzo1xSegment(p + pos, p + pos + seg, out.ptr + out.len, omax, out.ptr + out.cap);
      if (got < 0) return "lzo: segment at byte " + (pos - 4).toString() + ": " + lzoWhy + " at byte " + (<usize>pos + lzoAt).toString();
      out.len += <usize>got;
      pos += seg;
    }
    return null;
  }
}
