// Each decompressor on Debian 12's kernel (and a 64 MiB initrd for gzip, xz, zstd, lz4):
// pvboot's core compiled natively (build/bench/decompress: the decompressors compiled the way
// the PV image compiles its core, run as a host program) against the real tool, in one run.
// On an x86_64 host that is the x86_64 image's way: guard pages instead of wasm2c's bounds
// checks (scripts/hosted/wasm-rt-hosted.c); `DECOMPRESS_MEMCHECK=0` in the environment builds
// and measures it with the explicit checks instead (x86_32's way, the fuzz targets'):
//
//   decompress-kernel-xz pvboot 0.812 tool 0.790 ratio 1.03
//
// Seconds, the best of 3 runs each; ratio = pvboot / tool. pvboot's time is the
// decompression call alone, into linear memory (the whole output, as the loader does); the
// tool's is the whole process (`xz -dc FILE > /dev/null`), on the same file. Every output is
// checked against the tool's (size and CRC-32) and the original.
//
// Inputs, made once into build/cache/bench/ (never committed):
//   kernel   the vmlinux inside Debian's vmlinuz (scripts/kernels/fetch.ts): the xz payload
//            cut out of the bzImage's setup header and unpacked with `xz -dc --single-stream`,
//            compressed again with gzip -9, xz --check=crc32 (the kernel's check; a plain xz
//            stream), xz --format=lzma, zstd -19, lz4 -l -12 --favor-decSpeed (the kernel's
//            legacy format and options), bzip2 -9, lzop -9; and the payload itself as Debian
//            ships it (decompress-kernel-xz-debian: BCJ x86 + LZMA2, the tool run with
//            --single-stream)
//   initrd   a 64 MiB newc cpio archive of files from /usr/lib and /usr/share (sorted, taken
//            alternately from both, up to 2 MiB each; fixed owners and times), cut to 64 MiB;
//            compressed with gzip -9, xz --check=crc32, zstd -19 and lz4 as for the kernel
//
//   PVBOOT_BENCH_RUNS=N   runs per measurement (default 3)
//   PVBOOT_BENCH_ONLY=re  only the lines whose name matches

import { execFileSync, spawnSync } from "node:child_process";
import { closeSync, existsSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { crc32 } from "node:zlib";
import { debianKernel } from "../kernels/fetch.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CACHE = join(ROOT, "build/cache/bench");
const BIN = join(ROOT, "build/bench/decompress");
const RUNS = Number(process.env.PVBOOT_BENCH_RUNS ?? 3);
const ONLY = process.env.PVBOOT_BENCH_ONLY ? new RegExp(process.env.PVBOOT_BENCH_ONLY) : null;
const INITRD_BYTES = 64 << 20;

// ---- the inputs -------------------------------------------------------------------------------

// Made once: `make` writes a temporary file, renamed into place when complete.
function cachedFile(name: string, make: (tmp: string) => void): string {
  const out = join(CACHE, name);
  if (existsSync(out)) return out;
  mkdirSync(CACHE, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  make(tmp);
  renameSync(tmp, out);
  return out;
}

// `cmd args < input > tmp`
function filter(cmd: string, args: string[], input: string, tmp: string): void {
  const i = openSync(input, "r"), o = openSync(tmp, "w");
  try {
    execFileSync(cmd, args, { stdio: [i, o, "inherit"] });
  } finally {
    closeSync(i);
    closeSync(o);
  }
}

// The bzImage's payload (boot protocol 2.08+): setup_sects at 0x1f1 (0 means 4), payload_offset
// (0x248) from the end of the setup, (setup_sects + 1) * 512, payload_length at 0x24c.
function kernelPayload(): string {
  const vmlinuz = debianKernel();
  return cachedFile(`${basename(vmlinuz)}.payload.xz`, (tmp) => {
    const b = readFileSync(vmlinuz);
    if (b.readUInt32LE(0x202) !== 0x53726448) throw new Error(`${vmlinuz}: no "HdrS": not a bzImage`);
    const setupSects = b[0x1f1] || 4;
    const at = (setupSects + 1) * 512 + b.readUInt32LE(0x248);
    const len = b.readUInt32LE(0x24c);
    const p = b.subarray(at, at + len);
    if (p.length !== len || !p.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) {
      throw new Error(`${vmlinuz}: the payload at ${at} (${len} bytes) is not an xz stream`);
    }
    writeFileSync(tmp, p);
  });
}

function vmlinux(): string {
  const payload = kernelPayload();
  return cachedFile(basename(payload).replace(/\.payload\.xz$/, "").replace(/^vmlinuz/, "vmlinux"),
    (tmp) => filter("xz", ["-dc", "--single-stream"], payload, tmp));
}

// Files for the initrd: regular files of 1 byte to 2 MiB, each tree walked in sorted order.
function walk(dir: string, out: string[], limit: number): void {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return;
  }
  for (const n of names) {
    if (out.length >= limit) return;
    const p = join(dir, n);
    let st;
    try {
      st = lstatSync(p);
    } catch {
      continue;
    }
    if (st.isDirectory()) walk(p, out, limit);
    else if (st.isFile() && st.size > 0 && st.size <= 2 << 20) out.push(p);
  }
}

function newcHeader(ino: number, mode: number, size: number, name: string): Buffer {
  const f = [ino, mode, 0, 0, 1, 1700000000, size, 0, 0, 0, 0, Buffer.byteLength(name) + 1, 0];
  const h = Buffer.from("070701" + f.map((v) => v.toString(16).padStart(8, "0")).join("") + name + "\0", "latin1");
  return Buffer.concat([h, Buffer.alloc((4 - (h.length % 4)) % 4)]);
}

function initrd(): string {
  return cachedFile("initrd-64M.cpio", (tmp) => {
    const lib: string[] = [], share: string[] = [];
    walk("/usr/lib", lib, 200000);
    walk("/usr/share", share, 200000);
    const parts: Buffer[] = [];
    let size = 0, ino = 1;
    for (let i = 0; size < INITRD_BYTES && (i < lib.length || i < share.length); i++) {
      for (const p of [lib[i], share[i]]) {
        if (p === undefined || size >= INITRD_BYTES) continue;
        let data: Buffer;
        try {
          data = readFileSync(p);
        } catch {
          continue; // unreadable
        }
        const h = newcHeader(ino++, 0o100644, data.length, p.slice(1));
        parts.push(h, data, Buffer.alloc((4 - (data.length % 4)) % 4));
        size += h.length + data.length + ((4 - (data.length % 4)) % 4);
      }
    }
    const all = Buffer.concat(parts);
    const out = Buffer.alloc(INITRD_BYTES); // cut to 64 MiB (zeros past the end if short)
    all.copy(out, 0, 0, Math.min(all.length, INITRD_BYTES));
    writeFileSync(tmp, out);
  });
}

interface Case { name: string; format: string; file: string; tool: string[]; original: string }

const COMPRESS: Record<string, { ext: string; cmd: string; args: string[]; tool: string[] }> = {
  gzip: { ext: "gz", cmd: "gzip", args: ["-9cn"], tool: ["gzip", "-dc"] },
  xz: { ext: "xz", cmd: "xz", args: ["-c", "--check=crc32"], tool: ["xz", "-dc"] },
  lzma: { ext: "lzma", cmd: "xz", args: ["-c", "--format=lzma"], tool: ["xz", "-dc", "--format=lzma"] },
  zstd: { ext: "zst", cmd: "zstd", args: ["-19", "-q", "-c"], tool: ["zstd", "-q", "-dc"] },
  lz4: { ext: "lz4", cmd: "lz4", args: ["-l", "-12", "--favor-decSpeed", "-c"], tool: ["lz4", "-dc"] },
  bzip2: { ext: "bz2", cmd: "bzip2", args: ["-9c"], tool: ["bzip2", "-dc"] },
  lzo: { ext: "lzo", cmd: "lzop", args: ["-9c"], tool: ["lzop", "-dc"] },
};

function compressed(original: string, format: string): string {
  const c = COMPRESS[format];
  return cachedFile(`${basename(original)}.${c.ext}`, (tmp) => filter(c.cmd, c.args, original, tmp));
}

function cases(): Case[] {
  const out: Case[] = [];
  const want = (name: string) => !ONLY || ONLY.test(name);
  if (["gzip", "xz", "lzma", "zstd", "lz4", "bzip2", "lzo"].some((f) => want(`decompress-kernel-${f}`)) || want("decompress-kernel-xz-debian")) {
    const k = vmlinux();
    for (const f of ["gzip", "xz", "lzma", "zstd", "lz4", "bzip2", "lzo"]) {
      const name = `decompress-kernel-${f}`;
      if (want(name)) out.push({ name, format: f, file: compressed(k, f), tool: COMPRESS[f].tool, original: k });
    }
    // The payload as Debian ships it (the 4-byte size the kernel's build appends after the
    // stream is why xz needs --single-stream).
    if (want("decompress-kernel-xz-debian")) {
      out.push({ name: "decompress-kernel-xz-debian", format: "xz", file: kernelPayload(), tool: ["xz", "-dc", "--single-stream"], original: k });
    }
  }
  if (["gzip", "xz", "zstd", "lz4"].some((f) => want(`decompress-initrd-64M-${f}`))) {
    const r = initrd();
    for (const f of ["gzip", "xz", "zstd", "lz4"]) {
      const name = `decompress-initrd-64M-${f}`;
      if (want(name)) out.push({ name, format: f, file: compressed(r, f), tool: COMPRESS[f].tool, original: r });
    }
  }
  return out;
}

// ---- timing ---------------------------------------------------------------------------------

function seconds(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

function timeTool(tool: string[], file: string): number {
  const nul = openSync("/dev/null", "w");
  let best = Infinity;
  try {
    for (let i = 0; i < RUNS; i++) {
      const t0 = process.hrtime.bigint();
      const r = spawnSync(tool[0], [...tool.slice(1), file], { stdio: ["ignore", nul, "pipe"] });
      const s = seconds(t0);
      if (r.status !== 0) throw new Error(`${tool.join(" ")} ${file}: exit ${r.status}: ${r.stderr}`);
      best = Math.min(best, s);
    }
  } finally {
    closeSync(nul);
  }
  return best;
}

function timePvboot(c: Case): { best: number; size: number; crc: number } {
  const r = spawnSync(BIN, [c.format, c.file, String(RUNS)], { encoding: "utf8" });
  const m = r.stdout.match(/out (\d+) crc32 ([0-9a-f]{8}) best ([0-9.]+)/);
  if (r.status !== 0 || !m) throw new Error(`${c.name}: ${BIN} ${c.format} ${c.file}: exit ${r.status} ${r.signal ?? ""}\n${r.stdout}${r.stderr}`);
  return { best: Number(m[3]), size: Number(m[1]), crc: parseInt(m[2], 16) };
}

// What the tool produces (and the original): size and CRC-32.
function toolOutput(c: Case): { size: number; crc: number } {
  const b = execFileSync(c.tool[0], [...c.tool.slice(1), c.file], { maxBuffer: 1 << 30, stdio: ["ignore", "pipe", "inherit"] });
  return { size: b.length, crc: crc32(b) >>> 0 };
}

const originals = new Map<string, { size: number; crc: number }>();
function original(path: string): { size: number; crc: number } {
  let o = originals.get(path);
  if (!o) {
    const b = readFileSync(path);
    o = { size: b.length, crc: crc32(b) >>> 0 };
    originals.set(path, o);
  }
  return o;
}

// src/bench/asconfig.json must keep asconfig.json's release options (the core's build).
function checkAsconfig(): void {
  const core = JSON.parse(readFileSync(join(ROOT, "asconfig.json"), "utf8"));
  const bench = JSON.parse(readFileSync(join(ROOT, "src/bench/asconfig.json"), "utf8")).options;
  const want = { ...core.options, ...core.targets.release };
  for (const k of ["runtime", "importMemory", "optimizeLevel", "shrinkLevel", "converge", "noAssert"]) {
    if (JSON.stringify(bench[k]) !== JSON.stringify(want[k])) {
      throw new Error(`src/bench/asconfig.json: ${k} is ${JSON.stringify(bench[k])}, the core's release build has ${JSON.stringify(want[k])}`);
    }
  }
}

function main(): void {
  checkAsconfig();
  execFileSync("make", ["-s", "build/bench/decompress"], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
  for (const c of cases()) {
    const pv = timePvboot(c);
    const tool = timeTool(c.tool, c.file);
    const t = toolOutput(c);
    const o = original(c.original);
    if (pv.size !== t.size || pv.crc !== t.crc || t.size !== o.size || t.crc !== o.crc) {
      throw new Error(`${c.name}: outputs differ: pvboot ${pv.size} bytes crc32 ${pv.crc.toString(16)}, ` +
        `${c.tool[0]} ${t.size} crc32 ${t.crc.toString(16)}, original ${o.size} crc32 ${o.crc.toString(16)}`);
    }
    console.log(`${c.name} pvboot ${pv.best.toFixed(3)} tool ${tool.toFixed(3)} ratio ${(pv.best / tool).toFixed(2)}`);
  }
}

main();
