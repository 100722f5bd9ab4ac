// Is the internal log clean? XFS has no "clean" flag: a filesystem was unmounted cleanly when
// the last record written to its log (the one just before the log's head) is an unmount
// record. The log is a ring of 512-byte basic blocks, each stamped with the cycle (pass
// number) it was written in: the first word of a data block, the second of a record header
// (xlog_rec_header, magic 0xFEEDBABE). The head is where the cycle drops, found by bisection
// as xfs_db and the kernel do; the last record header is searched for backwards from there
// (a bounded distance: one record is at most 256 KiB plus headers); its first operation header
// carries XLOG_UNMOUNT_TRANS when it is the unmount record. Anything else means changes that
// only the log holds: the filesystem mounts with a warning, since nothing is replayed here.
// Facts from xfs_log_format.h and the kernel's xfs_log_recover.c (read, not copied).

import { XfsVolume, BAD_BLOCK } from "./volume";
import { be32, LOG_MAGIC, BBSIZE, LOG_H_VERSION, LOG_H_NUM_LOGOPS, LOG_H_SIZE, LOG_OP_FLAGS, LOG_UNMOUNT_TRANS } from "./layout";

// Basic blocks searched backwards from the head for the last record header.
const MAX_BACK: u64 = 2048;

// null when the log is clean, else the warning to give.
export function checkLog(vol: XfsVolume): string | null {
  const sb = vol.sb;
  if (sb.logStart == 0) return "the log is on an external device, which is not read: recent changes may be missing if it needs recovery";
  const lin = vol.linearRange(sb.logStart, sb.logBlocks);
  if (lin == BAD_BLOCK || sb.logBlocks == 0) {
    return "the log (fsblock " + sb.logStart.toString() + ", " + sb.logBlocks.toString() + " blocks) is outside the filesystem: its state is unknown";
  }
  const base = lin << sb.blockLog;
  const bbs = <u64>sb.logBlocks << (sb.blockLog - 9);
  const buf = heap.alloc(BBSIZE);
  const c0 = cycleAt(vol, base, buf, 0);
  const cl = cycleAt(vol, base, buf, bbs - 1);
  if (c0 < 0 || cl < 0) return "the log could not be read (" + vol.inner + "): its state is unknown";
  if (c0 == 0) return null; // never written since it was zeroed: nothing to replay
  // The head: the first block whose cycle differs from block 0's (or the log's end).
  let head: u64 = 0;
  if (c0 != cl) {
    let lo: u64 = 0;
    let hi: u64 = bbs - 1;
    while (hi - lo > 1) {
      const mid = lo + (hi - lo) / 2;
      const c = cycleAt(vol, base, buf, mid);
      if (c < 0) return "the log could not be read (" + vol.inner + "): its state is unknown";
      if (c == c0) lo = mid;
      else hi = mid;
    }
    head = hi;
  }
  // The last record header before the head.
  const limit = min(MAX_BACK, bbs);
  for (let back: u64 = 1; back <= limit; back++) {
    const bb = (head + bbs - back) % bbs;
    if (!vol.readBytes(base + bb * BBSIZE, BBSIZE, buf)) return "the log could not be read (" + vol.inner + "): its state is unknown";
    if (be32(buf) != LOG_MAGIC) continue;
    const version = be32(buf + LOG_H_VERSION);
    const hsize = be32(buf + LOG_H_SIZE);
    const ops = be32(buf + LOG_H_NUM_LOGOPS);
    let hdrBBs: u64 = 1;
    if ((version & 2) != 0 && hsize > 32768) hdrBBs = (<u64>hsize + 32767) / 32768;
    const data = (bb + hdrBBs) % bbs;
    if (!vol.readBytes(base + data * BBSIZE, BBSIZE, buf)) return "the log could not be read (" + vol.inner + "): its state is unknown";
    const flags = <u32>load<u8>(buf + LOG_OP_FLAGS);
    if (ops == 1 && (flags & LOG_UNMOUNT_TRANS) != 0) return null;
    return "the log needs recovery (the filesystem was not cleanly unmounted): it is not replayed here, so the latest changes may be missing";
  }
  return "no log record found before the log's head (block " + head.toString() + "): the log's state is unknown";
}

// The cycle stamped on basic block bb of the log at byte base, or -1 (vol.error).
function cycleAt(vol: XfsVolume, base: u64, buf: usize, bb: u64): i64 {
  if (!vol.readBytes(base + bb * BBSIZE, BBSIZE, buf)) return -1;
  const w = be32(buf);
  return <i64>(w == LOG_MAGIC ? be32(buf + 4) : w);
}
