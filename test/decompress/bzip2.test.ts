// bzip2 (src/loader/decompress/bzip2.ts) against what the real bzip2 tool writes: block sizes
// 1 to 9, several blocks, concatenated streams, the kernel's payload with its appended size;
// damage of every kind (block and stream CRCs catch every flipped bit).

import { describe, expect, it } from "vitest";
import { decompress, detect } from "./wasm";
import { SAMPLES, damage, failure, flips, mixed, randomBytes, same, textLike, tool, truncations, zeroRuns } from "./samples_b";

const bzip2 = (args: string[], data: Uint8Array) => tool("bzip2", [...args, "-c"], data);

function le32(n: number): Uint8Array {
  return new Uint8Array([n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24]);
}

function cat(...parts: Uint8Array[]): Uint8Array {
  const r = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { r.set(p, o); o += p.length; }
  return r;
}

describe("bzip2", () => {
  for (const lvl of ["-1", "-9"]) {
    it(`decodes ${lvl} for every sample`, () => {
      for (const [name, data] of SAMPLES) {
        const c = bzip2([lvl], data);
        expect(detect(c), name).toBe("bzip2");
        same(decompress("bzip2", c), data);
      }
    }, 60_000);
  }

  it("decodes small inputs and long runs (run-length edge cases)", () => {
    for (let n = 1; n < 3000; n = n * 3 + 7) {
      for (const data of [textLike(n, n), zeroRuns(n, n), randomBytes(n, n)]) same(decompress("bzip2", bzip2(["-5"], data)), data);
    }
    // runs of every length around the 4-byte run threshold and the 255 count
    const parts: number[] = [];
    for (let len = 1; len < 600; len += len < 10 ? 1 : 37) for (let i = 0; i < len; i++) parts.push(len & 0xff);
    const runs = new Uint8Array(parts);
    same(decompress("bzip2", bzip2(["-1"], runs)), runs);
  });

  it("decodes the kernel's payload (-9, then the size) and concatenated streams", () => {
    const data = mixed(2 << 20, 12);
    const c = cat(bzip2(["-9"], data), le32(data.length));
    same(decompress("bzip2", c), data);
    const bad = c.slice();
    bad[bad.length - 2] ^= 1;
    expect(failure("bzip2", bad)).toMatch(/trailing size/);
    const a = textLike(150000, 3);
    same(decompress("bzip2", cat(bzip2(["-1"], a), bzip2(["-9"], new Uint8Array(0)), bzip2(["-3"], a))), cat(a, a));
  }, 60_000);

  it("refuses garbage", () => {
    expect(failure("bzip2", new Uint8Array([0x42, 0x5a]))).toMatch(/too short/);
    expect(failure("bzip2", new TextEncoder().encode("BZh0xxxxxxxxxx"))).toMatch(/block size/);
    expect(failure("bzip2", new TextEncoder().encode("BZh9xxxxxxxxxx"))).toMatch(/magic/);
  });

  it("notices truncation anywhere", () => {
    let n = truncations("bzip2", bzip2(["-1"], mixed(300000, 8)), 60);
    n += truncations("bzip2", bzip2(["-9"], textLike(20000, 3)), 60);
    expect(n).toBeGreaterThan(150);
  }, 60_000);

  it("notices every byte flip", () => {
    flips("bzip2", bzip2(["-1"], mixed(150000, 9)), 120, 1, true);
    flips("bzip2", bzip2(["-9"], textLike(30000, 4)), 120, 2, true);
  }, 60_000);

  it("survives heavier damage", () => {
    let n = damage("bzip2", bzip2(["-1"], mixed(100000, 13)), 200, 20);
    n += damage("bzip2", bzip2(["-9"], textLike(20000, 5)), 200, 21);
    expect(n).toBeGreaterThan(350);
  }, 60_000);

  it("stops at the limit with an error", () => {
    const data = mixed(1 << 20, 10);
    const c = bzip2(["-9"], data);
    for (const limit of [0, 1, 1000, 65536, data.length - 1]) expect(failure("bzip2", c, limit)).toMatch(/limit/);
    same(decompress("bzip2", c, data.length), data);
    expect(failure("bzip2", bzip2(["-9"], new Uint8Array(5 << 20)), 4096)).toMatch(/limit/);
  }, 60_000);
});
