// From the kernel file as read from disk to the ELF image a PV domain builder loads: a
// bzImage's payload or a bare compressed kernel is decompressed (any format the kernel
// supports), then the ELF and its Xen information are read and checked: the PV notes for a PV
// domain (xen_notes.ts), the PHYS32 entry for a PVH domain (pvh/entry.ts). A kernel that
// cannot run in this kind of domain is refused here, with the reason.

import { parseElf, ElfImage, isElf, machineName } from "./elf";
import { xenParams, XenParams } from "./xen_notes";
import { pvhParams } from "./pvh/entry";
import { isBzImage, parseBzImage } from "./bzimage";
import { decompress, detectFormat } from "./decompress/index";

export class KernelImage {
  container: string = ""; // "bzImage", "ELF" or the compression of a bare compressed image
  compression: string = ""; // "" when the ELF was not compressed
  protocol: u16 = 0; // a bzImage's boot protocol
  elfPtr: usize = 0; // the ELF image in memory (the file itself, or the decompressed payload)
  elfSize: u64 = 0;
  elf: ElfImage | null = null;
  xen: XenParams | null = null;
  error: string | null = null;
  unpackedSize: u64 = 0; // set when the error is that the unpacked kernel does not fit
  warnings: Array<string> = new Array<string>(); // "2048 bytes after the gzip stream ignored ..."

  // "bzImage (boot protocol 2.15, xz payload) -> ELF64 x86_64, 63123456 bytes, Xen notes: linux"
  describe(): string {
    let s = this.container;
    if (this.container == "bzImage") {
      s += " (boot protocol " + (this.protocol >> 8).toString() + "." + (this.protocol & 0xff).toString() +
        ", " + (this.compression.length > 0 ? this.compression + " payload" : "uncompressed payload") + ")";
    }
    if (this.elf != null) {
      s += (this.container == "ELF" ? " " : " -> ") + this.elf!.describe() + ", " + this.elfSize.toString() + " bytes";
    }
    if (this.xen != null) s += ", Xen notes (" + this.xen!.source + "): " + (this.xen!.guestOs.length > 0 ? this.xen!.guestOs : "?");
    return s;
  }
}

function failed(k: KernelImage, why: string): KernelImage {
  k.error = why;
  return k;
}

// `limit`: the most memory a decompressed kernel may take. `want64`: the domain's width (PV).
// `pvh`: a PVH domain, which needs the PHYS32 entry note instead of the PV notes.
export function unpackKernel(p: usize, size: u64, limit: u64, want64: bool, pvh: bool = false): KernelImage {
  const k = new KernelImage();
  let elfPtr = p;
  let elfSize = size;
  if (isBzImage(p, size)) {
    k.container = "bzImage";
    const b = parseBzImage(p, size);
    k.protocol = b.protocol;
    if (b.error != null) return failed(k, b.error!);
    const at = p + <usize>b.payloadOffset;
    if (isElf(at, b.payloadLength)) {
      elfPtr = at;
      elfSize = b.payloadLength;
    } else {
      const fmt = detectFormat(at, <usize>b.payloadLength);
      if (fmt.length == 0) return failed(k, "the bzImage's payload is in no compression pvboot knows (starts with " + firstBytes(at, b.payloadLength) + ")");
      k.compression = fmt;
      // Linux's build appends the unpacked size to every payload: a kernel that cannot fit is
      // refused before seconds of decompressing, with the sizes a domain's owner needs.
      if (b.payloadLength >= 8) {
        const unpacked = <u64>load<u32>(at + <usize>b.payloadLength - 4);
        if (unpacked > limit && unpacked >= b.payloadLength && unpacked / 64 <= b.payloadLength) {
          k.unpackedSize = unpacked;
          return failed(k, "the bzImage's " + fmt + " payload unpacks to " + unpacked.toString() + " bytes (" +
            mib(unpacked).toString() + " MiB), more than the " + mib(limit).toString() + " MiB of memory left for it");
        }
      }
      const d = decompress(fmt, at, <usize>b.payloadLength, <usize>limit);
      if (d.error != null) return failed(k, "the bzImage's " + fmt + " payload: " + d.error!);
      if (d.ignored > 0) k.warnings.push(ignoredBytes(d.ignored, fmt));
      elfPtr = d.ptr;
      elfSize = d.len;
    }
  } else if (isElf(p, size)) {
    k.container = "ELF";
  } else {
    const fmt = detectFormat(p, <usize>size);
    if (fmt.length == 0) return failed(k, "unknown kernel format (starts with " + firstBytes(p, size) + ")");
    k.container = fmt;
    k.compression = fmt;
    const d = decompress(fmt, p, <usize>size, <usize>limit);
    if (d.error != null) return failed(k, d.error!);
    if (d.ignored > 0) k.warnings.push(ignoredBytes(d.ignored, fmt));
    elfPtr = d.ptr;
    elfSize = d.len;
  }
  k.elfPtr = elfPtr;
  k.elfSize = elfSize;
  const e = parseElf(elfPtr, elfSize);
  if (e.error != null) {
    return failed(k, (k.compression.length > 0 ? "the decompressed kernel" : "the kernel") + " is not a usable ELF image: " + e.error!);
  }
  k.elf = e;
  if (e.machine != 62 && e.machine != 3) return failed(k, "a " + machineName(e.machine) + " kernel: pvboot boots x86 PV kernels");
  const x = pvh ? pvhParams(e) : xenParams(e, want64);
  if (x.error != null) return failed(k, x.error!);
  k.xen = x;
  return k;
}

// Trailing data after a compressed stream: Linux's own decompressor and libxenguest stop at
// the stream's end, so xl boots such a kernel; pvboot does too, and says so.
export function ignoredBytes(n: usize, fmt: string): string {
  return n.toString() + " bytes after the " + fmt + " stream ignored (Linux's decompressor and libxenguest ignore them too)";
}

function mib(bytes: u64): u64 {
  return (bytes + (1 << 20) - 1) >> 20;
}

function firstBytes(p: usize, n: u64): string {
  if (n == 0) return "nothing: the file is empty";
  let s = "";
  for (let i: u64 = 0; i < n && i < 8; i++) {
    const b = <u32>load<u8>(p + <usize>i);
    s += (i > 0 ? " " : "") + (b < 16 ? "0" : "") + b.toString(16);
  }
  return s;
}
