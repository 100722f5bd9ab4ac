// Inputs for the decompressor tests (gzip, xz, lzma): deterministic data of several kinds,
// compressed by the real tools, and helpers for damaging what they produce.

import { execFileSync } from "node:child_process";

// A small seeded generator (xorshift32): the same inputs on every run.
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

export function randomBytes(n: number, seed = 1): Uint8Array {
  const r = rng(seed);
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = r() & 0xff;
  return b;
}

const WORDS = ("the of and to in is that for it as was with be by on not he this are or his from at which but have " +
  "an they you were her she there been one all we their has would when if so no what can more out up them some could " +
  "kernel module memory page buffer device driver interrupt boot loader xen domain grant event channel block console " +
  "struct static inline return unsigned long const void int char if else while for switch case break default").split(" ");

// Text-like: words, punctuation, newlines, numbers (compresses roughly like source or logs).
export function textBytes(n: number, seed = 2): Uint8Array {
  const r = rng(seed);
  const parts: string[] = [];
  let len = 0;
  while (len < n) {
    const x = r();
    let w = WORDS[x % WORDS.length];
    if ((x >>> 8) % 17 == 0) w = String((x >>> 12) % 100000);
    const sep = (x >>> 20) % 13 == 0 ? ".\n" : (x >>> 20) % 7 == 0 ? ", " : " ";
    parts.push(w + sep);
    len += w.length + sep.length;
  }
  return new Uint8Array(Buffer.from(parts.join("")).subarray(0, n));
}

// Long zero runs with a few scattered bytes (like a kernel's .bss-ish image padding).
export function zeroRuns(n: number, seed = 3): Uint8Array {
  const r = rng(seed);
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i += 1 + (r() % 5000)) b[i] = r() & 0xff;
  return b;
}

// Machine-code-like: random x86-ish bytes with many E8/E9 (call/jmp rel32) instructions whose
// targets cluster, so the BCJ filter has something to do.
export function codeLike(n: number, seed = 4): Uint8Array {
  const r = rng(seed);
  const b = new Uint8Array(n);
  let i = 0;
  const ops = [0x48, 0x89, 0x8b, 0x85, 0xc0, 0x74, 0x75, 0x0f, 0x1f, 0x44, 0x00, 0x83, 0xec, 0xc3, 0x55, 0x5d];
  while (i < n) {
    const x = r();
    if (x % 6 == 0 && i + 5 <= n) {
      b[i] = x & 0x100 ? 0xe8 : 0xe9;
      const target = ((x >>> 10) % 4096) * 16;
      const rel = (target - (i + 5)) | 0;
      b[i + 1] = rel & 0xff;
      b[i + 2] = (rel >>> 8) & 0xff;
      b[i + 3] = (rel >>> 16) & 0xff;
      b[i + 4] = (rel >>> 24) & 0xff;
      i += 5;
    } else {
      b[i++] = ops[(x >>> 4) % ops.length];
    }
  }
  return b;
}

export function tool(cmd: string, args: string[], input: Uint8Array): Uint8Array {
  return new Uint8Array(execFileSync(cmd, args, { input, maxBuffer: 1 << 30 }));
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export const KiB = 1024;
export const MiB = 1024 * 1024;

// Same bytes? (expect(...).toEqual on multi-MiB arrays is slow and its diffs useless.)
export function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length == b.length && Buffer.compare(a, b) == 0;
}
