// Reading every file of a 200 MiB ext4 image made by mke2fs -d, in one run:
//   pvboot      the whole loader in the emulator, as `pvboot cat`/`ls`/`check` run it (tool mode
//               readall, through blkfront and the emulated blkback);
//   pvboot-core the ext reader alone, natively (build/bench/ext-read-all: src/bench/ext.ts
//               through wasm2c, compiled as the PV image is) over the image in memory: mount,
//               list every directory, read every file in 1 MiB pieces;
//   debugfs     e2fsprogs' `debugfs -R "rdump / OUT"` on the same image (reads and writes out).
// Each is checked to have read every byte of the source tree. Best of PVBOOT_BENCH_RUNS (3)
// each, runs interleaved. Issue 22's bounds: pvboot at most 1.2 times debugfs, the reader alone
// at most 1.0; past either the benchmark exits 1 (run-benches.sh then fails make bench).

import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { randomFillSync } from "node:crypto";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { runLoader } from "../../test/harness/run.ts";

const MB = Number(process.env.PVBOOT_BENCH_MB ?? 200);
const RUNS = Number(process.env.PVBOOT_BENCH_RUNS ?? 3);
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const dir = fileURLToPath(new URL("../../build/bench/", import.meta.url));
const image = join(dir, `ext4-${MB}M.img`);
const tree = join(dir, `ext4-${MB}M-tree`);

// A tree like a root filesystem's /boot and /usr: a few big files, many small ones.
function makeTree(): { files: number; bytes: number } {
  let files = 0, bytes = 0;
  const budget = MB * 1024 * 1024 * 0.6;
  const sizes = [40 << 20, 24 << 20, 8 << 20, 1 << 20, 256 << 10, 64 << 10, 12 << 10, 3000, 200];
  const seed = Buffer.alloc(1 << 20);
  randomFillSync(seed);
  for (let d = 0; bytes < budget; d++) {
    const sub = join(tree, `d${d % 37}`, `e${d}`);
    mkdirSync(sub, { recursive: true });
    for (let i = 0; i < 40 && bytes < budget; i++) {
      const pick = sizes[(d * 7 + i * 3) % sizes.length];
      const size = Math.min(pick >> (d > 3 && pick > 1 << 20 ? 4 : 0), Math.floor(budget / 8));
      const data = Buffer.alloc(size);
      for (let off = 0; off < size; off += seed.length) seed.copy(data, off, (off * 31 + d) % 4096);
      data.writeUInt32LE(d * 1000 + i, 0);
      writeFileSync(join(sub, `f${i}`), data);
      files++;
      bytes += size;
    }
  }
  return { files, bytes };
}

function prepare(): { files: number; bytes: number } {
  const meta = image + ".json";
  if (existsSync(image) && existsSync(meta)) return JSON.parse(readFileSync(meta, "utf8"));
  rmSync(tree, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const m = makeTree();
  execFileSync("mke2fs", ["-q", "-F", "-t", "ext4", "-d", tree, image, `${MB}M`]);
  writeFileSync(meta, JSON.stringify(m));
  return m;
}

function seconds(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

function timeDebugfs(): number {
  const out = join(dir, "rdump-out");
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out);
  const t0 = process.hrtime.bigint();
  execFileSync("debugfs", ["-R", `rdump / ${out}`, image], { stdio: "ignore" });
  const s = seconds(t0);
  rmSync(out, { recursive: true, force: true });
  return s;
}

function timeLoader(want: { files: number; bytes: number }): number {
  let text = "";
  const t0 = process.hrtime.bigint();
  const r = runLoader({ memoryMB: 256, disks: [image], cmdline: "pvboot.tool=readall pvboot.path=(hd0)/",
    onOutput: (b) => { text += Buffer.from(b).toString("latin1"); } });
  const s = seconds(t0);
  const m = text.match(/files (\d+) bytes (\d+) checksum/);
  if (r.shutdown !== "poweroff" || !m || Number(m[1]) !== want.files || Number(m[2]) !== want.bytes) {
    throw new Error(`readall did not read the tree (${m?.[0]}, want ${JSON.stringify(want)}):\n${r.console.slice(-2000)}`);
  }
  return s;
}

// The native reader: its own best of one run (the loop here takes the best of RUNS).
function timeCore(want: { files: number; bytes: number }): number {
  const r = spawnSync(join(ROOT, "build/bench/ext-read-all"), [image, "1"], { encoding: "utf8" });
  const m = /files (\d+) bytes (\d+) sum \S+ best ([\d.]+)/.exec(r.stdout);
  if (r.status !== 0 || !m) throw new Error(`ext-read-all failed: ${r.stdout}${r.stderr}`);
  if (Number(m[1]) !== want.files || Number(m[2]) !== want.bytes) throw new Error(`the reader read ${m[1]} files, ${m[2]} bytes; want ${JSON.stringify(want)}`);
  return Number(m[3]);
}

const want = prepare();
execFileSync("make", ["-s", "build/bench/ext-read-all"], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
let debugfs = Infinity, loader = Infinity, core = Infinity;
for (let r = 0; r < RUNS; r++) {
  debugfs = Math.min(debugfs, timeDebugfs());
  loader = Math.min(loader, timeLoader(want));
  core = Math.min(core, timeCore(want));
}
const ratio = loader / debugfs, coreRatio = core / debugfs;
console.log(`ext4-read-all pvboot ${loader.toFixed(3)} debugfs ${debugfs.toFixed(3)} ratio ${ratio.toFixed(2)}`);
console.log(`ext4-read-all-core pvboot-core ${core.toFixed(3)} debugfs ${debugfs.toFixed(3)} ratio ${coreRatio.toFixed(3)}`);
let over = false;
if (ratio > 1.2) { console.log(`ext4-read-all: ratio ${ratio.toFixed(2)} is over 1.2`); over = true; }
if (coreRatio > 1.0) { console.log(`ext4-read-all-core: ratio ${coreRatio.toFixed(3)} is over 1.0`); over = true; }
if (over) process.exit(1);
