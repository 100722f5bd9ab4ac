// Legacy .lzma ("LZMA alone", what `lzma -9` and `xz --format=lzma` write and the kernel's
// CONFIG_KERNEL_LZMA carries): a 13-byte header (properties byte, 32-bit dictionary size,
// 64-bit uncompressed size, all ones when unknown) and one LZMA stream (lzma_dec.ts).
//
// With the size unknown the stream must end with the end marker, and the range coder must
// then be cleanly finished. With a known size decoding stops at that size (an end marker
// right there is accepted too, as liblzma does). The format has no framing after the stream:
// whatever follows it (the kernel build appends the uncompressed size, 4 bytes) is ignored.

import { OutBuf } from "./output";
import { lzmaProps, lzmaReset, lzmaDictReset, rcInit, rcFinish, lzmaRun, rcIp, lzErr, ST_STOP, ST_END, ST_FULL, ST_ERR, lzmaForget } from "./lzma_dec";

function at(pos: usize, what: string): string {
  return "lzma: byte " + pos.toString() + ": " + what;
}

function limitMsg(src: usize, out: OutBuf): string {
  const p = rcIp - src;
  return at(p, "output exceeds the limit of " + out.limit.toString() + " bytes");
}

export function unlzma(src: usize, len: usize, out: OutBuf): string | null {
  if (len < 13) return at(len, "header truncated (13 bytes needed)");
  lzmaForget();
  let e = lzmaProps(<u32>load<u8>(src), 12);
  if (e != null) return at(0, e);
  // Bytes 1..4, the dictionary size, only bound what the encoder used: the whole output is
  // the dictionary here (lzma_dec.ts), so it is not needed.
  const size = load<u64>(src + 5);
  const known = size != 0xffffffffffffffff;
  lzmaDictReset(out.len);
  lzmaReset();
  const end = src + len;
  e = rcInit(src + 13, end);
  if (e != null) return at(13, e);
  const start = out.len;

  // Decode into whatever room there is, growing it a step at a time (a corrupt header's size
  // must not make the buffer jump to the limit at once), until the size in the header or,
  // size unknown, the end marker.
  if (known && size > <u64>(out.limit - out.len)) return at(5, "uncompressed size " + size.toString() + " exceeds the limit of " + out.limit.toString() + " bytes");
  const target: usize = known ? start + <usize>size : 0;
  for (;;) {
    if (known && out.len == target) {
      if (rcIp > end) return at(len, "compressed data truncated");
      return null;
    }
    let room = out.cap - out.len;
    if (room < (1 << 20)) room = 1 << 20;
    if (room > out.limit - out.len) room = out.limit - out.len;
    if (known && room > target - out.len) room = target - out.len;
    let r: i32;
    if (room == 0) {
      r = lzmaRun(end, out, out.len, true, true);
      if (r == ST_FULL || r == ST_STOP) return limitMsg(src, out);
    } else {
      if (!out.reserve(room)) return limitMsg(src, out);
      r = lzmaRun(end, out, out.len + room, true, false);
    }
    if (r == ST_ERR) return at(rcIp > end ? len : rcIp - src, rcIp > end ? "compressed data truncated" : lzErr);
    if (r == ST_END) {
      if (known && out.len != target) return at(rcIp - src, "end marker after " + (out.len - start).toString() + " bytes, but the header says " + size.toString());
      break;
    }
  }
  if (!rcFinish(end) || rcIp > end) return at(rcIp > end ? len : rcIp - src, "corrupt data after the end marker (range coder not finished cleanly)");
  return null;
}
