// Legacy .lzma (src/loader/decompress/lzma.ts over lzma_dec.ts) through the decompressor
// test module: what `xz --format=lzma` and `lzma -9` (the kernel's CONFIG_KERNEL_LZMA)
// produce, with the end marker (size unknown) and with the size in the header, read back
// byte for byte; the kernel's 4-byte size after the stream; damaged and truncated input is
// an error or (the format has no checksum) at least never a trap, a hang or too much output.

import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildDecompressWasm, decompress } from "./wasm";
import { KiB, MiB, codeLike, concat, randomBytes, rng, same, textBytes, tool, zeroRuns } from "./gen";

beforeAll(() => {
  buildDecompressWasm();
});

beforeEach(async () => {
  await new Promise((r) => setTimeout(r, 0));
});

function fails(data: Uint8Array, limit?: number): string {
  try {
    decompress("lzma", data, limit);
  } catch (e) {
    const m = (e as Error).message;
    expect(m).not.toMatch(/trapped/);
    expect(m).toMatch(/^lzma: byte \d+: /);
    return m;
  }
  throw new Error("no error");
}

// Either an error message (not a trap) or some output no longer than the limit.
function noTrap(data: Uint8Array, limit: number): void {
  try {
    expect(decompress("lzma", data, limit).length).toBeLessThanOrEqual(limit);
  } catch (e) {
    expect((e as Error).message).not.toMatch(/trapped/);
    expect((e as Error).message).toMatch(/^lzma: byte \d+: /);
  }
}

function lzma(args: string[], data: Uint8Array): Uint8Array {
  return tool("xz", ["--format=lzma", "-c", ...args], data);
}

// The same stream with the uncompressed size written into the header.
function withSize(c: Uint8Array, n: number): Uint8Array {
  const b = c.slice();
  const v = new DataView(b.buffer);
  v.setUint32(5, n % 2 ** 32, true);
  v.setUint32(9, Math.floor(n / 2 ** 32), true);
  return b;
}

const KINDS: [string, (n: number) => Uint8Array][] = [
  ["random", (n) => randomBytes(n, n + 1)],
  ["text", (n) => textBytes(n, n + 2)],
  ["zeros", (n) => zeroRuns(n, n + 3)],
  ["code", (n) => codeLike(n, n + 4)],
];

describe("lzma: what xz --format=lzma produces reads back", () => {
  for (const [kind, make] of KINDS) {
    for (const size of [0, 1, 100, 64 * KiB + 1]) {
      it(`${kind} ${size} bytes: -0, -6, -6e, end marker and known size`, () => {
        const data = make(size);
        for (const args of [["-0"], ["-6"], ["-6e"]]) {
          const c = lzma(args, data);
          expect(same(decompress("lzma", c), data), args.join(" ")).toBe(true);
          expect(same(decompress("lzma", withSize(c, size)), data), args.join(" ") + " known size").toBe(true);
        }
      });
    }
    it(`${kind} several MiB: -0`, () => {
      const data = make((kind == "random" ? 2 : 4) * MiB + 3);
      const c = lzma(["-0"], data);
      expect(same(decompress("lzma", c), data)).toBe(true);
      expect(same(decompress("lzma", withSize(c, data.length)), data)).toBe(true);
    }, 60_000);
  }

  it("lzma -9 as the kernel build runs it (piped: end marker), with the 4-byte size after it", () => {
    const data = concat(codeLike(300000, 81), textBytes(300000, 82), zeroRuns(200000, 83));
    const c = tool("lzma", ["-9", "-c"], data);
    const size = new Uint8Array(4);
    new DataView(size.buffer).setUint32(0, data.length, true);
    expect(same(decompress("lzma", concat(c, size)), data)).toBe(true);
  }, 60_000);

  it("lc/lp/pb variants and a small dictionary", () => {
    const data = concat(textBytes(150000, 91), codeLike(150000, 92));
    for (const f of ["lc=4,lp=0,pb=0", "lc=0,lp=4,pb=4", "lc=2,lp=2,pb=1", "lc=3,lp=0,pb=2,dict=4KiB"]) {
      expect(same(decompress("lzma", lzma([`--lzma1=${f}`], data)), data), f).toBe(true);
    }
  });

  it("lc + lp above xz's limit of 4 (legacy .lzma allows lc 8, lp 4): a literal-only encoder", () => {
    const data = concat(textBytes(20000, 94), randomBytes(3000, 95));
    for (const [lc, lp, pb] of [[8, 4, 4], [5, 0, 2], [3, 3, 0], [0, 0, 0]]) {
      const c = literalOnly(data, lc, lp, pb);
      expect(same(decompress("lzma", c), data), `lc=${lc} lp=${lp} pb=${pb}`).toBe(true);
      // Where xz can read it too, it agrees (the encoder is right, not just symmetric).
      if (lc + lp <= 4) expect(same(tool("xz", ["--format=lzma", "-dc"], c), data)).toBe(true);
    }
  });

  it("a known size stops there; an end marker before it is an error", () => {
    const data = textBytes(50000, 93);
    const c = lzma([], data);
    expect(same(decompress("lzma", withSize(c, 1000)), data.subarray(0, 1000))).toBe(true);
    expect(fails(withSize(c, 50001))).toMatch(/end marker after 50000 bytes, but the header says 50001/);
    expect(fails(withSize(c, 2 ** 40))).toMatch(/exceeds the limit/);
  });
});

describe("lzma: damaged input is an error, never a trap or a hang", () => {
  const data = concat(codeLike(60000, 101), textBytes(60000, 102), zeroRuns(30000));
  const c = lzma(["-6"], data);

  it("truncated at 300 points (end marker and known size)", () => {
    const r = rng(11);
    const points = [0, 1, 5, 12, 13, 14, 17, 18, c.length - 1, c.length - 2, c.length - 5];
    for (let i = 0; i < 290; i++) points.push(r() % c.length);
    const known = withSize(c, data.length);
    for (const p of points) {
      expect(fails(c.subarray(0, p))).toMatch(p < 13 ? /header truncated/ : p < 18 ? /range coder start truncated/ : /truncated/);
      // With the size known, the end marker and the range coder's last bytes are not needed:
      // cut there, the output is still complete.
      try {
        expect(same(decompress("lzma", known.subarray(0, p)), data)).toBe(true);
      } catch (e) {
        expect((e as Error).message).toMatch(/^lzma: byte \d+: .*truncated/);
      }
    }
  });

  it("bad properties byte, range coder start", () => {
    const b = c.slice();
    b[0] = 225;
    expect(fails(b)).toMatch(/properties byte 0xe1/);
    const z = c.slice();
    z[13] = 1;
    expect(fails(z)).toMatch(/first byte is not zero/);
  });

  it("500 random byte changes: no trap, no hang, never past the limit (the format has no checksum)", () => {
    const r = rng(12);
    let errors = 0;
    for (let i = 0; i < 500; i++) {
      const b = c.slice();
      const n = 1 + (r() % 3);
      for (let k = 14; k < 14 + n; k++) b[13 + (r() % (b.length - 13))] ^= 1 + (r() % 255);
      try {
        decompress("lzma", b, 4 * MiB);
      } catch (e) {
        expect((e as Error).message).not.toMatch(/trapped/);
        errors++;
      }
    }
    expect(errors).toBeGreaterThan(400);
    for (let i = 0; i < 200; i++) {
      const b = c.slice();
      b[13 + (r() % (b.length - 13))] ^= 1 + (r() % 255);
      noTrap(b, data.length);
    }
  });

  it("random garbage after a valid header", () => {
    const r = rng(13);
    for (let i = 0; i < 200; i++) {
      const junk = randomBytes(1 + (r() % 3000), 3000 + i);
      junk[0] = 0;
      noTrap(concat(c.subarray(0, 13), junk), 1 << 20);
      noTrap(withSize(concat(c.subarray(0, 13), junk), 100000), 1 << 20);
    }
  });

  it("never more output than the limit", () => {
    expect(fails(c, data.length - 1)).toMatch(/limit of \d+ bytes/);
    expect(fails(c, 1000)).toMatch(/limit of 1000 bytes/);
    expect(fails(c, 0)).toMatch(/limit/);
    expect(same(decompress("lzma", c, data.length), data)).toBe(true);
    expect(fails(withSize(c, data.length), data.length - 1)).toMatch(/limit/);
    const bomb = lzma(["-9", "--lzma1=preset=9,dict=1MiB"], new Uint8Array(16 * MiB));
    expect(fails(bomb, 3 * MiB)).toMatch(/limit of 3145728 bytes/);
  });
});

// A minimal LZMA encoder for tests: every byte a literal (so the state stays 0 and no
// matched literals occur), the size in the header, no end marker. Range encoder as the
// format defines it: 11-bit probabilities, shift 5, carry propagated through a cached byte.
function literalOnly(data: Uint8Array, lc: number, lp: number, pb: number): Uint8Array {
  const out: number[] = [];
  let low = 0; // up to 2^32 + carry, as a float-free-enough JS number
  let range = 0xffffffff;
  let cache = 0;
  let cacheSize = 1;
  const shiftLow = () => {
    if (low < 0xff000000 || low >= 0x100000000) {
      const carry = low >= 0x100000000 ? 1 : 0;
      let b = cache;
      do {
        out.push((b + carry) & 0xff);
        b = 0xff;
      } while (--cacheSize != 0);
      cache = Math.floor(low / 0x1000000) & 0xff;
    }
    cacheSize++;
    low = (low % 0x1000000) * 256;
  };
  const probs = new Uint16Array(1846 + (0x300 << (lc + lp))).fill(1024);
  const bit = (i: number, b: number) => {
    const p = probs[i];
    const bound = (range >>> 11) * p;
    if (b == 0) {
      range = bound;
      probs[i] = p + ((2048 - p) >> 5);
    } else {
      low += bound;
      range -= bound;
      probs[i] = p - (p >> 5);
    }
    while (range < 0x1000000) {
      range = (range * 256) >>> 0;
      shiftLow();
    }
  };
  for (let pos = 0; pos < data.length; pos++) {
    bit((0 << 4) + (pos & ((1 << pb) - 1)), 0); // is_match[state 0][pos_state]: literal
    const prev = pos > 0 ? data[pos - 1] : 0;
    const base = 1846 + 0x300 * (((pos & ((1 << lp) - 1)) << lc) + (prev >> (8 - lc)));
    let sym = 1;
    for (let k = 7; k >= 0; k--) {
      const b = (data[pos] >> k) & 1;
      bit(base + sym, b);
      sym = (sym << 1) | b;
    }
  }
  for (let i = 0; i < 5; i++) shiftLow();
  const hdr = new Uint8Array(13);
  const v = new DataView(hdr.buffer);
  hdr[0] = (pb * 5 + lp) * 9 + lc;
  v.setUint32(1, 1 << 16, true);
  v.setUint32(5, data.length, true);
  return concat(hdr, new Uint8Array(out));
}
