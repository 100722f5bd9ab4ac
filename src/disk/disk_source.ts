// A whole disk as a BlockSource: byte reads turned into blkfront sector reads, through a
// bounce buffer when they do not fall on the disk's sector boundaries.

import { BlockSource } from "./source";
import { BlkDisk } from "../drivers/blkfront";

export class DiskSource extends BlockSource {
  private scratch: usize = 0;
  private scratchSize: u32 = 0;

  constructor(public disk: BlkDisk) {
    super();
  }

  get size(): u64 { return this.disk.bytes; }
  get name(): string { return this.disk.name; }

  read(offset: u64, len: u32, dst: usize): string | null {
    if (offset > this.size || <u64>len > this.size - offset) {
      return this.name + ": read of " + len.toString() + " bytes at byte " + offset.toString() + " past the end of the disk (" + this.size.toString() + " bytes)";
    }
    if (len == 0) return null;
    const unit = <u64>this.disk.sectorSize;
    const first = offset / unit * unit;
    const end = (offset + <u64>len + unit - 1) / unit * unit;
    if (first == offset && end == offset + <u64>len) return this.disk.read(offset / 512, len / 512, dst);
    const span = <u32>(end - first);
    if (span > this.scratchSize) {
      this.scratch = heap.alloc(span);
      this.scratchSize = span;
    }
    const e = this.disk.read(first / 512, span / 512, this.scratch);
    if (e != null) return e;
    memory.copy(dst, this.scratch + <usize>(offset - first), len);
    return null;
  }
}
