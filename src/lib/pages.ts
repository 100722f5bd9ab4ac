// Page-aligned kept memory (src/lib/runtime.ts): heap.alloc is only 16-byte aligned, so
// over-allocate and round. It is zero already: the runtime hands out only zeroed memory (fresh
// from memory.grow, or cleared when it was used before), so clearing it again here cost each
// disk's 4 MiB of bounce pages a second pass. The loader's pages for one boot attempt come
// from attemptPages (src/lib/attempt.ts) instead.

import { PAGE_SIZE } from "../xen/abi";

export function allocPages(count: u32): usize {
  const raw = heap.alloc(<usize>(count * PAGE_SIZE + PAGE_SIZE - 1));
  const page = (raw + PAGE_SIZE - 1) & ~(<usize>PAGE_SIZE - 1);
  return page;
}
