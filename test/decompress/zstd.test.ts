// zstd (src/loader/decompress/zstd.ts) against what the real zstd tool writes: levels 1 to
// 22, long windows, with and without checksum, from a pipe (no content size, windowed) and
// from a file (content size, single segment), the kernel's payload with its appended size,
// concatenated and skippable frames; damage of every kind.

import { describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decompress, detect } from "./wasm";
import { SAMPLES, damage, failure, flips, mixed, randomBytes, same, textLike, tool, truncations, zeroRuns } from "./samples_b";

const zstd = (args: string[], data: Uint8Array) => tool("zstd", [...args, "-q", "-c"], data);

// From a file: zstd knows the size, so the frame carries it and small ones are single-segment.
function zstdFile(args: string[], data: Uint8Array): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), "zstd-test-"));
  try {
    const f = join(dir, "in");
    writeFileSync(f, data);
    return tool("zstd", [...args, "-q", "-c", f], new Uint8Array(0));
  } finally {
    rmSync(dir, { recursive: true });
  }
}

function le32(n: number): Uint8Array {
  return new Uint8Array([n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24]);
}

function cat(...parts: Uint8Array[]): Uint8Array {
  const r = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { r.set(p, o); o += p.length; }
  return r;
}

describe("zstd", () => {
  const variants: [string, string[], boolean][] = [
    ["-1 (pipe)", ["-1"], false],
    ["-3 --no-check (file)", ["-3", "--no-check"], true],
    ["-9 --check (pipe)", ["-9", "--check"], false],
    ["-19 (file)", ["-19"], true],
    ["-19 --long=27 (pipe)", ["-19", "--long=27"], false],
    ["--fast=3 (file)", ["--fast=3"], true],
  ];
  for (const [vname, args, file] of variants) {
    it(`decodes ${vname} for every sample`, () => {
      for (const [name, data] of SAMPLES) {
        const c = file ? zstdFile(args, data) : zstd(args, data);
        expect(detect(c), name).toBe("zstd");
        same(decompress("zstd", c), data);
      }
    }, 60_000);
  }

  it("decodes --ultra -22 --long and the kernel's payload (frame, then the size)", () => {
    const data = mixed(3 << 20, 11);
    const c = cat(zstd(["--ultra", "-22", "--long=28"], data), le32(data.length));
    same(decompress("zstd", c), data);
    const bad = c.slice();
    bad[bad.length - 1] ^= 1;
    expect(failure("zstd", bad)).toMatch(/trailing size/);
  }, 60_000);

  it("decodes small inputs at many levels (literal and sequence modes of every kind)", () => {
    for (let n = 1; n < 3000; n = n * 3 + 7) {
      for (const data of [textLike(n, n), zeroRuns(n, n), randomBytes(n, n)]) {
        for (const lvl of ["-1", "-5", "-19"]) same(decompress("zstd", zstdFile([lvl], data)), data);
      }
    }
  });

  it("decodes small alphabets (direct Huffman weights) and fixed-length matches (RLE tables)", () => {
    for (let n = 20; n < 3000; n = Math.floor(n * 1.7)) {
      for (const k of [3, 7, 20, 60, 120, 200]) {
        const r = randomBytes(n, n + k);
        for (const data of [r.map((b) => (b % k) + 32), r.map((b) => Math.min(b % k, (b >> 3) % k))])
          for (const lvl of ["-1", "-19"]) same(decompress("zstd", zstdFile([lvl], data)), data);
      }
    }
    for (const w of [4, 5, 6, 9]) {
      const dict = randomBytes(50 * w, w), r = randomBytes(20000, w + 1);
      const data = new Uint8Array(20000 * w);
      for (let i = 0; i < 20000; i++) data.set(dict.subarray((r[i] % 50) * w, (r[i] % 50) * w + w), i * w);
      for (const lvl of ["-1", "-3", "-19"]) same(decompress("zstd", zstdFile([lvl], data)), data);
    }
  }, 60_000);

  it("decodes concatenated and skippable frames", () => {
    const a = textLike(200000, 5), b = mixed(500000, 6);
    const skip = cat(le32(0x184d2a5e), le32(7), new Uint8Array(7));
    const c = cat(skip, zstd(["-1"], a), zstdFile(["-19"], b), skip, zstd(["--no-check", "-3"], new Uint8Array(0)), zstd(["-6"], a));
    same(decompress("zstd", c), cat(a, b, a));
  });

  it("refuses garbage and dictionary frames", () => {
    expect(failure("zstd", new Uint8Array([0x28, 0xb5]))).toMatch(/too short/);
    expect(failure("zstd", new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]))).toMatch(/bad magic/);
    // a frame header with a dictionary ID
    const f = new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, 0x21, 0x05, 0x07, 0x01, 0x00, 0x00]);
    expect(failure("zstd", f)).toMatch(/dictionary/);
  });

  it("notices truncation anywhere", () => {
    const data = mixed(600000, 8);
    let n = 0;
    for (const args of [["-1"], ["-19", "--no-check"], ["-9", "--check"]]) n += truncations("zstd", zstd(args, data), 60);
    n += truncations("zstd", zstdFile(["-19", "--no-check"], textLike(5000, 3)), 60);
    expect(n).toBeGreaterThan(200);
  });

  it("survives byte flips; checksummed frames notice every one", () => {
    const data = mixed(300000, 9);
    flips("zstd", zstd(["-1", "--no-check"], data), 150, 1, false);
    flips("zstd", zstd(["-19", "--no-check"], data), 150, 2, false);
    flips("zstd", zstdFile(["-19", "--no-check"], textLike(3000, 4)), 150, 4, false);
    flips("zstd", zstd(["-3", "--check"], data), 150, 3, true);
  });

  it("survives heavier damage at every level", () => {
    const data = mixed(100000, 13);
    let n = 0;
    for (const [i, args] of [["-1", "--no-check"], ["-19", "--no-check"], ["-3"], ["--fast=2", "--no-check"]].entries()) n += damage("zstd", zstd(args, data), 150, 20 + i);
    n += damage("zstd", zstdFile(["-19", "--no-check"], textLike(4000, 1)), 150, 30);
    expect(n).toBeGreaterThan(300);
  }, 60_000);

  it("stops at the limit with an error", () => {
    const data = mixed(1 << 20, 10);
    for (const c of [zstd(["-3"], data), zstdFile(["-19"], data)]) {
      for (const limit of [0, 1, 1000, 65536, data.length - 1]) expect(failure("zstd", c, limit)).toMatch(/limit/);
      same(decompress("zstd", c, data.length), data);
    }
    const z = zstd(["-3"], new Uint8Array(5 << 20));
    expect(failure("zstd", z, 4096)).toMatch(/limit/);
  });
});
