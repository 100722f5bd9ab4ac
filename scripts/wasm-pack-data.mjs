// Packs the data segments of build/pvboot.wasm for the image (the Makefile runs it after asc).
//
//   node scripts/wasm-pack-data.mjs IN.wasm OUT.wasm
//
// asc writes one active segment per static object: 2,700 of them, and 437 KiB of their 500 KiB
// are zeros (static buffers, zero-initialised tables). wasm2c turns each segment into a C array
// and a bounds-checked copy in its instantiation code, so the image carried every zero twice
// over and ~100 KiB of copies. The linear memory starts zero-filled on every platform
// (docs/contract.md: the shim and the harness grow it zeroed), so a zero byte needs no segment:
// this lays all segments out as the memory would see them, keeps the runs of non-zero bytes,
// joins runs closer than GAP bytes (one segment costs more code than a short run of zeros) and
// writes them as a few active segments, DataCount updated. Everything else is copied as is.
// It refuses a module whose code uses memory.init or data.drop (segment indices would change)
// or a segment that is not active at a constant offset of memory 0.

import { readFileSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";

const GAP = 64;

function uleb(buf, at) {
  let value = 0, shift = 0, b;
  do {
    b = buf[at++];
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
  } while (b & 0x80);
  return [value, at];
}

function sleb32(buf, at) {
  let value = 0, shift = 0, b;
  do {
    b = buf[at++];
    value |= (b & 0x7f) << shift;
    shift += 7;
  } while (b & 0x80);
  if (shift < 32 && (b & 0x40)) value |= -1 << shift;
  return [value, at];
}

function encUleb(n) {
  const out = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

function encSleb32(n) {
  const out = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && (b & 0x40))) { out.push(b); return out; }
    out.push(b | 0x80);
  }
}

export function packData(wasm) {
  if (wasm.readUInt32LE(0) !== 0x6d736100 || wasm.readUInt32LE(4) !== 1) throw new Error("not a wasm module (version 1)");
  const sections = [];
  let at = 8;
  while (at < wasm.length) {
    const id = wasm[at];
    const [size, body] = uleb(wasm, at + 1);
    sections.push({ id, start: at, body, end: body + size });
    at = body + size;
  }
  const data = sections.find((s) => s.id === 11);
  if (!data) return { wasm, before: 0, after: 0, bytes: 0, total: 0 };

  // The memory as the segments leave it.
  let [count, p] = uleb(wasm, data.body);
  const segs = [];
  let top = 0;
  for (let i = 0; i < count; i++) {
    let flags;
    [flags, p] = uleb(wasm, p);
    if (flags !== 0) throw new Error(`data segment ${i}: not active in memory 0 (flags ${flags})`);
    if (wasm[p] !== 0x41) throw new Error(`data segment ${i}: offset is not an i32.const`);
    let offset;
    [offset, p] = sleb32(wasm, p + 1);
    if (wasm[p] !== 0x0b) throw new Error(`data segment ${i}: offset expression longer than one constant`);
    let len;
    [len, p] = uleb(wasm, p + 1);
    if (offset < 0) throw new Error(`data segment ${i}: negative offset`);
    segs.push({ offset, bytes: wasm.subarray(p, p + len) });
    top = Math.max(top, offset + len);
    p += len;
  }
  const image = Buffer.alloc(top);
  const written = new Uint8Array(top);
  for (const s of segs) {
    for (let k = 0; k < s.bytes.length; k++) if (written[s.offset + k]) throw new Error(`data segments overlap at ${s.offset + k}`);
    written.fill(1, s.offset, s.offset + s.bytes.length);
    s.bytes.copy(image, s.offset);
  }

  // Runs of non-zero bytes, joined across gaps shorter than GAP.
  const runs = [];
  let i = 0;
  while (i < top) {
    while (i < top && image[i] === 0) i++;
    if (i >= top) break;
    let j = i;
    let lastNonZero = i;
    while (j < top && j - lastNonZero <= GAP) {
      if (image[j] !== 0) lastNonZero = j;
      j++;
    }
    runs.push([i, lastNonZero + 1]);
    i = lastNonZero + 1;
  }

  const out = [...encUleb(runs.length)];
  let bytes = 0;
  for (const [a, b] of runs) {
    out.push(0, 0x41, ...encSleb32(a), 0x0b, ...encUleb(b - a));
    for (let k = a; k < b; k++) out.push(image[k]);
    bytes += b - a;
  }
  const newData = Buffer.from([11, ...encUleb(out.length), ...out]);
  const parts = [wasm.subarray(0, 8)];
  for (const s of sections) {
    if (s.id === 11) parts.push(newData);
    else if (s.id === 12) parts.push(Buffer.from([12, ...encUleb(encUleb(runs.length).length), ...encUleb(runs.length)]));
    else parts.push(wasm.subarray(s.start, s.end));
  }
  return { wasm: Buffer.concat(parts), before: segs.length, after: runs.length, bytes, total: segs.reduce((a, s) => a + s.bytes.length, 0) };
}

const [, , input, output] = process.argv;
if (input && output) {
  // Segment indices change: no instruction may name one (wabt's disassembler decides).
  const dis = execFileSync("wasm-objdump", ["-d", input], { encoding: "utf8", maxBuffer: 1 << 28 });
  if (/\b(memory\.init|data\.drop)\b/.test(dis)) {
    console.error(`${input}: the code uses memory.init or data.drop; its segments cannot be packed`);
    process.exit(1);
  }
  const r = packData(readFileSync(input));
  writeFileSync(output, r.wasm);
  console.log(`${output}: ${r.before} data segments (${r.total} bytes) packed into ${r.after} (${r.bytes} bytes)`);
}
