// Partition tables: MBR with extended/logical partitions, GPT (checksums checked, the backup
// header used when the primary is damaged), or none (the whole disk is the filesystem).
//
// Numbering is GRUB legacy's, 0-based: (hd0,0)..(hd0,3) are the MBR primaries, logical
// partitions start at (hd0,4); on GPT, (hd0,N) is entry N of the partition array.

import { BlockSource } from "./source";
import { crc32 } from "../lib/crc32";

const MAX_LOGICAL: u32 = 128; // bound on the extended-partition chain
const MAX_GPT_ARRAY: u64 = 1 << 20; // bytes of GPT partition entries we accept

export class Partition {
  constructor(
    public number: u32, // GRUB's (hdN,number)
    public start: u64, // bytes
    public size: u64, // bytes
    public kind: string, // "0x83", or the GPT type GUID
  ) {}
}

export class PartitionTable {
  scheme: string = "none"; // "mbr", "gpt", "none"
  parts: Partition[] = [];
  warnings: string[] = [];
  error: string | null = null; // the table is there but unusable

  find(number: u32): Partition | null {
    for (let i = 0; i < this.parts.length; i++) if (this.parts[i].number == number) return this.parts[i];
    return null;
  }
}

export function readPartitions(src: BlockSource, lbaSize: u32): PartitionTable {
  const t = new PartitionTable();
  const mbr = heap.alloc(512);
  const e = src.read(0, 512, mbr);
  if (e != null) {
    t.error = e;
    return t;
  }
  if (load<u8>(mbr + 510) != 0x55 || load<u8>(mbr + 511) != 0xaa) return t; // no table: a partitionless disk
  let protective = false;
  for (let i: u32 = 0; i < 4; i++) if (load<u8>(mbr + 446 + i * 16 + 4) == 0xee) protective = true;
  if (protective) {
    readGpt(src, lbaSize, t);
    return t;
  }
  // A boot sector that is really a filesystem (no partition table) has no valid entries.
  if (!mbrLooksValid(src, mbr, lbaSize)) return t;
  t.scheme = "mbr";
  for (let i: u32 = 0; i < 4; i++) {
    const entry = mbr + 446 + i * 16;
    const type = load<u8>(entry + 4);
    const lba = <u64>load<u32>(entry + 8);
    const count = <u64>load<u32>(entry + 12);
    if (type == 0 || count == 0) continue;
    if (type == 0x05 || type == 0x0f || type == 0x85) {
      readLogical(src, lbaSize, lba, t);
      continue;
    }
    addPart(src, t, i, lba * lbaSize, count * lbaSize, "0x" + hex2(type));
  }
  return t;
}

function mbrLooksValid(src: BlockSource, mbr: usize, lbaSize: u32): bool {
  let any = false;
  for (let i: u32 = 0; i < 4; i++) {
    const entry = mbr + 446 + i * 16;
    const status = load<u8>(entry);
    if (status != 0 && status != 0x80) return false;
    if (load<u8>(entry + 4) != 0 && load<u32>(entry + 12) != 0) any = true;
  }
  return any || src.size < <u64>lbaSize * 2;
}

function addPart(src: BlockSource, t: PartitionTable, number: u32, start: u64, size: u64, kind: string): void {
  if (start >= src.size || size > src.size - start) {
    t.warnings.push("partition " + number.toString() + " (" + start.toString() + "+" + size.toString() +
      " bytes) lies beyond the end of " + src.name + ", ignored");
    return;
  }
  t.parts.push(new Partition(number, start, size, kind));
}

// The chain of extended boot records: entry 0 is a logical partition relative to its EBR,
// entry 1 the next EBR relative to the start of the extended partition.
function readLogical(src: BlockSource, lbaSize: u32, extStart: u64, t: PartitionTable): void {
  const ebr = heap.alloc(512);
  let rel: u64 = 0;
  let number: u32 = 4;
  const seen: u64[] = [];
  for (let n: u32 = 0; n < MAX_LOGICAL; n++) {
    const at = (extStart + rel) * lbaSize;
    if (seen.includes(at)) {
      t.warnings.push("extended partition chain loops at byte " + at.toString() + ", stopped");
      return;
    }
    seen.push(at);
    const e = src.read(at, 512, ebr);
    if (e != null) {
      t.warnings.push("extended partition: " + e);
      return;
    }
    if (load<u8>(ebr + 510) != 0x55 || load<u8>(ebr + 511) != 0xaa) {
      t.warnings.push("extended boot record at byte " + at.toString() + " has no signature, chain stopped");
      return;
    }
    const type = load<u8>(ebr + 446 + 4);
    const count = <u64>load<u32>(ebr + 446 + 12);
    if (type != 0 && count != 0) {
      addPart(src, t, number, at + <u64>load<u32>(ebr + 446 + 8) * lbaSize, count * lbaSize, "0x" + hex2(type));
      number++;
    }
    const nextType = load<u8>(ebr + 462 + 4);
    const next = <u64>load<u32>(ebr + 462 + 8);
    if (nextType == 0 || next == 0) return;
    rel = next;
  }
  t.warnings.push("more than " + MAX_LOGICAL.toString() + " logical partitions, the rest ignored");
}

function readGpt(src: BlockSource, lbaSize: u32, t: PartitionTable): void {
  t.scheme = "gpt";
  const lastLba = src.size / lbaSize - 1;
  const primary = gptHeader(src, lbaSize, 1, lastLba, t);
  if (primary == null || !gptEntries(src, lbaSize, primary, lastLba, t, true)) {
    const why = t.warnings.length > 0 ? t.warnings[t.warnings.length - 1] : "damaged";
    const backup = gptHeader(src, lbaSize, lastLba, lastLba, t);
    if (backup == null || !gptEntries(src, lbaSize, backup, lastLba, t, false)) {
      t.error = src.name + ": both GPT headers are damaged (" + why + ")";
      return;
    }
    t.warnings.push("the primary GPT is damaged (" + why + "): using the backup at LBA " + lastLba.toString());
  }
}

function gptHeader(src: BlockSource, lbaSize: u32, lba: u64, lastLba: u64, t: PartitionTable): usize {
  const h = heap.alloc(lbaSize);
  const e = src.read(lba * lbaSize, lbaSize, h);
  if (e != null) {
    t.warnings.push(e);
    return 0;
  }
  if (load<u64>(h) != 0x5452415020494645) { // "EFI PART"
    t.warnings.push("no GPT signature at LBA " + lba.toString());
    return 0;
  }
  const size = load<u32>(h + 12);
  if (size < 92 || size > lbaSize) {
    t.warnings.push("GPT header at LBA " + lba.toString() + " has a bad size " + size.toString());
    return 0;
  }
  const want = load<u32>(h + 16);
  store<u32>(h + 16, 0);
  const got = crc32(h, size);
  store<u32>(h + 16, want);
  if (got != want) {
    t.warnings.push("GPT header at LBA " + lba.toString() + " fails its checksum");
    return 0;
  }
  if (load<u64>(h + 24) != lba) {
    t.warnings.push("GPT header at LBA " + lba.toString() + " says it is at LBA " + load<u64>(h + 24).toString());
    return 0;
  }
  return h;
}

function gptEntries(src: BlockSource, lbaSize: u32, h: usize, lastLba: u64, t: PartitionTable, primary: bool): bool {
  const arrayLba = load<u64>(h + 72);
  const count = <u64>load<u32>(h + 80);
  const entrySize = <u64>load<u32>(h + 84);
  const bytes = count * entrySize;
  if (entrySize < 128 || entrySize % 8 != 0 || bytes > MAX_GPT_ARRAY || arrayLba > lastLba ||
      bytes > (lastLba + 1 - arrayLba) * lbaSize) {
    t.warnings.push("GPT partition array (" + count.toString() + " entries of " + entrySize.toString() + " bytes at LBA " + arrayLba.toString() + ") is out of bounds");
    return false;
  }
  const a = heap.alloc(<usize>bytes);
  const e = src.read(arrayLba * lbaSize, <u32>bytes, a);
  if (e != null) {
    t.warnings.push(e);
    return false;
  }
  if (crc32(a, <u32>bytes) != load<u32>(h + 88)) {
    t.warnings.push("GPT partition array at LBA " + arrayLba.toString() + " fails its checksum");
    return false;
  }
  t.parts.length = 0;
  for (let i: u64 = 0; i < count; i++) {
    const p = a + <usize>(i * entrySize);
    if (load<u64>(p) == 0 && load<u64>(p + 8) == 0) continue;
    const first = load<u64>(p + 32);
    const last = load<u64>(p + 40);
    if (last < first) {
      t.warnings.push("GPT entry " + i.toString() + " ends before it starts, ignored");
      continue;
    }
    addPart(src, t, <u32>i, first * lbaSize, (last - first + 1) * lbaSize, guid(p));
  }
  return true;
}

function hex2(v: u32): string {
  const d = "0123456789abcdef";
  return d.charAt((v >> 4) & 15) + d.charAt(v & 15);
}

// The mixed-endian GUID text form.
function guid(p: usize): string {
  let s = "";
  const order: i32[] = [3, 2, 1, 0, -1, 5, 4, -1, 7, 6, -1, 8, 9, -1, 10, 11, 12, 13, 14, 15];
  for (let i = 0; i < order.length; i++) s += order[i] < 0 ? "-" : hex2(load<u8>(p + order[i]));
  return s;
}
