// Extent trees (ext4): the root node in i_block, inner nodes and leaves in blocks. A node
// is a 12-byte header (magic 0xF30A, entries, max, depth) and 12-byte entries: index
// entries (first logical block, child block) above leaves (first logical block, length,
// first physical block). Lengths above 32768 mark unwritten extents, which read as zeros.
//
// Everything from disk is checked before use: magic, entries <= max <= what fits, the depth
// going down by exactly one per level (so at most 5 levels: the walk ends), entries in
// increasing order without overlap, child and data blocks inside the filesystem.

import { Volume } from "./volume";
import { Inode } from "./inode";
import { Run, RUN_HOLE, RUN_DATA, RUN_ZERO } from "./run";
import { EXT_MAGIC, EXT_HEADER_SIZE, EXT_ENTRY_SIZE, EXT_MAX_DEPTH, EXT_INIT_MAX_LEN, I_BLOCK_SIZE } from "./layout";
import { crc32cUpdate } from "../../lib/crc32c";
import { hex } from "./format";
import { stripFlavor } from "./groups";

// Logical block numbers in extents are 32 bits: nothing is mapped at or above this.
const LBLK_LIMIT: u64 = <u64>1 << 32;

// Where a node came from, for messages.
function where(blk: u64): string {
  return blk == 0 ? "in the inode" : "at block " + blk.toString();
}

function bad(vol: Volume, node: Inode, msg: string): bool {
  return vol.failed("inode " + node.ino.toString() + ": " + msg);
}

// Map logical block lblk of an extent-mapped inode: run set, true; or false and vol.error.
export function mapExtent(vol: Volume, node: Inode, lblk: u64, run: Run): bool {
  if (lblk >= LBLK_LIMIT) return run.set(RUN_HOLE, 0, <u64>0 - lblk);
  const target = <u32>lblk;
  let p = node.iblock;
  let room: u32 = I_BLOCK_SIZE;
  let blk: u64 = 0; // 0: the root, in the inode
  let end: u64 = LBLK_LIMIT; // logical blocks of this subtree end before this
  let expectDepth: i32 = -1;

  for (let level: u32 = 0; level <= EXT_MAX_DEPTH; level++) {
    const magic = load<u16>(p);
    const entries = <u32>load<u16>(p + 2);
    const max = <u32>load<u16>(p + 4);
    const depth = <i32>load<u16>(p + 6);
    if (magic != EXT_MAGIC) return bad(vol, node, "extent header " + where(blk) + " has bad magic " + hex(magic, 4));
    if (max == 0 || max > (room - EXT_HEADER_SIZE) / EXT_ENTRY_SIZE || entries > max) {
      return bad(vol, node, "extent node " + where(blk) + " has " + entries.toString() + " entries of at most " + max.toString() + " (room for " + ((room - EXT_HEADER_SIZE) / EXT_ENTRY_SIZE).toString() + ")");
    }
    if (expectDepth < 0) {
      if (<u32>depth > EXT_MAX_DEPTH) return bad(vol, node, "extent tree depth " + depth.toString() + " (at most 5)");
    } else if (depth != expectDepth) {
      return bad(vol, node, "extent node " + where(blk) + " has depth " + depth.toString() + ", expected " + expectDepth.toString());
    }
    if (blk != 0 && vol.sb.metadataCsum && !vol.cache.checked) {
      vol.cache.markChecked();
      verifyTail(vol, node, p, max, blk);
    }
    const first = p + EXT_HEADER_SIZE;

    if (depth == 0) {
      // A leaf: the last extent starting at or before target, if it covers it.
      let prevEnd: u64 = 0;
      for (let i: u32 = 0; i < entries; i++) {
        const e = first + <usize>i * EXT_ENTRY_SIZE;
        const start = <u64>load<u32>(e);
        let len = <u32>load<u16>(e + 4);
        const unwritten = len > EXT_INIT_MAX_LEN;
        if (unwritten) len -= EXT_INIT_MAX_LEN;
        if (len == 0) return bad(vol, node, "extent " + i.toString() + " " + where(blk) + " has length 0");
        if (start < prevEnd) return bad(vol, node, "extents " + where(blk) + " overlap or are out of order at entry " + i.toString());
        const stop = start + len;
        prevEnd = stop;
        if (<u64>target < start) {
          // A hole before this extent.
          return run.set(RUN_HOLE, 0, min(start, end) - target);
        }
        if (<u64>target < stop) {
          const pstart = <u64>load<u32>(e + 8) | (<u64>load<u16>(e + 6) << 32);
          if (!vol.blocksInside(pstart, len)) {
            return bad(vol, node, "extent " + i.toString() + " " + where(blk) + " maps to blocks " + pstart.toString() + "+" + len.toString() + ", outside the filesystem (" + vol.sb.blocksCount.toString() + " blocks)");
          }
          const off = <u64>target - start;
          return run.set(unwritten ? RUN_ZERO : RUN_DATA, pstart + off, stop - target);
        }
      }
      return run.set(RUN_HOLE, 0, end > <u64>target ? end - target : 1);
    }

    // An index node: follow the last entry starting at or before target.
    let pick: i32 = -1;
    let prev: u64 = 0;
    for (let i: u32 = 0; i < entries; i++) {
      const s = <u64>load<u32>(first + <usize>i * EXT_ENTRY_SIZE);
      if (i > 0 && s <= prev) return bad(vol, node, "extent index " + where(blk) + " is out of order at entry " + i.toString());
      prev = s;
      if (s <= <u64>target) pick = <i32>i;
      else {
        if (pick < 0) return run.set(RUN_HOLE, 0, min(s, end) - target);
        end = min(end, s);
        break;
      }
    }
    if (pick < 0) return run.set(RUN_HOLE, 0, end > <u64>target ? end - target : 1);
    const ie = first + <usize>pick * EXT_ENTRY_SIZE;
    const child = <u64>load<u32>(ie + 4) | (<u64>load<u16>(ie + 8) << 32);
    if (!vol.blocksInside(child, 1)) {
      return bad(vol, node, "extent index " + where(blk) + " points to block " + child.toString() + ", outside the filesystem (" + vol.sb.blocksCount.toString() + " blocks)");
    }
    const q = vol.readMeta(child);
    if (q == 0) return bad(vol, node, "extent block " + child.toString() + ": " + stripFlavor(vol));
    p = q;
    room = vol.sb.blockSize;
    blk = child;
    expectDepth = depth - 1;
  }
  // Unreachable in practice: the depth checks end the walk within EXT_MAX_DEPTH + 1 levels.
  return bad(vol, node, "extent tree deeper than 5 levels");
}

// metadata_csum: the 4 bytes after the last possible entry hold crc32c(inode seed, node
// up to there). A mismatch is a warning.
function verifyTail(vol: Volume, node: Inode, p: usize, max: u32, blk: u64): void {
  const tail = EXT_HEADER_SIZE + max * EXT_ENTRY_SIZE;
  if (tail + 4 > vol.sb.blockSize) return;
  const want = load<u32>(p + tail);
  const got = crc32cUpdate(node.csumSeed, p, tail);
  if (want != got) vol.warn("inode " + node.ino.toString() + ": extent block " + blk.toString() + " checksum " + hex(want, 8) + " does not match its contents (" + hex(got, 8) + ")");
}
