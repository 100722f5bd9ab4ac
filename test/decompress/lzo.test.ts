// lzo (src/loader/decompress/lzo.ts) against what the real lzop tool writes: -1, the default,
// -9 (the kernel's), adler32 and CRC-32 block checksums or none, stored (incompressible)
// blocks, concatenated files, the kernel's payload with its appended size; damage of every
// kind.

import { describe, expect, it } from "vitest";
import { decompress, detect } from "./wasm";
import { SAMPLES, damage, failure, flips, mixed, randomBytes, same, textLike, tool, truncations, zeroRuns } from "./samples_b";

const lzop = (args: string[], data: Uint8Array) => tool("lzop", [...args, "-c"], data);

function le32(n: number): Uint8Array {
  return new Uint8Array([n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24]);
}

function cat(...parts: Uint8Array[]): Uint8Array {
  const r = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { r.set(p, o); o += p.length; }
  return r;
}

function adler32(d: Uint8Array): number {
  let a = 1, b = 0;
  for (const x of d) { a = (a + x) % 65521; b = (b + a) % 65521; }
  return ((b << 16) | a) >>> 0;
}

function be32(d: Uint8Array, o: number): number {
  return ((d[o] << 24) | (d[o + 1] << 16) | (d[o + 2] << 8) | d[o + 3]) >>> 0;
}

function putBe32(n: number): number[] {
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

// lzop has no option for checksums of the compressed data (F_ADLER32_C): add them to a file
// that has adler32 of the decompressed data, as lzop would write them.
function withCompressedChecksums(f: Uint8Array): Uint8Array {
  const out: number[] = [];
  const flags = be32(f, 17);
  expect(flags & 0x1).toBe(1);
  let pos = 9 + 8 + 4 + 12;
  pos += 1 + f[pos];
  const head = f.slice(0, pos);
  head.set(putBe32(flags | 0x2), 17);
  out.push(...head, ...putBe32(adler32(head.subarray(9))));
  pos += 4;
  while (true) {
    const dlen = be32(f, pos);
    if (dlen == 0) { out.push(0, 0, 0, 0); break; }
    const clen = be32(f, pos + 4);
    out.push(...f.subarray(pos, pos + 12));
    const data = f.subarray(pos + 12, pos + 12 + clen);
    if (clen < dlen) out.push(...putBe32(adler32(data)));
    for (const x of data) out.push(x);
    pos += 12 + clen;
  }
  return new Uint8Array(out);
}

describe("lzo", () => {
  it("checks the compressed data's checksums when the flags ask for them", () => {
    const data = mixed(600000, 14);
    const c = withCompressedChecksums(lzop(["-9"], data));
    same(decompress("lzo", c), data);
    // a flip inside compressed data is now caught before decoding
    let caught = 0;
    for (let at = 60; at < c.length; at += 997) {
      const bad = c.slice();
      bad[at] ^= 0x10;
      const m = failure("lzo", bad);
      expect(m).not.toBeNull();
      if (/compressed data checksum/.test(m!)) caught++;
    }
    expect(caught).toBeGreaterThan(0);
  });

  const variants: [string, string[]][] = [["-1", ["-1"]], ["default", []], ["-9", ["-9"]], ["-9 --crc32", ["-9", "--crc32"]], ["-F (no checksum)", ["-F"]]];
  for (const [vname, args] of variants) {
    it(`decodes lzop ${vname} for every sample`, () => {
      for (const [name, data] of SAMPLES) {
        const c = lzop(args, data);
        expect(detect(c), name).toBe("lzo");
        same(decompress("lzo", c), data);
      }
    }, 60_000);
  }

  it("decodes small inputs (every instruction form)", () => {
    for (let n = 1; n < 5000; n = n * 2 + 3) {
      for (const data of [textLike(n, n), zeroRuns(n, n), randomBytes(n, n)]) {
        for (const lvl of ["-1", "-9"]) same(decompress("lzo", lzop([lvl], data)), data);
      }
    }
  });

  it("decodes the kernel's payload (-9, then the size) and concatenated files", () => {
    const data = mixed(3 << 20, 12);
    const c = cat(lzop(["-9"], data), le32(data.length));
    same(decompress("lzo", c), data);
    const bad = c.slice();
    bad[bad.length - 3] ^= 1;
    expect(failure("lzo", bad)).toMatch(/trailing size/);
    const a = textLike(300000, 3);
    same(decompress("lzo", cat(lzop(["-1"], a), lzop([], new Uint8Array(0)), lzop(["-9", "--crc32"], a))), cat(a, a));
  }, 60_000);

  it("refuses garbage, other methods and filters", () => {
    expect(failure("lzo", new Uint8Array([0x89, 0x4c]))).toMatch(/magic/);
    const c = lzop([], textLike(1000));
    const m = c.slice();
    m[9 + 6] = 7; // method
    expect(failure("lzo", m)).toMatch(/method/);
    const f = c.slice();
    f[9 + 8 + 2] |= 0x08; // F_H_FILTER
    expect(failure("lzo", f)).toMatch(/filter/);
    const h = c.slice();
    h[9 + 15] ^= 1; // mtime: the header checksum notices
    expect(failure("lzo", h)).toMatch(/header checksum/);
  });

  it("notices truncation anywhere", () => {
    let n = truncations("lzo", lzop(["-9"], mixed(700000, 8)), 60);
    n += truncations("lzo", lzop(["-1", "-F"], textLike(20000, 3)), 60);
    expect(n).toBeGreaterThan(150);
  }, 60_000);

  it("survives byte flips; checksummed files notice every one", () => {
    flips("lzo", lzop(["-F"], mixed(300000, 9)), 150, 1, false);
    flips("lzo", lzop(["-9"], mixed(300000, 9)), 150, 2, true);
    flips("lzo", lzop(["-9", "--crc32"], textLike(30000, 4)), 150, 3, true);
  }, 60_000);

  it("survives heavier damage", () => {
    let n = damage("lzo", lzop(["-9", "-F"], mixed(100000, 13)), 200, 20);
    n += damage("lzo", lzop(["-1"], textLike(20000, 5)), 200, 21);
    expect(n).toBeGreaterThan(250);
  }, 60_000);

  it("stops at the limit with an error", () => {
    const data = mixed(1 << 20, 10);
    const c = lzop(["-9"], data);
    for (const limit of [0, 1, 1000, 65536, data.length - 1]) expect(failure("lzo", c, limit)).toMatch(/limit/);
    same(decompress("lzo", c, data.length), data);
    expect(failure("lzo", lzop(["-9"], new Uint8Array(5 << 20)), 4096)).toMatch(/limit/);
  }, 60_000);
});
