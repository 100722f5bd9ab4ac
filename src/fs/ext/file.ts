// File contents: byte ranges of a file, through its block map, extent tree or inline data.
// Holes and unwritten extents read as zeros; physically contiguous blocks become one read
// of the source, straight into the caller's memory.

import { Volume } from "./volume";
import { Inode } from "./inode";
import { Run, RUN_DATA } from "./run";
import { mapExtent } from "./extents";
import { mapBlockmap } from "./blockmap";
import { findInodeXattr, XattrValue } from "./xattr";
import { XATTR_INDEX_SYSTEM, I_BLOCK_SIZE } from "./layout";

// Map logical block lblk of a block- or extent-mapped inode (not inline data).
export function mapBlock(vol: Volume, node: Inode, lblk: u64, run: Run): bool {
  return node.hasExtents ? mapExtent(vol, node, lblk, run) : mapBlockmap(vol, node, lblk, run);
}

const DATA: usize = memory.data<u8>([0x64, 0x61, 0x74, 0x61]); // "data", of "system.data"

// An inline_data inode's bytes: the first 60 in i_block, the rest in system.data (out).
// false and vol.error if the attribute area is damaged.
export function inlineTail(vol: Volume, node: Inode, out: XattrValue): bool {
  return findInodeXattr(vol, node, XATTR_INDEX_SYSTEM, DATA, 4, "system.data", out);
}

// Read len bytes at offset of the file's data into dst. Ranges past the end are refused.
export function readData(vol: Volume, node: Inode, offset: u64, len: u32, dst: usize): string | null {
  if (offset > node.size || <u64>len > node.size - offset) {
    return vol.F + "inode " + node.ino.toString() + ": read of " + len.toString() + " bytes at " + offset.toString() + " is past the end of the file (" + node.size.toString() + " bytes)";
  }
  if (len == 0) return null;
  if (node.hasInlineData) return readInline(vol, node, offset, len, dst);

  const logBs = vol.sb.logBlockSize;
  const bsMask: u64 = (<u64>1 << logBs) - 1;
  const run = vol.run;
  const end = offset + len;
  let pos = offset;
  // One pending read of the source: contiguous pieces are merged into it.
  let pendSrc: u64 = 0;
  let pendDst: usize = 0;
  let pendLen: u32 = 0;
  // Each turn consumes at least one byte (a run is at least one block): the loop ends.
  while (pos < end) {
    const lblk = pos >> logBs;
    const within = pos & bsMask;
    if (!mapBlock(vol, node, lblk, run)) return vol.error;
    const left = end - pos;
    const needBlocks = (within + left + bsMask) >> logBs;
    const blocks = run.count < needBlocks ? run.count : needBlocks;
    let n: u64 = (blocks << logBs) - within;
    if (n > left) n = left;
    const at = dst + <usize>(pos - offset);
    if (run.kind == RUN_DATA) {
      const src = (run.pblk << logBs) + within;
      if (pendLen != 0 && pendSrc + pendLen == src && pendDst + pendLen == at) {
        pendLen += <u32>n;
      } else {
        if (pendLen != 0 && !vol.readBytes(pendSrc, pendLen, pendDst)) return fileError(vol, node);
        pendSrc = src;
        pendDst = at;
        pendLen = <u32>n;
      }
    } else {
      memory.fill(at, 0, <usize>n);
    }
    pos += n;
  }
  if (pendLen != 0 && !vol.readBytes(pendSrc, pendLen, pendDst)) return fileError(vol, node);
  return null;
}

function fileError(vol: Volume, node: Inode): string {
  const e = vol.error;
  return vol.F + "inode " + node.ino.toString() + ": " + (e != null ? e.substr(vol.F.length) : "read failed");
}

// Bytes past what the inode holds (i_size larger than i_block + system.data) read as zeros,
// as Linux reads them.
function readInline(vol: Volume, node: Inode, offset: u64, len: u32, dst: usize): string | null {
  const tail = new XattrValue();
  if (!inlineTail(vol, node, tail)) return vol.error;
  const held: u64 = <u64>I_BLOCK_SIZE + (tail.found ? tail.len : 0);
  let pos = offset;
  const end = offset + len;
  if (pos < I_BLOCK_SIZE) {
    const n = <u32>(min(end, <u64>I_BLOCK_SIZE) - pos);
    memory.copy(dst, node.iblock + <usize>pos, n);
    pos += n;
  }
  if (pos < end && pos < held) {
    const n = <u32>(min(end, held) - pos);
    memory.copy(dst + <usize>(pos - offset), tail.ptr + <usize>(pos - I_BLOCK_SIZE), n);
    pos += n;
  }
  if (pos < end) memory.fill(dst + <usize>(pos - offset), 0, <usize>(end - pos));
  return null;
}
