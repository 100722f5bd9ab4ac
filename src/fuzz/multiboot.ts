// Fuzz entry: the multiboot module package (src/loader/multiboot.ts) from fuzzed sizes and
// command lines, inside a boot attempt (src/lib/attempt.ts) as `boot` builds it. Input: a byte
// n (modules: n % 9), then n little-endian u32 sizes (each taken modulo 1 MiB + 1), then the
// command lines, separated by '\n' (missing ones are empty). Each module is a run of pages
// filled with its number, zero after its end, as the loader reads them. A trap is a finding;
// so is a package that does not say what GNU Mach reads:
//   - an error exactly when a command line has 4096 bytes or more;
//   - descriptor i: mod_start page-aligned, mod_end - mod_start its size, its bytes there,
//     cmdline page-aligned and holding its line and a NUL; the next descriptor's mod_start 0;
//   - the pieces lie inside the package, in order, without overlapping.

import { buildPackage, ModulePackage } from "../loader/multiboot";
import { beginAttempt, endAttempt, attemptPages } from "../lib/attempt";
import { abortRecord, fuzzFail } from "./abort";
import { selftest } from "./selftest";

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

export function fuzz_one(ptr: usize, len: usize): void {
  if (len == 0) return;
  const n = <i32>(load<u8>(ptr) % 9);
  let at: usize = 1;
  const data = new Array<usize>();
  const sizes = new Array<u64>();
  const lines = new Array<string>();
  if (!beginAttempt()) fuzzFail("an attempt could not begin");
  for (let i = 0; i < n; i++) {
    let size: u64 = 0;
    if (at + 4 <= len) size = <u64>(load<u32>(ptr + at) % ((1 << 20) + 1));
    at += 4;
    const pages = (size + PAGE - 1) / PAGE;
    const p = attemptPages(<usize>(pages == 0 ? 1 : pages));
    if (p == 0) fuzzFail("no memory for a module");
    memory.fill(p, <u8>(i + 1), <usize>size);
    data.push(p);
    sizes.push(size);
  }
  let long = false;
  let from = at < len ? at : len;
  for (let i = 0; i < n; i++) {
    let to = from;
    while (to < len && load<u8>(ptr + to) != 0x0a) to++;
    const line = String.UTF8.decodeUnsafe(ptr + from, to - from);
    if (String.UTF8.byteLength(line) >= <i32>PAGE) long = true;
    lines.push(line);
    from = to < len ? to + 1 : len;
  }
  const pkg = buildPackage(data, sizes, lines);
  if ((pkg.error != null) != long) fuzzFail(long ? "a command line of a page or more was taken" : "an error without a long command line");
  if (pkg.error == null) check(pkg, sizes, lines);
  endAttempt(true);
}

// The byte at offset `off` of the package, through its pieces (0 where none lies).
function byteAt(pkg: ModulePackage, off: u64): u32 {
  for (let i = 0; i < pkg.pieces.length; i++) {
    const pc = pkg.pieces[i];
    const s = pc.firstPage * PAGE;
    if (off >= s && off < s + pc.pages * PAGE) return <u32>load<u8>(pc.data + <usize>(off - s));
  }
  return 0;
}

function word(pkg: ModulePackage, off: u64): u32 {
  return byteAt(pkg, off) | (byteAt(pkg, off + 1) << 8) | (byteAt(pkg, off + 2) << 16) | (byteAt(pkg, off + 3) << 24);
}

function check(pkg: ModulePackage, sizes: Array<u64>, lines: Array<string>): void {
  let end: u64 = 0;
  for (let i = 0; i < pkg.pieces.length; i++) {
    const pc = pkg.pieces[i];
    if (pc.firstPage < end) fuzzFail("pieces overlap or are out of order");
    end = pc.firstPage + pc.pages;
    if ((pc.data & 0xfff) != 0) fuzzFail("a piece that is not page-aligned");
  }
  if (end > pkg.pages) fuzzFail("a piece past the package's end");
  const n = sizes.length;
  for (let i = 0; i < n; i++) {
    const d = <u64>i * 16;
    const start = <u64>word(pkg, d);
    const stop = <u64>word(pkg, d + 4);
    const cl = <u64>word(pkg, d + 8);
    if ((start & 0xfff) != 0 || (cl & 0xfff) != 0) fuzzFail("a module or command line not at a page boundary");
    if (stop - start != sizes[i] || stop < start) fuzzFail("mod_end - mod_start is not the module's size");
    if (start == 0) fuzzFail("a module at offset 0 (the terminator's value)");
    if (sizes[i] > 0 && (byteAt(pkg, start) != <u32>(i + 1) || byteAt(pkg, stop - 1) != <u32>(i + 1))) fuzzFail("a module's bytes are not where its descriptor says");
    if (byteAt(pkg, stop) != 0 && (stop & 0xfff) != 0) fuzzFail("a module's page is not zero after its end");
    const line = String.UTF8.encode(lines[i]);
    const ln = <u64>line.byteLength;
    for (let j: u64 = 0; j < ln; j++) {
      if (byteAt(pkg, cl + j) != <u32>load<u8>(changetype<usize>(line) + <usize>j)) fuzzFail("a command line's bytes differ");
    }
    if (byteAt(pkg, cl + ln) != 0) fuzzFail("a command line without its NUL");
    if (cl + ln >= pkg.pages * PAGE) fuzzFail("a command line past the package's end");
  }
  if (word(pkg, <u64>n * 16) != 0) fuzzFail("no terminator after the last descriptor");
}
