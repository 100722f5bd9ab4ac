// A small cache of metadata blocks (inode tables, group descriptors, extent and indirect
// blocks, directory blocks), least recently used out first. File data never goes through
// it: it is read straight into the caller's memory.
//
// A pointer handed out stays valid only until the next miss: callers that need a block
// across further metadata reads copy it.

export class BlockCache {
  readonly slots: i32;
  readonly blockSize: u32;
  private data: usize;
  private tags: StaticArray<u64>;
  private stamps: StaticArray<u32>;
  private valid: StaticArray<bool>;
  private checkedFlags: StaticArray<bool>;
  private clock: u32 = 0;
  lastSlot: i32 = -1;

  constructor(slots: i32, blockSize: u32) {
    this.slots = slots;
    this.blockSize = blockSize;
    this.data = heap.alloc(<usize>slots * blockSize);
    this.tags = new StaticArray<u64>(slots);
    this.stamps = new StaticArray<u32>(slots);
    this.valid = new StaticArray<bool>(slots);
    this.checkedFlags = new StaticArray<bool>(slots);
  }

  // The slot's memory, or 0 if blk is not cached. Marks it recently used.
  find(blk: u64): usize {
    for (let i = 0; i < this.slots; i++) {
      if (unchecked(this.valid[i]) && unchecked(this.tags[i]) == blk) {
        unchecked(this.stamps[i] = ++this.clock);
        this.lastSlot = i;
        return this.data + <usize>i * this.blockSize;
      }
    }
    return 0;
  }

  // A slot for blk (the least recently used one), invalid until commit().
  claim(blk: u64): usize {
    let victim = 0;
    for (let i = 0; i < this.slots; i++) {
      if (!unchecked(this.valid[i])) { victim = i; break; }
      if (unchecked(this.stamps[i]) < unchecked(this.stamps[victim])) victim = i;
    }
    unchecked(this.valid[victim] = false);
    unchecked(this.tags[victim] = blk);
    unchecked(this.checkedFlags[victim] = false);
    this.lastSlot = victim;
    return this.data + <usize>victim * this.blockSize;
  }

  // The claimed slot now holds its block.
  commit(): void {
    const i = this.lastSlot;
    if (i < 0) return;
    unchecked(this.valid[i] = true);
    unchecked(this.stamps[i] = ++this.clock);
  }

  // Per-block "already verified" flag of the block last found or claimed, so a checksum is
  // computed once per load, not once per use.
  get checked(): bool { return this.lastSlot >= 0 && unchecked(this.checkedFlags[this.lastSlot]); }
  markChecked(): void { if (this.lastSlot >= 0) unchecked(this.checkedFlags[this.lastSlot] = true); }
}
