// A PVH domain laid out for its kernel (docs/loader.md, "PVH"): every PT_LOAD segment goes to
// its physical address through the copy list of the handoff record (docs/contract.md, kind 2),
// hvm_start_info (Xen's public/arch-x86/hvm/start_info.h, version 1) with the command line,
// the initrd as its first module and the domain's memory map (XENMEM_memory_map), and the
// trampoline page the platform jumps from. The copies are done by the platform after the
// core has stopped, one after another with memmove semantics, so they are put in an order in
// which none overwrites a later copy's source, hvm_start_info's block, the initrd (which stays
// where it was read) or the trampoline; a layout where no such order exists is refused.

import { memory_map, pfn_of } from "../../xen/hypercall";
import { KernelImage } from "../kernel";
import { hex } from "../elf";
import { attemptPages, memoryTop } from "../../lib/attempt";
import { ElfImage } from "../elf";
import { linearRoom } from "../layout";

export const HVM_START_MAGIC: u32 = 0x336ec578; // "xEn3", the "E" with its 0x80 bit set
const HVM_START_VERSION: u32 = 1;
const START_INFO_SIZE: usize = 56;
const MODLIST_AT: usize = 64; // hvm_modlist_entry: {u64 paddr; u64 size; u64 cmdline_paddr; u64 0}
const MODLIST_ENTRY: usize = 32;
const MEMMAP_AT: usize = 128; // hvm_memmap_table_entry: {u64 addr; u64 size; u32 type; u32 0}
const MEMMAP_ENTRY: usize = 24;
const MAX_MEMMAP: u32 = 128;
export const COPY_SIZE: usize = 16; // {u64 dst; u32 src (0xffffffff: zeros); u32 len}
export const MAX_COPIES: i32 = 256;
export const COPY_ZERO: u32 = 0xffffffff;
const E820_RAM: u32 = 1;
const FOUR_GIB: u64 = 1 << 32;
const PAGE: u64 = 4096;

// One copy of the handoff: `len` bytes from linear `src` (or zeros) to physical `dst`.
class Copy {
  constructor(public dst: u64, public src: u32, public len: u64, public what: string) {}
  srcPhys: u64 = 0; // where the source is physically (the linear memory is contiguous RAM)
}

export class PvhDomain {
  entry: u64 = 0; // the PHYS32 entry
  startInfo: u64 = 0; // hvm_start_info's physical address
  block: usize = 0; // linear offset of hvm_start_info's block (the copies are in it too)
  blockPages: u32 = 0;
  copies: usize = 0; // linear offset of the ordered copy records
  nrCopies: u32 = 0;
  trampoline: usize = 0; // linear offset of the reserved trampoline page
  kernelStart: u64 = 0; // physical range the segments take
  kernelEnd: u64 = 0;
  initrdPhys: u64 = 0;
  initrdLen: u64 = 0;
  memmapEntries: u32 = 0;
  ramPages: u64 = 0;
  error: string | null = null;
}

function failed(d: PvhDomain, why: string): PvhDomain {
  d.error = why;
  return d;
}

// The physical address of linear offset `off`.
function phys(off: usize): u64 {
  return (pfn_of(off) << 12) | <u64>(off & 4095);
}

// True when [off, off+len) of the linear memory is one physically contiguous run.
function contiguous(off: usize, len: u64): bool {
  if (len == 0) return true;
  const first = pfn_of(off);
  const last = pfn_of(off + <usize>(len - 1));
  return first != u64.MAX_VALUE && last != u64.MAX_VALUE && last - first == ((<u64>(off & 4095) + len - 1) >> 12);
}

function overlaps(a: u64, alen: u64, b: u64, blen: u64): bool {
  return alen > 0 && blen > 0 && a < b + blen && b < a + alen;
}

function range(a: u64, len: u64): string {
  return hex(a) + "-" + hex(a + len - 1);
}

// The core's memory starts low in RAM and Linux loads at 16 MiB, so what the loader allocates
// next may lie where the kernel's segments go. The initrd and hvm_start_info must not (no copy
// may overwrite them): before allocating them, the pages up to the kernel's physical end are
// taken as a gap (the attempt's memory: given back if the entry fails). `want`: the bytes that
// must still fit above the gap (what is read or built there). Null, or why not.
export function skipKernelRange(e: ElfImage, want: u64): string | null {
  const top = (<u64>memoryTop() + PAGE - 1) & ~(PAGE - 1);
  const at = (pfn_of(0) << 12) + top; // the linear memory is one physical run
  if (at >= e.pend || e.pend <= e.pstart) return null;
  const gap = (((e.pend + PAGE - 1) & ~(PAGE - 1)) - at) >> 12;
  const room = linearRoom();
  if ((gap << 12) + want > room || attemptPages(<usize>gap) == 0) {
    return "the kernel loads at " + range(e.pstart, e.pend - e.pstart) + ", where the core's memory is; the initrd and hvm_start_info must go above " +
      hex(e.pend) + ", and the " + (room >> 20).toString() + " MiB left hold the " + ((gap << 12) >> 20).toString() +
      " MiB skipped to get there but not the " + ((want + (1 << 20) - 1) >> 20).toString() + " MiB needed above it: give the domain more memory";
  }
  return null;
}

// Lay the kernel out. `initrd`: linear offset and size (0 size: none); it must sit in whole
// pages of its own (the loader reads it so). `cmdline`: the kernel's arguments.
export function buildPvhDomain(img: KernelImage, initrd: usize, initrdLen: u64, cmdline: string): PvhDomain {
  const d = new PvhDomain();
  const e = img.elf!;
  d.entry = img.xen!.entry;

  // The memory map, kept for hvm_start_info; the segments must land in its RAM below 4 GiB.
  const mapBuf = heap.alloc(<usize>MAX_MEMMAP * MEMMAP_ENTRY);
  const n = memory_map(mapBuf, MAX_MEMMAP * <u32>MEMMAP_ENTRY);
  if (n < 0) {
    heap.free(mapBuf);
    return failed(d, "XENMEM_memory_map failed (" + n.toString() + "): the domain's memory map is needed for hvm_start_info");
  }
  d.memmapEntries = <u32>n;
  for (let i: u32 = 0; i < d.memmapEntries; i++) {
    const m = mapBuf + <usize>i * MEMMAP_ENTRY;
    if (load<u32>(m + 16) == E820_RAM) d.ramPages += load<u64>(m + 8) >> 12;
  }

  // The copies: each segment's file bytes, then its zeros (bss).
  const copies = new Array<Copy>();
  for (let i = 0; i < e.loads.length; i++) {
    const s = e.loads[i];
    if (s.memSize == 0) continue;
    const what = "segment " + i.toString() + " (" + range(s.paddr, s.memSize) + ")";
    if (s.paddr + s.memSize > FOUR_GIB || s.paddr + s.memSize < s.paddr) {
      heap.free(mapBuf);
      return failed(d, what + " does not lie below 4 GiB, where a PVH kernel is placed");
    }
    if (!inRam(mapBuf, d.memmapEntries, s.paddr, s.memSize)) {
      heap.free(mapBuf);
      return failed(d, what + " is not RAM in the domain's memory map (" + describeMap(mapBuf, d.memmapEntries) + "): give the domain more memory");
    }
    if (d.kernelEnd == 0 || s.paddr < d.kernelStart) d.kernelStart = s.paddr;
    if (s.paddr + s.memSize > d.kernelEnd) d.kernelEnd = s.paddr + s.memSize;
    if (s.fileSize > 0) {
      const src = img.elfPtr + <usize>s.offset;
      if (!contiguous(src, s.fileSize)) {
        heap.free(mapBuf);
        return failed(d, what + ": its bytes in the core's memory are not physically contiguous (a platform that breaks the contract)");
      }
      const c = new Copy(s.paddr, <u32>src, s.fileSize, what);
      c.srcPhys = phys(src);
      copies.push(c);
    }
    if (s.memSize > s.fileSize) copies.push(new Copy(s.paddr + s.fileSize, COPY_ZERO, s.memSize - s.fileSize, what + "'s zeros"));
  }
  if (copies.length == 0) {
    heap.free(mapBuf);
    return failed(d, "the kernel has no PT_LOAD segment with bytes to load");
  }
  if (copies.length > MAX_COPIES) {
    heap.free(mapBuf);
    return failed(d, "the kernel needs " + copies.length.toString() + " copies; the handoff takes " + MAX_COPIES.toString());
  }

  // hvm_start_info's block: the struct, one module, the memory map, the command line, the copies.
  const cmd = String.UTF8.encode(cmdline, true);
  const cmdAt = MEMMAP_AT + <usize>d.memmapEntries * MEMMAP_ENTRY;
  const copiesAt = (cmdAt + <usize>cmd.byteLength + 15) & ~(<usize>15);
  const blockLen = copiesAt + <usize>copies.length * COPY_SIZE;
  d.blockPages = <u32>((blockLen + 4095) >> 12);
  const skip = skipKernelRange(e, <u64>(d.blockPages + 1) << 12);
  if (skip != null) {
    heap.free(mapBuf);
    return failed(d, skip!);
  }
  d.block = attemptPages(<usize>d.blockPages);
  d.trampoline = d.block != 0 ? attemptPages(1) : 0;
  if (d.trampoline == 0) {
    heap.free(mapBuf);
    return failed(d, "no memory left for hvm_start_info and the trampoline page");
  }
  if (!contiguous(d.block, <u64>blockLen)) {
    heap.free(mapBuf);
    return failed(d, "hvm_start_info's " + d.blockPages.toString() + " pages are not physically contiguous (a platform that breaks the contract)");
  }
  if (initrdLen > 0 && !contiguous(initrd, initrdLen)) {
    heap.free(mapBuf);
    return failed(d, "the initrd is not physically contiguous in the core's memory (a platform that breaks the contract)");
  }
  if (phys(d.trampoline) + PAGE > FOUR_GIB || phys(d.block) + <u64>blockLen > FOUR_GIB || (initrdLen > 0 && phys(initrd) + initrdLen > FOUR_GIB)) {
    heap.free(mapBuf);
    return failed(d, "the core's memory lies above 4 GiB: hvm_start_info, the initrd and the trampoline must be below it");
  }
  d.startInfo = phys(d.block);
  d.initrdPhys = initrdLen > 0 ? phys(initrd) : 0;
  d.initrdLen = initrdLen;

  // What no copy may write.
  const keep = new Array<Copy>(); // reused as plain ranges: dst, len, what
  keep.push(new Copy(d.startInfo, 0, <u64>d.blockPages * PAGE, "hvm_start_info at " + hex(d.startInfo)));
  keep.push(new Copy(phys(d.trampoline), 0, PAGE, "the trampoline page at " + hex(phys(d.trampoline))));
  if (initrdLen > 0) keep.push(new Copy(d.initrdPhys, 0, initrdLen, "the initrd at " + range(d.initrdPhys, initrdLen)));
  for (let i = 0; i < copies.length; i++) {
    for (let k = 0; k < keep.length; k++) {
      if (overlaps(copies[i].dst, copies[i].len, keep[k].dst, keep[k].len)) {
        heap.free(mapBuf);
        return failed(d, copies[i].what + " would overwrite " + keep[k].what + ": the core's memory lies where the kernel loads in this " +
          (d.ramPages >> 8).toString() + " MiB domain; give it more memory");
      }
    }
  }

  // The order: copy i before copy j when j writes where i reads (Kahn's algorithm, file order
  // among the ready ones). A cycle means no order works.
  const nc = copies.length;
  const before = new Array<i32>(nc); // how many copies must come before each
  for (let j = 0; j < nc; j++) {
    let count = 0;
    for (let i = 0; i < nc; i++) {
      if (i != j && copies[i].src != COPY_ZERO && overlaps(copies[j].dst, copies[j].len, copies[i].srcPhys, copies[i].len)) count++;
    }
    before[j] = count;
  }
  const done = new Array<bool>(nc);
  const order = new Array<i32>();
  for (let round = 0; round < nc; round++) {
    let pick = -1;
    for (let j = 0; j < nc && pick < 0; j++) if (!done[j] && before[j] == 0) pick = j;
    if (pick < 0) break;
    done[pick] = true;
    order.push(pick);
    if (copies[pick].src == COPY_ZERO) continue;
    for (let j = 0; j < nc; j++) {
      if (!done[j] && j != pick && overlaps(copies[j].dst, copies[j].len, copies[pick].srcPhys, copies[pick].len)) before[j]--;
    }
  }
  if (order.length < nc) {
    let a = 0;
    while (done[a]) a++;
    let b = 0;
    while (b < nc && (b == a || copies[b].src == COPY_ZERO || !overlaps(copies[a].dst, copies[a].len, copies[b].srcPhys, copies[b].len))) b++;
    heap.free(mapBuf);
    return failed(d, "no order of the copies keeps every source: " + copies[a].what + " would overwrite where " +
      (b < nc ? copies[b].what : "another segment") + " is read from in the core's memory, and back: the kernel loads over the memory the core holds it in");
  }

  // Fill the block.
  const p = d.block;
  store<u32>(p, HVM_START_MAGIC);
  store<u32>(p + 4, HVM_START_VERSION);
  store<u32>(p + 8, 0); // flags
  store<u32>(p + 12, initrdLen > 0 ? 1 : 0);
  store<u64>(p + 16, initrdLen > 0 ? d.startInfo + <u64>MODLIST_AT : 0);
  store<u64>(p + 24, d.startInfo + <u64>cmdAt);
  store<u64>(p + 32, 0); // rsdp_paddr: not known to the core (Linux then searches for it)
  store<u64>(p + 40, d.memmapEntries > 0 ? d.startInfo + <u64>MEMMAP_AT : 0);
  store<u32>(p + 48, d.memmapEntries);
  store<u32>(p + 52, 0);
  if (initrdLen > 0) {
    store<u64>(p + MODLIST_AT, d.initrdPhys);
    store<u64>(p + MODLIST_AT + 8, initrdLen);
    store<u64>(p + MODLIST_AT + 16, 0); // no module command line
    store<u64>(p + MODLIST_AT + 24, 0);
  }
  memory.copy(p + MEMMAP_AT, mapBuf, <usize>d.memmapEntries * MEMMAP_ENTRY);
  heap.free(mapBuf);
  memory.copy(p + cmdAt, changetype<usize>(cmd), <usize>cmd.byteLength);
  d.copies = p + copiesAt;
  d.nrCopies = <u32>nc;
  for (let k = 0; k < nc; k++) {
    const c = copies[order[k]];
    const r = d.copies + <usize>k * COPY_SIZE;
    store<u64>(r, c.dst);
    store<u32>(r + 8, c.src);
    store<u32>(r + 12, <u32>c.len);
  }
  return d;
}

function inRam(map: usize, n: u32, a: u64, len: u64): bool {
  for (let i: u32 = 0; i < n; i++) {
    const m = map + <usize>i * MEMMAP_ENTRY;
    if (load<u32>(m + 16) != E820_RAM) continue;
    const s = load<u64>(m);
    const l = load<u64>(m + 8);
    if (a >= s && a + len <= s + l) return true;
  }
  return false;
}

function describeMap(map: usize, n: u32): string {
  let s = "RAM";
  let any = false;
  for (let i: u32 = 0; i < n && i < 8; i++) {
    const m = map + <usize>i * MEMMAP_ENTRY;
    if (load<u32>(m + 16) != E820_RAM) continue;
    s += (any ? ", " : " ") + range(load<u64>(m), load<u64>(m + 8));
    any = true;
  }
  return any ? s : "no RAM";
}

// "  layout (PVH): kernel at 0x1000000-0x4bfffff (5 segments, 9 copies), initrd at 0x..., 
//   hvm_start_info at 0x..., entry 0x1000..."
export function describePvh(d: PvhDomain): string {
  let s = "  layout (PVH): kernel at " + range(d.kernelStart, d.kernelEnd - d.kernelStart) + " (" + d.nrCopies.toString() + " copies)";
  if (d.initrdLen > 0) s += ", initrd at " + range(d.initrdPhys, d.initrdLen);
  s += ", hvm_start_info at " + hex(d.startInfo) + " (" + d.memmapEntries.toString() + " memory map entries), entry " + hex(d.entry);
  return s;
}
