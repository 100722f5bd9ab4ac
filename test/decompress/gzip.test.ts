// gzip (src/loader/decompress/gzip.ts + inflate.ts) through the decompressor test module:
// what gzip and zlib really produce, read back byte for byte; headers with every optional
// field; concatenated members and padding; damaged and truncated input, which must give an
// error (never a trap) and never more output than the limit.

import { beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { gzipSync, deflateRawSync, constants } from "node:zlib";
import { WASM_PATH, buildDecompressWasm, decompress, decompressIgnoring } from "./wasm";
import { KiB, MiB, codeLike, concat, randomBytes, rng, same, textBytes, tool, zeroRuns } from "./gen";

beforeAll(() => {
  buildDecompressWasm();
});

describe("decompressors: the test module", () => {
  it("is integer-only (no f32/f64 instruction)", () => {
    const dis = execFileSync("wasm-objdump", ["-d", WASM_PATH], { maxBuffer: 256 * MiB, encoding: "utf8" });
    expect(dis.split("\n").filter((l) => /\bf(32|64)\./.test(l)).slice(0, 3)).toEqual([]);
  });
});

function crc32(b: Uint8Array): number {
  let c = ~0;
  for (const x of b) {
    c ^= x;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

// Decompress and expect an error that is a message, not a trap.
function fails(data: Uint8Array, limit?: number): string {
  try {
    decompress("gzip", data, limit);
  } catch (e) {
    const m = (e as Error).message;
    expect(m).not.toMatch(/trapped/);
    expect(m).toMatch(/^gzip: byte \d+: /);
    return m;
  }
  throw new Error("no error");
}

const KINDS: [string, (n: number) => Uint8Array][] = [
  ["random", (n) => randomBytes(n, n + 1)],
  ["text", (n) => textBytes(n, n + 2)],
  ["zeros", (n) => zeroRuns(n, n + 3)],
  ["code", (n) => codeLike(n, n + 4)],
];
const SIZES = [0, 1, 2, 100, 64 * KiB, 64 * KiB + 1, 3 * MiB + 17];

describe("gzip: what gzip produces reads back", () => {
  for (const [kind, make] of KINDS) {
    for (const size of SIZES) {
      for (const level of ["-1", "-9"]) {
        if (size > MiB && level == "-1" && kind != "text") continue; // keep the run short
        it(`${kind} ${size} bytes, gzip ${level}`, () => {
          const data = make(size);
          const gz = tool("gzip", [level, "-c", "-n"], data);
          expect(same(decompress("gzip", gz), data)).toBe(true);
        });
      }
    }
  }

  it("a header with the file name (FNAME), as gzip writes for files", () => {
    const data = textBytes(5000);
    const gz = gzipSync(data);
    const name = Buffer.from("vmlinux.bin\0");
    const hdr = Buffer.from(gz.subarray(0, 10));
    hdr[3] |= 8;
    const withName = concat(hdr, name, gz.subarray(10));
    expect(same(decompress("gzip", withName), data)).toBe(true);
  });

  it("FEXTRA, FNAME, FCOMMENT and FHCRC together (and FTEXT)", () => {
    const data = textBytes(20000, 9);
    const gz = gzipSync(data);
    const hdr = Buffer.from(gz.subarray(0, 10));
    hdr[3] = 1 | 2 | 4 | 8 | 16;
    const extra = Buffer.from([7, 0, 0x41, 0x70, 3, 0, 1, 2, 3]); // XLEN 7: subfield "Ap", 3 bytes
    const head = concat(hdr, extra, Buffer.from("name\0"), Buffer.from("a comment\0"));
    const hcrc = crc32(head) & 0xffff;
    const full = concat(head, new Uint8Array([hcrc & 0xff, hcrc >> 8]), gz.subarray(10));
    expect(same(decompress("gzip", full), data)).toBe(true);
    const bad = full.slice();
    bad[head.length] ^= 1;
    expect(fails(bad)).toMatch(/header CRC/);
  });

  it("zlib's stored, fixed-Huffman, Huffman-only and RLE streams", () => {
    const data = concat(textBytes(100000, 5), zeroRuns(70000), randomBytes(30000, 6));
    for (const opts of [
      { level: 0 },
      { strategy: constants.Z_FIXED, level: 6 },
      { strategy: constants.Z_HUFFMAN_ONLY },
      { strategy: constants.Z_RLE },
      { level: 9, memLevel: 1, windowBits: 9 },
    ]) {
      expect(same(decompress("gzip", gzipSync(data, opts)), data), JSON.stringify(opts)).toBe(true);
    }
  });

  it("every distance and length: a 1 MiB input of repeats at all offsets up to 32 KiB", () => {
    const r = rng(77);
    const data = new Uint8Array(MiB);
    for (let i = 0; i < data.length; ) {
      const x = r();
      if (i > 40000 && x % 3 != 0) {
        const dist = 1 + (r() % 32768);
        const len = 3 + (r() % 300);
        for (let k = 0; k < len && i < data.length; k++, i++) data[i] = data[i - dist];
      } else data[i++] = x & 0xff;
    }
    expect(same(decompress("gzip", tool("gzip", ["-9", "-c", "-n"], data)), data)).toBe(true);
    expect(same(decompress("gzip", gzipSync(data, { level: 1 })), data)).toBe(true);
  });

  it("concatenated members decompress to the concatenation; zero padding after the last is accepted", () => {
    const a = textBytes(70000, 11);
    const b = randomBytes(1000, 12);
    const c = new Uint8Array(0);
    const gz = concat(tool("gzip", ["-c", "-n"], a), tool("gzip", ["-1", "-c", "-n"], b), gzipSync(c));
    expect(same(decompress("gzip", gz), concat(a, b, c))).toBe(true);
    expect(same(decompress("gzip", concat(gz, new Uint8Array(4096))), concat(a, b, c))).toBe(true);
    expect(same(decompress("gzip", concat(gz, new Uint8Array(1))), concat(a, b, c))).toBe(true);
  });

  it("a member's back-references cannot reach into the member before it", () => {
    const first = gzipSync(textBytes(100));
    // Member 2: literal 'a', then a match of 3 at distance 5 (valid only across members).
    const raw = fixedBlock([["lit", 0x61], ["match", 3, 5]]);
    const second = concat(gzipSync(Buffer.alloc(0)).subarray(0, 10), raw, new Uint8Array(8));
    expect(fails(concat(first, second))).toMatch(/invalid distance 5 \(only 1 bytes out\)/);
    // The same stream is fine when the distance stays inside the member.
    const ok = fixedBlock([["lit", 0x61], ["lit", 0x62], ["match", 4, 2]]);
    const out = Buffer.from("ababab");
    const trailer = new Uint8Array(8);
    new DataView(trailer.buffer).setUint32(0, crc32(out), true);
    new DataView(trailer.buffer).setUint32(4, out.length, true);
    expect(Buffer.from(decompress("gzip", concat(first, gzipSync(Buffer.alloc(0)).subarray(0, 10), ok, trailer))).subarray(100).toString()).toBe("ababab");
  });
});

// A final fixed-Huffman block of literals and short matches (length 3..10, distance 1..4 or
// 5..8 with one extra bit), for hand-made streams.
function fixedBlock(items: (["lit", number] | ["match", number, number])[]): Uint8Array {
  const bytes: number[] = [];
  let acc = 0;
  let n = 0;
  const put = (v: number, bits: number) => {
    for (let i = 0; i < bits; i++) {
      acc |= ((v >> i) & 1) << n;
      if (++n == 8) {
        bytes.push(acc);
        acc = 0;
        n = 0;
      }
    }
  };
  const code = (c: number, len: number) => {
    for (let i = len - 1; i >= 0; i--) put((c >> i) & 1, 1);
  };
  put(1, 1); // BFINAL
  put(1, 2); // fixed Huffman
  for (const it of items) {
    if (it[0] == "lit") code(0x30 + it[1], 8);
    else {
      code(it[1] - 3 + 1, 7); // 257 + (len - 3): 7-bit codes start at 256 = 0000000
      if (it[2] <= 4) code(it[2] - 1, 5);
      else {
        code(it[2] <= 6 ? 4 : 5, 5);
        put((it[2] - 1) & 1, 1);
      }
    }
  }
  code(0, 7); // end of block
  if (n) bytes.push(acc);
  return new Uint8Array(bytes);
}

describe("gzip: damaged input is an error, never a trap or a hang", () => {
  const data = concat(textBytes(150000, 21), randomBytes(20000, 22), zeroRuns(30000));
  const gz = tool("gzip", ["-9", "-c", "-n"], data);

  it("truncated at 300 points", () => {
    const r = rng(5);
    const points = [0, 1, 2, 9, 10, 11, gz.length - 1, gz.length - 4, gz.length - 8, gz.length - 9];
    for (let i = 0; i < 290; i++) points.push(r() % gz.length);
    for (const p of points) fails(gz.subarray(0, p));
  });

  it("bad CRC-32, bad size, bad magic, bad method, reserved flags", () => {
    const t = (f: (b: Uint8Array) => void) => {
      const b = gz.slice();
      f(b);
      return fails(b);
    };
    expect(t((b) => (b[b.length - 8] ^= 1))).toMatch(/CRC-32/);
    expect(t((b) => (b[b.length - 2] ^= 1))).toMatch(/size/);
    expect(t((b) => (b[1] = 0x8c))).toMatch(/magic/);
    expect(t((b) => (b[2] = 7))).toMatch(/method 7/);
    expect(t((b) => (b[3] = 0x20))).toMatch(/reserved/);
    expect(fails(new Uint8Array(0))).toMatch(/empty/);
  });

  it("data after the member that is no member is left alone and counted, as Linux and libxenguest do", () => {
    const trailing = decompressIgnoring("gzip", concat(gz, new Uint8Array([0, 0, 5])));
    expect(same(trailing.out, data)).toBe(true);
    expect(trailing.ignored).toBe(3);
    const sig = decompressIgnoring("gzip", concat(gz, textBytes(700, 3)));
    expect(sig.ignored).toBe(700);
    expect(decompressIgnoring("gzip", concat(gz, new Uint8Array(512))).ignored).toBe(0); // zero padding
    // what starts like a member is one: its damage is an error
    expect(fails(concat(gz, gz.subarray(0, 40)))).toMatch(/^gzip: byte \d+: /);
  });

  it("500 random byte changes: an error, or (header fields no one checks) the same output", () => {
    const r = rng(6);
    let errors = 0;
    for (let i = 0; i < 500; i++) {
      const b = gz.slice();
      const n = 1 + (r() % 3);
      for (let k = 0; k < n; k++) b[r() % b.length] ^= 1 + (r() % 255);
      try {
        const out = decompress("gzip", b);
        expect(same(out, data)).toBe(true);
      } catch (e) {
        expect((e as Error).message).not.toMatch(/trapped/);
        errors++;
      }
    }
    expect(errors).toBeGreaterThan(450);
  });

  it("random garbage after a valid header", () => {
    const r = rng(7);
    for (let i = 0; i < 200; i++) {
      const junk = randomBytes(1 + (r() % 3000), 1000 + i);
      const b = concat(gz.subarray(0, 10), junk);
      fails(b, 1 << 20);
    }
  });

  it("never more output than the limit", () => {
    expect(fails(gz, data.length - 1)).toMatch(/limit of \d+ bytes/);
    expect(fails(gz, 1000)).toMatch(/limit of 1000 bytes/);
    expect(fails(gz, 0)).toMatch(/limit/);
    expect(same(decompress("gzip", gz, data.length), data)).toBe(true);
    const stored = gzipSync(data, { level: 0 });
    expect(fails(stored, 5000)).toMatch(/limit/);
    // A zero bomb: 1 MiB of compressed zeros would be 1 GiB; the limit stops it early.
    const bomb = gzipSync(Buffer.alloc(64 * MiB), { level: 9 });
    expect(fails(bomb, 3 * MiB)).toMatch(/limit of 3145728 bytes/);
  });
});
