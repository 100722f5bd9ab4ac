// The memory of one boot attempt (src/lib/runtime.ts, docs/loader.md): `boot` opens an
// attempt, the loader takes its big buffers from it (the files it reads, the unpacked kernel,
// the decompressors' state, the new domain's pages), and a failed attempt gives them back, so
// that a fallback entry or an edited one has the memory the first one had.
//
// The rule that keeps this safe: attempt memory is referenced only from the attempt's own
// objects (Loaded, KernelImage, NewDomain and what the decompressors and the layout hold while
// they run), never from anything that outlives a failed attempt. No cache keeps a pointer to
// it. Everything else (objects, strings, heap.alloc) is kept memory, which giving an attempt
// back never touches, whenever it was allocated.

import { runtimeBegin, runtimeEnd, runtimeOpen, runtimeTake, runtimeExtend, runtimeTop, runtimeAttemptsGivenBack } from "~lib/rt/pvboot";

const PAGE: usize = 4096;

// Start an attempt; false when one is open already (a bug of the caller).
export function beginAttempt(): bool {
  return runtimeBegin();
}

// End it: `failed` gives its memory back, otherwise it stays (the kernel is about to start).
export function endAttempt(failed: bool): void {
  runtimeEnd(failed);
}

export function attemptOpen(): bool {
  return runtimeOpen();
}

// `size` bytes for the attempt (16-byte aligned, zero unless `zero` is false), or 0 when the
// memory cannot hold them. Outside an attempt (the CLI's tools, the fuzz entries, the
// decompressors' tests) the memory is kept memory instead: there is nothing to give it back to.
export function attemptAlloc(size: usize, zero: bool = true): usize {
  if (!runtimeOpen()) return heap.alloc(size);
  return runtimeTake(size, 16, zero);
}

// `count` zeroed whole pages for the attempt (kept memory outside one), or 0.
export function attemptPages(count: usize): usize {
  if (!runtimeOpen()) {
    const raw = heap.alloc(count * PAGE + PAGE - 1);
    return (raw + PAGE - 1) & ~(PAGE - 1);
  }
  return runtimeTake(count * PAGE, PAGE, true);
}

// Grow the attempt's newest block in place (a decompressor's output); false when it cannot.
export function attemptExtend(ptr: usize, size: usize, want: usize): bool {
  return runtimeExtend(ptr, size, want);
}

// Where the allocator has got to: the linear memory below is in use.
export function memoryTop(): u64 {
  return <u64>runtimeTop();
}

export function attemptsGivenBack(): u32 {
  return runtimeAttemptsGivenBack();
}

// attemptPages for memory the caller counted beforehand (the layout checks what it needs
// against linearRoom before it allocates): running out here is a bug, and says so.
export function checkedPages(count: usize, what: string): usize {
  const p = attemptPages(count);
  if (p == 0) abort("out of memory for " + what + " (" + count.toString() + " pages) after it was counted", "src/lib/attempt.ts", 0, 0);
  return p;
}
