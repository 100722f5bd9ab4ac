// The ext2/3/4 reader (src/fs/ext) on its own, through its test module (test/ext/entry.ts):
// real mke2fs images of many layouts read back against their source trees, damaged images,
// refused features, and seeded random corruption that must never trap or hang.

import { beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { ExtImage, buildExtWasm } from "./ext/wasm";
import { buildImage, IMAGE_MATRIX } from "./ext/images";
import { verifyImage } from "./ext/verify";

beforeAll(() => {
  buildExtWasm();
});

describe("ext: images made by mke2fs read back exactly", () => {
  for (const spec of IMAGE_MATRIX) {
    it(spec.name, () => {
      const built = buildImage(spec);
      const img = new ExtImage(readFileSync(built.path));
      expect(img.mountInfo.error).toBeNull();
      expect(img.mountInfo.warnings).toEqual([]);
      const report = verifyImage(img, built.tree!, { image: built.path, sparseTailQuirk: spec.sparseTailQuirk });
      expect(report.problems).toEqual([]);
      expect(report.files).toBeGreaterThan(2000);
      expect(img.stats().warnings).toEqual([]);
    }, 120_000);
  }
});
