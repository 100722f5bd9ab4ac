// Build the XFS test images (test/xfs/images.ts) into build/cache/xfs-images/: the whole
// matrix and the small images, or those named. Needs root for the loop-mounted ones.
//
//   npx tsx scripts/images/make-xfs.ts [NAME...]

import { buildXfsImage, XFS_MATRIX, XFS_MINI } from "../../test/xfs/images.ts";

const names = process.argv.slice(2);
for (const spec of [...XFS_MINI, ...XFS_MATRIX]) {
  if (names.length > 0 && !names.includes(spec.name)) continue;
  const t0 = Date.now();
  const b = buildXfsImage(spec);
  console.log(`${spec.name}: ${b.path} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}
