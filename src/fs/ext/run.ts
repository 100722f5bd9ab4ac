// A run: consecutive logical blocks of a file that map the same way. The block mappers
// (extents.ts, blockmap.ts) answer "what is at logical block n" with the longest run they
// can see from n, so readers move in whole runs rather than block by block.

export const RUN_HOLE: u8 = 0; // not allocated: reads as zeros
export const RUN_DATA: u8 = 1; // physical blocks pblk .. pblk + count - 1
export const RUN_ZERO: u8 = 2; // allocated but unwritten (uninitialized extent): zeros

export class Run {
  kind: u8 = RUN_HOLE;
  pblk: u64 = 0;
  // At least 1. Holes may be reported as very long (to the end of the addressable range);
  // callers clip to what they need.
  count: u64 = 0;

  set(kind: u8, pblk: u64, count: u64): bool {
    this.kind = kind;
    this.pblk = pblk;
    this.count = count;
    return true;
  }
}
