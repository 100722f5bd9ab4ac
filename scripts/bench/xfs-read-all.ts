// Reading every file of a 200 MiB XFS filesystem, in one run:
//   pvboot     the XFS reader alone, natively (build/bench/xfs-read-all: src/bench/xfs.ts through
//              wasm2c, compiled as the PV image is) over the image in memory: mount, list every
//              directory, read every file in 1 MiB pieces;
//   xfs-mount  the kernel's own XFS: a fresh read-only loop mount of the same image, every file
//              read with cat (find | xargs cat > /dev/null).
// Issue 21 names xfs_db as the peer, but Debian 12's xfs_db (xfsprogs 6.1) cannot read a file's
// contents: it has no command that writes them out (no rdump or cat); the closest is
// `inode N` + `dblock K` + `type data` + `print`, a hex dump of one filesystem block per
// command, which would time xfs_db's hex formatting, not reading. So the peer is the kernel's
// reader, and the benchmark prints a "#" line saying so.
// Best of 3 each, runs interleaved (pvboot, mount, pvboot, ...), in seconds; ratio = pvboot /
// xfs-mount. The image is made once into
// build/cache/bench/ with mkfs.xfs and a loop mount (root), from scripts/bench/lib/fs-tree.ts's
// tree; both readers must find all of its files and bytes.
//
//   fs-read-all-xfs pvboot 0.009 xfs-mount 0.150 ratio 0.06

import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { makeTree } from "./lib/fs-tree";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const MB = Number(process.env.PVBOOT_BENCH_MB ?? 200);
const RUNS = Number(process.env.PVBOOT_BENCH_RUNS ?? 3);
const CACHE = join(ROOT, "build/cache/bench");
const image = join(CACHE, `xfs-${MB}M.img`);
const mnt = join(ROOT, "build/bench/xfs-mnt");

function prepare(): { files: number; bytes: number } {
  const meta = image + ".json";
  if (existsSync(image) && existsSync(meta)) return JSON.parse(readFileSync(meta, "utf8"));
  mkdirSync(CACHE, { recursive: true });
  const tree = join(ROOT, "build/bench/xfs-tree");
  rmSync(tree, { recursive: true, force: true });
  const m = makeTree(tree, MB);
  const tmp = image + ".tmp";
  rmSync(tmp, { force: true });
  execFileSync("truncate", ["-s", `${MB}M`, tmp]);
  execFileSync("mkfs.xfs", ["-q", "-f", tmp], { env: { ...process.env, TEST_DIR: "1", TEST_DEV: "1", QA_CHECK_FS: "1" } });
  mkdirSync(mnt, { recursive: true });
  execFileSync("mount", ["-o", "loop", tmp, mnt]);
  try {
    execFileSync("cp", ["-a", tree + "/.", mnt + "/"]);
  } finally {
    execFileSync("umount", [mnt]);
  }
  rmSync(tree, { recursive: true, force: true });
  renameSync(tmp, image);
  writeFileSync(meta, JSON.stringify(m));
  return m;
}

function seconds(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

// One run of the peer, on a fresh mount.
function timeMount(want: { files: number; bytes: number }): number {
  mkdirSync(mnt, { recursive: true });
  execFileSync("mount", ["-o", "loop,ro", image, mnt]);
  try {
    const t0 = process.hrtime.bigint();
    const out = execFileSync("sh", ["-c", `find . -type f -print0 | xargs -0 cat | wc -c`], { cwd: mnt, encoding: "utf8", maxBuffer: 1 << 20 });
    const s = seconds(t0);
    if (Number(out.trim()) !== want.bytes) throw new Error(`xfs-mount read ${out.trim()} bytes, want ${want.bytes}`);
    return s;
  } finally {
    execFileSync("umount", [mnt]);
  }
}

// One run of pvboot's reader.
function timePvboot(want: { files: number; bytes: number }): number {
  const r = spawnSync(join(ROOT, "build/bench/xfs-read-all"), [image, "1"], { encoding: "utf8" });
  const m = /files (\d+) bytes (\d+) sum \S+ best ([\d.]+)/.exec(r.stdout);
  if (r.status !== 0 || !m) throw new Error(`xfs-read-all failed: ${r.stdout}${r.stderr}`);
  if (Number(m[1]) !== want.files || Number(m[2]) !== want.bytes) throw new Error(`pvboot read ${m[1]} files, ${m[2]} bytes; want ${JSON.stringify(want)}`);
  return Number(m[3]);
}

if (process.getuid && process.getuid() !== 0) {
  console.log("fs-read-all-xfs: skipped (needs root for the loop mount)");
} else {
  const want = prepare();
  execFileSync("make", ["-s", "build/bench/xfs-read-all"], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
  let ours = Infinity, peer = Infinity;
  for (let r = 0; r < RUNS; r++) {
    ours = Math.min(ours, timePvboot(want));
    peer = Math.min(peer, timeMount(want));
  }
  console.log("# fs-read-all-xfs: the peer is the kernel's XFS on a loop mount, not xfs_db: xfs_db 6.1 " +
    "(Debian 12) has no command that reads out a file's contents, only a hex dump of one block per command");
  console.log(`fs-read-all-xfs pvboot ${ours.toFixed(3)} xfs-mount ${peer.toFixed(3)} ratio ${(ours / peer).toFixed(2)}`);
}
