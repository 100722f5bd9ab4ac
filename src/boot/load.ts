// What `boot` does: read the kernel, the initrd and every module whole through the ext reader,
// identify and unpack the kernel, say what was found, and lay the new domain out
// (src/loader/layout.ts); the caller then hands over (src/boot/handoff.ts).

import { console } from "../xen/console";
import { Text } from "../lib/text";
import { resolvePath } from "../fs/mounts";
import { FileSystem, FileType, FsStat } from "../fs/fs";
import * as abi from "../xen/abi";
import { pv32, pvh, wrongWidth } from "../xen/arch";
import { unpackKernel, KernelImage, ignoredBytes } from "../loader/kernel";
import { hex } from "../loader/elf";
import { linearRoom, NewDomain } from "../loader/layout";
import { startInfo } from "../xen/start_info";
import { attemptAlloc, attemptPages } from "../lib/attempt";
import { buildDomain, ModuleSource, SpareMemory } from "../loader/layout";
import { buildPackage, ModulePackage } from "../loader/multiboot";
import { decompress, detectFormat } from "../loader/decompress/index";
import { setProgress } from "../loader/decompress/output";
import { bootReport, Progress, PROGRESS_MIN } from "./report";
import { now } from "../xen/time";
import { isBzImage, parseBzImage } from "../loader/bzimage";
import { buildPvhDomain, describePvh, PvhDomain, skipKernelRange } from "../loader/pvh/layout";

// A file named the GRUB way, found and checked to be a regular file.
export class OpenedFile {
  fs: FileSystem | null = null;
  ino: u64 = 0;
  size: u64 = 0;
  full: string = ""; // "(hd0,0)/boot/vmlinuz": the name errors and later reads use
  error: string | null = null;
}

export function openFile(name: string, root: string): OpenedFile {
  const f = new OpenedFile();
  const m = resolvePath(name, root);
  f.full = m.device.length > 0 ? m.device + m.path : name;
  if (m.fs == null) {
    f.error = m.error != null ? m.error! : "'" + name + "': no filesystem";
    return f;
  }
  const fs = m.fs!;
  const l = fs.lookup(m.path);
  if (l.error != null) {
    const why = l.error!;
    f.error = "'" + f.full + "': " + (why.indexOf("not found in directory") >= 0 ? "file not found" : why);
    return f;
  }
  const st = fs.stat(l.ino);
  if (st.error != null) {
    f.error = "'" + f.full + "': " + st.error!;
    return f;
  }
  if (st.type != FileType.File) {
    f.error = "'" + f.full + "': " + (st.type == FileType.Dir ? "is a directory" : "not a regular file");
    return f;
  }
  f.fs = fs;
  f.ino = l.ino;
  f.size = st.size;
  return f;
}

// The kernel's format, from its first bytes.
export class KernelFormat {
  kind: string = ""; // "bzImage", "zImage", "ELF64", "gzip", ... (the short name in the summary)
  summary: string = ""; // GRUB-like: "[Linux-bzImage, setup=0x3c00, size=0x7a1200]"
  detail: string = ""; // "Linux boot protocol 2.15, payload gzip"
  error: string | null = null;
}

const HEAD_BYTES: u32 = 4096; // what `kernel` reads to identify the file
const FILE_SLACK: u64 = 8 << 20; // what reading the initrd or a module leaves for what follows

function u8at(p: usize, off: u32, n: u32): u32 {
  return off < n ? <u32>load<u8>(p + off) : 0;
}

function u16at(p: usize, off: u32, n: u32): u32 {
  return off + 2 <= n ? <u32>load<u16>(p + off) : 0;
}

function u32at(p: usize, off: u32, n: u32): u32 {
  return off + 4 <= n ? load<u32>(p + off) : 0;
}

// The name of a compressed stream's format from its magic, or "".
export function compression(p: usize, n: u64): string {
  const b0 = n > 0 ? load<u8>(p) : 0xff;
  const b1 = n > 1 ? load<u8>(p + 1) : 0;
  const b2 = n > 2 ? load<u8>(p + 2) : 0;
  const b3 = n > 3 ? load<u8>(p + 3) : 0;
  if (b0 == 0x1f && (b1 == 0x8b || b1 == 0x9e)) return "gzip";
  if (n >= 6 && b0 == 0xfd && b1 == 0x37 && b2 == 0x7a && b3 == 0x58 && load<u8>(p + 4) == 0x5a && load<u8>(p + 5) == 0) return "xz";
  if (b0 == 0x28 && b1 == 0xb5 && b2 == 0x2f && b3 == 0xfd) return "zstd";
  if ((b0 == 0x02 && b1 == 0x21 && b2 == 0x4c && b3 == 0x18) || (b0 == 0x04 && b1 == 0x22 && b2 == 0x4d && b3 == 0x18)) return "lz4";
  if (b0 == 0x42 && b1 == 0x5a && b2 == 0x68 && b3 >= 0x31 && b3 <= 0x39) return "bzip2";
  if (b0 == 0x89 && b1 == 0x4c && b2 == 0x5a && b3 == 0x4f) return "lzo";
  if (b0 == 0x5d && b1 == 0 && b2 == 0) return "lzma";
  return "";
}

function machineName(m: u32): string {
  if (m == 62) return "x86_64";
  if (m == 3) return "i386";
  if (m == 183) return "aarch64";
  if (m == 40) return "arm";
  if (m == 243) return "riscv";
  return "machine " + m.toString();
}

// Identify a kernel from its first n bytes (the file has `size` bytes in all). `full` names
// the file in errors.
export function identifyKernel(p: usize, n: u32, size: u64, full: string): KernelFormat {
  const k = new KernelFormat();
  if (n >= 20 && load<u32>(p) == 0x464c457f) {
    const cls = u8at(p, 4, n);
    const machine = u16at(p, 18, n);
    if (cls != 1 && cls != 2) {
      k.error = "'" + full + "': ELF file of unknown class " + cls.toString();
      return k;
    }
    k.kind = cls == 2 ? "ELF64" : "ELF32";
    const x86 = (machine == 62 && cls == 2) || (machine == 3 && cls == 1);
    if (!x86) {
      k.error = "'" + full + "': a " + (cls == 2 ? "64" : "32") + "-bit " + machineName(machine) +
        " ELF kernel; pvboot boots x86 PV kernels";
      return k;
    }
    if ((cls == 2) == pv32() && !pvh()) { // PVH enters either width in 32-bit mode
      k.error = "'" + full + "': " + wrongWidth(cls == 2);
      return k;
    }
    const entry = cls == 2 ? (n >= 32 ? load<u64>(p + 24) : 0) : <u64>u32at(p, 24, n);
    const name = cls == 2 ? "ELF64-x86_64" : "ELF32-i386";
    k.summary = "[" + name + ", entry=" + hexStr(entry) + ", size=" + hexStr(size) + "]";
    k.detail = (cls == 2 ? "ELF64 x86_64" : "ELF32 i386") + " executable, entry " + hexStr(entry);
    return k;
  }
  if (n >= 0x208 && u32at(p, 0x202, n) == 0x53726448) { // "HdrS": the Linux x86 setup header
    let sects = u8at(p, 0x1f1, n);
    if (sects == 0) sects = 4;
    const setup = <u64>(sects + 1) * 512;
    const version = u16at(p, 0x206, n);
    const big = version >= 0x200 && (u8at(p, 0x211, n) & 1) != 0; // LOADED_HIGH
    if (setup >= size) {
      k.error = "'" + full + "': Linux setup of " + setup.toString() + " bytes but the file has only " + size.toString();
      return k;
    }
    k.kind = big ? "bzImage" : "zImage";
    k.summary = "[Linux-" + k.kind + ", setup=" + hexStr(setup) + ", size=" + hexStr(size - setup) + "]";
    k.detail = "Linux " + k.kind + ", boot protocol " + (version >> 8).toString() + "." + pad2(version & 0xff);
    if (version >= 0x208) { // payload_offset/length: where the compressed kernel is
      const off = <u64>u32at(p, 0x248, n) + setup;
      const len = <u64>u32at(p, 0x24c, n);
      if (len == 0 || off + len > size) k.detail += ", payload outside the file";
      else if (off + 6 <= <u64>n) {
        const c = compression(p + <usize>off, <u64>n - off);
        k.detail += ", payload " + (c.length > 0 ? c : "uncompressed or unknown") + " (" + len.toString() + " bytes)";
      }
    }
    return k;
  }
  const c = compression(p, <u64>n);
  if (c.length > 0) {
    k.kind = c;
    k.summary = "[" + c + "-compressed kernel, size=" + hexStr(size) + "]";
    k.detail = c + "-compressed image (decompressed by the loader)";
    return k;
  }
  const t = new Text().str("'").str(full).str("': unknown kernel format (starts with");
  for (let i: u32 = 0; i < n && i < 8; i++) {
    const b = <u32>load<u8>(p + i);
    t.ch(0x20).ch(hexDigit(b >> 4)).ch(hexDigit(b & 15));
  }
  if (n == 0) t.str(" nothing: the file is empty");
  k.error = String.UTF8.decodeUnsafe(t.buf, t.len) + ")";
  return k;
}

function hexDigit(v: u32): u32 {
  return v < 10 ? v + 0x30 : v + 0x57;
}

function pad2(v: u32): string {
  return v < 10 ? "0" + v.toString() : v.toString();
}

export function hexStr(v: u64): string {
  const t = new Text(24).hex(v);
  return String.UTF8.decodeUnsafe(t.buf, t.len);
}

// One buffer for every peek (kept memory, allocated once: `kernel` runs outside an attempt).
let headBuf: usize = 0;

// The kernel's first bytes, for `kernel`: identifies it without reading it all.
export function peekKernel(f: OpenedFile): KernelFormat {
  const n = <u32>(f.size < <u64>HEAD_BYTES ? f.size : <u64>HEAD_BYTES);
  if (headBuf == 0) headBuf = heap.alloc(<usize>HEAD_BYTES);
  const buf = headBuf;
  const e = n > 0 ? f.fs!.readRange(f.ino, 0, n, buf) : null;
  if (e != null) {
    const k = new KernelFormat();
    k.error = "'" + f.full + "': " + e;
    return k;
  }
  return identifyKernel(buf, n, f.size, f.full);
}

// What a decompressed kernel may take: the domain's RAM not yet behind the linear memory, less
// what the initrd or modules will take (their sizes, from their inodes) and the 8 MiB reading
// them leaves (a kernel that needs more fails with a "limit" error rather than running the
// domain out of memory). Files that cannot be opened count 0: reading them names the error.
function unpackRoom(initrd: string | null, modules: Array<string>): u64 {
  let margin: u64 = FILE_SLACK;
  const names = new Array<string>();
  if (initrd != null) names.push(initrd!);
  for (let i = 0; i < modules.length; i++) names.push(modules[i]);
  for (let i = 0; i < names.length; i++) {
    const f = openFile(names[i], "");
    if (f.error == null) margin += (f.size + 4095) & ~(<u64>4095);
  }
  const room = linearRoom();
  return room > margin ? room - margin : 0;
}

// A file read whole into the boot attempt's memory (src/lib/attempt.ts): its bytes stay for
// the loader, and go back with the attempt when it fails.
export class LoadedFile {
  constructor(public name: string, public data: usize, public size: u64) {}
}

export class Loaded {
  kernel: LoadedFile | null = null;
  format: KernelFormat | null = null;
  image: KernelImage | null = null; // the kernel unpacked to its checked PV ELF image
  initrd: LoadedFile | null = null;
  modules: Array<LoadedFile> = new Array<LoadedFile>();
  domain: NewDomain | null = null; // the new PV domain laid out, ready for the handoff
  pvh: PvhDomain | null = null; // or the PVH domain's placement
  moduleLines: Array<string> = new Array<string>(); // each module's line, file name first
  error: string | null = null;
}

class ReadResult {
  file: LoadedFile | null = null;
  error: string | null = null;
}

// `name` whole into the attempt's memory; errors name the file. `pages`: into whole pages of
// their own (zero after the end), so that the new domain can take them where they are. A file
// over 8 MiB is read in 4 MiB pieces under a progress line; the report says how fast it came.
function readFileWhole(name: string, root: string, pages: bool): ReadResult {
  const r = new ReadResult();
  const f = openFile(name, root);
  if (f.error != null) {
    r.error = f.error;
    return r;
  }
  const t0 = now();
  const big = f.size > PROGRESS_MIN;
  const n = (f.size + 4095) >> 12;
  const room = linearRoom();
  if ((n << 12) + (pages ? FILE_SLACK : 0) > room) {
    r.error = "'" + f.full + "': " + f.size.toString() + " bytes do not fit in the memory left (" + (room >> 20).toString() + " MiB)";
    return r;
  }
  const buf = pages ? attemptPages(<usize>n) : attemptAlloc(<usize>(f.size == 0 ? 1 : f.size), false);
  if (buf == 0) {
    r.error = "'" + f.full + "': " + f.size.toString() + " bytes do not fit in the memory left (" + (linearRoom() >> 20).toString() + " MiB)";
    return r;
  }
  // readRange takes 32-bit lengths; a big file goes in pieces the progress line follows
  const CHUNK: u64 = big ? 4 << 20 : 1 << 30;
  const progress = new Progress("reading " + f.full, f.size);
  for (let off: u64 = 0; off < f.size; off += CHUNK) {
    const len = f.size - off < CHUNK ? f.size - off : CHUNK;
    const e = f.fs!.readRange(f.ino, off, <u32>len, buf + <usize>off);
    if (e != null) {
      progress.end();
      r.error = "'" + f.full + "': " + e!;
      return r;
    }
    progress.update(off + len);
  }
  progress.end();
  r.file = new LoadedFile(f.full, buf, f.size);
  bootReport.phase("read", f.full, f.size, 0, now() - t0);
  return r;
}

// The unpacking under way, for the progress line (the decompressors call back through
// src/loader/decompress/output.ts setProgress).
let unpacking: Progress | null = null;

function unpackProgress(len: usize): void {
  const p = unpacking;
  if (p != null) p.update(<u64>len);
}

function startUnpacking(label: string, expected: u64): void {
  unpacking = new Progress(label, expected);
  setProgress(unpackProgress, 1 << 20);
}

function endUnpacking(): void {
  setProgress(null, 0);
  const p = unpacking;
  if (p != null) p.end();
  unpacking = null;
}

// The unpacked size a compressed stream ends with (Linux appends it; gzip's ISIZE), for the
// progress line: a bzImage's payload's, or the file's; 0 when it does not look like one.
function statedSize(p: usize, n: u64): u64 {
  if (isBzImage(p, n)) {
    const b = parseBzImage(p, n);
    if (b.error != null) return 0;
    p += <usize>b.payloadOffset;
    n = b.payloadLength;
  }
  if (n < 8) return 0;
  const v = <u64>load<u32>(p + <usize>n - 4);
  return v >= n && v / 64 <= n ? v : 0;
}

// Read everything `boot` needs and say what it is. Paths are those the commands resolved
// ("(hd0,0)/boot/vmlinuz"), so a later `root` does not change them.
// `unzip[i]`: module i is decompressed when it is compressed (`module`; `modulenounzip` and
// the initrd never are, as in GRUB 0.97). `more`: further initrds (GRUB 2's `initrd A B ...`),
// appended to the first in one block as GRUB concatenates them: each file starts on a 4-byte
// boundary, zeros between.
export function loadFiles(kernel: string, initrd: string | null, modules: Array<string>, quiet: bool,
  unzip: Array<bool> | null = null, more: Array<string> = []): Loaded {
  const out = new Loaded();
  bootReport.quiet = quiet;
  if (pvh() && modules.length > 0) {
    out.error = "'" + kernel + "': multiboot modules (GNU Mach's way to boot): a PVH domain boots only kernels with a PVH entry note, and GNU Mach runs as a PV guest: boot it with pvboot-x86_64.elf (kernel = \"pvboot-x86_64.elf\" in a type = \"pv\" domain)";
    return out;
  }
  const k = readFileWhole(kernel, "", false);
  if (k.error != null) {
    out.error = k.error;
    return out;
  }
  const kf = k.file!;
  const fmt = identifyKernel(kf.data, <u32>(kf.size < 0x10000 ? kf.size : 0x10000), kf.size, kf.name);
  if (fmt.error != null) {
    out.error = fmt.error;
    return out;
  }
  out.kernel = kf;
  out.format = fmt;
  if (!quiet) console.line(new Text().str("  kernel ").str(kf.name).str(": ").str(fmt.detail).str(", ").u(kf.size).str(" bytes"));
  // Unpacked and checked now, before the initrd is read: a kernel that cannot run in this
  // domain (no Xen notes, the other width, no PVH entry in PVH, a corrupt payload) fails the
  // entry here.
  const u0 = now();
  startUnpacking("unpacking " + kf.name, statedSize(kf.data, kf.size));
  const img = unpackKernel(kf.data, kf.size, unpackRoom(initrd, modules), !pv32(), pvh());
  endUnpacking();
  if (img.error == null && img.compression.length > 0) bootReport.phase("unpack", img.compression, kf.size, img.elfSize, now() - u0);
  if (img.error != null) {
    out.error = "'" + kf.name + "': " + img.error!;
    if (img.unpackedSize > 0) out.error = out.error! + " (the domain has " + (startInfo.nrPages >> 8).toString() + " MiB: give it more with memory = in its config)";
    return out;
  }
  out.image = img;
  for (let i = 0; i < img.warnings.length; i++) console.line(new Text().str("  warning: '").str(kf.name).str("': ").str(img.warnings[i]));
  if (!quiet) {
    console.line(new Text().str("  image: ").str(img.describe()).str(", entry ").str(hex(img.xen!.entry))
      .str(", virt_base ").str(hex(img.xen!.virtBase)));
  }
  if (initrd != null && pvh()) { // read above the kernel's physical range (pvh/layout.ts)
    const f = openFile(initrd!, "");
    const skip = skipKernelRange(img.elf!, (f.error == null ? (f.size + 4095) & ~(<u64>4095) : 0) + FILE_SLACK);
    if (skip != null) {
      out.error = "'" + kf.name + "': " + skip!;
      return out;
    }
  }
  if (initrd != null) {
    const i = readFileWhole(initrd!, "", true);
    if (i.error != null) {
      out.error = i.error;
      return out;
    }
    out.initrd = i.file;
    if (!quiet) console.line(new Text().str("  initrd ").str(i.file!.name).str(": ").u(i.file!.size).str(" bytes"));
    if (more.length > 0) {
      const e = appendInitrds(out, more, quiet);
      if (e != null) {
        out.error = e;
        return out;
      }
    }
  }
  for (let n = 0; n < modules.length; n++) {
    let m = readFileWhole(modules[n], "", true);
    if (m.error == null && unzip != null && n < unzip.length && unzip[n]) m = unzipModule(m.file!, quiet);
    if (m.error != null) {
      out.error = m.error;
      return out;
    }
    out.modules.push(m.file!);
    if (!quiet) console.line(new Text().str("  module ").str(m.file!.name).str(": ").u(m.file!.size).str(" bytes"));
  }
  return out;
}

// A module in one of the seven compressions, decompressed into pages of its own (zero past
// its end, as the package wants them); any other module as it is.
function unzipModule(f: LoadedFile, quiet: bool): ReadResult {
  const r = new ReadResult();
  const fmt = detectFormat(f.data, <usize>f.size);
  if (fmt.length == 0) {
    r.file = f;
    return r;
  }
  const room = linearRoom();
  const u0 = now();
  startUnpacking("unpacking " + f.name, statedSize(f.data, f.size));
  const d = decompress(fmt, f.data, <usize>f.size, <usize>(room > FILE_SLACK ? room - FILE_SLACK : 0));
  endUnpacking();
  if (d.error == null) bootReport.phase("unpack", fmt, f.size, <u64>d.len, now() - u0);
  if (d.error != null) {
    r.error = "'" + f.name + "': " + fmt + "-compressed module: " + d.error! + " (modulenounzip loads it as it is)";
    return r;
  }
  if (d.ignored > 0) console.line(new Text().str("  warning: '").str(f.name).str("': ").str(ignoredBytes(d.ignored, fmt)));
  if (!quiet) console.line(new Text().str("  module ").str(f.name).str(": ").str(fmt).str(", ").u(f.size).str(" bytes unpacked to ").u(<u64>d.len));
  let data = d.ptr;
  if (!d.zeroTail) { // no room was left to zero the last page in place
    data = attemptPages(<usize>((<u64>d.len + 4095) >> 12));
    if (data == 0) {
      r.error = "'" + f.name + "': " + fmt + "-compressed module: no memory for its " + d.len.toString() + " unpacked bytes";
      return r;
    }
    memory.copy(data, d.ptr, d.len);
  }
  r.file = new LoadedFile(f.name, data, <u64>d.len);
  return r;
}

// The initrds after the first, joined to it in fresh pages (see loadFiles).
function appendInitrds(out: Loaded, more: Array<string>, quiet: bool): string | null {
  const parts = new Array<LoadedFile>();
  parts.push(out.initrd!);
  let total: u64 = (out.initrd!.size + 3) & ~(<u64>3);
  for (let n = 0; n < more.length; n++) {
    const r = readFileWhole(more[n], "", false);
    if (r.error != null) return r.error;
    parts.push(r.file!);
    if (!quiet) console.line(new Text().str("  initrd ").str(r.file!.name).str(": ").u(r.file!.size).str(" bytes"));
    total += n == more.length - 1 ? r.file!.size : (r.file!.size + 3) & ~(<u64>3);
  }
  const pages = (total + 4095) >> 12;
  if ((pages << 12) + FILE_SLACK > linearRoom()) return "the initrds' " + total.toString() + " bytes do not fit in the memory left";
  const buf = attemptPages(<usize>pages); // zeroed
  if (buf == 0) return "the initrds' " + total.toString() + " bytes do not fit in the memory left";
  let at: u64 = 0;
  for (let i = 0; i < parts.length; i++) {
    memory.copy(buf + <usize>at, parts[i].data, <usize>parts[i].size);
    at += (parts[i].size + 3) & ~(<u64>3);
  }
  out.initrd = new LoadedFile(out.initrd!.name + " +" + more.length.toString(), buf, total);
  return null;
}

// The one line that says the files are in memory and the new domain is laid out.
export function describeLoaded(title: string, l: Loaded): string {
  const t = new Text(512).str("pvboot: ");
  t.str(title.length > 0 ? "'" + title + "'" : "the kernel").str(" loaded (kernel ").str(l.format!.kind).ch(0x20).u(l.kernel!.size).str(" bytes");
  if (l.initrd != null) t.str(", initrd ").u(l.initrd!.size).str(" bytes");
  if (l.modules.length > 0) {
    let total: u64 = 0;
    for (let i = 0; i < l.modules.length; i++) total += l.modules[i].size;
    t.str(", ").u(<u64>l.modules.length).str(l.modules.length == 1 ? " module " : " modules ").u(total).str(" bytes");
  }
  t.str(")");
  return String.UTF8.decodeUnsafe(t.buf, t.len);
}

// Lay the new domain out from what loadFiles read (docs/loader.md): the kernel with its initrd,
// or with its modules packed as a multiboot package. Errors name what did not fit.
export function prepareDomain(l: Loaded, kernelArgs: string, moduleLines: Array<string>, quiet: bool): string | null {
  if (pvh()) {
    const t0 = now();
    const rd = l.initrd;
    const p = buildPvhDomain(l.image!, rd != null ? rd.data : 0, rd != null ? rd.size : 0, kernelArgs);
    if (p.error != null) return "'" + l.kernel!.name + "': " + p.error!;
    bootReport.phase("layout", "", p.kernelEnd - p.kernelStart, 0, now() - t0);
    if (!quiet) console.say(describePvh(p));
    l.pvh = p;
    l.moduleLines = moduleLines;
    return null;
  }
  let initrd: ModuleSource | null = null;
  let pkg: ModulePackage | null = null;
  if (l.initrd != null) initrd = new ModuleSource(l.initrd!.data, l.initrd!.size);
  if (l.modules.length > 0) {
    const data = new Array<usize>();
    const sizes = new Array<u64>();
    for (let i = 0; i < l.modules.length; i++) {
      data.push(l.modules[i].data);
      sizes.push(l.modules[i].size);
    }
    pkg = buildPackage(data, sizes, moduleLines);
    if (pkg.error != null) return pkg.error;
  }
  // The kernel file is spare once unpacked, unless the ELF is the file (or inside it).
  const kf = l.kernel!;
  const img = l.image!;
  const inFile = img.elfPtr >= kf.data && img.elfPtr < kf.data + <usize>kf.size;
  const t0 = now();
  const d = buildDomain(img, initrd, pkg, kernelArgs, inFile ? null : new SpareMemory(kf.data, kf.size));
  if (d.error != null) return "'" + l.kernel!.name + "': " + d.error!;
  bootReport.phase("layout", "", d.usedPfns << 12, 0, now() - t0);
  for (let i = 0; i < d.warnings.length; i++) console.line(new Text().str("  warning: ").str(d.warnings[i]));
  if (!quiet) console.say(describeLayout(d));
  l.domain = d;
  l.moduleLines = moduleLines;
  return null;
}

// "  layout: kernel at pfn 0x1000 (14848 pages), initrd at pfn 0x6000 (unmapped, 7012 pages),
//   start_info at pfn 0x4a1b, 4 page tables, mapped to 0xffffffff84c00000 (76 MiB of 256)"
export function describeLayout(d: NewDomain): string {
  const t = new Text(256).str("  layout: kernel at pfn ").hex(d.kernelPfn).str(" (").u(d.kernelPages).str(" pages)");
  if (d.modLen > 0) {
    t.str((d.flags & abi.SIF_MULTIBOOT_MOD) != 0 ? ", modules at pfn " : ", initrd at pfn ").hex(d.modPfn)
      .str(d.modMapped ? " (" : " (unmapped, ").u(d.modPages).str(" pages)");
  }
  t.str(", start_info at pfn ").hex(d.startInfoPfn).str(", ").u(d.ptFrames).str(" page tables, mapped to ")
    .hex(d.virtBase + (d.endPfn << 12)).str(" (").u(d.usedPfns >> 8).str(" MiB of ").u(d.nrPages >> 8).str(")");
  return String.UTF8.decodeUnsafe(t.buf, t.len);
}
