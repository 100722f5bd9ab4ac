// xz (src/loader/decompress/xz.ts, lzma_dec.ts, bcj_x86.ts) through the decompressor test
// module: what xz really produces (presets, --extreme, the x86 filter, several blocks, every
// check type, LZMA2 lc/lp/pb variants, concatenated streams and padding, Debian 12's
// kernel payload) read back byte for byte; unsupported filters named; damaged
// and truncated input is an error (never a trap), and output never passes the limit.

import { debianKernel } from "../../scripts/kernels/fetch";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { buildDecompressWasm, decompress } from "./wasm";
import { KiB, MiB, codeLike, concat, randomBytes, rng, same, textBytes, tool, zeroRuns } from "./gen";

beforeAll(() => {
  buildDecompressWasm();
});

// Long synchronous runs: let the worker answer vitest between tests.
beforeEach(async () => {
  await new Promise((r) => setTimeout(r, 0));
});

function fails(data: Uint8Array, limit?: number): string {
  try {
    decompress("xz", data, limit);
  } catch (e) {
    const m = (e as Error).message;
    expect(m).not.toMatch(/trapped/);
    expect(m).toMatch(/^xz: byte \d+: /);
    return m;
  }
  throw new Error("no error");
}

function xz(args: string[], data: Uint8Array): Uint8Array {
  return tool("xz", ["-c", "-T1", ...args], data);
}

const KINDS: [string, (n: number) => Uint8Array][] = [
  ["random", (n) => randomBytes(n, n + 1)],
  ["text", (n) => textBytes(n, n + 2)],
  ["zeros", (n) => zeroRuns(n, n + 3)],
  ["code", (n) => codeLike(n, n + 4)],
];

describe("xz: what xz produces reads back", () => {
  for (const [kind, make] of KINDS) {
    for (const size of [0, 1, 100, 64 * KiB + 1]) {
      it(`${kind} ${size} bytes: -0, -1, -6, --x86, -e, crc32/crc64/none/sha256, small blocks`, () => {
        // (sizes 0, 1, 100, 64 KiB + 1 also cover SHA-256's one- and two-block tails)
        const data = make(size);
        for (const args of [["-0", "--check=none"], ["--x86", "--lzma2=preset=6", "--check=crc32"], ["-6e", "--check=crc64"],
          ["-1", "--check=sha256"], ["-1", "--block-size=10000"]]) {
          expect(same(decompress("xz", xz(args, data)), data), args.join(" ")).toBe(true);
        }
      });
    }
    // Several MiB; fast presets only (xz -6 on several MiB takes long on a loaded machine;
    // the real kernel payload below is -9 material). Random data is slow to compress at all.
    it(`${kind} several MiB: -0 and/or the kernel's --check=crc32 --x86 --lzma2`, () => {
      const data = make((kind == "zeros" ? 4 : kind == "text" ? 3 : 2) * MiB + 5);
      if (kind != "code") expect(same(decompress("xz", xz(["-0"], data)), data)).toBe(true);
      if (kind != "random") expect(same(decompress("xz", xz(["--check=crc32", "--x86", "--lzma2=preset=1,dict=8MiB"], data)), data)).toBe(true);
    }, 60_000);
  }

  it("SHA-256 checks at every tail length around the block size", () => {
    for (const n of [55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 1000]) {
      const data = textBytes(n, n);
      expect(same(decompress("xz", xz(["--check=sha256", "-0"], data)), data), String(n)).toBe(true);
    }
  });

  it("several blocks (--block-size), with and without the x86 filter", () => {
    const data = concat(codeLike(200000, 31), textBytes(150000, 32), randomBytes(50000, 33));
    // -T2 writes both sizes into every block header (single-threaded xz leaves them out).
    expect(same(decompress("xz", tool("xz", ["-c", "-T2", "-1", "--block-size=100000"], data)), data)).toBe(true);
    for (const args of [["--block-size=65536"], ["--block-size=12345", "--x86", "--lzma2"], ["--block-list=1000,50000,200000"]]) {
      const c = xz(args, data);
      expect(same(decompress("xz", c), data), args.join(" ")).toBe(true);
    }
  });

  it("1300 blocks (more than the decoder keeps index records for)", () => {
    const data = textBytes(130000, 34);
    expect(same(decompress("xz", xz(["-0", "--block-size=100"], data)), data)).toBe(true);
  });

  it("LZMA2 lc/lp/pb variants, a small dictionary, and the x86 filter's start offset", () => {
    const data = concat(textBytes(100000, 41), codeLike(100000, 42));
    for (const f of ["lc=4,lp=0,pb=0", "lc=0,lp=2,pb=4", "lc=1,lp=3,pb=1", "lc=0,lp=0,pb=0,dict=4KiB", "preset=9,dict=64KiB,nice=273,mf=bt4"]) {
      expect(same(decompress("xz", xz([`--lzma2=${f}`], data)), data), f).toBe(true);
    }
    expect(same(decompress("xz", xz(["--x86=start=4096", "--lzma2"], data)), data)).toBe(true);
  });

  it("the x86 filter against xz on machine-code-like data with calls near block edges", () => {
    const r = rng(50);
    for (let i = 0; i < 20; i++) {
      const data = codeLike(1 + (r() % 3000), 500 + i);
      expect(same(decompress("xz", xz(["--x86", "--lzma2"], data)), data)).toBe(true);
    }
  });

  it("concatenated streams, stream padding, and the kernel's 4-byte size after the stream", () => {
    const a = textBytes(50000, 51);
    const b = codeLike(20000, 52);
    const sa = xz(["--check=crc32"], a);
    const sb = xz(["--x86", "--lzma2"], b);
    const ab = concat(a, b);
    expect(same(decompress("xz", concat(sa, sb)), ab)).toBe(true);
    expect(same(decompress("xz", concat(sa, new Uint8Array(8), sb, new Uint8Array(4))), ab)).toBe(true);
    const size = new Uint8Array(4);
    new DataView(size.buffer).setUint32(0, a.length, true);
    expect(same(decompress("xz", concat(sa, size)), a)).toBe(true);
    new DataView(size.buffer).setUint32(0, a.length + 1, true);
    expect(fails(concat(sa, size))).toMatch(/data after the stream/);
    // A size whose low bytes are zero is still the trailer, not bad padding.
    const round = textBytes(0x10000, 53);
    new DataView(size.buffer).setUint32(0, round.length, true);
    expect(same(decompress("xz", concat(xz(["-0"], round), size)), round)).toBe(true);
    expect(fails(concat(sa, new Uint8Array(3)))).toMatch(/multiple of four/);
    expect(fails(concat(sa, new Uint8Array(2), sb))).toMatch(/multiple of four/);
  });

  it("the payload of Debian 12's kernel (fetched and cached by scripts/kernels/fetch.ts)", () => {
    const img = readFileSync(process.env.PVBOOT_TEST_KERNEL ?? debianKernel());
    const setup = (img[0x1f1] || 4) + 1;
    const off = setup * 512 + img.readUInt32LE(0x248);
    const payload = new Uint8Array(img.subarray(off, off + img.readUInt32LE(0x24c)));
    expect(payload[0], "Debian 12's kernel payload is xz").toBe(0xfd);
    const want = spawnSync("xz", ["-dc", "--single-stream"], { input: payload, maxBuffer: 1 << 30 }).stdout;
    expect(want.length).toBeGreaterThan(1 << 20);
    const got = decompress("xz", payload);
    expect(got.length).toBe(new DataView(payload.buffer).getUint32(payload.length - 4, true));
    expect(same(got, new Uint8Array(want))).toBe(true);
  }, 120_000);
});

describe("xz: what is not supported is named", () => {
  it("unsupported filters give their ID", () => {
    const data = textBytes(10000);
    expect(fails(xz(["--delta=dist=4", "--lzma2"], data))).toMatch(/unsupported filter 0x3/);
    expect(fails(xz(["--arm", "--lzma2"], data))).toMatch(/unsupported filter 0x7/);
    expect(fails(xz(["--powerpc", "--lzma2"], data))).toMatch(/unsupported filter 0x5/);
  });
  it("not xz, and empty", () => {
    expect(fails(new Uint8Array(0))).toMatch(/empty/);
    expect(fails(new Uint8Array(100))).toMatch(/magic/);
  });
});

describe("xz: damaged input is an error, never a trap or a hang", () => {
  const data = concat(codeLike(60000, 61), textBytes(60000, 62), zeroRuns(30000));
  const c = xz(["--check=crc64", "--x86", "--lzma2", "--block-size=40000"], data);

  it("truncated at 300 points", () => {
    const r = rng(8);
    const points = [0, 1, 11, 12, 13, c.length - 1, c.length - 4, c.length - 12, c.length - 13];
    for (let i = 0; i < 290; i++) points.push(r() % c.length);
    for (const p of points) fails(c.subarray(0, p));
  });

  it("400 random byte changes: an error, or the same output", () => {
    const r = rng(9);
    let errors = 0;
    for (let i = 0; i < 400; i++) {
      const b = c.slice();
      const n = 1 + (r() % 3);
      for (let k = 0; k < n; k++) b[r() % b.length] ^= 1 + (r() % 255);
      try {
        expect(same(decompress("xz", b), data)).toBe(true);
      } catch (e) {
        expect((e as Error).message).not.toMatch(/trapped/);
        errors++;
      }
    }
    expect(errors).toBeGreaterThan(380);
  });

  it("damage in the places that are checked: each check, header and index CRCs, the footer", () => {
    const d = textBytes(30000, 71);
    for (const [check, n] of [["crc32", 4], ["crc64", 8], ["sha256", 32]] as const) {
      const s = xz([`--check=${check}`], d);
      // The stream ends: ... check(n) index ... footer(12). Find the check by the index size.
      const back = (new DataView(s.buffer).getUint32(s.length - 8, true) + 1) * 4;
      const checkAt = s.length - 12 - back - n;
      const b = s.slice();
      b[checkAt] ^= 0x40;
      expect(fails(b)).toMatch(check == "crc32" ? /block CRC-32/ : check == "crc64" ? /CRC-64/ : /SHA-256/);
      const h = s.slice();
      h[7] ^= 1;
      expect(fails(h)).toMatch(/stream header CRC-32/);
      const bh = s.slice();
      bh[13] ^= 1;
      expect(fails(bh)).toMatch(/block header CRC-32/);
      const ix = s.slice();
      ix[s.length - 12 - back + 1] ^= 1;
      expect(fails(ix)).toMatch(/index/);
      const f = s.slice();
      f[s.length - 1] ^= 1;
      expect(fails(f)).toMatch(/footer/);
    }
  });

  it("random garbage after a valid stream header and block header", () => {
    const r = rng(10);
    for (let i = 0; i < 200; i++) {
      const junk = randomBytes(1 + (r() % 3000), 2000 + i);
      fails(concat(c.subarray(0, 12 + 12), junk), 1 << 20);
    }
  });

  it("never more output than the limit", () => {
    expect(fails(c, data.length - 1)).toMatch(/limit of \d+ bytes/);
    expect(fails(c, 1000)).toMatch(/limit of 1000 bytes/);
    expect(fails(c, 0)).toMatch(/limit/);
    expect(same(decompress("xz", c, data.length), data)).toBe(true);
    const bomb = xz(["-9", "--lzma2=dict=1MiB"], new Uint8Array(16 * MiB));
    expect(fails(bomb, 3 * MiB)).toMatch(/limit of 3145728 bytes/);
    const stored = xz([], randomBytes(100000, 5));
    expect(fails(stored, 5000)).toMatch(/limit/);
  });
});
