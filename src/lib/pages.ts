// Page-aligned kept memory (src/lib/runtime.ts): heap.alloc is only 16-byte aligned, so
// over-allocate and round. The loader's pages for one boot attempt come from attemptPages
// (src/lib/attempt.ts) instead.

import { PAGE_SIZE } from "../xen/abi";

export function allocPages(count: u32): usize {
  const raw = heap.alloc(<usize>(count * PAGE_SIZE + PAGE_SIZE - 1));
  const page = (raw + PAGE_SIZE - 1) & ~(<usize>PAGE_SIZE - 1);
  memory.fill(page, 0, count * PAGE_SIZE);
  return page;
}
