// Inputs for the zstd/lz4/bzip2/lzo tests: reproducible random, text-like, zero-run,
// short-period and mixed data; the real tools run on them; and the damage checks every format
// shares (truncation, byte flips, a small limit: an error message, never a trap).

import { execFileSync } from "node:child_process";
import { expect } from "vitest";
import { decompress, type Format } from "./wasm";

export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s;
  };
}

export function randomBytes(n: number, seed = 1): Uint8Array {
  const r = rng(seed);
  const a = new Uint8Array(n);
  for (let i = 0; i < n; i++) a[i] = r() & 0xff;
  return a;
}

const WORDS = ("the of and to in is was for that with as on by at from kernel module initrd boot xen " +
  "domain page table memory device block console event channel grant store driver config linux " +
  "vmlinuz compress decompress stream frame header offset length checksum").split(" ");

export function textLike(n: number, seed = 2): Uint8Array {
  const r = rng(seed);
  const parts: string[] = [];
  let len = 0;
  while (len < n) {
    const w = WORDS[r() % WORDS.length] + (r() % 13 == 0 ? ".\n" : r() % 7 == 0 ? ", " : " ");
    const s = r() % 97 == 0 ? `${w}${r() % 100000} ` : w;
    parts.push(s);
    len += s.length;
  }
  return new TextEncoder().encode(parts.join("")).slice(0, n);
}

export function zeroRuns(n: number, seed = 3): Uint8Array {
  const r = rng(seed);
  const a = new Uint8Array(n);
  let i = 0;
  while (i < n) {
    i += r() % 5000;
    const k = Math.min(n, i + (r() % 40));
    for (; i < k; i++) a[i] = r() & 0xff;
  }
  return a;
}

// Runs that repeat with every short period (1..40 bytes, 1..700 bytes long), between random
// bytes: matches at every small offset, of every length around the decoders' 8- and 16-byte
// word copies.
export function periods(n: number, seed = 5): Uint8Array {
  const r = rng(seed);
  const a = new Uint8Array(n);
  let i = 0;
  while (i < n) {
    const p = 1 + (r() % 40);
    for (let k = 0; k < p && i < n; k++) a[i++] = r() & 0xff;
    const end = Math.min(n, i + 1 + (r() % 700));
    for (; i < end; i++) a[i] = a[i - p];
    for (let k = r() % 8; k > 0 && i < n; k--) a[i++] = r() & 0xff;
  }
  return a;
}

// Several MiB: text, random, zeros, repeated structures, in chunks.
export function mixed(n: number, seed = 4): Uint8Array {
  const r = rng(seed);
  const a = new Uint8Array(n);
  let i = 0;
  while (i < n) {
    const k = Math.min(n - i, 1000 + (r() % 200000));
    const kind = r() % 4;
    const chunk = kind == 0 ? textLike(k, r()) : kind == 1 ? randomBytes(k, r()) : kind == 2 ? zeroRuns(k, r()) : a.slice(Math.max(0, i - 300000), Math.max(0, i - 300000) + k);
    a.set(chunk.slice(0, k), i);
    i += k;
  }
  return a;
}

export const SAMPLES: [string, Uint8Array][] = [
  ["empty", new Uint8Array(0)],
  ["one byte", new Uint8Array([0x41])],
  ["64 KiB random", randomBytes(65536)],
  ["64 KiB text", textLike(65536)],
  ["64 KiB zero runs", zeroRuns(65536)],
  ["300 KiB zeros", new Uint8Array(300 * 1024)],
  ["64 KiB short periods", periods(65536)],
  ["4 MiB mixed", mixed(4 << 20)],
];

export function tool(cmd: string, args: string[], input: Uint8Array): Uint8Array {
  return new Uint8Array(execFileSync(cmd, args, { input, maxBuffer: 1 << 30, stdio: ["pipe", "pipe", "pipe"] }));
}

export function same(a: Uint8Array, b: Uint8Array): void {
  expect(a.length).toBe(b.length);
  // a byte-by-byte compare that reports the first difference without printing megabytes
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] == b[i]) i++;
  expect(i).toBe(n);
}

// The decompressor's error, which must name the format and must not be a trap.
export function failure(format: Format, data: Uint8Array, limit?: number): string | null {
  try {
    decompress(format, data, limit);
    return null;
  } catch (e) {
    const m = (e as Error).message;
    expect(m).not.toMatch(/trapped/);
    expect(m).toMatch(new RegExp(`^${format}: `));
    return m;
  }
}

// Truncation at `points` places (and every one of the first and last bytes): always an error.
// `whole`: cut points where the data is complete (a legacy lz4 frame has no end mark).
export function truncations(format: Format, data: Uint8Array, points = 60, whole: number[] = []): number {
  const cuts = new Set<number>();
  for (let i = 0; i < Math.min(24, data.length); i++) { cuts.add(i); cuts.add(data.length - 1 - i); }
  const r = rng(data.length);
  for (let i = 0; i < points; i++) cuts.add(r() % Math.max(1, data.length));
  let n = 0;
  for (const c of cuts) {
    if (c < 0 || c >= data.length || whole.includes(c)) continue;
    expect(failure(format, data.subarray(0, c)), `cut at ${c}`).not.toBeNull();
    n++;
  }
  return n;
}

// Byte flips: whatever happens must be an error message or output within the limit; when
// `mustFail` the flip has to be noticed (checksummed data).
export function flips(format: Format, data: Uint8Array, count: number, seed: number, mustFail: boolean, limit = 64 << 20): number {
  const r = rng(seed);
  let errors = 0;
  for (let i = 0; i < count; i++) {
    const bad = data.slice();
    const at = r() % data.length;
    bad[at] ^= 1 << (r() % 8) || 1;
    let err: string | null = null;
    try {
      const out = decompress(format, bad, limit);
      expect(out.length).toBeLessThanOrEqual(limit);
    } catch (e) {
      err = (e as Error).message;
      expect(err, `flip at ${at}`).not.toMatch(/trapped/);
      expect(err).toMatch(new RegExp(`^${format}: `));
    }
    if (mustFail) expect(err, `flip at ${at}`).not.toBeNull();
    if (err != null) errors++;
  }
  return errors;
}

// Heavier damage: 1..4 changes of several kinds (a random byte, a flipped bit, 8 random
// bytes, a cut, a doubled stretch), with the limit sometimes small. Never a trap, never more
// output than the limit. The number of errors.
export function damage(format: Format, data: Uint8Array, count: number, seed: number): number {
  const r = rng(seed);
  let errors = 0;
  for (let i = 0; i < count; i++) {
    let bad = data.slice();
    const k = 1 + (r() % 4);
    for (let j = 0; j < k; j++) {
      const at = r() % bad.length;
      const kind = r() % 5;
      if (kind == 0) bad[at] = r() & 0xff;
      else if (kind == 1) bad[at] ^= 1 << (r() % 8);
      else if (kind == 2) for (let q = 0; q < 8 && at + q < bad.length; q++) bad[at + q] = r() & 0xff;
      else if (kind == 3) bad = bad.slice(0, Math.max(1, at));
      else {
        const n = r() % 64;
        const b = new Uint8Array(bad.length + n);
        b.set(bad.subarray(0, at + n > bad.length ? at : at + n));
        b.set(bad.subarray(at), at + n > bad.length ? at : at + n);
        bad = b;
      }
    }
    const limit = r() % 3 == 0 ? r() % 100000 : 64 << 20;
    try {
      const out = decompress(format, bad, limit);
      expect(out.length).toBeLessThanOrEqual(limit);
    } catch (e) {
      const m = (e as Error).message;
      expect(m, `case ${i}`).not.toMatch(/trapped/);
      expect(m).toMatch(new RegExp(`^${format}: `));
      errors++;
    }
  }
  return errors;
}
