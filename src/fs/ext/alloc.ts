// Allocation of caller-sized buffers without risking a trap: the runtime's allocator
// traps when the memory cannot grow and aborts above 1 GiB, so sizes that come from disk
// are checked here first and the memory is grown (or the request refused) beforehand.

import { memoryTop } from "../../lib/attempt";

// The largest block the runtime hands out (BLOCK_MAXSIZE, src/lib/runtime.ts, minus its header).
export const ALLOC_MAX: u64 = (<u64>1 << 30) - 64;

// size bytes of fresh memory, or 0 if they cannot be had.
export function tryAlloc(size: u64): usize {
  if (size > ALLOC_MAX) return 0;
  // The allocator's end (src/lib/runtime.ts): a block that does not fit a boot attempt's pool
  // of kept memory goes there.
  const need: u64 = memoryTop() + size + 64;
  const have: u64 = <u64>memory.size() << 16;
  if (need > have) {
    const pages = <i32>((need - have + 0xffff) >> 16);
    if (memory.grow(pages) < 0) return 0;
  }
  return heap.alloc(<usize>size);
}
