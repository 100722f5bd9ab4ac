// One image of the XFS matrix checked in a child process (test/xfs.test.ts awaits it, so the
// long synchronous read-back does not hold up the vitest worker): builds the image if needed,
// mounts it with the test module, runs test/ext/verify.ts over it, prints one JSON line.
//
//   npx tsx test/xfs/verify-run.ts SPEC_NAME

import { readFileSync } from "node:fs";
import { XfsImage } from "./wasm.ts";
import { buildXfsImage, XFS_MATRIX, XFS_MINI } from "./images.ts";
import { verifyImage } from "../ext/verify.ts";
import type { ExtImage } from "../ext/wasm.ts";

const spec = [...XFS_MATRIX, ...XFS_MINI].find((s) => s.name === process.argv[2]);
if (!spec) throw new Error(`no XFS image spec ${process.argv[2]}`);
const b = buildXfsImage(spec);
const img = new XfsImage(readFileSync(b.path));
const out: Record<string, unknown> = { mountInfo: img.mountInfo };
if (img.mountInfo.error === null) {
  const r = verifyImage(img as unknown as ExtImage, b.tree);
  out.problems = r.problems;
  out.files = r.files;
  out.dirs = r.dirs;
  out.links = r.links;
  out.warnings = img.stats().warnings;
}
console.log(JSON.stringify(out));
