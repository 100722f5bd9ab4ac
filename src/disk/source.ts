// A byte-addressed source of disk data: a whole disk (blkfront), a partition on one, or an
// image held in memory (tests, the fuzzer, a ramdisk). Filesystems read only through this.
// write() exists for the saved-default files alone (src/boot/saved.ts): a disk and its
// partitions take it; an image in memory refuses it.

export abstract class BlockSource {
  // Bytes in the source.
  abstract get size(): u64;

  // For messages: "hd0", "(hd0,0)", "image".
  abstract get name(): string;

  // Read `len` bytes at byte `offset` into `dst`. null, or an error that names the source
  // and the range. Reads past the end are refused, never clipped.
  abstract read(offset: u64, len: u32, dst: usize): string | null;

  // Write `len` bytes from `src` at byte `offset`: null, or why not. Only a disk writes.
  write(offset: u64, len: u32, src: usize): string | null {
    return this.name + ": not a disk (an image in memory is never written)";
  }
}

// An image already in the linear memory.
export class MemorySource extends BlockSource {
  constructor(private base: usize, private length: u64, private label: string = "image") {
    super();
  }

  get size(): u64 { return this.length; }
  get name(): string { return this.label; }

  read(offset: u64, len: u32, dst: usize): string | null {
    if (offset > this.length || <u64>len > this.length - offset) {
      return this.label + ": read of " + len.toString() + " bytes at " + offset.toString() + " past the end (" + this.length.toString() + " bytes)";
    }
    memory.copy(dst, this.base + <usize>offset, len);
    return null;
  }
}

// A window of another source: a partition.
export class SliceSource extends BlockSource {
  constructor(private parent: BlockSource, private start: u64, private length: u64, private label: string) {
    super();
  }

  get size(): u64 { return this.length; }
  get name(): string { return this.label; }

  read(offset: u64, len: u32, dst: usize): string | null {
    if (offset > this.length || <u64>len > this.length - offset) {
      return this.label + ": read of " + len.toString() + " bytes at " + offset.toString() + " past the end of the partition (" + this.length.toString() + " bytes)";
    }
    return this.parent.read(this.start + offset, len, dst);
  }

  write(offset: u64, len: u32, src: usize): string | null {
    if (offset > this.length || <u64>len > this.length - offset) {
      return this.label + ": write of " + len.toString() + " bytes at " + offset.toString() + " past the end of the partition (" + this.length.toString() + " bytes)";
    }
    return this.parent.write(this.start + offset, len, src);
  }
}
