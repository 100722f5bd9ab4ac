// Each decompressor on Debian 12's kernel and on a 64 MiB initrd: pvboot's core compiled
// natively (build/bench/decompress: the decompressors compiled the way the PV image compiles
// its core, run as a host program) against the reference C library in the same process, runs
// interleaved (scripts/bench/decompress-lib.c: zlib, liblzma, libzstd, liblz4, libbz2, liblzo2).
// On an x86_64 host that is the x86_64 image's way: guard pages instead of wasm2c's bounds
// checks (scripts/hosted/wasm-rt-hosted.c); `DECOMPRESS_MEMCHECK=0` in the environment builds
// and measures it with the explicit checks instead (the fuzz targets' way):
//
//   decompress-kernel-xz pvboot 0.964 liblzma 0.861 ratio 1.12
//
// Seconds, the best of 5 runs each (the decompression call alone, into memory that stays
// resident between runs, the whole output, as the loader does); ratio = pvboot / library.
// Both outputs are checked against the original (size and CRC-32). Issue 22's bound is 1.2: after
// every line, each ratio over it is named and the benchmark exits 1 (make bench fails).
//
// Inputs, made once into build/cache/bench/ (never committed):
//   kernel   the vmlinux inside Debian's vmlinuz (scripts/kernels/fetch.ts): the xz payload
//            cut out of the bzImage's setup header and unpacked with `xz -dc --single-stream`,
//            compressed again with gzip -9, xz --check=crc32 (the kernel's check; a plain xz
//            stream), xz --format=lzma, zstd -19, lz4 -l -12 --favor-decSpeed (the kernel's
//            legacy format and options), bzip2 -9, lzop -9; and the payload itself as Debian
//            ships it (decompress-kernel-xz-debian: BCJ x86 + LZMA2)
//   initrd   a 64 MiB newc cpio archive of the kernel package's modules (what most of an
//            initramfs is): every regular file under lib/modules of the same Debian kernel
//            package, in sorted order, with fixed owners and times, cut to 64 MiB; so it
//            depends only on the package, not on this machine. Compressed as the kernel is.
//
//   PVBOOT_BENCH_RUNS=N   runs per measurement (default 5)
//   PVBOOT_BENCH_ONLY=re  only the lines whose name matches

import { execFileSync, spawnSync } from "node:child_process";
import { closeSync, existsSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { crc32 } from "node:zlib";
import { debianKernel, debianKernelPackage, withDebianKernelPackage } from "../kernels/fetch.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CACHE = join(ROOT, "build/cache/bench");
const BIN = join(ROOT, "build/bench/decompress");
const RUNS = Number(process.env.PVBOOT_BENCH_RUNS ?? 5);
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

// Regular files under dir, sorted by path.
function walk(dir: string, rel: string, out: string[]): void {
  for (const n of readdirSync(join(dir, rel)).sort()) {
    const r = rel ? `${rel}/${n}` : n;
    const st = lstatSync(join(dir, r));
    if (st.isDirectory()) walk(dir, r, out);
    else if (st.isFile()) out.push(r);
  }
}

function newcHeader(ino: number, mode: number, size: number, name: string): Buffer {
  const f = [ino, mode, 0, 0, 1, 1700000000, size, 0, 0, 0, 0, Buffer.byteLength(name) + 1, 0];
  const h = Buffer.from("070701" + f.map((v) => v.toString(16).padStart(8, "0")).join("") + name + "\0", "latin1");
  return Buffer.concat([h, Buffer.alloc((4 - (h.length % 4)) % 4)]);
}

function initrd(): string {
  const pkg = debianKernelPackage();
  return cachedFile(`initrd-64M-${pkg.replace(/^linux-image-/, "")}.cpio`, (tmp) => withDebianKernelPackage((root) => {
    const files: string[] = [];
    walk(root, "lib/modules", files);
    const parts: Buffer[] = [];
    let size = 0, ino = 1;
    for (const p of files) {
      if (size >= INITRD_BYTES) break;
      const data = readFileSync(join(root, p));
      const h = newcHeader(ino++, 0o100644, data.length, p);
      parts.push(h, data, Buffer.alloc((4 - (data.length % 4)) % 4));
      size += h.length + data.length + ((4 - (data.length % 4)) % 4);
    }
    if (size < INITRD_BYTES) throw new Error(`${pkg}: its modules make only ${size} bytes of cpio, not ${INITRD_BYTES}`);
    writeFileSync(tmp, Buffer.concat(parts).subarray(0, INITRD_BYTES));
  }));
}

interface Case { name: string; format: string; file: string; original: string }

const FORMATS = ["gzip", "xz", "lzma", "zstd", "lz4", "bzip2", "lzo"];
const COMPRESS: Record<string, { ext: string; cmd: string; args: string[] }> = {
  gzip: { ext: "gz", cmd: "gzip", args: ["-9cn"] },
  xz: { ext: "xz", cmd: "xz", args: ["-c", "--check=crc32"] },
  lzma: { ext: "lzma", cmd: "xz", args: ["-c", "--format=lzma"] },
  zstd: { ext: "zst", cmd: "zstd", args: ["-19", "-q", "-c"] },
  lz4: { ext: "lz4", cmd: "lz4", args: ["-l", "-12", "--favor-decSpeed", "-c"] },
  bzip2: { ext: "bz2", cmd: "bzip2", args: ["-9c"] },
  lzo: { ext: "lzo", cmd: "lzop", args: ["-9c"] },
};

function compressed(original: string, format: string): string {
  const c = COMPRESS[format];
  return cachedFile(`${basename(original)}.${c.ext}`, (tmp) => filter(c.cmd, c.args, original, tmp));
}

function cases(): Case[] {
  const out: Case[] = [];
  const want = (name: string) => !ONLY || ONLY.test(name);
  if (FORMATS.some((f) => want(`decompress-kernel-${f}`)) || want("decompress-kernel-xz-debian")) {
    const k = vmlinux();
    for (const f of FORMATS) {
      const name = `decompress-kernel-${f}`;
      if (want(name)) out.push({ name, format: f, file: compressed(k, f), original: k });
    }
    // The payload as Debian ships it (followed by the 4-byte size the kernel's build appends:
    // both decoders stop at the stream's end).
    if (want("decompress-kernel-xz-debian")) {
      out.push({ name: "decompress-kernel-xz-debian", format: "xz", file: kernelPayload(), original: k });
    }
  }
  if (FORMATS.some((f) => want(`decompress-initrd-64M-${f}`))) {
    const r = initrd();
    for (const f of FORMATS) {
      const name = `decompress-initrd-64M-${f}`;
      if (want(name)) out.push({ name, format: f, file: compressed(r, f), original: r });
    }
  }
  return out;
}

// One run of build/bench/decompress: pvboot and the library, interleaved, best of RUNS each.
function measure(c: Case): { pv: number; size: number; crc: number; lib: string; libBest: number; libSize: number; libCrc: number } {
  const r = spawnSync(BIN, [c.format, c.file, String(RUNS)], { encoding: "utf8" });
  const m = r.stdout.match(/out (\d+) crc32 ([0-9a-f]{8}) best ([0-9.]+) lib (\S+) lib_out (\d+) lib_crc32 ([0-9a-f]{8}) lib_best ([0-9.]+)/);
  if (r.status !== 0 || !m) throw new Error(`${c.name}: ${BIN} ${c.format} ${c.file}: exit ${r.status} ${r.signal ?? ""}\n${r.stdout}${r.stderr}`);
  return {
    pv: Number(m[3]), size: Number(m[1]), crc: parseInt(m[2], 16),
    lib: m[4], libSize: Number(m[5]), libCrc: parseInt(m[6], 16), libBest: Number(m[7]),
  };
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

const BOUND = 1.2;

function main(): void {
  checkAsconfig();
  execFileSync("make", ["-s", "build/bench/decompress"], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
  const over: string[] = [];
  for (const c of cases()) {
    const m = measure(c);
    const o = original(c.original);
    if (m.size !== o.size || m.crc !== o.crc || m.libSize !== o.size || m.libCrc !== o.crc) {
      throw new Error(`${c.name}: outputs differ: pvboot ${m.size} bytes crc32 ${m.crc.toString(16)}, ` +
        `${m.lib} ${m.libSize} crc32 ${m.libCrc.toString(16)}, original ${o.size} crc32 ${o.crc.toString(16)}`);
    }
    const r = m.pv / m.libBest;
    console.log(`${c.name} pvboot ${m.pv.toFixed(3)} ${m.lib} ${m.libBest.toFixed(3)} ratio ${r.toFixed(2)}`);
    if (r > BOUND) over.push(`${c.name}: ratio ${r.toFixed(2)} is over ${BOUND}`);
  }
  for (const o of over) console.log(o);
  if (over.length) process.exit(1);
}

main();
