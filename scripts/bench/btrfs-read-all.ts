// Reading every file of a 200 MiB btrfs filesystem, in one run:
//   pvboot         the btrfs reader alone, natively (build/bench/btrfs-read-all:
//                  src/bench/btrfs.ts through wasm2c, compiled as the PV image is) over the
//                  image in memory: mount, list every directory, read every file in 1 MiB pieces,
//                  every data sector checked against the csum tree as in the image;
//   btrfs-restore  btrfs-progs' own reader: `btrfs restore IMAGE DIR` of the same image (in the
//                  page cache after the first run) into a fresh directory on tmpfs (/dev/shm),
//                  which reads every file and writes it out (it does not check data checksums).
// Best of 3 each, in seconds; ratio = pvboot / btrfs-restore. The image is made once into
// build/cache/bench/ by mkfs.btrfs --rootdir (no root needed) from scripts/bench/lib/fs-tree.ts's
// tree: data extents, uncompressed (the tree's data does not compress), the small files inline
// in the metadata. Both readers must find all of its files and bytes.
//
//   fs-read-all-btrfs pvboot 0.143 btrfs-restore 0.144 ratio 0.99

import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { makeTree } from "./lib/fs-tree";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const MB = Number(process.env.PVBOOT_BENCH_MB ?? 200);
const RUNS = Number(process.env.PVBOOT_BENCH_RUNS ?? 3);
const CACHE = join(ROOT, "build/cache/bench");
const image = join(CACHE, `btrfs-${MB}M.img`);

function prepare(): { files: number; bytes: number } {
  const meta = image + ".json";
  if (existsSync(image) && existsSync(meta)) return JSON.parse(readFileSync(meta, "utf8"));
  mkdirSync(CACHE, { recursive: true });
  const tree = join(ROOT, "build/bench/btrfs-tree");
  rmSync(tree, { recursive: true, force: true });
  const m = makeTree(tree, MB);
  const tmp = image + ".tmp";
  rmSync(tmp, { force: true });
  execFileSync("truncate", ["-s", `${MB}M`, tmp]);
  execFileSync("mkfs.btrfs", ["-q", "-f", "-r", tree, tmp], { stdio: ["ignore", "ignore", "inherit"] });
  rmSync(tree, { recursive: true, force: true });
  renameSync(tmp, image);
  writeFileSync(meta, JSON.stringify(m));
  return m;
}

function seconds(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

function timeRestore(want: { files: number; bytes: number }): number {
  let best = Infinity;
  const base = existsSync("/dev/shm") ? "/dev/shm" : join(ROOT, "build/bench");
  for (let r = 0; r < RUNS; r++) {
    const out = mkdtempSync(join(base, "pvboot-btrfs-restore-"));
    try {
      const t0 = process.hrtime.bigint();
      execFileSync("btrfs", ["restore", image, out], { stdio: ["ignore", "ignore", "inherit"] });
      const s = seconds(t0);
      const sizes = execFileSync("find", [out, "-type", "f", "-printf", "%s\\n"], { encoding: "utf8", maxBuffer: 64 << 20 }).trim().split("\n");
      const bytes = sizes.reduce((a, b) => a + Number(b), 0);
      if (sizes.length !== want.files || bytes !== want.bytes) throw new Error(`btrfs restore wrote ${sizes.length} files, ${bytes} bytes; want ${JSON.stringify(want)}`);
      best = Math.min(best, s);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }
  return best;
}

function timePvboot(want: { files: number; bytes: number }): number {
  execFileSync("make", ["-s", "build/bench/btrfs-read-all"], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
  const r = spawnSync(join(ROOT, "build/bench/btrfs-read-all"), [image, String(RUNS)], { encoding: "utf8" });
  const m = /files (\d+) bytes (\d+) sum \S+ best ([\d.]+)/.exec(r.stdout);
  if (r.status !== 0 || !m) throw new Error(`btrfs-read-all failed: ${r.stdout}${r.stderr}`);
  if (Number(m[1]) !== want.files || Number(m[2]) !== want.bytes) throw new Error(`pvboot read ${m[1]} files, ${m[2]} bytes; want ${JSON.stringify(want)}`);
  return Number(m[3]);
}

const want = prepare();
const peer = timeRestore(want);
const ours = timePvboot(want);
const ratio = ours / peer;
console.log(`fs-read-all-btrfs pvboot ${ours.toFixed(3)} btrfs-restore ${peer.toFixed(3)} ratio ${ratio.toFixed(2)}`);
// The bound: the reader at most 1.5 times its peer's time (run-benches.sh fails on exit 1).
if (ratio > 1.5) {
  console.log(`fs-read-all-btrfs: ratio ${ratio.toFixed(2)} is over 1.5`);
  process.exit(1);
}
