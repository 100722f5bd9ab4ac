// Symlink targets: short ones live in the inode (a local data fork), the rest in blocks
// mapped like file data ("remote"). On v5 each extent of a remote target starts with a
// 56-byte header (xfs_dsymlink_hdr: "XSLM", the target offset and byte count it holds, CRC,
// UUID, owner inode, block number, LSN); v4 blocks hold the bare target. Targets are at most
// 1024 bytes (XFS_SYMLINK_MAXLEN).

import { XfsVolume } from "./volume";
import { XfsInode } from "./inode";
import { readData } from "./file";
import { mapBlock } from "./bmap";
import { RUN_DATA } from "../ext/run";
import { be32, be64, FMT_LOCAL, FMT_EXTENTS, FMT_BTREE, SYMLINK_MAXLEN, SYMLINK_MAGIC, SYMLINK_HDR, SYMLINK_CRC } from "./layout";
import { sumWithHole } from "./superblock";
import { hex } from "../ext/format";

let extentBuf: usize = 0;
let extentBufLen: u32 = 0;

// The target's bytes into vol.linkBuf; their count, or -1 and vol.error.
export function readLinkBytes(vol: XfsVolume, node: XfsInode): i32 {
  const I = "inode " + node.ino.toString();
  if (!node.isSymlink) {
    vol.fail(I + " is not a symlink");
    return -1;
  }
  const size = node.size;
  if (size == 0 || size > <u64>SYMLINK_MAXLEN) {
    vol.fail(I + ": symlink target of " + size.toString() + " bytes (1 to " + SYMLINK_MAXLEN.toString() + ")");
    return -1;
  }
  const n = <u32>size;
  if (node.format == FMT_LOCAL) {
    if (n > node.forkSize) {
      vol.fail(I + ": inline symlink target of " + n.toString() + " bytes does not fit the data fork (" + node.forkSize.toString() + " bytes)");
      return -1;
    }
    memory.copy(vol.linkBuf, node.fork, n);
  } else if (node.format != FMT_EXTENTS && node.format != FMT_BTREE) {
    vol.fail(I + ": symlink data fork format " + node.format.toString());
    return -1;
  } else if (!vol.sb.crc) {
    const err = readData(vol, node, 0, n, vol.linkBuf);
    if (err != null) {
      vol.error = err;
      return -1;
    }
  } else if (!readRemoteV5(vol, node, n)) {
    return -1;
  }
  // A target ends at its first NUL, as the C string it is.
  let len: u32 = 0;
  while (len < n && load<u8>(vol.linkBuf + len) != 0) len++;
  if (len == 0) {
    vol.fail(I + ": empty symlink target");
    return -1;
  }
  return <i32>len;
}

// v5 remote target: extent by extent, each with its header.
function readRemoteV5(vol: XfsVolume, node: XfsInode, n: u32): bool {
  const sb = vol.sb;
  const I = "inode " + node.ino.toString();
  const space = sb.blockSize - SYMLINK_HDR;
  const blocks = <u64>((n + space - 1) / space);
  if (extentBufLen < sb.blockSize * 2) {
    extentBuf = heap.alloc(sb.blockSize * 2);
    extentBufLen = sb.blockSize * 2;
  }
  const run = vol.run;
  let lblk: u64 = 0;
  let done: u32 = 0;
  // Each turn consumes at least one of at most `blocks` (<= 2) blocks.
  while (lblk < blocks && done < n) {
    if (!mapBlock(vol, node, lblk, run)) return false;
    if (run.kind != RUN_DATA) return vol.failed(I + ": remote symlink block " + lblk.toString() + " is not mapped");
    const count = min(run.count, blocks - lblk);
    const bytes = <u32>(count << sb.blockLog);
    const blk = run.pblk;
    if (!vol.readBytes(blk << sb.blockLog, bytes, extentBuf)) return vol.failed(I + ": " + vol.inner);
    const W = I + ": remote symlink block " + blk.toString();
    const magic = be32(extentBuf);
    if (magic != SYMLINK_MAGIC) return vol.failed(W + " has bad magic " + hex(magic, 8) + " (not \"XSLM\")");
    const off = be32(extentBuf + 4);
    const cnt = be32(extentBuf + 8);
    if (off != done || cnt == 0 || cnt > bytes - SYMLINK_HDR || cnt > n - done) {
      return vol.failed(W + " holds " + cnt.toString() + " bytes at " + off.toString() + " (expected at " + done.toString() + ", at most " + min(bytes - SYMLINK_HDR, n - done).toString() + ")");
    }
    const want = load<u32>(extentBuf + SYMLINK_CRC);
    const got = sumWithHole(extentBuf, bytes, SYMLINK_CRC);
    if (want != got) vol.warn(W + " checksum " + hex(want, 8) + " does not match its contents (" + hex(got, 8) + ")");
    const owner = be64(extentBuf + 32);
    if (owner != node.ino) vol.warn(W + " belongs to inode " + owner.toString());
    memory.copy(vol.linkBuf + done, extentBuf + SYMLINK_HDR, cnt);
    done += cnt;
    lblk += count;
  }
  if (done != n) return vol.failed(I + ": remote symlink holds " + done.toString() + " of its " + n.toString() + " bytes");
  return true;
}
