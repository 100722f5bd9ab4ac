// Every compression a kernel, an initrd or a module may come in, found by its magic number.
// Each format is one file with one function: (src, len, out) -> null, or what was wrong.

import { OutBuf, Decompressed } from "./output";
import { gunzip } from "./gzip";
import { unxz } from "./xz";
import { unlzma } from "./lzma";
import { unzstd } from "./zstd";
import { unlz4 } from "./lz4";
import { bunzip2 } from "./bzip2";
import { unlzo } from "./lzo";

const PAGE: usize = 4096;

export const FORMATS: string[] = ["gzip", "xz", "lzma", "zstd", "lz4", "bzip2", "lzo"];

function startsWith(p: usize, len: usize, magic: u8[]): bool {
  if (len < <usize>magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (load<u8>(p + i) != magic[i]) return false;
  return true;
}

// The format of the data at p, by magic number, or "" when it is none of them. lzma (the
// legacy .lzma "alone" format) has no magic: its first byte is the properties byte, which
// for what the kernel and xz produce is 0x5d, followed by a little-endian dictionary size.
export function detectFormat(p: usize, len: usize): string {
  if (startsWith(p, len, [0x1f, 0x8b])) return "gzip";
  if (startsWith(p, len, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return "xz";
  if (startsWith(p, len, [0x28, 0xb5, 0x2f, 0xfd])) return "zstd";
  if (startsWith(p, len, [0x02, 0x21, 0x4c, 0x18])) return "lz4";
  if (startsWith(p, len, [0x04, 0x22, 0x4d, 0x18])) return "lz4"; // the modern frame (lz4's default)
  if (startsWith(p, len, [0x42, 0x5a, 0x68])) return "bzip2";
  if (startsWith(p, len, [0x89, 0x4c, 0x5a, 0x4f, 0x00, 0x0d, 0x0a, 0x1a, 0x0a])) return "lzo";
  if (startsWith(p, len, [0x5d, 0x00, 0x00])) return "lzma";
  return "";
}

// Decompress `len` bytes at `src` as `format`, producing at most `limit` bytes (more is an
// error). An error result has no data (ptr and len 0), whatever was decompressed before it.
export function decompress(format: string, src: usize, len: usize, limit: usize): Decompressed {
  const r = new Decompressed();
  // A kernel's payload ends with its unpacked size (and gzip with it mod 2^32): when the last
  // four bytes look like one, start with that much room, not a guess that doubles (the
  // allocator never gives memory back, and doubling past 64 MiB would take 128).
  let initial = len * 4 < limit ? len * 4 : limit;
  if (len >= 8) {
    const hint = <usize>load<u32>(src + len - 4);
    if (hint >= len && hint <= limit && hint / 64 <= len) initial = hint + 4096 < limit ? hint + 4096 : limit;
  }
  const out = new OutBuf(initial, limit);
  let e: string | null = null;
  if (format == "gzip") e = gunzip(src, len, out);
  else if (format == "xz") e = unxz(src, len, out);
  else if (format == "lzma") e = unlzma(src, len, out);
  else if (format == "zstd") e = unzstd(src, len, out);
  else if (format == "lz4") e = unlz4(src, len, out);
  else if (format == "bzip2") e = bunzip2(src, len, out);
  else if (format == "lzo") e = unlzo(src, len, out);
  else e = "unknown compression '" + format + "'";
  if (e == null) {
    // Zero to the end of the last page when the limit leaves room: a module's pages are
    // handed to the new domain where they are.
    const pad = (PAGE - (out.len & (PAGE - 1))) & (PAGE - 1);
    const len = out.len;
    if (pad == 0 || out.reserve(pad)) {
      memory.fill(out.ptr + len, 0, pad);
      r.zeroTail = true;
    }
    r.ptr = out.ptr;
    r.len = len;
    r.ignored = out.ignored;
  }
  r.error = e;
  return r;
}
