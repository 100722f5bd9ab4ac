// File contents: byte ranges of a file through its data fork (bmap.ts). Holes and unwritten
// extents read as zeros; physically contiguous blocks become one read of the source, straight
// into the caller's memory. A local (in-inode) data fork is copied from the inode.

import { XfsVolume } from "./volume";
import { XfsInode } from "./inode";
import { mapBlock } from "./bmap";
import { RUN_DATA } from "../ext/run";
import { FMT_LOCAL, DIFLAG_REALTIME } from "./layout";

// Read len bytes at offset of the file's data into dst. Ranges past the end are refused.
export function readData(vol: XfsVolume, node: XfsInode, offset: u64, len: u32, dst: usize): string | null {
  const I = "xfs: inode " + node.ino.toString() + ": ";
  if (offset > node.size || <u64>len > node.size - offset) {
    return I + "read of " + len.toString() + " bytes at " + offset.toString() + " is past the end of the file (" + node.size.toString() + " bytes)";
  }
  if (len == 0) return null;
  if ((node.flags & DIFLAG_REALTIME) != 0) return I + "the file's data is on the realtime device, which is not read";
  if (node.format == FMT_LOCAL) {
    // Bytes past what the fork holds read as zeros.
    let n: u64 = 0;
    if (offset < <u64>node.forkSize) n = min(<u64>len, <u64>node.forkSize - offset);
    if (n > 0) memory.copy(dst, node.fork + <usize>offset, <usize>n);
    if (n < <u64>len) memory.fill(dst + <usize>n, 0, <usize>(<u64>len - n));
    return null;
  }
  const logBs = vol.sb.blockLog;
  const bsMask: u64 = (<u64>1 << logBs) - 1;
  const run = vol.run;
  const end = offset + len;
  let pos = offset;
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

function fileError(vol: XfsVolume, node: XfsInode): string {
  return "xfs: inode " + node.ino.toString() + ": " + (vol.error != null ? vol.inner : "read failed");
}
