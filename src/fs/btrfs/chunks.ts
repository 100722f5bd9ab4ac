// The chunk map: logical addresses to byte offsets on this device, from the superblock's
// sys_chunk_array (the SYSTEM chunks, which hold the chunk tree) and then the chunk tree's
// CHUNK_ITEMs (struct btrfs_chunk and its btrfs_stripe array, key (256, CHUNK_ITEM, logical)).
//
// Profiles read: single, DUP and RAID1 (also RAID1C3/4): every stripe is a full copy, so a
// read uses any stripe on this device (the first that checks out, for tree nodes). RAID0,
// RAID10, RAID5 and RAID6 chunks are refused by name when something in them is read.

import { hex } from "../ext/format";
import { uuidString } from "./superblock";
import {
  CHUNK_LENGTH, CHUNK_TYPE, CHUNK_NUM_STRIPES, CHUNK_HDR, STRIPE_SIZE, BG_RAID0, BG_RAID10, BG_RAID5, BG_RAID6,
  BG_DATA, BG_SYSTEM, BG_METADATA, BG_DUP, BG_RAID1, BG_RAID1C3, BG_RAID1C4,
} from "./layout";

export const MAX_CHUNKS: i32 = 65536;
export const MAX_STRIPES: u32 = 16;

export function profileName(type: u64): string {
  if ((type & BG_RAID0) != 0) return "RAID0";
  if ((type & BG_RAID10) != 0) return "RAID10";
  if ((type & BG_RAID5) != 0) return "RAID5";
  if ((type & BG_RAID6) != 0) return "RAID6";
  if ((type & BG_RAID1C3) != 0) return "RAID1C3";
  if ((type & BG_RAID1C4) != 0) return "RAID1C4";
  if ((type & BG_RAID1) != 0) return "RAID1";
  if ((type & BG_DUP) != 0) return "DUP";
  return "single";
}

function kindName(type: u64): string {
  let s = "";
  if ((type & BG_DATA) != 0) s += "data";
  if ((type & BG_METADATA) != 0) s += (s.length > 0 ? "+" : "") + "metadata";
  if ((type & BG_SYSTEM) != 0) s += (s.length > 0 ? "+" : "") + "system";
  return s.length > 0 ? s : "untyped";
}

export class Chunk {
  start: u64 = 0;
  length: u64 = 0;
  type: u64 = 0;
  devids: u64[] = [];
  offsets: u64[] = [];
  uuids: string[] = [];
}

export class ChunkMap {
  chunks: Chunk[] = []; // sorted by start, not overlapping
  devid: u64;
  error: string | null = null;
  // Devices the stripes name that are not this one (devid, uuid), for the refusal message.
  otherDevs: u64[] = [];
  otherUuids: string[] = [];

  constructor(devid: u64) {
    this.devid = devid;
  }

  // Add the chunk item (size bytes at p) for logical address `start`; where names it for
  // messages. false and `error` when the item is malformed.
  add(start: u64, p: usize, size: u32, where: string): bool {
    if (size < CHUNK_HDR) return this.fail(where + ": chunk item of " + size.toString() + " bytes is shorter than " + CHUNK_HDR.toString());
    const length = load<u64>(p + CHUNK_LENGTH);
    const type = load<u64>(p + CHUNK_TYPE);
    const n = <u32>load<u16>(p + CHUNK_NUM_STRIPES);
    if (n == 0 || n > MAX_STRIPES) return this.fail(where + ": chunk at " + start.toString() + " has " + n.toString() + " stripes (1 to " + MAX_STRIPES.toString() + ")");
    if (size < CHUNK_HDR + n * STRIPE_SIZE) return this.fail(where + ": chunk item at " + start.toString() + " of " + size.toString() + " bytes is too short for " + n.toString() + " stripes");
    if (length == 0 || start + length < start) return this.fail(where + ": chunk at " + start.toString() + " has bad length " + length.toString());
    // Already known (the sys_chunk_array and the chunk tree both hold the SYSTEM chunks)?
    const at = this.find(start);
    if (at >= 0) {
      const c = this.chunks[at];
      if (c.start == start && c.length == length) return true;
      return this.fail(where + ": chunk at " + start.toString() + " (" + length.toString() + " bytes) overlaps the chunk at " + c.start.toString());
    }
    if (this.chunks.length >= MAX_CHUNKS) return this.fail(where + ": more than " + MAX_CHUNKS.toString() + " chunks");
    const c = new Chunk();
    c.start = start;
    c.length = length;
    c.type = type;
    for (let i: u32 = 0; i < n; i++) {
      const s = p + CHUNK_HDR + i * STRIPE_SIZE;
      const devid = load<u64>(s);
      const uuid = uuidString(s + 16);
      c.devids.push(devid);
      c.offsets.push(load<u64>(s + 8));
      c.uuids.push(uuid);
      if (devid != this.devid && !this.otherDevs.includes(devid)) {
        this.otherDevs.push(devid);
        this.otherUuids.push(uuid);
      }
    }
    // Insert in order; an overlap with the neighbours is damage.
    let i = this.chunks.length;
    while (i > 0 && this.chunks[i - 1].start > start) i--;
    if (i > 0) {
      const prev = this.chunks[i - 1];
      if (prev.start + prev.length > start) return this.fail(where + ": chunk at " + start.toString() + " overlaps the chunk at " + prev.start.toString());
    }
    if (i < this.chunks.length && start + length > this.chunks[i].start) {
      return this.fail(where + ": chunk at " + start.toString() + " (" + length.toString() + " bytes) overlaps the chunk at " + this.chunks[i].start.toString());
    }
    this.chunks.push(c);
    for (let j = this.chunks.length - 1; j > i; j--) this.chunks[j] = this.chunks[j - 1];
    this.chunks[i] = c;
    return true;
  }

  // The index of the chunk holding logical address a, or -1.
  find(a: u64): i32 {
    let lo = 0, hi = this.chunks.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const c = unchecked(this.chunks[mid]);
      if (a < c.start) hi = mid - 1;
      else if (a - c.start >= c.length) lo = mid + 1;
      else return mid;
    }
    return -1;
  }

  // How many copies of logical address a this device holds (0 and `error` when none can be
  // read: unmapped, a striped profile, or only on other devices).
  copies(a: u64): i32 {
    const i = this.find(a);
    if (i < 0) {
      this.error = "logical address " + a.toString() + " (" + hex(a) + ") is in no chunk";
      return 0;
    }
    const c = this.chunks[i];
    if ((c.type & (BG_RAID0 | BG_RAID10 | BG_RAID5 | BG_RAID6)) != 0) {
      this.error = "logical address " + a.toString() + " is in a " + profileName(c.type) + " " + kindName(c.type) + " chunk at " + c.start.toString() + ": striped profiles are not supported";
      return 0;
    }
    let n = 0;
    for (let k = 0; k < c.devids.length; k++) if (c.devids[k] == this.devid) n++;
    if (n == 0) {
      this.error = "logical address " + a.toString() + " is in a chunk at " + c.start.toString() + " stored only on devid " + c.devids[0].toString() + " (uuid " + c.uuids[0] + "), not on this device";
    }
    return n;
  }

  // The device offset of copy k of logical address a, and in `run` how many bytes from there
  // are contiguous (to the chunk's end). copies(a) must have said k exists.
  run: u64 = 0;
  physical(a: u64, k: i32): u64 {
    const c = this.chunks[this.find(a)];
    let seen = 0;
    for (let j = 0; j < c.devids.length; j++) {
      if (c.devids[j] != this.devid) continue;
      if (seen++ == k) {
        this.run = c.length - (a - c.start);
        return c.offsets[j] + (a - c.start);
      }
    }
    return 0; // not reached
  }

  // "single", "DUP", ... of the chunks holding each kind, for describe().
  profiles(): string {
    let d = "", m = "", s = "";
    for (let i = 0; i < this.chunks.length; i++) {
      const c = this.chunks[i];
      if ((c.type & BG_DATA) != 0 && d.length == 0) d = profileName(c.type);
      if ((c.type & BG_METADATA) != 0 && m.length == 0) m = profileName(c.type);
      if ((c.type & BG_SYSTEM) != 0 && s.length == 0) s = profileName(c.type);
    }
    return "data " + (d.length > 0 ? d : "-") + ", metadata " + (m.length > 0 ? m : "-") + ", system " + (s.length > 0 ? s : "-");
  }

  private fail(msg: string): bool {
    this.error = msg;
    return false;
  }
}
