// XFS test images made by Debian's xfsprogs, cached under build/cache/xfs-images/ by a hash
// of everything that shapes them:
//   - "mount" images (v5; this kernel mounts no v4): mkfs.xfs, then a loop mount (root) into
//     which the source tree is copied with cp -a, and where the structures cp cannot make are
//     made with the kernel's own writes: files fragmented into hundreds of extents (B+tree
//     data forks) by interleaved synced writes, and unwritten extents by fallocate. After
//     unmounting, the image is mounted read-only again and `diff -r` against the tree proves
//     the kernel reads back exactly the tree: the reader is then checked against the tree.
//   - "proto" images (v4): mkfs.xfs -p PROTOFILE, populated by mkfs itself (no root),
//     from a copy of the tree without what a protofile cannot say (names with spaces, hard
//     links).
// Every image passes `xfs_repair -n`. scripts/images/make-xfs.ts builds the matrix from the
// command line.
//
//   const img = buildXfsImage(XFS_MATRIX.find((s) => s.name === "v5-4k")!);
//   img.path, img.tree (a TreeManifest for test/ext/verify.ts)

import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, cpSync, existsSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./wasm";
import { buildSourceTree, IMAGE_DIR, MINI_TREE, STANDARD_TREE } from "../ext/images";
import { prng, randomBytes, type TreeManifest, type TreeOptions } from "../ext/tree";

export const XFS_IMAGE_DIR = join(ROOT, "build/cache/xfs-images");
// Bump when the trees or the way images are made change.
const VERSION = 4;

// mkfs.xfs 5.19+ refuses filesystems under 300 MB unless it believes it runs under fstests;
// these three variables are its test-suite escape hatch (small images keep tests fast).
const MKFS_ENV = { ...process.env, TEST_DIR: "1", TEST_DEV: "1", QA_CHECK_FS: "1" };

export type TreeKind = "full" | "mini";

export interface XfsSpec {
  name: string;
  mkfs: string[]; // after "mkfs.xfs -q -f"
  size: string; // e.g. "160M"
  populate: "mount" | "proto";
  tree: TreeKind;
  mountOpts?: string; // extra loop mount options while populating
}

export interface XfsBuilt {
  spec: XfsSpec;
  path: string;
  tree: TreeManifest;
}

function hash(x: unknown): string {
  return createHash("sha256").update(JSON.stringify(x)).digest("hex").slice(0, 12);
}

function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; ok?: number[] } = {}): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", env: opts.env ?? process.env, maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  if (!(opts.ok ?? [0]).includes(r.status ?? -1)) throw new Error(`${cmd} ${args.join(" ")}: exit ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r.stdout + r.stderr;
}

// ---- the trees ---------------------------------------------------------------------------

const KiB = 1024, MiB = 1024 * 1024;

// What the XFS trees add to ext's: directories sized for each directory form, remote symlinks,
// a deep directory chain, and the files made on the mounted filesystem (under /xfs/special:
// fragmented and preallocated files), whose contents the tree holds for comparison.
export interface XfsExtras { fragFiles: string[]; fragChunk: number; prealloc: { path: string; size: number; data: [number, number][]; keepSize?: number }[] }

function extrasFor(kind: TreeKind, proto: boolean): XfsExtras {
  if (proto) return { fragFiles: [], fragChunk: 4096, prealloc: [] };
  return kind === "mini"
    ? { fragFiles: ["/xfs/special/frag-a", "/xfs/special/frag-b"], fragChunk: 4096, prealloc: [{ path: "/xfs/special/prealloc", size: 256 * KiB, data: [[64 * KiB + 100, 5000]] }] }
    : {
      fragFiles: ["/xfs/special/frag-a", "/xfs/special/frag-b", "/xfs/special/frag-c"], fragChunk: 4096,
      prealloc: [
        { path: "/xfs/special/prealloc", size: 3 * MiB, data: [[MiB + 4096, 8192], [2 * MiB + 77, 1000]] },
        { path: "/xfs/special/prealloc-all", size: MiB + 3, data: [] },
        { path: "/xfs/special/prealloc-past-eof", size: 10000, data: [[0, 10000]], keepSize: 2 * MiB },
      ],
    };
}

function fragChunks(kind: TreeKind): number {
  return kind === "mini" ? 40 : 700;
}

export interface XfsTree { manifest: TreeManifest; extras: XfsExtras }

export function buildXfsTree(kind: TreeKind, proto: boolean): XfsTree {
  mkdirSync(IMAGE_DIR, { recursive: true });
  const base = buildSourceTree(kind === "mini" ? MINI_TREE : STANDARD_TREE);
  const dir = join(XFS_IMAGE_DIR, `tree-${kind}${proto ? "-proto" : ""}-v${VERSION}-${hash({ VERSION, base: base.dir })}`);
  const extras = extrasFor(kind, proto);
  if (existsSync(dir + ".json")) return { manifest: JSON.parse(readFileSync(dir + ".json", "utf8")), extras };
  mkdirSync(XFS_IMAGE_DIR, { recursive: true });
  const tmp = dir + ".tmp";
  rmSync(tmp, { recursive: true, force: true });
  execFileSync("cp", ["-a", base.dir, tmp]);
  const rand = prng(kind === "mini" ? 77 : 21);
  const p = (rel: string) => join(tmp, rel);
  const mk = (rel: string) => mkdirSync(p(rel), { recursive: true });
  let links = base.links;
  let hardLinks = base.hardLinks;

  // Directories for each form (with 4 KiB directory blocks): short-form, block, leaf, node.
  const forms: [string, number][] = kind === "mini" ? [["sf", 4], ["block", 40], ["leaf", 200]] : [["sf", 4], ["block", 50], ["leaf", 400], ["node", 4000]];
  for (const [form, n] of forms) {
    mk(`xfs/dirs/${form}`);
    for (let i = 0; i < n; i++) writeFileSync(p(`xfs/dirs/${form}/${form}-entry-${String(i).padStart(5, "0")}`), i % 9 === 0 ? randomBytes(rand, 10 + (i % 50)) : Buffer.alloc(0));
  }
  mk("xfs/dirs/sf8");
  writeFileSync(p("xfs/dirs/sf8/x"), "x");
  // A deep chain of directories.
  let deep = "xfs/deep";
  for (let i = 0; i < (kind === "mini" ? 12 : 40); i++) deep += `/d${i}`;
  mk(deep);
  writeFileSync(p(deep + "/bottom"), "the bottom\n");
  // Symlinks: inline (short) and remote (longer than the inode's literal area).
  mk("xfs/links");
  const longTarget = (n: number) => "../" + Array.from({ length: Math.ceil(n / 50) }, (_, i) => `seg${i}-` + "x".repeat(44)).join("/").slice(0, n - 3);
  symlinkSync("../dirs/sf", p("xfs/links/inline"));
  symlinkSync(longTarget(600), p("xfs/links/remote600"));
  symlinkSync(longTarget(1023), p("xfs/links/remote1023"));
  // Files made on the mounted filesystem: their contents here.
  mk("xfs/special");
  const chunks = fragChunks(kind);
  for (const f of extras.fragFiles) writeFileSync(p(f), randomBytes(rand, chunks * extras.fragChunk - 123));
  for (const pa of extras.prealloc) {
    const b = Buffer.alloc(pa.size);
    for (const [off, len] of pa.data) randomBytes(rand, len).copy(b, off);
    writeFileSync(p(pa.path), b);
  }

  if (proto) {
    // What a protofile cannot hold: names with whitespace (and links to them), hard links.
    const drop = (rel: string) => /\s/.test(rel);
    const walk = (rel: string) => {
      for (const n of readdirSync(p(rel))) {
        const r = rel ? `${rel}/${n}` : n;
        const st = lstatSync(p(r));
        if (drop(n) || (st.isSymbolicLink() && drop(readlinkSync(p(r))))) rmSync(p(r), { recursive: true, force: true });
        else if (st.isDirectory()) walk(r);
      }
    };
    walk("");
    links = links.filter((l) => !drop(l.target) && !drop(l.path) && !(l.resolves && drop(l.resolves)));
    hardLinks = [];
  }
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  const manifest: TreeManifest = { dir, links, hardLinks, options: base.options };
  writeFileSync(dir + ".json", JSON.stringify(manifest));
  return { manifest, extras };
}

// ---- protofiles ----------------------------------------------------------------------------

function modeString(mode: number, type: string): string {
  return type + (mode & 0o4000 ? "u" : "-") + (mode & 0o2000 ? "g" : "-") + (mode & 0o777).toString(8).padStart(3, "0");
}

// mkfs.xfs's protofile for a tree: a boot-image line, "blocks inodes", the root, then each
// entry as "name mode uid gid [source | target | major minor]", directories closed by "$".
export function protofile(dir: string): string {
  const lines = ["/dev/null", "0 0"];
  const rootSt = lstatSync(dir);
  lines.push(`${modeString(rootSt.mode, "d")} 0 0`);
  const walk = (abs: string, indent: string) => {
    for (const n of readdirSync(abs).sort()) {
      const full = join(abs, n);
      const st = lstatSync(full);
      if (/\s/.test(n)) throw new Error(`protofile: ${full}: a name with whitespace`);
      if (st.isDirectory()) {
        lines.push(`${indent}${n} ${modeString(st.mode, "d")} ${st.uid} ${st.gid}`);
        walk(full, indent + " ");
        lines.push(`${indent}$`);
      } else if (st.isSymbolicLink()) lines.push(`${indent}${n} ${modeString(st.mode, "l")} ${st.uid} ${st.gid} ${readlinkSync(full)}`);
      else if (st.isFIFO()) lines.push(`${indent}${n} ${modeString(st.mode, "p")} ${st.uid} ${st.gid}`);
      else if (st.isFile()) lines.push(`${indent}${n} ${modeString(st.mode, "-")} ${st.uid} ${st.gid} ${full}`);
    }
  };
  walk(dir, " ");
  lines.push("$");
  return lines.join("\n") + "\n";
}

// ---- images ----------------------------------------------------------------------------------

const MNT = join(XFS_IMAGE_DIR, "mnt");

function loopMount(image: string, opts: string): void {
  mkdirSync(MNT, { recursive: true });
  run("mount", ["-o", `loop,${opts}`, image, MNT]);
}

function unmount(): void {
  run("umount", [MNT]);
}

// Interleaved synced 4 KiB writes to several files: each write allocates apart from the
// previous one of the same file (allocsize=4k stops speculative preallocation), so every
// file ends up with about one extent per chunk.
function writeFragmented(tree: string, extras: XfsExtras): void {
  const fds = extras.fragFiles.map((f) => ({ fd: openSync(join(MNT, f), "w"), data: readFileSync(join(tree, f)) }));
  try {
    const n = Math.max(...fds.map((f) => f.data.length));
    for (let off = 0; off < n; off += extras.fragChunk) {
      for (const f of fds) {
        if (off >= f.data.length) continue;
        writeSync(f.fd, f.data, off, Math.min(extras.fragChunk, f.data.length - off), off);
        fsyncSync(f.fd);
      }
    }
  } finally {
    for (const f of fds) closeSync(f.fd);
  }
}

function writePrealloc(tree: string, extras: XfsExtras): void {
  for (const pa of extras.prealloc) {
    const at = join(MNT, pa.path);
    rmSync(at, { force: true });
    run("fallocate", ["-l", String(pa.size), at]);
    const src = readFileSync(join(tree, pa.path));
    const fd = openSync(at, "r+");
    try {
      for (const [off, len] of pa.data) writeSync(fd, src, off, len, off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (pa.keepSize) run("fallocate", ["-n", "-o", String(pa.size), "-l", String(pa.keepSize), at]);
  }
}

// Every difference between two trees: names, types, symlink targets, file contents.
export function compareTrees(a: string, b: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    const na = readdirSync(join(a, rel)).sort(), nb = readdirSync(join(b, rel)).sort();
    if (JSON.stringify(na) !== JSON.stringify(nb)) out.push(`${rel || "/"}: names differ`);
    for (const n of na) {
      if (!nb.includes(n)) continue;
      const r = join(rel, n);
      const sa = lstatSync(join(a, r)), sb = lstatSync(join(b, r));
      const kind = (s: typeof sa) => s.isDirectory() ? "d" : s.isSymbolicLink() ? "l" : s.isFile() ? "f" : s.isFIFO() ? "p" : "?";
      if (kind(sa) !== kind(sb)) out.push(`${r}: type differs`);
      else if (sa.isDirectory()) walk(r);
      else if (sa.isSymbolicLink() && readlinkSync(join(a, r)) !== readlinkSync(join(b, r))) out.push(`${r}: target differs`);
      else if (sa.isFile() && !readFileSync(join(a, r)).equals(readFileSync(join(b, r)))) out.push(`${r}: contents differ`);
    }
  };
  walk("");
  return out;
}

export function buildXfsImage(spec: XfsSpec): XfsBuilt {
  const proto = spec.populate === "proto";
  const { manifest, extras } = buildXfsTree(spec.tree, proto);
  const path = join(XFS_IMAGE_DIR, `${spec.name}-${hash({ VERSION, spec: { ...spec, name: undefined }, tree: manifest.dir })}.img`);
  if (existsSync(path)) return { spec, path, tree: manifest };
  for (const f of readdirSync(XFS_IMAGE_DIR)) {
    if (f.startsWith(spec.name + "-") && f.endsWith(".img") && /^[0-9a-f]{12}\.img$/.test(f.slice(spec.name.length + 1))) rmSync(join(XFS_IMAGE_DIR, f));
  }
  const tmp = `${path}.${process.pid}.tmp`;
  rmSync(tmp, { force: true });
  run("truncate", ["-s", spec.size, tmp]);
  if (proto) {
    const pf = tmp + ".proto";
    writeFileSync(pf, protofile(manifest.dir));
    run("mkfs.xfs", ["-q", "-f", ...spec.mkfs, "-p", pf, tmp], { env: MKFS_ENV });
    rmSync(pf);
  } else {
    run("mkfs.xfs", ["-q", "-f", ...spec.mkfs, tmp], { env: MKFS_ENV });
    loopMount(tmp, spec.mountOpts ?? "allocsize=4k");
    try {
      execFileSync("cp", ["-a", manifest.dir + "/.", MNT + "/"]);
      for (const f of [...extras.fragFiles, ...extras.prealloc.map((x) => x.path)]) rmSync(join(MNT, f), { force: true });
      run("sync", []);
      writeFragmented(manifest.dir, extras);
      writePrealloc(manifest.dir, extras);
    } finally {
      unmount();
    }
    // The kernel's own reading of the image is the tree, exactly.
    loopMount(tmp, "ro");
    try {
      const diffs = compareTrees(manifest.dir, MNT);
      if (diffs.length > 0) throw new Error(`${spec.name}: the loop mount differs from the tree: ${diffs.slice(0, 5).join("; ")}`);
    } finally {
      unmount();
    }
  }
  run("xfs_repair", ["-n", "-o", "force_geometry", tmp]);
  renameSync(tmp, path);
  return { spec, path, tree: manifest };
}

// xfs_db's view of one inode (fields printed by "print core"), by path.
export function xfsDb(image: string, cmds: string[]): string {
  return run("xfs_db", ["-r", ...cmds.flatMap((c) => ["-c", c]), image]);
}

export function inodeOfPath(image: string, path: string): number {
  const out = xfsDb(image, [`path ${path}`, "stat"]);
  const m = /^\s*inode\s*=?\s*(\d+)/m.exec(out) ?? /ino(?:de)? (\d+)/i.exec(out);
  if (m) return Number(m[1]);
  // Older xfs_db: "path" then "print core.ino" is not there; fall back to the dir listing.
  throw new Error(`xfs_db: no inode for ${path}:\n${out}`);
}

// The matrix: every image reads back exactly.
export const XFS_MATRIX: XfsSpec[] = [
  { name: "v5-4k", mkfs: [], size: "256M", populate: "mount", tree: "full" },
  { name: "v5-1k", mkfs: ["-b", "size=1024"], size: "256M", populate: "mount", tree: "full" },
  { name: "v5-64k", mkfs: ["-b", "size=65536"], size: "512M", populate: "mount", tree: "full" },
  { name: "v5-4k-dir16k", mkfs: ["-n", "size=16384"], size: "256M", populate: "mount", tree: "full" },
  { name: "v5-4k-agcount8", mkfs: ["-d", "agcount=8", "-i", "size=1024"], size: "256M", populate: "mount", tree: "full" },
  { name: "v5-4k-features", mkfs: ["-L", "pvboot-xfs", "-m", "finobt=1,rmapbt=1,reflink=1,bigtime=1,inobtcount=1", "-i", "sparse=1,nrext64=1"], size: "256M", populate: "mount", tree: "full" },
  { name: "v5-4k-old", mkfs: ["-m", "finobt=0,inobtcount=0,reflink=0,rmapbt=0,bigtime=0", "-i", "sparse=0"], size: "256M", populate: "mount", tree: "full" },
  // v4 (which this kernel does not mount) through protofiles, in one AG: mkfs.xfs 6.1's
  // protofile copy of this tree into several AGs leaves AG headers that xfs_repair -n rejects.
  // (v5 has no protofile image here: 6.1 writes remote symlink blocks with bad CRCs.)
  { name: "v4-4k", mkfs: ["-m", "crc=0", "-d", "agcount=1"], size: "256M", populate: "proto", tree: "full" },
  { name: "v4-512", mkfs: ["-m", "crc=0", "-b", "size=512", "-d", "agcount=1"], size: "256M", populate: "proto", tree: "full" },
  { name: "v4-1k-noftype", mkfs: ["-m", "crc=0", "-n", "ftype=0", "-b", "size=1024", "-d", "agcount=1"], size: "256M", populate: "proto", tree: "full" },
];

// Small images: damage tests and fuzz seeds.
export const XFS_MINI: XfsSpec[] = [
  { name: "mini-v5-4k", mkfs: [], size: "16M", populate: "mount", tree: "mini" },
  { name: "mini-v5-1k", mkfs: ["-b", "size=1024"], size: "16M", populate: "mount", tree: "mini" },
  { name: "mini-v4-512", mkfs: ["-m", "crc=0", "-b", "size=512"], size: "16M", populate: "proto", tree: "mini" },
];

export function miniXfs(name: string): XfsBuilt {
  const s = XFS_MINI.find((x) => x.name === name);
  if (!s) throw new Error("no mini XFS image " + name);
  return buildXfsImage(s);
}
