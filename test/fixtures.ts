// `make fixtures` (run by `make test` before vitest): builds the cached inputs that test files
// would otherwise build on first use, one after another, before any test worker starts.
//
// Why: on a clean clone every cache is cold, and these builds (a debootstrapped chroot running
// grub-mkconfig, XFS and btrfs images populated through loop mounts, Debian packages
// fetched) take from
// seconds to minutes each. Inside a test file most of them run synchronously, and vitest ends a
// worker whose event loop is blocked for 60 s ("Timeout calling onTaskUpdate"). Built here,
// the test files find them cached. Running a single test file still builds what it needs.

import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { busybox32, debianKernel, gnuMach, gnuMach32 } from "../scripts/kernels/fetch";
import { EMULATED_VARIANTS, grubGuestDisks } from "./config/grub-guests";
import { buildXfsImage, XFS_MATRIX, XFS_MINI } from "./xfs/images";
import { buildImage as buildBtrfsImage, MATRIX as BTRFS_MATRIX } from "./btrfs/images";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

async function step(what: string, build: () => unknown): Promise<void> {
  const t0 = Date.now();
  await build();
  console.log(`fixtures: ${what} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

await step("kernels", () => [debianKernel(), gnuMach(), gnuMach32(), busybox32()]);
await step("demo disk", () => execFileSync("bash", ["scripts/demo.sh"], { cwd: ROOT, env: { ...process.env, DEMO_DISK_ONLY: "1" }, stdio: ["ignore", "ignore", "inherit"] }));
await step("XFS images", () => [...XFS_MATRIX, ...XFS_MINI].forEach((s) => buildXfsImage(s)));
// multidev is read by the test but not in the matrix: a filesystem whose second device is missing
await step("btrfs images", () => [...BTRFS_MATRIX.map((m) => m.name), "multidev"].forEach((n) => buildBtrfsImage(n)));
await step("grub guests", () => grubGuestDisks(EMULATED_VARIANTS));
