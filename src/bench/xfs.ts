// Benchmark entry: the XFS reader (src/fs/xfs) reading every file of an image in linear memory,
// for build/bench/xfs-read-all (scripts/bench/fs-read-all.c, run by scripts/bench/xfs-read-all.ts).
// Compiled like the core (src/bench/asconfig.json), then wasm2c and gcc with the PV image's
// flags (Makefile: build/bench/xfs-read-all).

import { MemorySource } from "../disk/source";
import { XfsFs } from "../fs/xfs/xfs";
import { FileType } from "../fs/fs";
import { abortRecord } from "../fuzz/abort";

export function bench_alloc(n: usize): usize {
  return heap.alloc(n);
}

export function bench_abort_record(): usize {
  return abortRecord();
}

const CHUNK: u32 = 1 << 20;

// Mount the image at p (len bytes), then list every directory and read every regular file in
// 1 MiB readRange pieces, as the loader reads a kernel. The result record, five u32s: files,
// bytes (low, high), a sum of each file's first word (a cheap check that data arrived; a CRC of
// everything would cost more than the reading), error (an AssemblyScript string, or 0).
export function bench_read_all(p: usize, len: usize): usize {
  const rec = heap.alloc(20);
  memory.fill(rec, 0, 20);
  const m = XfsFs.mount(new MemorySource(p, <u64>len, "image"));
  if (m.fs == null) {
    store<u32>(rec + 16, <u32>changetype<usize>(m.error!));
    return rec;
  }
  const fs = m.fs!;
  const buf = heap.alloc(CHUNK);
  const stack = new Array<u64>();
  stack.push(fs.rootIno);
  let files: u32 = 0;
  let bytes: u64 = 0;
  let sum: u32 = 0;
  // Each directory is listed once: the tree is a tree (no directory hard links on XFS).
  while (stack.length > 0) {
    const d = fs.list(stack.pop());
    if (d.error != null) {
      store<u32>(rec + 16, <u32>changetype<usize>(d.error!));
      return rec;
    }
    for (let i = 0; i < d.entries.length; i++) {
      const e = d.entries[i];
      if (e.name == "." || e.name == "..") continue;
      if (e.type == FileType.Dir) {
        stack.push(e.ino);
        continue;
      }
      if (e.type != FileType.File) continue;
      const st = fs.stat(e.ino);
      for (let off: u64 = 0; off < st.size; off += CHUNK) {
        const n = <u32>min<u64>(<u64>CHUNK, st.size - off);
        const err = fs.readRange(e.ino, off, n, buf);
        if (err != null) {
          store<u32>(rec + 16, <u32>changetype<usize>(err));
          return rec;
        }
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
