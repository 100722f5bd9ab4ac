// Fuzz entry: the new domain's layout (src/loader/layout.ts buildDomain) from fuzzed sizes, on
// the fake platform of fakeback.ts (start_info's nr_pages, the P2M, the frames behind the
// linear memory), inside a boot attempt as `boot` lays a domain out. Input:
//   byte 0     bit 0: x86_64 (else x86_32 PAE); bit 1: modules (a multiboot package) instead of
//              an initrd; bit 2: neither
//   u32        the domain's pages (at least 64, at most 65536)
//   u32        the initrd's size (modulo 16 MiB + 1), or a byte n (modules: n % 5) and n u32
//              sizes (each modulo 1 MiB + 1)
//   u16        the command line's length (filled with 'a'; over 1023 is refused)
//   the rest   the kernel file, read as the kernel target reads it (unpackKernel)
// A trap is a finding; so is a broken promise of a layout that succeeded:
//   - every part (kernel, modules, P2M, start_info, tables, stack) lies within the domain, in
//     that order, and within what the layout says it used;
//   - the new P2M is a permutation: every pfn of the domain gets a distinct frame of the domain;
//   - a command line over CMDLINE_MAX is cut with a warning that says so;
//   - the attempt's memory is given back when it fails.

import { unpackKernel } from "../loader/kernel";
import { buildDomain, ModuleSource, NewDomain, CMDLINE_MAX } from "../loader/layout";
import { buildPackage, ModulePackage } from "../loader/multiboot";
import { beginAttempt, endAttempt, attemptPages, memoryTop } from "../lib/attempt";
import { ATTEMPT_POOL } from "~lib/rt/pvboot";
import { startInfo } from "../xen/start_info";
import { fakeSetGuestKind, fakeSetNrPages, MFN_BASE } from "./fakeback";
import { abortRecord, fuzzFail } from "./abort";
import { selftest } from "./selftest";
export * from "./fakexen";

const LIMIT: u64 = 16 << 20;
const PAGE: u64 = 4096;

export function fuzz_alloc(n: usize): usize {
  return heap.alloc(n);
}

export function fuzz_abort_record(): usize {
  return abortRecord();
}

export function fuzz_selftest(kind: u32, arg: u32): u32 {
  return selftest(kind, arg);
}

function u32At(ptr: usize, len: usize, at: usize): u32 {
  return at + 4 <= len ? load<u32>(ptr + at) : 0;
}

export function fuzz_one(ptr: usize, len: usize): void {
  if (len < 1) return;
  const flags = <u32>load<u8>(ptr);
  const want64 = (flags & 1) != 0;
  fakeSetGuestKind(want64 ? 0 : 1);
  let nr = <u64>u32At(ptr, len, 1);
  if (nr < 64) nr = 64;
  // At most 256 MiB: the fuzz driver caps the linear memory there (scripts/fuzz/driver.c), and
  // linearRoom() promises the layout what the domain's RAM holds, as the shim grows the memory
  // over all of it; a larger domain here ran out of the cap after the layout counted its pages.
  if (nr > (1 << 16)) nr = 1 << 16;
  fakeSetNrPages(nr);
  startInfo.init();
  let at: usize = 5;
  let initrdSize: u64 = 0;
  const sizes = new Array<u64>();
  const withInitrd = (flags & 6) == 0;
  const withModules = (flags & 6) == 2;
  if (withModules) {
    const n = at < len ? <i32>(load<u8>(ptr + at) % 5) : 0;
    at++;
    for (let i = 0; i < n; i++) {
      sizes.push(<u64>(u32At(ptr, len, at) % ((1 << 20) + 1)));
      at += 4;
    }
  } else {
    initrdSize = <u64>(u32At(ptr, len, at) % ((16 << 20) + 1));
    at += 4;
  }
  const cmdLen = at + 2 <= len ? <i32>load<u16>(ptr + at) % 2048 : 0;
  at += 2;
  if (at > len) at = len;
  const cmdline = "a".repeat(cmdLen);

  const seen = new Uint8Array(<i32>((nr + 7) / 8)); // check()'s, kept memory: before the attempt
  const before = memoryTop();
  if (!beginAttempt()) fuzzFail("an attempt could not begin");
  const k = unpackKernel(ptr + at, <u64>(len - at), LIMIT, want64);
  if (k.error == null) {
    let initrd: ModuleSource | null = null;
    let pkg: ModulePackage | null = null;
    let room = true;
    if (withInitrd && initrdSize > 0) {
      const p = attemptPages(<usize>((initrdSize + PAGE - 1) / PAGE));
      if (p == 0) room = false;
      else {
        memory.fill(p, 0x17, <usize>initrdSize);
        initrd = new ModuleSource(p, initrdSize);
      }
    }
    if (withModules) {
      const data = new Array<usize>();
      const lines = new Array<string>();
      for (let i = 0; i < sizes.length && room; i++) {
        const pages = (sizes[i] + PAGE - 1) / PAGE;
        const p = attemptPages(<usize>(pages == 0 ? 1 : pages));
        if (p == 0) room = false;
        data.push(p);
        lines.push("m" + i.toString());
      }
      if (room) {
        pkg = buildPackage(data, sizes, lines);
        if (pkg.error != null) fuzzFail("a package of short lines refused");
      }
    }
    if (room) {
      const d = buildDomain(k, initrd, pkg, cmdline, null);
      if (d.error == null) check(d, cmdLen, nr, seen);
      else if (d.error!.length == 0) fuzzFail("an empty layout error");
    }
  }
  endAttempt(true);
  if (memoryTop() > before + <u64>ATTEMPT_POOL + 64) fuzzFail("the attempt's memory was not given back: " + (memoryTop() - before).toString() + " bytes kept");
}

function check(d: NewDomain, cmdLen: i32, nr: u64, seen: Uint8Array): void {
  if (<u32>cmdLen > CMDLINE_MAX) {
    let said = false;
    for (let i = 0; i < d.warnings.length; i++) if (d.warnings[i].indexOf("cut") >= 0) said = true;
    if (!said) fuzzFail("a command line longer than start_info holds was cut without a warning");
  }
  if (d.nrPages != nr) fuzzFail("the layout's domain is not the domain");
  if (d.usedPfns > nr) fuzzFail("the layout uses more pages than the domain has");
  if (d.kernelPfn + d.kernelPages > d.startInfoPfn) fuzzFail("the kernel runs into start_info");
  if (d.modMapped && d.modPages > 0 && (d.modPfn < d.kernelPfn + d.kernelPages || d.modPfn + d.modPages > d.startInfoPfn)) {
    fuzzFail("the modules are not between the kernel and start_info");
  }
  if (d.startInfoPfn + 3 > d.ptPfn) fuzzFail("start_info, xenstore and console pages overlap the tables");
  if (d.ptPfn + d.ptFrames > d.stackPfn || d.stackPfn >= d.endPfn) fuzzFail("the tables or the stack outside the mapped region");
  if (d.endPfn > d.usedPfns) fuzzFail("the mapped region past what the layout used");
  if (<u64>d.tablePages.length < d.ptFrames) fuzzFail("fewer page-table pages than nr_pt_frames");
  // the P2M: a permutation of the domain's frames
  for (let pfn: u64 = 0; pfn < nr; pfn++) {
    const mfn = load<u64>(d.p2m + <usize>(pfn * 8));
    if (mfn < MFN_BASE || mfn >= MFN_BASE + nr) fuzzFail("a P2M entry that is not a frame of the domain");
    const i = <i32>(mfn - MFN_BASE);
    const bit = <u32>1 << <u32>(i & 7);
    if ((<u32>seen[i >> 3] & bit) != 0) fuzzFail("two pfns on one frame in the new P2M");
    seen[i >> 3] = <u8>(<u32>seen[i >> 3] | bit);
  }
}
