// Reading 256 MiB from the emulated disk through the core's blkfront (pvboot.debug=blkread:
// 4 MiB reads, checksummed in the core) against reading the same bytes from the image file
// with plain Node I/O and the same checksum, in one run. Also how many requests and segments
// it took, against the one-4-KiB-segment-per-request peer (pvgrub2's driver).

import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync, writeSync } from "node:fs";
import { randomFillSync } from "node:crypto";
import { fileURLToPath } from "node:url";
import { runLoader } from "../../test/harness/run.ts";

// PVBOOT_BENCH_MB makes it smaller (the test that keeps this script working uses 8).
const SIZE = Number(process.env.PVBOOT_BENCH_MB ?? 256) * 1024 * 1024;
const CHUNK = 4 * 1024 * 1024;
const dir = fileURLToPath(new URL("../../build/bench/", import.meta.url));
const image = dir + `blkfront-${SIZE >> 20}M.img`;

function makeImage(): void {
  if (existsSync(image) && statSync(image).size === SIZE) return;
  mkdirSync(dir, { recursive: true });
  const fd = openSync(image, "w");
  const buf = Buffer.alloc(CHUNK);
  for (let off = 0; off < SIZE; off += CHUNK) writeSync(fd, randomFillSync(buf), 0, CHUNK, off);
  closeSync(fd);
}

function checksum(words: Uint32Array, h: number): number {
  for (let i = 0; i < words.length; i++) h = (((h << 5) | (h >>> 27)) ^ words[i]) >>> 0;
  return h;
}

function rawRead(): { seconds: number; sum: number } {
  const t0 = process.hrtime.bigint();
  const fd = openSync(image, "r");
  const buf = Buffer.alloc(CHUNK);
  let h = 0;
  for (let off = 0; off < SIZE; off += CHUNK) {
    readSync(fd, buf, 0, CHUNK, off);
    h = checksum(new Uint32Array(buf.buffer, buf.byteOffset, CHUNK / 4), h);
  }
  closeSync(fd);
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, sum: h };
}

function pvbootRead(): { seconds: number; sum: number; requests: number; segments: number } {
  let start = 0n, end = 0n, line = "";
  let text = "";
  const r = runLoader({
    memoryMB: 512, disks: [image], cmdline: "pvboot.debug=blkread",
    onOutput: (b) => {
      text += Buffer.from(b).toString("latin1");
      if (!start && text.includes("pvboot: hd0: vbd")) start = process.hrtime.bigint();
      const m = text.match(/pvboot: blkread: hd0 [^\r\n]*\r\n/);
      if (m && !end) { end = process.hrtime.bigint(); line = m[0]; }
    },
  });
  const m = line.match(/(\d+) requests, (\d+) segments, checksum 0x([0-9a-f]+)/);
  if (r.shutdown !== "poweroff" || !m) throw new Error(`blkread failed:\n${r.console}`);
  return { seconds: Number(end - start) / 1e9, sum: parseInt(m[3], 16), requests: Number(m[1]), segments: Number(m[2]) };
}

makeImage();
const raw = rawRead();
const pv = pvbootRead();
if (pv.sum !== raw.sum) throw new Error(`checksums differ: pvboot ${pv.sum.toString(16)} raw ${raw.sum.toString(16)}`);
const mb = SIZE / (1024 * 1024);
const pvRate = mb / pv.seconds, rawRate = mb / raw.seconds;
console.log(`blkfront-read MB/s ${pvRate.toFixed(1)} raw MB/s ${rawRate.toFixed(1)} ratio ${(pvRate / rawRate).toFixed(3)}`);
const onePerSegment = SIZE / 4096;
console.log(`blkfront-requests pvboot ${pv.requests} segments ${pv.segments} one-segment-peer ${onePerSegment} ratio ${(pv.requests / onePerSegment).toFixed(4)}`);
