// The new domain, laid out as libxenguest's domain builder would (docs/loader.md): every page
// of it is built in the loader's own linear memory, then given its pfn by a new P2M that is a
// permutation of the domain's frames. Nothing here talks to Xen beyond reading frame numbers;
// src/boot/handoff.ts pins the tables, updates the M2P and jumps. The domain's width
// (src/xen/arch.ts) decides the P2M's entries (8 or 4 bytes), the page tables (x86_64's four
// levels, or PAE's three under Xen's compat rules) and start_info's layout.

import * as abi from "../xen/abi";
import { mfn_of, pfn_of, pfn_to_mfn, va_of, hypercall_page } from "../xen/hypercall";
import { startInfo } from "../xen/start_info";
import { allocPages } from "../lib/pages";
import { attemptPages, checkedPages, memoryTop } from "../lib/attempt";
import { KernelImage } from "./kernel";
import { hex } from "./elf";
import { PageTables, linkTables, mapPage } from "./pagetable";
import { ModulePackage } from "./multiboot";
import { pv32 } from "../xen/arch";

const PAGE: u64 = 4096;
const MB4: u64 = 4 << 20;
const PAD_PAGES: u64 = 128; // libxenguest: at least 512 KiB mapped after the boot stack
const NONE: i32 = -1;
const VA_MASK: u64 = 0xffffffffffff;
const PAE_SLOT3: u64 = 0xC0000000; // the PAE L3's last slot, which Xen's compat guests must fill
const BELOW_4G_MFN: u64 = 0x100000;
const LOW_L3_TRIES: i32 = 256;
export const CMDLINE_MAX: u32 = 1023; // start_info's cmd_line holds 1024 bytes with the NUL

// One module as the layout takes it: its pages in the loader's memory (page-aligned, zero
// after the end), or a package of modules.
export class ModuleSource {
  constructor(public data: usize, public size: u64) {}
}

// Memory of the loader's that the layout may reuse once the kernel's pages are filled: the
// kernel file as read, when the ELF was unpacked out of it.
export class SpareMemory {
  constructor(public data: usize, public size: u64) {}
}

export class NewDomain {
  error: string | null = null;
  warnings: Array<string> = new Array<string>();
  nrPages: u64 = 0;
  virtBase: u64 = 0;
  entry: u64 = 0;
  // pfns of the layout's parts
  kernelPfn: u64 = 0;
  kernelPages: u64 = 0;
  modPfn: u64 = 0;
  modPages: u64 = 0;
  modMapped: bool = true;
  p2mPfn: u64 = 0;
  p2mPages: u64 = 0; // the P2M itself (with INIT_P2M, its tables follow)
  p2mFrames: u64 = 0; // with INIT_P2M: the P2M and its own tables
  startInfoPfn: u64 = 0;
  ptPfn: u64 = 0;
  ptFrames: u64 = 0;
  stackPfn: u64 = 0;
  endPfn: u64 = 0; // the mapped region is virt_base .. virt_base + endPfn * 4096
  usedPfns: u64 = 0; // every pfn the layout fills
  // what the handoff needs
  p2m: usize = 0; // the new P2M (nrPages u64s), in the loader's memory
  p2mList: usize = 0; // the P2M as the kernel gets it: d.p2m itself, or u32 entries (x86_32)
  oldP2m: usize = 0; // the running domain's P2M, same shape
  tablePages: Array<usize> = new Array<usize>(); // every page-table page, to map read-only
  l4: usize = 0; // the top-level table: the L4, or PAE's L3
  l4Mfn: u64 = 0;
  pae: bool = false; // a 32-bit PAE domain
  startInfo: usize = 0; // the new start_info page
  startInfoVa: u64 = 0;
  stackTop: u64 = 0;
  trampoline: usize = 0;
  elfReused: bool = false; // pages of the unpacked ELF became zero padding: it is no longer whole
  flags: u32 = 0;
  modStart: u64 = 0;
  modLen: u64 = 0;
}

function pagesFor(bytes: u64): u64 {
  return (bytes + PAGE - 1) / PAGE;
}

// Per-pfn scratch in the attempt's memory (src/lib/attempt.ts), zeroed: 6 bytes a page, 6 MiB
// for a 4 GiB domain. As StaticArrays it was kept memory, which past the attempt's 1 MiB pool
// of kept memory pins everything the attempt took below it: a layout that failed then gave
// nothing back (found by the layout fuzz target). Counted in buildDomain's `need`.
@final class PfnI32 {
  at: usize;
  constructor(n: u64) {
    this.at = checkedPages(<usize>pagesFor(n * 4), "the layout");
  }
  @operator("[]") get(i: i32): i32 {
    return load<i32>(this.at + (<usize>i << 2));
  }
  @operator("[]=") set(i: i32, v: i32): void {
    store<i32>(this.at + (<usize>i << 2), v);
  }
}

@final class PfnU8 {
  at: usize;
  constructor(n: u64) {
    this.at = checkedPages(<usize>pagesFor(n), "the layout");
  }
  @operator("[]") get(i: i32): u8 {
    return load<u8>(this.at + <usize>i);
  }
  @operator("[]=") set(i: i32, v: u8): void {
    store<u8>(this.at + <usize>i, v);
  }
}

function roundUp(v: u64, to: u64): u64 {
  return (v + to - 1) & ~(to - 1);
}

function mfnOfPage(page: usize): u64 {
  return mfn_of(page);
}

function failed(d: NewDomain, why: string): NewDomain {
  d.error = why;
  return d;
}

// What the linear memory can still take, in bytes: the domain's RAM above where it starts
// (pfn_of(0)), less what the platform keeps for the page tables that map it and the 64 KiB
// steps it grows in, less what the allocator has handed out (src/lib/runtime.ts: memory a
// failed attempt gave back counts as free again, though the linear memory stays grown).
export function linearRoom(): u64 {
  const nr = startInfo.nrPages;
  const base = pfn_of(0);
  const reserve = (nr >> 9) + 8 + 16;
  if (base >= nr || nr - base <= reserve) return 0;
  const ram = (nr - base - reserve) << 12;
  const used = memoryTop(); // the allocator's current end
  return ram > used ? ram - used : 0;
}

// Lay the new domain out for `img` with either an initrd or a module package (or neither).
export function buildDomain(img: KernelImage, initrd: ModuleSource | null, pkg: ModulePackage | null, cmdline: string,
  kernelFile: SpareMemory | null): NewDomain {
  const d = new NewDomain();
  const x = img.xen!;
  const e = img.elf!;
  const nr = startInfo.nrPages;
  const pae = pv32();
  d.pae = pae;
  d.nrPages = nr;
  d.virtBase = x.virtBase;
  d.entry = x.entry;
  if ((x.virtKstart & (PAGE - 1)) != 0) return failed(d, "the kernel starts at " + hex(x.virtKstart) + ", not at a page boundary");
  if (initrd != null && pkg != null) return failed(d, "an initrd and modules together: a PV kernel takes one or the other");

  // Sizes first, so that a domain too small is refused before anything is allocated.
  d.kernelPfn = (x.virtKstart - x.virtBase) >> 12;
  d.kernelPages = pagesFor(x.virtKend - x.virtKstart);
  let pfn = d.kernelPfn + d.kernelPages;
  const hasMod = initrd != null || pkg != null;
  const modBytes: u64 = initrd != null ? initrd!.size : pkg != null ? pkg!.pages * PAGE : 0;
  d.modMapped = !(x.modStartPfn && initrd != null); // libxenguest leaves an initrd unmapped when the kernel can take a pfn
  d.modPages = pagesFor(modBytes);
  if (hasMod && d.modMapped) {
    d.modPfn = pfn;
    pfn += d.modPages;
  }
  d.p2mPages = pagesFor(nr * (pae ? 4 : 8));
  const initP2m = x.hasInitP2m();
  if (!initP2m) {
    d.p2mPfn = pfn;
    pfn += d.p2mPages;
  }
  d.startInfoPfn = pfn;
  pfn += 3; // start_info, xenstore, console
  d.ptPfn = pfn;

  // The tables for virt_base .. a 4 MiB boundary at least 512 KiB past the boot stack, where
  // the boundary depends on how many tables there are (libxenguest's loop), plus those the
  // trampoline needs: a page of ours mapped at its own address in the new tables too, so it
  // must lie outside what the new kernel has mapped (the start-of-day page, else a fresh one).
  const tables = new PageTables(true, pae);
  if (pae && x.needsL3Below4G()) {
    const low = lowPage();
    if (low == 0) return failed(d, "the kernel's PAE mode ('" + x.paeMode + "', without pae_pgdir_above_4gb) needs its L3 below 4 GiB of machine memory, and no page of the loader's lies there");
    tables.l4 = low;
    tables.order[0] = low;
  }
  let tramp: usize = reservedTrampoline != 0 ? reservedTrampoline : checkedPages(1, "the layout");
  let trampVa = va_of(tramp);
  let tryEnd: u64 = 0;
  for (let tries = 0; ; tries++) {
    tryEnd = settleMapping(d, x.virtBase, pfn, trampVa, tables);
    if (pae && tryEnd != 0 && tryEnd >= abi.HYPERVISOR_VIRT_START_32) {
      return failed(d, "the kernel's start-of-day mapping would run to " + hex(tryEnd + 1) + ", into the hypervisor's hole at " + hex(abi.HYPERVISOR_VIRT_START_32));
    }
    if (tryEnd == 0) return failed(d, "page tables: the mapped region did not settle");
    if (pae && trampVa >= abi.HYPERVISOR_VIRT_START_32) return failed(d, "the trampoline page's address " + hex(trampVa) + " lies in the hypervisor's hole");
    const inKernel = trampVa >= x.virtBase && trampVa <= tryEnd;
    const inP2m = initP2m && trampVa >= x.initP2m && trampVa < x.initP2m + d.p2mPages * PAGE + (1 << 30);
    if (!inKernel && !inP2m) break;
    if (tries == 4) return failed(d, "no page of the loader lies outside the new kernel's address space (virt_base " + hex(x.virtBase) + ") for the trampoline");
    tramp = checkedPages(1, "the layout");
    trampVa = va_of(tramp);
  }
  d.trampoline = tramp;
  d.stackPfn = d.ptPfn + d.ptFrames;
  d.endPfn = (tryEnd + 1 - x.virtBase) >> 12;
  pfn = d.endPfn;
  if (hasMod && !d.modMapped) {
    d.modPfn = pfn;
    pfn += d.modPages;
  }
  tables.addRange(x.virtBase, tryEnd, null);
  tables.addRange(trampVa, trampVa, null);
  if (pae) tables.addTable(2, PAE_SLOT3 >> 30); // Xen's compat rule: L3 slot 3 always holds an L2
  if (<u64>tables.order.length != d.ptFrames) return failed(d, "page tables: counted " + d.ptFrames.toString() + ", built " + tables.order.length.toString());
  const p2mTables = new PageTables(false, pae);
  if (initP2m) {
    if (pae && x.initP2m + (d.p2mPages + 1024) * PAGE >= abi.HYPERVISOR_VIRT_START_32) return failed(d, "INIT_P2M " + hex(x.initP2m) + " runs into the hypervisor's hole");
    d.p2mPfn = pfn;
    const n = <u64>p2mTables.missing(x.initP2m, x.initP2m + d.p2mPages * PAGE - 1, tables);
    d.p2mFrames = d.p2mPages + n;
    pfn += d.p2mFrames;
  }
  d.usedPfns = pfn;
  if (pfn > nr) {
    return failed(d, "the kernel, its " + (pkg != null ? "modules" : "initrd") + " and the start-of-day tables need " +
      ((pfn * PAGE) >> 20).toString() + " MiB; the domain has " + ((nr * PAGE) >> 20).toString() + " MiB");
  }
  // What the loader's memory must still take: every mapped page (the initrd's and modules'
  // pages are used where they are), the P2M twice (old and new) and the bookkeeping.
  const hcPage: i64 = x.hasHypercallPage() ? <i64>((x.hypercallPage - x.virtKstart) >> 12) : -1;
  const kernel = planKernelPages(img, d.kernelPages, hcPage);
  const mappedPages = d.endPfn - d.kernelPages + countFresh(kernel) - (hasMod && d.modMapped ? d.modPages : 0) + (initP2m ? d.p2mFrames : 0);
  let need = (mappedPages + d.p2mPages * 2 + 16) * PAGE + nr * 6 + (pae ? pagesFor(nr * 8) * 2 * PAGE : 0);
  // The zero padding (below the kernel, the boot stack and after it) is made of pages the
  // loader is done with: first the kernel file's, then, when memory is short, the unpacked
  // ELF's that the kernel does not take in place. Without this a domain would have to hold
  // the files and the padding (16 MiB below a Linux kernel) at once.
  const padPages = d.kernelPfn + (d.endPfn - d.stackPfn);
  const recycled = new Array<usize>();
  if (kernelFile != null) sparePages(kernelFile!.data, kernelFile!.size, kernel, recycled, padPages);
  need -= <u64>recycled.length * PAGE;
  if (need > linearRoom()) {
    const before = recycled.length;
    sparePages(e.base, e.size, kernel, recycled, padPages);
    d.elfReused = recycled.length > before;
    need -= <u64>(recycled.length - before) * PAGE;
  }
  if (need > linearRoom()) {
    return failed(d, "laying out the new domain needs " + (need >> 20).toString() + " MiB more than is left (" +
      (linearRoom() >> 20).toString() + " MiB): give the domain more memory");
  }

  // Where each new pfn's bytes are: a page of ours (NONE: any free frame will do).
  const src = new PfnI32(nr);
  for (let i: u64 = 0; i < nr; i++) src[<i32>i] = NONE;

  // The kernel: PT_LOAD segments placed by physical address, the rest zero.
  fillKernelPages(img, kernel);
  if (hcPage >= 0) hypercall_page(kernel[<i32>hcPage]);
  for (let k: u64 = 0; k < d.kernelPages; k++) src[<i32>(d.kernelPfn + k)] = <i32>(kernel[<i32>k] >> 12);

  // Zero pages, now that nothing is copied out of the recycled ones: the padding below the
  // kernel, and the boot stack with the padding after it to the 4 MiB boundary.
  const next = zeroPages(0, d.kernelPfn, recycled, 0, src);
  zeroPages(d.stackPfn, d.endPfn - d.stackPfn, recycled, next, src);

  // The module: an initrd (its pages as read) or the package.
  if (initrd != null) setPages(d.modPfn, initrd!.data, d.modPages, src);
  if (pkg != null) {
    for (let i = 0; i < pkg!.pieces.length; i++) {
      const piece = pkg!.pieces[i];
      setPages(d.modPfn + piece.firstPage, piece.data, piece.pages, src);
    }
  }

  // The P2M pages (written once every pfn has its frame, below): the u64 P2M itself, or on
  // x86_32 a list of u32 entries beside it.
  d.p2m = checkedPages(<usize>(pae ? pagesFor(nr * 8) : d.p2mPages), "the layout");
  d.p2mList = pae ? checkedPages(<usize>d.p2mPages, "the layout") : d.p2m;
  setPages(d.p2mPfn, d.p2mList, d.p2mPages, src);

  // start_info; the xenstore and console frames are placed by frame number below.
  d.startInfo = checkedPages(1, "the layout");
  setPages(d.startInfoPfn, d.startInfo, 1, src);

  // The page tables: the main mapping, then what the trampoline needs, then (INIT_P2M) the
  // P2M mapping's own, which sit after the P2M pages.
  for (let i = 0; i < tables.order.length; i++) setPages(d.ptPfn + <u64>i, tables.order[i], 1, src);
  if (initP2m) {
    p2mTables.addRange(x.initP2m, x.initP2m + d.p2mPages * PAGE - 1, tables);
    if (d.p2mPages + <u64>p2mTables.order.length != d.p2mFrames) return failed(d, "page tables: the P2M mapping's count changed");
    for (let i = 0; i < p2mTables.order.length; i++) setPages(d.p2mPfn + d.p2mPages + <u64>i, p2mTables.order[i], 1, src);
  }

  // The new P2M: our pages where the layout put them, the rings where they must be, and every
  // other frame of the domain at its present pfn when it can stay there.
  const err = assignFrames(d, src);
  if (err != null) return failed(d, err!);
  if (pae) {
    for (let p: u64 = 0; p < nr; p++) {
      const m = load<u64>(d.p2m + <usize>(p * 8));
      if (m > 0xffffffff) return failed(d, "pfn " + p.toString() + "'s frame " + hex(m) + " does not fit a 32-bit P2M entry");
      store<u32>(d.p2mList + <usize>(p * 4), <u32>m);
    }
  }

  // Fill the tables now that every frame is known.
  const p2m = d.p2m;
  for (let p: u64 = 0; p < d.endPfn; p++) {
    const va = x.virtBase + p * PAGE;
    const isTable = p >= d.ptPfn && p < d.ptPfn + d.ptFrames;
    if (!mapPage(tables, null, va, load<u64>(p2m + <usize>(p * 8)), !isTable)) return failed(d, "page tables: no L1 for " + hex(va));
  }
  if (!mapPage(tables, null, trampVa, mfn_of(tramp), true)) return failed(d, "page tables: no L1 for the trampoline");
  let le = linkTables(tables, tables, null, mfnOfPage);
  if (le != null) return failed(d, le!);
  if (initP2m) {
    for (let i: u64 = 0; i < d.p2mPages; i++) {
      if (!mapPage(p2mTables, tables, x.initP2m + i * PAGE, load<u64>(p2m + <usize>((d.p2mPfn + i) * 8)), true)) {
        return failed(d, "page tables: no L1 for the P2M at " + hex(x.initP2m + i * PAGE));
      }
    }
    le = linkTables(tables, p2mTables, tables, mfnOfPage);
    if (le != null) return failed(d, le!);
  }
  for (let i = 0; i < tables.order.length; i++) d.tablePages.push(tables.order[i]);
  for (let i = 0; i < p2mTables.order.length; i++) d.tablePages.push(p2mTables.order[i]);
  d.l4 = tables.l4;
  d.l4Mfn = mfn_of(tables.l4);
  if (pae && x.needsL3Below4G() && d.l4Mfn >= BELOW_4G_MFN) return failed(d, "the L3's frame " + hex(d.l4Mfn) + " lies above 4 GiB");

  // start_info, field by field (docs/loader.md).
  d.flags = (startInfo.flags & (abi.SIF_PRIVILEGED | abi.SIF_INITDOMAIN)) |
    (pkg != null ? abi.SIF_MULTIBOOT_MOD : 0) | (hasMod && !d.modMapped ? abi.SIF_MOD_START_PFN : 0);
  d.modStart = !hasMod ? 0 : d.modMapped ? x.virtBase + d.modPfn * PAGE : d.modPfn;
  d.modLen = modBytes;
  d.startInfoVa = x.virtBase + d.startInfoPfn * PAGE;
  d.stackTop = x.virtBase + (d.stackPfn + 1) * PAGE;
  writeStartInfo(d, x.virtBase, initP2m ? x.initP2m : x.virtBase + d.p2mPfn * PAGE, cmdline);
  return d;
}

// The page holding each kernel page's bytes. A page that one segment's file bytes cover whole
// is the decompressed ELF's own page (its output is page-aligned): nothing copied. The others
// (segment edges, BSS, gaps, and the hypercall page, so that the ELF stays as it was) are
// fresh zero pages with the segments' bytes copied in.
function planKernelPages(img: KernelImage, pages: u64, hcPage: i64): StaticArray<usize> {
  const e = img.elf!;
  const out = new StaticArray<usize>(<i32>pages);
  const elfPages = (e.size + PAGE - 1) / PAGE;
  const taken = new StaticArray<u8>(<i32>elfPages);
  let fresh: u64 = 0;
  for (let k: u64 = 0; k < pages; k++) {
    const ps = k * PAGE;
    const pe = ps + PAGE;
    let touched = 0;
    let inPlace: usize = 0;
    for (let i = 0; i < e.loads.length; i++) {
      const s = e.loads[i];
      const segS = s.paddr - e.pstart;
      if (segS + s.memSize <= ps || segS >= pe) continue;
      touched++;
      if (segS <= ps && segS + s.fileSize >= pe) {
        const at = e.base + <usize>(s.offset + ps - segS);
        const elfPage = <u64>(at - e.base) / PAGE;
        if ((at & (<usize>PAGE - 1)) == 0 && elfPage < elfPages && taken[<i32>elfPage] == 0) inPlace = at;
      }
    }
    if (touched == 1 && inPlace != 0 && <i64>k != hcPage) {
      taken[<i32>((<u64>(inPlace - e.base)) / PAGE)] = 1;
      out[<i32>k] = inPlace;
    } else fresh++;
  }
  return out;
}

function countFresh(plan: StaticArray<usize>): u64 {
  let n: u64 = 0;
  for (let i = 0; i < plan.length; i++) if (plan[i] == 0) n++;
  return n;
}

// Give every page the plan left open a fresh page, with the segments' bytes copied in.
function fillKernelPages(img: KernelImage, out: StaticArray<usize>): void {
  const e = img.elf!;
  const pages = <u64>out.length;
  const fresh = countFresh(out);
  const block = fresh > 0 ? checkedPages(<usize>fresh, "the layout") : 0;
  let next: usize = block;
  for (let k: u64 = 0; k < pages; k++) {
    if (out[<i32>k] != 0) continue;
    const page = next;
    next += <usize>PAGE;
    out[<i32>k] = page;
    const ps = k * PAGE;
    const pe = ps + PAGE;
    for (let i = 0; i < e.loads.length; i++) {
      const s = e.loads[i];
      const segS = s.paddr - e.pstart;
      const fileE = segS + s.fileSize;
      const from = segS > ps ? segS : ps;
      const to = fileE < pe ? fileE : pe;
      if (from >= to) continue;
      memory.copy(page + <usize>(from - ps), e.base + <usize>(s.offset + from - segS), <usize>(to - from));
    }
  }
}

// libxenguest's loop for the main mapping: the number of tables (into d.ptFrames) and the
// mapping's last address, or 0 when it does not settle.
function settleMapping(d: NewDomain, virtBase: u64, pfn: u64, trampVa: u64, tables: PageTables): u64 {
  const extra: u64 = 1 + PAD_PAGES; // boot stack + padding
  let count: u64 = extra;
  for (let guard = 0; guard < 64; guard++) {
    const allocEnd = virtBase + pfn * PAGE;
    const tryEnd = roundUp(allocEnd + count * PAGE, MB4) - 1;
    const n = <u64>1 + <u64>tables.missing(virtBase, tryEnd, null) + trampolineTables(virtBase, tryEnd, trampVa, tables.top) +
      (tables.top == 2 && tryEnd < PAE_SLOT3 && trampVa < PAE_SLOT3 ? 1 : 0); // PAE: the L2 for L3 slot 3
    count = n + extra;
    if (allocEnd + count * PAGE <= tryEnd + 1) {
      d.ptFrames = n;
      return tryEnd;
    }
  }
  return 0;
}

// Tables the trampoline's address needs beyond those of the main mapping [from, to]: one per
// level whose table covering `va` is not one of the main mapping's.
function trampolineTables(from: u64, to: u64, va: u64, top: i32): u64 {
  let n: u64 = 0;
  for (let shift: u64 = <u64>(12 + 9 * top); shift >= 21; shift -= 9) {
    const k = (va & VA_MASK) >> shift;
    if (k < (from & VA_MASK) >> shift || k > (to & VA_MASK) >> shift) n++;
  }
  return n;
}

function setPages(first: u64, page: usize, n: u64, src: PfnI32): void {
  for (let i: u64 = 0; i < n; i++) src[<i32>(first + i)] = <i32>((page >> 12) + <usize>i);
}

// Add to `out` (up to `want` in all) the whole pages of [from, from + size) that `plan` does
// not take for the kernel.
function sparePages(from: usize, size: u64, plan: StaticArray<usize>, out: Array<usize>, want: u64): void {
  const first = (from + <usize>PAGE - 1) & ~(<usize>PAGE - 1);
  const end = (from + <usize>size) & ~(<usize>PAGE - 1);
  if (end <= first) return;
  const n = <i32>((end - first) >> 12);
  const taken = new StaticArray<u8>(n);
  for (let k = 0; k < plan.length; k++) {
    const p = plan[k];
    if (p >= first && p < end) taken[<i32>((p - first) >> 12)] = 1;
  }
  for (let i = 0; i < n && <u64>out.length < want; i++) {
    if (taken[i] == 0) out.push(first + (<usize>i << 12));
  }
}

// A page of the loader's whose frame lies below 4 GiB (for a PAE L3 that must), or 0. Pages
// above are left allocated: at most LOW_L3_TRIES of them, once per layout.
function lowPage(): usize {
  for (let i = 0; i < LOW_L3_TRIES; i++) {
    const p = attemptPages(1);
    if (p == 0) return 0; // no memory left
    if (mfn_of(p) < BELOW_4G_MFN) return p;
  }
  return 0;
}

// Give pfns first .. first + n zero pages: recycled ones from `next` on (cleared here), then
// fresh ones. Returns the next recycled page to use.
function zeroPages(first: u64, n: u64, recycled: Array<usize>, next: i32, src: PfnI32): i32 {
  let i: u64 = 0;
  for (; i < n && next < recycled.length; i++) {
    const page = recycled[next++];
    memory.fill(page, 0, <usize>PAGE);
    src[<i32>(first + i)] = <i32>(page >> 12);
  }
  if (i < n) setPages(first + i, checkedPages(<usize>(n - i), "the layout"), n - i, src);
  return next;
}

// A page for the trampoline, taken at start of day so that it lies low in the loader's
// address space, below where kernels with a small virt_base (GNU Mach: 1 GiB) map themselves.
let reservedTrampoline: usize = 0;

export function reserveTrampolinePage(): void {
  if (reservedTrampoline == 0) reservedTrampoline = allocPages(1);
}

// The new P2M (d.p2m) from `src`, and the running one (d.oldP2m). Frames the layout does not
// name stay at their pfn when that pfn is free in the new layout, else take a free one.
function assignFrames(d: NewDomain, src: PfnI32): string | null {
  const nr = d.nrPages;
  const old = checkedPages(<usize>pagesFor(nr * 8), "the layout"); // u64 entries at both widths
  d.oldP2m = old;
  for (let p: u64 = 0; p < nr; p++) {
    const m = pfn_to_mfn(p);
    if (m == <u64>-1) return "the domain's P2M has no frame for pfn " + p.toString();
    store<u64>(old + <usize>(p * 8), m);
  }
  const used = new PfnU8(nr); // old pfn's frame is taken
  const set = new PfnU8(nr); // new pfn has its frame
  const p2m = d.p2m;
  for (let p: u64 = 0; p < nr; p++) {
    const page = src[<i32>p];
    if (page == NONE) continue;
    const offset = <usize>page << 12;
    const from = pfn_of(offset);
    if (from >= nr) return "page at " + hex(<u64>offset) + " has no pfn of the domain";
    if (used[<i32>from] != 0) return "layout: the frame of pfn " + from.toString() + " was given twice";
    used[<i32>from] = 1;
    set[<i32>p] = 1;
    store<u64>(p2m + <usize>(p * 8), load<u64>(old + <usize>(from * 8)));
  }
  // The xenstore and console rings: the same frames, at the pfns after start_info.
  const rings: u64[] = [startInfo.storeMfn, startInfo.consoleMfn];
  for (let r = 0; r < 2; r++) {
    const target = d.startInfoPfn + 1 + <u64>r;
    let from: u64 = nr;
    for (let p: u64 = 0; p < nr; p++) {
      if (load<u64>(old + <usize>(p * 8)) == rings[r]) {
        from = p;
        break;
      }
    }
    const ring: string = r == 0 ? "the xenstore" : "the console";
    if (from == nr) return ring + " ring's frame " + hex(rings[r]) + " is not one of the domain's";
    if (used[<i32>from] != 0) return "layout: the " + (r == 0 ? "xenstore" : "console") + " frame was used for something else";
    used[<i32>from] = 1;
    set[<i32>target] = 1;
    store<u64>(p2m + <usize>(target * 8), rings[r]);
  }
  for (let p: u64 = 0; p < nr; p++) {
    if (set[<i32>p] != 0 || used[<i32>p] != 0) continue;
    used[<i32>p] = 1;
    set[<i32>p] = 1;
    store<u64>(p2m + <usize>(p * 8), load<u64>(old + <usize>(p * 8)));
  }
  let next: u64 = 0;
  for (let p: u64 = 0; p < nr; p++) {
    if (set[<i32>p] != 0) continue;
    while (next < nr && used[<i32>next] != 0) next++;
    if (next >= nr) return "layout: more pfns than frames";
    used[<i32>next] = 1;
    store<u64>(p2m + <usize>(p * 8), load<u64>(old + <usize>(next * 8)));
  }
  return null;
}

function writeStartInfo(d: NewDomain, virtBase: u64, mfnList: u64, cmdline: string): void {
  if (d.pae) {
    writeStartInfo32(d, virtBase, mfnList, cmdline);
    return;
  }
  const si = d.startInfo;
  const magic = "xen-3.0-x86_64";
  for (let i = 0; i < magic.length; i++) store<u8>(si + abi.SI_MAGIC + <usize>i, <u8>magic.charCodeAt(i));
  store<u64>(si + abi.SI_NR_PAGES, d.nrPages);
  store<u64>(si + abi.SI_SHARED_INFO, startInfo.sharedInfo);
  store<u64>(si + abi.SI_FLAGS, <u64>d.flags);
  store<u64>(si + abi.SI_STORE_MFN, startInfo.storeMfn);
  store<u64>(si + abi.SI_STORE_EVTCHN, <u64>startInfo.storeEvtchn);
  store<u64>(si + abi.SI_CONSOLE_MFN, startInfo.consoleMfn);
  store<u64>(si + abi.SI_CONSOLE_EVTCHN, <u64>startInfo.consoleEvtchn);
  store<u64>(si + abi.SI_PT_BASE, virtBase + d.ptPfn * PAGE);
  store<u64>(si + abi.SI_NR_PT_FRAMES, d.ptFrames);
  store<u64>(si + abi.SI_MFN_LIST, mfnList);
  store<u64>(si + abi.SI_MOD_START, d.modStart);
  store<u64>(si + abi.SI_MOD_LEN, d.modLen);
  writeCmdline(d, si + abi.SI_CMD_LINE, cmdline);
  if (d.p2mFrames > 0) {
    store<u64>(si + abi.SI_FIRST_P2M_PFN, d.p2mPfn);
    store<u64>(si + abi.SI_NR_P2M_FRAMES, d.p2mFrames);
  }
}

// x86_32's compat start_info ("xen-3.0-x86_32p"): the same fields, 4 bytes each.
function writeStartInfo32(d: NewDomain, virtBase: u64, mfnList: u64, cmdline: string): void {
  const si = d.startInfo;
  const magic = "xen-3.0-x86_32p";
  for (let i = 0; i < magic.length; i++) store<u8>(si + abi.SI_MAGIC + <usize>i, <u8>magic.charCodeAt(i));
  store<u32>(si + abi.SI32_NR_PAGES, <u32>d.nrPages);
  store<u32>(si + abi.SI32_SHARED_INFO, <u32>startInfo.sharedInfo);
  store<u32>(si + abi.SI32_FLAGS, d.flags);
  store<u32>(si + abi.SI32_STORE_MFN, <u32>startInfo.storeMfn);
  store<u32>(si + abi.SI32_STORE_EVTCHN, startInfo.storeEvtchn);
  store<u32>(si + abi.SI32_CONSOLE_MFN, <u32>startInfo.consoleMfn);
  store<u32>(si + abi.SI32_CONSOLE_EVTCHN, startInfo.consoleEvtchn);
  store<u32>(si + abi.SI32_PT_BASE, <u32>(virtBase + d.ptPfn * PAGE));
  store<u32>(si + abi.SI32_NR_PT_FRAMES, <u32>d.ptFrames);
  store<u32>(si + abi.SI32_MFN_LIST, <u32>mfnList);
  store<u32>(si + abi.SI32_MOD_START, <u32>d.modStart);
  store<u32>(si + abi.SI32_MOD_LEN, <u32>d.modLen);
  writeCmdline(d, si + abi.SI32_CMD_LINE, cmdline);
  if (d.p2mFrames > 0) {
    store<u32>(si + abi.SI32_FIRST_P2M_PFN, <u32>d.p2mPfn);
    store<u32>(si + abi.SI32_NR_P2M_FRAMES, <u32>d.p2mFrames);
  }
}

function writeCmdline(d: NewDomain, at: usize, cmdline: string): void {
  const bytes = String.UTF8.encode(cmdline);
  let n = <u32>bytes.byteLength;
  if (n > CMDLINE_MAX) {
    d.warnings.push("the kernel's command line has " + n.toString() + " bytes; start_info holds " + CMDLINE_MAX.toString() + ": cut");
    n = CMDLINE_MAX;
  }
  memory.copy(at, changetype<usize>(bytes), n);
}
