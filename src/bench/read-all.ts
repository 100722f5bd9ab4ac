// The walk of the fs-read-all benchmarks (src/bench/ext.ts, xfs.ts, btrfs.ts): every
// directory listed, every regular file read in 1 MiB readRange pieces, as the loader reads a
// kernel, through the FileSystem interface only.

import { FileSystem, FileType } from "../fs/fs";
import { abortRecord } from "../fuzz/abort";

const CHUNK: u32 = 1 << 20;

// The result record, five u32s: files, bytes (low, high), a sum of each file's first word (a
// cheap check that data arrived; a CRC of everything would cost more than the reading), error
// (an AssemblyScript string, or 0).
// The two exports every read-all program has besides bench_read_all (each entry re-exports
// them): memory for the image, and where an abort's message is.
export function bench_alloc(n: usize): usize {
  return heap.alloc(n);
}

export function bench_abort_record(): usize {
  return abortRecord();
}

export function newRecord(): usize {
  const rec = heap.alloc(20);
  memory.fill(rec, 0, 20);
  return rec;
}

export function failRecord(rec: usize, error: string): usize {
  store<u32>(rec + 16, <u32>changetype<usize>(error));
  return rec;
}

// Walk fs from its root directory into rec. Each directory is listed once: the tree is a tree
// (neither XFS nor btrfs has directory hard links; a btrfs subvolume is entered once, where
// it is attached).
export function readAll(fs: FileSystem, rec: usize): usize {
  const root = fs.lookup("/");
  if (root.error != null) return failRecord(rec, root.error!);
  const buf = heap.alloc(CHUNK);
  const stack = new Array<u64>();
  stack.push(root.ino);
  let files: u32 = 0;
  let bytes: u64 = 0;
  let sum: u32 = 0;
  while (stack.length > 0) {
    const d = fs.list(stack.pop());
    if (d.error != null) return failRecord(rec, d.error!);
    for (let i = 0; i < d.entries.length; i++) {
      const e = d.entries[i];
      if (e.name == "." || e.name == "..") continue;
      if (e.type == FileType.Dir) {
        stack.push(e.ino);
        continue;
      }
      if (e.type != FileType.File) continue;
      const st = fs.stat(e.ino);
      if (st.error != null) return failRecord(rec, st.error!);
      for (let off: u64 = 0; off < st.size; off += CHUNK) {
        const n = <u32>min<u64>(<u64>CHUNK, st.size - off);
        const err = fs.readRange(e.ino, off, n, buf);
        if (err != null) return failRecord(rec, err);
        if (off == 0 && n >= 4) sum += load<u32>(buf);
      }
      files++;
      bytes += st.size;
    }
  }
  store<u32>(rec, files);
  store<u64>(rec + 4, bytes);
  store<u32>(rec + 12, sum);
  return rec;
}
