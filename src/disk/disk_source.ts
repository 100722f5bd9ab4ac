// A whole disk as a BlockSource: byte reads turned into blkfront sector reads, through a
// bounce buffer when they do not fall on the disk's sector boundaries. Writes (saved defaults
// only) read the sectors they touch, patch them and write them back whole.

import { BlockSource } from "./source";
import { BlkDisk, WRITE_PAGES } from "../drivers/blkfront";

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
    // The partial sectors at either end through a one-sector bounce buffer (kept memory, so
    // its size must not follow the read's: a large unaligned read would keep that much), the
    // whole sectors between straight into dst.
    if (this.scratch == 0) {
      this.scratch = heap.alloc(<usize>unit);
      this.scratchSize = <u32>unit;
    }
    let at = offset;
    const stop = offset + <u64>len;
    let out = dst;
    for (let guard = 0; guard < 3 && at < stop; guard++) {
      const sector = at / unit * unit;
      if (sector == at && stop - at >= unit) {
        const whole = (stop - at) / unit * unit;
        const e = this.disk.read(at / 512, <u32>(whole / 512), out);
        if (e != null) return e;
        at += whole;
        out += <usize>whole;
        continue;
      }
      const e = this.disk.read(sector / 512, <u32>(unit / 512), this.scratch);
      if (e != null) return e;
      const from = at - sector;
      const n = min<u64>(unit - from, stop - at);
      memory.copy(out, this.scratch + <usize>from, <usize>n);
      at += n;
      out += <usize>n;
    }
    return null;
  }

  write(offset: u64, len: u32, src: usize): string | null {
    if (offset > this.size || <u64>len > this.size - offset) {
      return this.name + ": write of " + len.toString() + " bytes at byte " + offset.toString() + " past the end of the disk (" + this.size.toString() + " bytes)";
    }
    if (len == 0) return null;
    const unit = <u64>this.disk.sectorSize;
    const first = offset / unit * unit;
    const end = (offset + <u64>len + unit - 1) / unit * unit;
    const span = <u32>(end - first);
    if (<u64>span > <u64>WRITE_PAGES * 4096) {
      return this.name + ": write of " + len.toString() + " bytes at byte " + offset.toString() + " spans more than " + (WRITE_PAGES * 4).toString() + " KiB of sectors";
    }
    const buf = heap.alloc(<usize>span);
    let e: string | null = null;
    if (first != offset || end != offset + <u64>len) e = this.disk.read(first / 512, span / 512, buf);
    if (e == null) {
      memory.copy(buf + <usize>(offset - first), src, len);
      e = this.disk.write(first / 512, span / 512, buf);
    }
    heap.free(buf);
    return e;
  }
}
