// ext2/3/4 test images made with the real mke2fs (-d from a generated source tree), cached
// under build/test-images/ by a hash of everything that shapes them. Reusable by other
// tests (the loader's end-to-end tests, a fuzz corpus):
//
//   import { buildImage, IMAGE_MATRIX } from "../test/ext/images";
//   const img = buildImage(IMAGE_MATRIX.find((s) => s.name === "ext4-4k")!);
//   img.path      the image file     img.tree   the source tree (TreeManifest)
//
// A spec: mke2fs arguments, the image size, which tree, and optional debugfs commands run
// on the result (damage, feature bits) and whether to index directories (e2fsck -fD).

import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./wasm";
import { buildTree, treeExists, type TreeManifest, type TreeOptions } from "./tree";

export const IMAGE_DIR = join(ROOT, "build/test-images");
// Bump when the tree generator or the way images are made changes.
const VERSION = 7;

export interface ImageSpec {
  name: string;
  mkfs: string[]; // after "mke2fs -q -F", before "-d DIR IMAGE SIZE"
  size: string; // mke2fs size argument, e.g. "64M"
  tree?: TreeOptions | null; // null: an empty filesystem; default: the standard tree (seed 1)
  index?: boolean; // e2fsck -fyD afterwards: htree-index every large directory
  debugfs?: string[]; // debugfs -w -R commands, in order, after everything else
  // mke2fs 1.47.0 with inline_data drops a sparse file's trailing hole from i_size (and
  // may flag an all-hole file inline): such files are checked against debugfs's size.
  sparseTailQuirk?: boolean;
}

export interface BuiltImage {
  spec: ImageSpec;
  path: string;
  tree: TreeManifest | null;
}

export const STANDARD_TREE: TreeOptions = { seed: 1 };

function hash(x: unknown): string {
  return createHash("sha256").update(JSON.stringify(x)).digest("hex").slice(0, 12);
}

// The source tree for options (built once, shared by every image made from it).
export function buildSourceTree(opt: TreeOptions): TreeManifest {
  const dir = join(IMAGE_DIR, `tree-v${VERSION}-${hash({ VERSION, opt })}`);
  if (!treeExists(dir)) {
    removeStale(/^tree-v(\d+)-/, (m) => m[1] !== String(VERSION));
    buildTree(dir, opt);
  }
  return JSON.parse(readFileSync(dir + ".json", "utf8")) as TreeManifest;
}

function removeStale(pattern: RegExp, stale: (m: RegExpExecArray) => boolean): void {
  for (const f of readdirSync(IMAGE_DIR)) {
    const m = pattern.exec(f);
    if (m && stale(m)) rmSync(join(IMAGE_DIR, f), { recursive: true, force: true });
  }
}

function run(cmd: string, args: string[], okCodes = [0]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.error) throw r.error;
  if (!okCodes.includes(r.status ?? -1)) {
    throw new Error(`${cmd} ${args.join(" ")}: exit ${r.status}\n${r.stdout}\n${r.stderr}`);
  }
  return r.stdout + r.stderr;
}

export function debugfs(image: string, cmd: string, write = true): string {
  return run("debugfs", [...(write ? ["-w"] : []), "-R", cmd, image]);
}

// Build (or find in the cache) the image for spec.
export function buildImage(spec: ImageSpec): BuiltImage {
  mkdirSync(IMAGE_DIR, { recursive: true });
  const treeOpt = spec.tree === undefined ? STANDARD_TREE : spec.tree;
  const tree = treeOpt ? buildSourceTree(treeOpt) : null;
  const path = join(IMAGE_DIR, `${spec.name}-${hash({ VERSION, spec: { ...spec, name: undefined }, treeOpt })}.img`);
  if (existsSync(path)) return { spec, path, tree };
  // Older versions of this image (other hashes) are of no use any more.
  removeStale(new RegExp(`^${spec.name.replace(/[^\w-]/g, "")}-([0-9a-f]{12})\\.img`), (m) => !path.endsWith(`-${m[1]}.img`));
  const tmp = `${path}.${process.pid}.tmp`;
  rmSync(tmp, { force: true });
  const emptyDir = join(IMAGE_DIR, "empty-tree");
  mkdirSync(emptyDir, { recursive: true });
  run("mke2fs", ["-q", "-F", ...spec.mkfs, "-d", tree ? tree.dir : emptyDir, tmp, spec.size]);
  // e2fsck exits 1 when it changed something (here: built indexes), 0 when clean.
  if (spec.index) run("e2fsck", ["-fyD", tmp], [0, 1]);
  for (const cmd of spec.debugfs ?? []) debugfs(tmp, cmd);
  renameSync(tmp, path);
  return { spec, path, tree };
}

// A writable copy of an image (for damage), at dst.
export function copyImage(img: BuiltImage, dst: string): string {
  copyFileSync(img.path, dst);
  return dst;
}

// The images every reader test runs over: each one a different layout.
export const IMAGE_MATRIX: ImageSpec[] = [
  { name: "ext2-1k", mkfs: ["-t", "ext2", "-b", "1024"], size: "112M", index: true },
  { name: "ext2-rev0", mkfs: ["-t", "ext2", "-r", "0", "-b", "1024"], size: "112M" },
  { name: "ext2-4k-i128", mkfs: ["-t", "ext2", "-b", "4096", "-I", "128"], size: "112M", index: true },
  { name: "ext2-2k-nofiletype", mkfs: ["-t", "ext2", "-b", "2048", "-O", "^filetype"], size: "112M" },
  { name: "ext3-1k", mkfs: ["-t", "ext3", "-b", "1024"], size: "112M", index: true },
  { name: "ext3-2k-i128", mkfs: ["-t", "ext3", "-b", "2048", "-I", "128"], size: "112M", index: true },
  { name: "ext4-4k", mkfs: ["-t", "ext4", "-b", "4096"], size: "112M", index: true },
  { name: "ext4-1k", mkfs: ["-t", "ext4", "-b", "1024"], size: "112M", index: true },
  { name: "ext4-2k-32bit", mkfs: ["-t", "ext4", "-b", "2048", "-O", "^64bit"], size: "112M", index: true },
  { name: "ext4-4k-i128", mkfs: ["-t", "ext4", "-b", "4096", "-I", "128"], size: "112M", index: true },
  { name: "ext4-noextent", mkfs: ["-t", "ext4", "-b", "4096", "-O", "^extent,^64bit"], size: "112M", index: true },
  { name: "ext4-noextent-1k", mkfs: ["-t", "ext4", "-b", "1024", "-O", "^extent,^64bit"], size: "112M", index: true },
  { name: "ext4-64k", mkfs: ["-t", "ext4", "-b", "65536"], size: "160M", index: true },
  { name: "ext4-metabg", mkfs: ["-t", "ext4", "-b", "1024", "-g", "1024", "-O", "meta_bg,^resize_inode"], size: "112M", index: true },
  { name: "ext4-metabg-32bit", mkfs: ["-t", "ext4", "-b", "1024", "-g", "512", "-O", "meta_bg,^resize_inode,^64bit"], size: "112M", index: true },
  { name: "ext4-inline", mkfs: ["-t", "ext4", "-b", "4096", "-O", "inline_data"], size: "112M", sparseTailQuirk: true },
  { name: "ext4-inline-1k", mkfs: ["-t", "ext4", "-b", "1024", "-I", "512", "-O", "inline_data"], size: "112M", sparseTailQuirk: true },
  { name: "ext4-bigalloc", mkfs: ["-t", "ext4", "-b", "4096", "-O", "bigalloc", "-C", "16384"], size: "112M", index: true },
  { name: "ext4-bigalloc-1k", mkfs: ["-t", "ext4", "-b", "1024", "-O", "bigalloc", "-C", "16384"], size: "112M", index: true },
  { name: "ext4-extras", mkfs: ["-t", "ext4", "-b", "4096", "-O", "metadata_csum_seed,orphan_file,large_dir,sparse_super2"], size: "112M", index: true },
  // No e2fsck on this one: with mmp it waits out the protection interval (seconds).
  { name: "ext4-mmp", mkfs: ["-t", "ext4", "-b", "4096", "-O", "mmp"], size: "112M" },
  { name: "ext4-uninit-bg", mkfs: ["-t", "ext4", "-b", "4096", "-O", "^metadata_csum,uninit_bg"], size: "112M", index: true },
];

// Small images over the mini tree: for damage tests and the fuzz corpus (cheap to copy).
export const MINI_TREE: TreeOptions = { seed: 7, mini: true };
export const MINI_MATRIX: ImageSpec[] = [
  { name: "mini-ext2-1k", mkfs: ["-t", "ext2", "-b", "1024"], size: "8M", tree: MINI_TREE },
  { name: "mini-ext3-2k", mkfs: ["-t", "ext3", "-b", "2048", "-I", "128"], size: "8M", tree: MINI_TREE },
  { name: "mini-ext4-1k", mkfs: ["-t", "ext4", "-b", "1024"], size: "8M", tree: MINI_TREE, index: true },
  { name: "mini-ext4-4k", mkfs: ["-t", "ext4", "-b", "4096"], size: "8M", tree: MINI_TREE, index: true },
  { name: "mini-ext4-noextent", mkfs: ["-t", "ext4", "-b", "1024", "-O", "^extent,^64bit"], size: "8M", tree: MINI_TREE },
  { name: "mini-ext4-inline", mkfs: ["-t", "ext4", "-b", "1024", "-O", "inline_data"], size: "8M", tree: MINI_TREE, sparseTailQuirk: true },
  { name: "mini-ext4-metabg", mkfs: ["-t", "ext4", "-b", "1024", "-g", "256", "-O", "meta_bg,^resize_inode"], size: "8M", tree: MINI_TREE },
  { name: "mini-ext4-bigalloc", mkfs: ["-t", "ext4", "-b", "1024", "-O", "bigalloc", "-C", "4096"], size: "16M", tree: MINI_TREE },
  { name: "mini-ext4-8k", mkfs: ["-t", "ext4", "-b", "8192", "-O", "^has_journal"], size: "16M", tree: MINI_TREE, index: true },
];

export function miniImage(name: string): BuiltImage {
  const spec = MINI_MATRIX.find((s) => s.name === name);
  if (!spec) throw new Error("no mini image " + name);
  return buildImage(spec);
}
