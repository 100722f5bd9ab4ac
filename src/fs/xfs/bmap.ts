// A file's block map (the data fork): which disk blocks hold logical block n. Two forms:
//   - extents: an array of 16-byte xfs_bmbt_rec in the inode (di_nextents of them);
//   - btree: a B+tree of such records, its root (xfs_bmdr_block: level, numrecs, then keys
//     and block pointers) in the inode, the other nodes in blocks with a long-format header
//     ("BMAP" v4, "BMA3" v5 with a CRC, the block's own number and its owner).
// An extent record packs (from the top bit down): unwritten flag (1), file offset (54),
// fsblock (52), length (21). Unwritten extents read as zeros, like holes.
//
// Everything from disk is checked before use: magic, level going down by one per node (so
// the walk ends within BTREE_MAX_LEVELS), record counts within what fits, keys and
// extents in increasing order without overlap, blocks inside the filesystem and one AG.

import { XfsVolume, BAD_BLOCK } from "./volume";
import { XfsInode } from "./inode";
import { Run, RUN_HOLE, RUN_DATA, RUN_ZERO } from "../ext/run";
import {
  be16, be32, be64, FMT_EXTENTS, FMT_BTREE, BMBT_REC_SIZE, BMAP_MAGIC, BMAP3_MAGIC, LBLOCK_HDR_V4, LBLOCK_HDR_V5,
  LBLOCK_CRC, LBLOCK_OWNER, BMDR_HDR, BTREE_MAX_LEVELS,
} from "./layout";
import { sumWithHole } from "./superblock";
import { hex } from "../ext/format";

// File offsets are 54 bits of blocks: nothing is mapped at or above this.
const LBLK_LIMIT: u64 = <u64>1 << 54;

function bad(vol: XfsVolume, node: XfsInode, msg: string): bool {
  return vol.failed("inode " + node.ino.toString() + ": " + msg);
}

// Map logical block lblk of a file with an extents or btree data fork: run set, true; or
// false and vol.error.
export function mapBlock(vol: XfsVolume, node: XfsInode, lblk: u64, run: Run): bool {
  if (lblk >= LBLK_LIMIT) return run.set(RUN_HOLE, 0, <u64>0 - lblk);
  if (node.format == FMT_EXTENTS) {
    const n = node.nextents;
    if (n > <u64>(node.forkSize / BMBT_REC_SIZE)) {
      return bad(vol, node, n.toString() + " extents do not fit the data fork (" + node.forkSize.toString() + " bytes)");
    }
    return scanRecords(vol, node, node.fork, <u32>n, lblk, LBLK_LIMIT, "in the inode", run);
  }
  if (node.format == FMT_BTREE) return walkTree(vol, node, lblk, run);
  return bad(vol, node, "data fork format " + node.format.toString() + " has no block map");
}

// The run at lblk in n extent records at p (sorted by offset); `end` bounds the subtree the
// records cover (a hole after the last record ends there).
function scanRecords(vol: XfsVolume, node: XfsInode, p: usize, n: u32, lblk: u64, end: u64, where: string, run: Run): bool {
  let prevEnd: u64 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const r = p + <usize>i * BMBT_REC_SIZE;
    const l0 = be64(r);
    const l1 = be64(r + 8);
    const unwritten = (l0 >> 63) != 0;
    const off = (l0 & 0x7fffffffffffffff) >> 9;
    const fsb = ((l0 & 0x1ff) << 43) | (l1 >> 21);
    const len = l1 & 0x1fffff;
    if (len == 0) return bad(vol, node, "extent " + i.toString() + " " + where + " has length 0");
    if (off < prevEnd) return bad(vol, node, "extents " + where + " overlap or are out of order at record " + i.toString());
    prevEnd = off + len;
    if (lblk < off) return run.set(RUN_HOLE, 0, min(off, end) - lblk);
    if (lblk < off + len) {
      const lin = vol.linearRange(fsb, len);
      if (lin == BAD_BLOCK) {
        return bad(vol, node, "extent " + i.toString() + " " + where + " maps to fsblocks " + fsb.toString() + "+" + len.toString() + ", outside the filesystem or its AG");
      }
      return run.set(unwritten ? RUN_ZERO : RUN_DATA, lin + (lblk - off), off + len - lblk);
    }
  }
  return run.set(RUN_HOLE, 0, end > lblk ? end - lblk : 1);
}

function walkTree(vol: XfsVolume, node: XfsInode, lblk: u64, run: Run): bool {
  const sb = vol.sb;
  // The root in the inode.
  let p = node.fork;
  let level = be16(p);
  let numrecs = be16(p + 2);
  let maxrecs = (node.forkSize - BMDR_HDR) / 16;
  let keys = p + BMDR_HDR;
  let ptrs = keys + <usize>maxrecs * 8;
  let where = "in the inode";
  let end: u64 = LBLK_LIMIT;
  if (level == 0 || level > BTREE_MAX_LEVELS) return bad(vol, node, "bmap B+tree root level " + level.toString() + " (1 to " + BTREE_MAX_LEVELS.toString() + ")");
  const hdr = sb.crc ? LBLOCK_HDR_V5 : LBLOCK_HDR_V4;
  const blockMax = (sb.blockSize - hdr) / 16;
  // Each turn goes down one level (checked against the header's level): at most 9 turns.
  for (let depth: u32 = 0; depth <= BTREE_MAX_LEVELS; depth++) {
    if (numrecs == 0 || numrecs > maxrecs) {
      return bad(vol, node, "bmap B+tree node " + where + " has " + numrecs.toString() + " records (1 to " + maxrecs.toString() + ")");
    }
    if (level == 0) return scanRecords(vol, node, keys, numrecs, lblk, end, where, run);
    // The last key at or before lblk.
    let pick: i32 = -1;
    let prev: u64 = 0;
    for (let i: u32 = 0; i < numrecs; i++) {
      const k = be64(keys + <usize>i * 8);
      if (i > 0 && k <= prev) return bad(vol, node, "bmap B+tree keys " + where + " are out of order at key " + i.toString());
      prev = k;
      if (k <= lblk) pick = <i32>i;
      else {
        if (pick < 0) return run.set(RUN_HOLE, 0, min(k, end) - lblk);
        end = min(end, k);
        break;
      }
    }
    if (pick < 0) return run.set(RUN_HOLE, 0, end > lblk ? end - lblk : 1);
    const child = be64(ptrs + <usize>pick * 8);
    const lin = vol.linear(child);
    if (lin == BAD_BLOCK) return bad(vol, node, "bmap B+tree pointer " + pick.toString() + " " + where + " names fsblock " + child.toString() + ", outside the filesystem");
    const q = vol.readMeta(lin);
    if (q == 0) return bad(vol, node, "bmap B+tree block " + lin.toString() + ": " + vol.inner);
    where = "at block " + lin.toString();
    const magic = be32(q);
    const want = sb.crc ? BMAP3_MAGIC : BMAP_MAGIC;
    if (magic != want) return bad(vol, node, "bmap B+tree block " + where + " has bad magic " + hex(magic, 8) + " (" + hex(want, 8) + ")");
    const lv = be16(q + 4);
    if (lv != level - 1) return bad(vol, node, "bmap B+tree block " + where + " has level " + lv.toString() + ", expected " + (level - 1).toString());
    if (sb.crc && !vol.cache.checked) {
      vol.cache.markChecked();
      const c = load<u32>(q + LBLOCK_CRC);
      const got = sumWithHole(q, sb.blockSize, LBLOCK_CRC);
      if (c != got) vol.warn("inode " + node.ino.toString() + ": bmap B+tree block " + lin.toString() + " checksum " + hex(c, 8) + " does not match its contents (" + hex(got, 8) + ")");
      const owner = be64(q + LBLOCK_OWNER);
      if (owner != node.ino) vol.warn("inode " + node.ino.toString() + ": bmap B+tree block " + lin.toString() + " belongs to inode " + owner.toString());
    }
    level = lv;
    numrecs = be16(q + 6);
    maxrecs = blockMax;
    keys = q + hdr;
    ptrs = keys + <usize>maxrecs * 8;
  }
  return bad(vol, node, "bmap B+tree deeper than " + BTREE_MAX_LEVELS.toString() + " levels");
}
