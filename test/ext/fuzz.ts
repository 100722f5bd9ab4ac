// Seeded corruption of ext images, aimed at metadata: most changes land in blocks that are
// not file data (superblock, descriptors, bitmaps, inode tables, directory, extent and
// indirect blocks), the rest anywhere in use. Reproducible from (base image, seed).

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { prng } from "./tree";
import { scanTree, type TreeManifest } from "./tree";

export interface MetaMap {
  blockSize: number;
  meta: number[]; // blocks in use that are not file data
  used: number[]; // blocks in use
  hot: [number, number][]; // byte ranges whose every byte matters: live inodes' fields, superblock, descriptors
}

// The image's blocks that hold something and are not file data. Cached next to the image.
export function metadataMap(image: string, tree: TreeManifest): MetaMap {
  const cache = image + ".meta.json";
  if (existsSync(cache)) return JSON.parse(readFileSync(cache, "utf8")) as MetaMap;
  const stats = spawnSync("dumpe2fs", ["-h", image], { encoding: "utf8" }).stdout;
  const blockSize = Number(/Block size:\s+(\d+)/.exec(stats)![1]);
  const files = [...scanTree(tree.dir).values()].filter((e) => e.type === "file" || e.type === "dir").map((e) => e.path);
  const cmds = files.map((p) => `stat "${p}"`).join("\n") + "\n";
  const cmdFile = image + ".cmds";
  writeFileSync(cmdFile, cmds);
  const out = spawnSync("debugfs", ["-f", cmdFile, image], { encoding: "utf8", maxBuffer: 64 << 20 }).stdout;
  const data = new Set<number>();
  // "(0-11):938-949, (IND):950, (12):951" and "(ETB0):2069, (0-3):4385-4388": numeric
  // labels are data, the rest (IND, DIND, TIND, ETBn) metadata.
  for (const m of out.matchAll(/\(([^)]+)\):(\d+)(?:-(\d+))?/g)) {
    if (!/^\d/.test(m[1])) continue;
    const a = Number(m[2]), b = m[3] ? Number(m[3]) : a;
    for (let x = a; x <= b; x++) data.add(x);
  }
  // Directories are data of their inodes but metadata to a reader: keep them as targets.
  const dirBlocks = new Set<number>();
  const dirs = [...scanTree(tree.dir).values()].filter((e) => e.type === "dir").map((e) => e.path);
  writeFileSync(cmdFile, dirs.map((p) => `blocks "${p}"`).join("\n") + "\n");
  const dout = spawnSync("debugfs", ["-f", cmdFile, image], { encoding: "utf8", maxBuffer: 64 << 20 }).stdout;
  for (const line of dout.split("\n")) if (/^[\d ]+$/.test(line.trim())) for (const n of line.trim().split(/\s+/)) if (n) dirBlocks.add(Number(n));

  // Hot ranges: the superblock's geometry and features, the live inodes' decisive fields.
  const hot: [number, number][] = [[1024, 0x110], [1024 + 0x150, 0x30]];
  const ipg = Number(/Inodes per group:\s+(\d+)/.exec(stats)![1]);
  const isz = Number(/Inode size:\s+(\d+)/.exec(stats)?.[1] ?? "128");
  const full = spawnSync("dumpe2fs", [image], { encoding: "utf8", maxBuffer: 64 << 20 }).stdout;
  const tables = [...full.matchAll(/Inode table at (\d+)-/g)].map((m) => Number(m[1]));
  const descs = [...full.matchAll(/Group descriptors? at (\d+)-?(\d+)?/g)];
  for (const m of descs) hot.push([Number(m[1]) * blockSize, ((m[2] ? Number(m[2]) : Number(m[1])) - Number(m[1]) + 1) * blockSize]);
  const inos = [...out.matchAll(/^Inode: (\d+)/gm)].map((m) => Number(m[1]));
  for (const ino of new Set(inos)) {
    const g = Math.floor((ino - 1) / ipg), idx = (ino - 1) % ipg;
    if (tables[g] === undefined) continue;
    const at = tables[g] * blockSize + idx * isz;
    hot.push([at, 0x08], [at + 0x1a, 0x0a], [at + 0x28, 0x3c], [at + 0x6c, 4]);
    if (isz > 128) hot.push([at + 0x80, 4], [at + 0x80 + 32, Math.min(96, isz - 0xa0)]);
  }

  const img = readFileSync(image);
  const meta: number[] = [], used: number[] = [];
  const blocks = Math.floor(img.length / blockSize);
  for (let b = 0; b < blocks; b++) {
    const blk = img.subarray(b * blockSize, (b + 1) * blockSize);
    const nonzero = blk.some((x) => x !== 0);
    if (nonzero || b === 0) used.push(b);
    if ((nonzero || b <= 2) && (!data.has(b) || dirBlocks.has(b))) meta.push(b);
  }
  const map: MetaMap = { blockSize, meta, used, hot };
  writeFileSync(cache, JSON.stringify(map));
  return map;
}

const INTERESTING32 = [0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0xfff, 0x1000, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe];

// A corrupted copy of base: n changes from the seed.
export function mutate(base: Buffer, map: MetaMap, seed: number): { image: Buffer; changes: string[] } {
  const rand = prng(seed * 2654435761 + 12345);
  const img = Buffer.from(base);
  const n = 1 + (rand() % 24);
  const changes: string[] = [];
  const bs = map.blockSize;
  for (let i = 0; i < n; i++) {
    const where = rand() % 10;
    let at: number;
    if (seed % 5 === 4) {
      // Every fifth image: the superblock and descriptors only (the mount's own checks).
      const [start, len] = map.hot[rand() % Math.min(map.hot.length, 3)];
      at = start + (rand() % Math.max(len, 1));
    } else if (where < 5 && map.hot.length > 0) {
      const [start, len] = map.hot[rand() % map.hot.length];
      at = start + (rand() % Math.max(len, 1));
    } else {
      const pool = where < 9 && map.meta.length > 0 ? map.meta : map.used;
      at = pool[rand() % pool.length] * bs + (rand() % bs);
    }
    if (at + 4 > img.length) continue;
    const kind = rand() % 4;
    if (kind === 0) {
      img[at] = rand() & 0xff;
      changes.push(`byte ${at} = ${img[at]}`);
    } else if (kind === 1) {
      img[at] ^= 1 << (rand() % 8);
      changes.push(`bit flip at ${at}`);
    } else if (kind === 2) {
      const v = INTERESTING32[rand() % INTERESTING32.length];
      const a = at & ~3;
      img.writeUInt32LE(v >>> 0, a);
      changes.push(`u32 ${a} = ${v}`);
    } else {
      const v = INTERESTING32[rand() % INTERESTING32.length] & 0xffff;
      const a = at & ~1;
      img.writeUInt16LE(v, a);
      changes.push(`u16 ${a} = ${v}`);
    }
  }
  return { image: img, changes };
}

export interface FuzzJob { base: string; map: MetaMap; seed: number }
export interface FuzzResult { job: FuzzJob; ms?: number; trap?: string; hang?: boolean; changes?: string[]; mounted?: boolean; error?: string; entries?: number; errors?: number }

// Run jobs in a child process (node + tsx); a job that reports nothing for timeoutMs is a
// hang: the child is killed and the remaining jobs go to a fresh one.
export async function runFuzz(jobs: FuzzJob[], timeoutMs: number, jobsFile: string, root: string): Promise<FuzzResult[]> {
  const { spawn } = await import("node:child_process");
  const results: FuzzResult[] = [];
  let next = 0;
  while (next < jobs.length) {
    // A fresh child per 100 jobs: a long-lived one slows down under the garbage of
    // thousands of module instances.
    const batch = jobs.slice(next, next + 100);
    writeFileSync(jobsFile, JSON.stringify(batch));
    const done = await new Promise<number>((resolveBatch) => {
      const child = spawn(process.execPath, ["--import", "tsx", "test/ext/fuzz-run.ts", jobsFile], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
      let current = -1, finished = 0, buf = "", stderr = "";
      let timer = setTimeout(onHang, timeoutMs * 4); // the first job also pays for start-up
      function onHang() {
        results.push({ job: batch[Math.max(current, 0)], hang: true });
        child.kill("SIGKILL");
      }
      child.stderr.on("data", (d) => { stderr += d; });
      child.stdout.on("data", (d) => {
        buf += d;
        let nl;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          const msg = JSON.parse(line);
          clearTimeout(timer);
          timer = setTimeout(onHang, timeoutMs);
          if (msg.start !== undefined) current = msg.start;
          else {
            finished = msg.done + 1;
            results.push({ job: batch[msg.done], ...msg });
          }
        }
      });
      child.on("exit", (code) => {
        clearTimeout(timer);
        if (code !== 0 && code !== null && finished < batch.length && current >= finished) {
          results.push({ job: batch[current], trap: `child exited with ${code}: ${stderr.slice(-2000)}` });
        }
        // Skip the job that hung or crashed, go on with the rest.
        resolveBatch(current >= finished ? current + 1 : finished);
      });
    });
    if (done <= 0) break;
    next += done;
  }
  return results;
}

// Write `perBase` corrupted images of each base into dir (a corpus for other fuzzers):
// NAME-SEED.img, reproducible with mutate(base, metadataMap(base), SEED).
export function writeFuzzCorpus(bases: { path: string; tree: TreeManifest }[], dir: string, perBase: number): string[] {
  const out: string[] = [];
  for (const b of bases) {
    const map = metadataMap(b.path, b.tree);
    const base = readFileSync(b.path);
    const stem = b.path.split("/").pop()!.replace(/\.img$/, "");
    for (let seed = 1; seed <= perBase; seed++) {
      const file = `${dir}/${stem}-${seed}.img`;
      writeFileSync(file, mutate(base, map, seed).image);
      out.push(file);
    }
  }
  return out;
}
