// A deterministic source tree for ext images (mke2fs -d DIR): files of many sizes with
// random content, nested and large directories, sparse files, symlink chains, a hard link
// and a FIFO; plus the manifest of what a reader must find in it.

import { closeSync, existsSync, mkdirSync, openSync, readdirSync, linkSync, lstatSync, readlinkSync, rmSync, symlinkSync, writeFileSync, writeSync, ftruncateSync, renameSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";

export interface TreeOptions {
  seed: number;
  bigDirEntries?: number; // entries in /bigdir (htree when the fs has dir_index): default 2000
  largeFile?: number; // bytes of /big/large.bin: default 5 MiB + 17
  sparseFar?: number; // offset of the last data in /sparse/far (triple indirect on 1 KiB ext2): default 70 MiB
  hugeSparse?: boolean; // /sparse/huge: data past 4 GiB (sparse)
  mini?: boolean; // a small tree (a few hundred KiB) with every kind of object: fuzz images
}

export interface SymlinkExpect {
  path: string; // the link, from the tree root ("/links/rel")
  target: string; // what it holds
  resolves: string | null; // the path it leads to (lookup result), or null
  error?: "missing" | "loop";
}

export interface TreeManifest {
  dir: string;
  links: SymlinkExpect[];
  hardLinks: [string, string][];
  options: TreeOptions;
}

// mulberry32: small, fast, deterministic.
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

export function randomBytes(rand: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  let i = 0;
  for (; i + 4 <= n; i += 4) b.writeUInt32LE(rand(), i);
  for (; i < n; i++) b[i] = rand() & 0xff;
  return b;
}

const KiB = 1024, MiB = 1024 * 1024;

// Sizes around every boundary a reader has: inline data (60 bytes), 1/2/4/64 KiB blocks,
// the 12 direct blocks and the single indirect block with 1 KiB blocks.
export const MINI_SIZES = [1, 59, 60, 61, 100, 1025, 4097, 13 * 1024, 70 * 1024, 300 * 1024];
export const FILE_SIZES = [1, 2, 59, 60, 61, 100, 127, 200, 1023, 1024, 1025, 2047, 2048, 2049, 4095, 4096, 4097,
  12 * KiB - 1, 12 * KiB, 12 * KiB + 1, 48 * KiB + 5, 64 * KiB - 1, 64 * KiB, 64 * KiB + 1, 268 * KiB, 268 * KiB + 1,
  300 * KiB + 3, MiB + 7];

// Write a sparse file: size bytes, data only in `pieces` (offset, length).
function sparseFile(path: string, size: number, pieces: [number, number][], rand: () => number): void {
  const fd = openSync(path, "w");
  try {
    ftruncateSync(fd, size);
    for (const [off, len] of pieces) writeSync(fd, randomBytes(rand, len), 0, len, off);
  } finally {
    closeSync(fd);
  }
}

export function buildTree(dir: string, opt: TreeOptions): TreeManifest {
  const tmp = dir + ".tmp";
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const rand = prng(opt.seed);
  const p = (rel: string) => join(tmp, rel);
  const mk = (rel: string) => mkdirSync(p(rel), { recursive: true });
  const file = (rel: string, n: number) => writeFileSync(p(rel), randomBytes(rand, n));

  const mini = opt.mini ?? false;
  writeFileSync(p("README"), "pvboot ext test tree, seed " + opt.seed + "\n");
  file("empty", 0);
  file("one", 1);
  mk("sizes");
  for (const n of mini ? MINI_SIZES : FILE_SIZES) file(`sizes/f-${n}`, n);
  mk("big");
  if (!mini) {
    file("big/large.bin", opt.largeFile ?? 5 * MiB + 17);
    file("big/3m.bin", 3 * MiB + 123);
  }

  mk("deep/a/b/c/d/e/f/g/h");
  file("deep/a/b/c/d/e/f/g/h/leaf", 777);
  file("deep/a/mid", 4000);
  mk("emptydir");

  // A large directory: names of different lengths so entries pack differently.
  const bigN = opt.bigDirEntries ?? (mini ? 60 : 2000);
  mk("bigdir");
  for (let i = 0; i < bigN; i++) {
    const name = `entry-${String(i).padStart(5, "0")}` + "x".repeat(i % 23);
    if (i % 100 === 7) mk(`bigdir/${name}`);
    else file(`bigdir/${name}`, i % 5 === 0 ? (rand() % 300) : 0);
  }

  // Names that are not plain ASCII, and the longest name allowed.
  mk("names");
  for (const n of ["héllo wörld", "日本語のファイル", "with space", "semi;colon", "dash-", ".hidden", "..dots", "a".repeat(255), "ü".repeat(127)]) {
    file(`names/${n}`, (rand() % (mini ? 200 : 5000)) + 1);
  }

  // Sparse files: holes at the start, middle and end; all hole; data far out.
  mk("sparse");
  const pieces: [number, number][] = [];
  for (let i = 0; i < 64; i++) pieces.push([i * 8 * KiB, mini ? 1 : 4 * KiB]); // every other 4 KiB
  sparseFile(p("sparse/striped"), 512 * KiB, pieces, rand);
  const far = opt.sparseFar ?? (mini ? 5 * MiB : 70 * MiB);
  sparseFile(p("sparse/far"), far + 900, [[0, 500], [300 * KiB, 10], [far, 900]], rand);
  if (!mini) {
    // 1500 separate pieces: an extent tree of depth 2 on 1 KiB blocks (4 x 84 extents
    // fit depth 1) and on 4 KiB blocks (4 x 340).
    const frag: [number, number][] = [];
    for (let i = 0; i < 1500; i++) frag.push([i * 8 * KiB + (i % 7) * 100, 1 + (i % 5) * 300]);
    sparseFile(p("sparse/fragmented"), 1500 * 8 * KiB, frag, rand);
    sparseFile(p("sparse/start-hole"), 200 * KiB + 11, [[150 * KiB, 50 * KiB + 11]], rand);
    sparseFile(p("sparse/middle-hole"), 3 * MiB, [[0, 100 * KiB], [2 * MiB + 333, MiB - 333]], rand);
    sparseFile(p("sparse/end-hole"), 2 * MiB, [[0, 70 * KiB + 1]], rand);
    sparseFile(p("sparse/all-hole"), 5 * MiB + 5, [], rand);
    sparseFile(p("sparse/far-data"), far + 9000, [[20 * MiB, 4096], [far, 9000]], rand);
  }
  if (opt.hugeSparse) sparseFile(p("sparse/huge"), 5 * 1024 * MiB + 100, [[0, 4096], [4 * 1024 * MiB + 12345, 70000]], rand);

  // Symlinks: relative, absolute, chains, dangling, loops, fast (< 60 bytes) and slow.
  mk("links");
  const links: SymlinkExpect[] = [];
  const link = (rel: string, target: string, resolves: string | null, error?: "missing" | "loop") => {
    symlinkSync(target, p(rel));
    links.push({ path: "/" + rel, target, resolves, error });
  };
  link("links/rel", "../sizes/f-100", "/sizes/f-100");
  link("links/abs", "/sizes/f-1025", "/sizes/f-1025");
  link("links/dot", "./rel", "/sizes/f-100");
  link("links/chain1", "chain2", "/deep/a/mid");
  link("links/chain2", "chain3", "/deep/a/mid");
  link("links/chain3", "../deep/a/mid", "/deep/a/mid");
  link("links/dirlink", "../deep/a", "/deep/a");
  link("links/absdir", "/deep/a/b/c", "/deep/a/b/c");
  link("links/dangling", "nowhere/at/all", null, "missing");
  link("links/loop1", "loop2", null, "loop");
  link("links/loop2", "loop1", null, "loop");
  link("links/self", "self", null, "loop");
  // 9 links in a row: one more than a lookup follows.
  for (let i = 0; i < 9; i++) link(`links/long${i}`, i < 8 ? `long${i + 1}` : "../one", i === 0 ? null : "/one", i === 0 ? "loop" : undefined);
  link("links/fast59", "../sizes/" + "/".repeat(59 - "../sizes/".length - "f-1".length) + "f-1", "/sizes/f-1");
  link("links/slow60", "../sizes/" + "/".repeat(60 - "../sizes/".length - "f-1".length) + "f-1", "/sizes/f-1");
  link("links/slow-long", "../names/" + "a".repeat(255), "/names/" + "a".repeat(255));
  link("links/utf8", "../names/héllo wörld", "/names/héllo wörld");
  link("links/through", "dirlink/b/c/d/../d/e", "/deep/a/b/c/d/e");

  // A hard link, and a FIFO (a type that is neither file, directory nor symlink).
  const hardTarget = mini ? "sizes/f-4097" : "sizes/f-4096";
  linkSync(p(hardTarget), p("hardlink"));
  execFileSync("mkfifo", [p("fifo")]);

  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  const manifest: TreeManifest = { dir, links, hardLinks: [["/hardlink", "/" + hardTarget]], options: opt };
  writeFileSync(dir + ".json", JSON.stringify(manifest));
  return manifest;
}

// The tree as a reader should see it: every path (from the root) with its type and size.
export interface SourceEntry { path: string; type: "file" | "dir" | "symlink" | "fifo" | "other"; size: number; target?: string; children?: string[] }
export function scanTree(dir: string): Map<string, SourceEntry> {
  const out = new Map<string, SourceEntry>();
  const visit = (rel: string) => {
    const full = join(dir, rel);
    const st = lstatSync(full);
    const path = rel === "" ? "/" : rel;
    if (st.isDirectory()) {
      const children = readdirSync(full);
      out.set(path, { path, type: "dir", size: st.size, children });
      for (const c of children) visit(rel === "" ? "/" + c : rel + "/" + c);
    } else if (st.isSymbolicLink()) {
      out.set(path, { path, type: "symlink", size: st.size, target: readlinkSync(full) });
    } else if (st.isFile()) {
      out.set(path, { path, type: "file", size: st.size });
    } else if (st.isFIFO()) {
      out.set(path, { path, type: "fifo", size: 0 });
    } else {
      out.set(path, { path, type: "other", size: 0 });
    }
  };
  visit("");
  return out;
}

export function treeExists(dir: string): boolean {
  return existsSync(dir) && existsSync(dir + ".json");
}
