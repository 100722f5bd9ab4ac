// lz4 (src/loader/decompress/lz4.ts) against what the real lz4 tool writes: the legacy frame
// (lz4 -l, and the kernel's `lz4 -l -12 --favor-decSpeed` followed by the 32-bit size), the
// modern frame with each block size, linked blocks, block and content checksums, content
// size; concatenated and skippable frames; damage of every kind.

import { describe, expect, it } from "vitest";
import { decompress, detect } from "./wasm";
import { SAMPLES, damage, failure, flips, mixed, rng, same, textLike, tool, truncations } from "./samples_b";

const lz4 = (args: string[], data: Uint8Array) => tool("lz4", [...args, "-c"], data);

function le32(n: number): Uint8Array {
  return new Uint8Array([n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24]);
}

function cat(...parts: Uint8Array[]): Uint8Array {
  const r = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { r.set(p, o); o += p.length; }
  return r;
}

describe("lz4", () => {
  const variants: [string, string[]][] = [
    ["legacy -l", ["-l"]],
    ["legacy -l -12 --favor-decSpeed", ["-l", "-12", "--favor-decSpeed"]],
    ["default", []],
    ["-B4 -BD", ["-B4", "-BD"]],
    ["-B5 --content-size -BX", ["-B5", "--content-size", "-BX"]],
    ["-B6 -9 --no-frame-crc", ["-B6", "-9", "--no-frame-crc"]],
    ["-B7 -BD -BX --content-size", ["-B7", "-BD", "-BX", "--content-size"]],
    ["-1 --fast=5", ["--fast=5"]],
  ];
  for (const [vname, args] of variants) {
    it(`decodes ${vname} for every sample`, () => {
      for (const [name, data] of SAMPLES) {
        const c = lz4(args, data);
        same(decompress("lz4", c), data);
        if (name == "4 MiB mixed") expect(c.length).toBeLessThan(data.length);
      }
    });
  }

  it("decodes the kernel's payload: legacy frame, then the uncompressed size", () => {
    const data = mixed(10 << 20, 7); // more than one 8 MiB legacy block
    const c = cat(lz4(["-l", "-12", "--favor-decSpeed"], data), le32(data.length));
    expect(detect(c)).toBe("lz4");
    same(decompress("lz4", c), data);
    // a wrong size field is noticed
    const bad = c.slice();
    bad[bad.length - 4] ^= 1;
    expect(failure("lz4", bad)).toMatch(/trailing size/);
  });

  // One legacy block of sequences chosen at random from every shape the decoder treats apart:
  // literal runs of 0-14 and of 15 or more, matches of 4-18, 19-273 (one length byte) and
  // longer, offsets 1-7, 8-15 and 16 or more; the block's end as the format asks (the last
  // match starts 12 or more bytes before it, then 5 or more literals). Many short blocks, so
  // that the decoder's fast run meets its budget's end at every distance from both ends.
  function handMadeBlock(seed: number): Uint8Array {
    const r = rng(seed);
    const pick = (n: number) => r() % n;
    const bytes: number[] = [];
    let out = 0;
    const len = (n: number) => { // the length bytes after a nibble of 15
      n -= 15;
      while (n >= 255) { bytes.push(255); n -= 255; }
      bytes.push(n);
    };
    const literals = (n: number) => { for (let i = 0; i < n; i++) bytes.push(pick(256)); out += n; };
    const target = 40 + pick(600);
    let first = true;
    while (first || out + 12 < target) {
      const shape = pick(3);
      const lit = first ? 16 + pick(8) : [pick(15), 15 + pick(300), pick(4)][shape];
      const ml = [4 + pick(15), 19 + pick(255), 274 + pick(700), 4 + pick(3)][pick(4)];
      const reach = out + lit;
      const off = Math.min(reach, [1 + pick(7), 8 + pick(8), 16 + pick(300)][pick(3)]);
      bytes.push((Math.min(lit, 15) << 4) | Math.min(ml - 4, 15));
      if (lit >= 15) len(lit);
      literals(lit);
      bytes.push(off & 0xff, off >> 8);
      if (ml - 4 >= 15) len(ml - 4);
      out += ml;
      first = false;
    }
    const last = 5 + pick(40);
    bytes.push(Math.min(last, 15) << 4);
    if (last >= 15) len(last);
    literals(last);
    return new Uint8Array(bytes);
  }

  it("decodes hand-made blocks of every sequence shape as lz4 itself does", () => {
    for (let seed = 1; seed <= 300; seed++) {
      const block = handMadeBlock(seed);
      const c = cat(le32(0x184c2102), le32(block.length), block);
      same(decompress("lz4", c), tool("lz4", ["-d", "-c"], c));
    }
  });

  it("decodes concatenated and skippable frames of both kinds", () => {
    const a = textLike(100000, 5), b = mixed(300000, 6);
    const skip = cat(le32(0x184d2a53), le32(5), new Uint8Array(5));
    const c = cat(lz4(["-l"], a), lz4([], b), skip, lz4(["-BD", "--content-size"], a), lz4(["-l"], b));
    same(decompress("lz4", c), cat(a, b, a, b));
  });

  it("detects both frame kinds", () => {
    expect(detect(lz4(["-l"], textLike(100)))).toBe("lz4");
    expect(detect(lz4([], textLike(100)))).toBe("lz4");
  });

  it("refuses garbage and dictionary frames", () => {
    expect(failure("lz4", new Uint8Array([1, 2, 3]))).toMatch(/too short/);
    expect(failure("lz4", new Uint8Array([1, 2, 3, 4, 5]))).toMatch(/bad magic/);
    const c = lz4([], textLike(1000)).slice();
    c[4] |= 1; // DictID flag
    expect(failure("lz4", c)).toMatch(/dictionary|checksum/);
  });

  it("notices truncation anywhere", () => {
    const data = mixed(600000, 8);
    let n = 0;
    // a legacy frame has no end mark: cut right after the magic it is a complete empty frame
    n += truncations("lz4", lz4(["-l"], data), 50, [4]);
    for (const args of [["-BD", "-BX", "--content-size"], []]) n += truncations("lz4", lz4(args, data), 50);
    expect(n).toBeGreaterThan(150);
  });

  it("survives byte flips; checksummed frames notice every one", () => {
    const data = mixed(300000, 9);
    flips("lz4", lz4(["-l"], data), 150, 1, false);
    flips("lz4", lz4(["-B4", "-BD"], data), 150, 2, false);
    // with block checksums and content checksum every flip is caught
    flips("lz4", lz4(["-B4", "-BX", "--content-size"], data), 150, 3, true);
  });

  it("survives heavier damage of every frame kind", () => {
    const data = mixed(100000, 13);
    let n = 0;
    for (const [i, args] of [["-l"], [], ["-BD", "-BX", "--content-size"], ["-B4", "--no-frame-crc"]].entries()) n += damage("lz4", lz4(args, data), 150, 20 + i);
    expect(n).toBeGreaterThan(300);
  }, 60_000);

  it("stops at the limit with an error", () => {
    const data = mixed(1 << 20, 10);
    for (const args of [["-l"], [], ["-BD"]]) {
      const c = lz4(args, data);
      for (const limit of [0, 1, 1000, 65536, data.length - 1]) expect(failure("lz4", c, limit)).toMatch(/limit/);
      same(decompress("lz4", c, data.length), data);
    }
    const z = lz4(["-l"], new Uint8Array(5 << 20));
    expect(failure("lz4", z, 4096)).toMatch(/limit/);
  });
});
