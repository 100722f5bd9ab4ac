// Block maps (ext2/ext3, and ext4 files without extents): i_block holds 12 direct block
// numbers, then one single, one double and one triple indirect block. Each indirect block
// is an array of blockSize / 4 block numbers; 0 anywhere is a hole. The depth is fixed by
// the logical block number, so every lookup reads at most three blocks.

import { Volume } from "./volume";
import { Inode } from "./inode";
import { Run, RUN_HOLE, RUN_DATA } from "./run";
import { stripFlavor } from "./groups";

const NDIR: u32 = 12;

function bad(vol: Volume, node: Inode, msg: string): bool {
  return vol.failed("inode " + node.ino.toString() + ": " + msg);
}

function holder(blk: u64): string {
  return blk == 0 ? "in the inode" : "in indirect block " + blk.toString();
}

// Map logical block lblk of a block-mapped inode: run set, true; or false and vol.error.
export function mapBlockmap(vol: Volume, node: Inode, lblk: u64, run: Run): bool {
  const sb = vol.sb;
  const logK: u64 = <u64>sb.logBlockSize - 2; // log2(block numbers per indirect block)
  const k: u64 = <u64>1 << logK;
  if (lblk < NDIR) return scan(vol, node, node.iblock, <u32>lblk, NDIR, 0, run);

  let l = lblk - NDIR;
  let levels: u64;
  let slot: u32;
  if (l < k) {
    levels = 1;
    slot = 12;
  } else {
    l -= k;
    if (l < k * k) {
      levels = 2;
      slot = 13;
    } else {
      l -= k * k;
      if (l >= k * k * k) return run.set(RUN_HOLE, 0, <u64>0 - lblk); // past what a block map can address
      levels = 3;
      slot = 14;
    }
  }
  let ptr = <u64>load<u32>(node.iblock + (<usize>slot << 2));
  let from: u64 = 0;
  for (let lv = levels; lv >= 1; lv--) {
    // l indexes a subtree of k^lv blocks whose indirect block is ptr.
    const shift = logK * (lv - 1);
    if (ptr == 0) return run.set(RUN_HOLE, 0, (<u64>1 << (logK * lv)) - l);
    if (!vol.blocksInside(ptr, 1)) {
      return bad(vol, node, "indirect block " + ptr.toString() + " (" + holder(from) + ") is outside the filesystem (" + sb.blocksCount.toString() + " blocks)");
    }
    const p = vol.readMeta(ptr);
    if (p == 0) return bad(vol, node, "indirect block " + ptr.toString() + ": " + stripFlavor(vol));
    const idx = <u32>(l >> shift);
    l &= (<u64>1 << shift) - 1;
    if (lv == 1) return scan(vol, node, p, idx, <u32>k, ptr, run);
    from = ptr;
    ptr = <u64>load<u32>(p + (<usize>idx << 2));
  }
  return bad(vol, node, "block map walk failed"); // not reached: lv == 1 returns
}

// The run starting at entry idx of an array of n block numbers (i_block or an indirect
// block `blk`): zeros are a hole, consecutive numbers are one extent of data.
function scan(vol: Volume, node: Inode, p: usize, idx: u32, n: u32, blk: u64, run: Run): bool {
  const first = <u64>load<u32>(p + (<usize>idx << 2));
  let j = idx + 1;
  if (first == 0) {
    while (j < n && load<u32>(p + (<usize>j << 2)) == 0) j++;
    return run.set(RUN_HOLE, 0, j - idx);
  }
  if (!vol.blocksInside(first, 1)) {
    return bad(vol, node, "block " + first.toString() + " (" + holder(blk) + ", entry " + idx.toString() + ") is outside the filesystem (" + vol.sb.blocksCount.toString() + " blocks)");
  }
  while (j < n && <u64>load<u32>(p + (<usize>j << 2)) == first + (j - idx) && vol.blocksInside(first + (j - idx), 1)) j++;
  return run.set(RUN_DATA, first, j - idx);
}
