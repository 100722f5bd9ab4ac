// Fuzz entry: the kernel reader (src/loader/kernel.ts) over one kernel file: bzImage headers
// (src/loader/bzimage.ts), the payload's decompression, the ELF reader (src/loader/elf.ts) and
// the Xen notes, SHT_NOTE sections and legacy __xen_guest strings (src/loader/xen_notes.ts),
// inside a boot attempt as `boot` runs it (src/lib/attempt.ts), given back afterwards.
// The first input byte's low bit picks the domain's width (1: x86_64, 0: x86_32 PAE); the rest
// is the file. Decompressed kernels are limited to 16 MiB. A trap is a finding; so is a broken
// promise:
//   - an error names something (it is not empty), a success has its ELF and Xen parameters;
//   - every PT_LOAD's file bytes lie inside the ELF image, which lies inside memory;
//   - virt_base <= virt_kstart <= entry <= virt_kend; a hypercall page is a page inside the
//     kernel; INIT_P2M is outside it;
//   - the attempt's memory is given back: the allocator ends where it was, give or take the
//     pool of kept memory the attempt used (src/lib/runtime.ts).

import { unpackKernel, KernelImage } from "../loader/kernel";
import { beginAttempt, endAttempt, memoryTop } from "../lib/attempt";
import { ATTEMPT_POOL } from "~lib/rt/pvboot";
import { abortRecord, fuzzFail } from "./abort";
import { selftest } from "./selftest";

const LIMIT: u64 = 16 << 20;

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
  const want64 = (load<u8>(ptr) & 1) != 0;
  const before = memoryTop();
  if (!beginAttempt()) fuzzFail("an attempt could not begin");
  check(unpackKernel(ptr + 1, <u64>(len - 1), LIMIT, want64));
  endAttempt(true);
  const after = memoryTop();
  if (after > before + <u64>ATTEMPT_POOL + 64) fuzzFail("the attempt's memory was not given back");
}

function check(k: KernelImage): void {
  if (k.error != null) {
    if (k.error!.length == 0) fuzzFail("an empty error");
    return;
  }
  if (k.elf == null || k.xen == null) fuzzFail("a kernel without its ELF or Xen parameters");
  const e = k.elf!;
  const x = k.xen!;
  if (<u64>e.base != <u64>k.elfPtr || e.size != k.elfSize) fuzzFail("the ELF is not the image");
  if (<u64>k.elfPtr + k.elfSize > (<u64>memory.size() << 16)) fuzzFail("the ELF image lies outside memory");
  for (let i = 0; i < e.loads.length; i++) {
    const s = e.loads[i];
    if (s.offset > e.size || s.fileSize > e.size - s.offset) fuzzFail("a PT_LOAD's bytes outside the file");
    if (s.fileSize > s.memSize) fuzzFail("a PT_LOAD with more file bytes than memory");
  }
  if (x.virtBase > x.virtKstart || x.virtKstart > x.entry || x.entry > x.virtKend) fuzzFail("entry or image outside the kernel");
  if (x.hasHypercallPage() && (x.hypercallPage < x.virtKstart || x.hypercallPage >= x.virtKend || (x.hypercallPage & 0xfff) != 0)) {
    fuzzFail("the hypercall page is not a page of the kernel");
  }
  if (x.hasInitP2m() && x.initP2m >= x.virtKstart && x.initP2m < x.virtKend) fuzzFail("INIT_P2M inside the kernel");
  k.describe();
}
