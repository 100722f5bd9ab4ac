// Seed corpora and hand-made regression inputs for the fuzz targets.
//
//   npx tsx scripts/fuzz/seeds.ts corpus [TARGET...]       -> build/fuzz/corpus/<target>/ (not committed;
//                                                         PVBOOT_SEEDS_OUT=DIR for one target elsewhere)
//   npx tsx scripts/fuzz/seeds.ts regressions [TARGET...]  -> test/fuzz/<target>/hand-*.bin.gz (committed)
//   npx tsx scripts/fuzz/seeds.ts expand IN OUT           an ext input (sparse "PVZ1" or raw, .gz or
//                                                         not) -> a plain image for debugfs/e2fsck
//   npx tsx scripts/fuzz/seeds.ts sparse IN OUT           a plain image -> the sparse form
//
// partitions: MBRs (primaries, an extended partition with a chain of logical ones, hybrid),
// GPTs built here (protective MBR, 512 and 4096-byte sectors, damaged primary header or array),
// partitionless sectors. ext: real images from mke2fs (ext2/3/4, 1/2/4 KiB blocks,
// inline_data, 64bit, meta_bg, bigalloc, no extents, no dir_index...) populated with
// `mke2fs -d` from a small tree (nested directories, a big directory, files that need
// indirect blocks, a sparse file, hard links, fast/slow/dangling/looping symlinks). xfs:
// 16 MiB mkfs.xfs images (v5 and v4, 512-byte to 4 KiB blocks, 64 KiB directory blocks, no
// ftype) populated with `mkfs.xfs -p` from the same tree.
// Regression inputs are the nasty cases: loops, overflows, zero sizes, self-references.

import { menulstSeeds, menulstRegressions, kernelSeeds, kernelRegressions, multibootSeeds, multibootRegressions, grubcfgSeeds, grubcfgRegressions, xenbusSeeds, xenbusRegressions, layoutSeeds, layoutRegressions } from "./seeds-loader";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, symlinkSync, linkSync, openSync, writeSync, closeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gzipSync, gunzipSync } from "node:zlib";

import { protofile } from "../../test/xfs/images.ts";

const ROOT = resolve(import.meta.dirname, "../..");

// ---- bytes --------------------------------------------------------------------------------

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of b) c = CRC_TABLE[(c ^ x) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// A deterministic byte stream (xorshift32) for file contents.
function pseudoRandom(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}

// File contents for the ext trees: a 16-byte tag (which file, which offset) every 32 KiB and
// zeros between, so that the images stay small in the sparse form the ext target reads
// (mke2fs -d also turns the zero blocks into holes: sparse files and extent trees for free).
function tagged(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let at = 0; at < n; at += 32 * 1024) pseudoRandom(16, seed * 7919 + at + 1).copy(b, at);
  return b;
}

// ---- the sparse image form (src/fuzz/ext.ts, src/fuzz/btrfs.ts) ---------------------------

const SPARSE_MAGIC = Buffer.from("PVZ1", "latin1");

// "PVZ1", u32 size, then (u32 sector, 512 bytes) for every sector that is not all zeros.
export function toSparse(img: Buffer): Buffer {
  const parts: Buffer[] = [SPARSE_MAGIC, Buffer.alloc(4)];
  parts[1].writeUInt32LE(img.length);
  const zero = Buffer.alloc(512);
  for (let s = 0; s * 512 < img.length; s++) {
    const sec = Buffer.alloc(512);
    img.copy(sec, 0, s * 512, Math.min(img.length, s * 512 + 512));
    if (sec.equals(zero)) continue;
    const h = Buffer.alloc(4);
    h.writeUInt32LE(s);
    parts.push(h, sec);
  }
  return Buffer.concat(parts);
}

export function fromSparse(b: Buffer): Buffer {
  if (b.length < 8 || !b.subarray(0, 4).equals(SPARSE_MAGIC)) return b;
  const size = Math.min(b.readUInt32LE(4), 16 << 20);
  const img = Buffer.alloc(size);
  for (let r = 8; r + 516 <= b.length; r += 516) {
    const at = b.readUInt32LE(r) * 512;
    if (at < size) b.copy(img, at, r + 4, r + 4 + Math.min(512, size - at));
  }
  return img;
}

// ---- MBR ----------------------------------------------------------------------------------

interface MbrEntry { status?: number; type: number; lba: number; count: number }

function mbrSector(entries: MbrEntry[], sig = true): Buffer {
  const s = Buffer.alloc(512);
  entries.forEach((e, i) => {
    const o = 446 + i * 16;
    s[o] = e.status ?? 0;
    s[o + 4] = e.type;
    s.writeUInt32LE(e.lba >>> 0, o + 8);
    s.writeUInt32LE(e.count >>> 0, o + 12);
  });
  if (sig) { s[510] = 0x55; s[511] = 0xaa; }
  return s;
}

function disk(bytes: number): Buffer {
  return Buffer.alloc(bytes);
}

function put(d: Buffer, at: number, b: Buffer): Buffer {
  b.copy(d, at);
  return d;
}

// An extended partition at `ext` (sectors) holding logical partitions of `sizes` sectors, each
// EBR followed by its partition; `nextOf` may override where an EBR's link points (relative
// to the extended partition), for loops.
function mbrWithLogicals(totalSectors: number, ext: number, sizes: number[], extType = 0x05,
  nextOf?: (i: number, natural: number) => number, primaries: MbrEntry[] = []): Buffer {
  const d = disk(totalSectors * 512);
  let rel = 0;
  const rels: number[] = [];
  for (const s of sizes) { rels.push(rel); rel += 1 + s; }
  const extLen = Math.max(rel, 1);
  put(d, 0, mbrSector([...primaries, { type: extType, lba: ext, count: extLen }]));
  sizes.forEach((s, i) => {
    const natural = i + 1 < sizes.length ? rels[i + 1] : 0;
    const next = nextOf ? nextOf(i, natural) : natural;
    const entries: MbrEntry[] = [{ type: 0x83, lba: 1, count: s }];
    entries.push(next ? { type: 0x05, lba: next, count: 1 + (sizes[i + 1] ?? 0) } : { type: 0, lba: 0, count: 0 });
    put(d, (ext + rels[i]) * 512, mbrSector(entries));
  });
  return d;
}

// ---- GPT ----------------------------------------------------------------------------------

interface GptPart { type?: string; first: bigint; last: bigint; name?: string }
interface GptOpts {
  sector?: number;
  sectors: number; // disk size in sectors
  parts: GptPart[];
  entries?: number; // array entries (default 128)
  entrySize?: number; // default 128
  headerSize?: number; // default 92
  damagePrimary?: "header" | "array" | "signature";
  noBackup?: boolean;
  protective?: boolean; // default true
  hybrid?: MbrEntry[]; // extra MBR entries next to the 0xee one
  // Raw overrides applied to both headers after the layout is computed (CRCs recomputed).
  override?: (h: Buffer, primary: boolean) => void;
}

const LINUX_FS = "0fc63daf-8483-4772-8e79-3d69d8477de4";
const ESP = "c12a7328-f81f-11d2-ba4b-00a0c93ec93b";
const BIOS_BOOT = "21686148-6e6f-744e-6564-454649000000";

function guidBytes(g: string): Buffer {
  const h = g.replace(/-/g, "");
  const b = Buffer.from(h, "hex");
  const out = Buffer.alloc(16);
  out.writeUInt32LE(b.readUInt32BE(0), 0);
  out.writeUInt16LE(b.readUInt16BE(4), 4);
  out.writeUInt16LE(b.readUInt16BE(6), 6);
  b.copy(out, 8, 8, 16);
  return out;
}

export function gptDisk(o: GptOpts): Buffer {
  const sec = o.sector ?? 512;
  const n = o.entries ?? 128;
  const es = o.entrySize ?? 128;
  const arrayBytes = n * es;
  const arraySectors = Math.ceil(arrayBytes / sec);
  const d = disk(o.sectors * sec);
  const last = BigInt(o.sectors - 1);
  if (o.protective !== false) {
    put(d, 0, mbrSector([{ type: 0xee, lba: 1, count: Math.min(o.sectors - 1, 0xffffffff) }, ...(o.hybrid ?? [])]));
  }
  const array = Buffer.alloc(arraySectors * sec);
  o.parts.forEach((p, i) => {
    const e = i * es;
    guidBytes(p.type ?? LINUX_FS).copy(array, e);
    guidBytes(`00000000-0000-4000-8000-${(0x100000000000 + i).toString(16).slice(1)}`).copy(array, e + 16);
    array.writeBigUInt64LE(BigInt.asUintN(64, p.first), e + 32);
    array.writeBigUInt64LE(BigInt.asUintN(64, p.last), e + 40);
    Buffer.from(p.name ?? `part${i}`, "utf16le").copy(array, e + 56, 0, 72);
  });
  const arrayCrc = crc32(array.subarray(0, arrayBytes));
  const header = (primary: boolean): Buffer => {
    const h = Buffer.alloc(sec);
    h.write("EFI PART", 0, "latin1");
    h.writeUInt32LE(0x00010000, 8);
    h.writeUInt32LE(o.headerSize ?? 92, 12);
    h.writeBigUInt64LE(primary ? 1n : last, 24);
    h.writeBigUInt64LE(primary ? last : 1n, 32);
    h.writeBigUInt64LE(BigInt(2 + arraySectors), 40);
    h.writeBigUInt64LE(last - 1n - BigInt(arraySectors), 48);
    guidBytes("5eb3c6a1-0b32-4f6e-9d9a-2f0e6b6a7c01").copy(h, 56);
    h.writeBigUInt64LE(primary ? 2n : last - BigInt(arraySectors), 72);
    h.writeUInt32LE(n >>> 0, 80);
    h.writeUInt32LE(es >>> 0, 84);
    h.writeUInt32LE(arrayCrc, 88);
    o.override?.(h, primary);
    const size = Math.min(h.readUInt32LE(12), sec);
    h.writeUInt32LE(0, 16);
    h.writeUInt32LE(crc32(h.subarray(0, size)), 16);
    return h;
  };
  put(d, sec, header(true));
  put(d, 2 * sec, array);
  if (!o.noBackup) {
    put(d, (o.sectors - 1 - arraySectors) * sec, array);
    put(d, (o.sectors - 1) * sec, header(false));
  }
  if (o.damagePrimary === "header") d[sec + 40] ^= 0xff; // checksum now wrong
  if (o.damagePrimary === "signature") d[sec] = 0x45 ^ 0x20;
  if (o.damagePrimary === "array") d[2 * sec + 3] ^= 0x5a;
  return d;
}

// ---- partition seeds and nasty inputs -----------------------------------------------------

function partitionSeeds(): Record<string, Buffer> {
  const s: Record<string, Buffer> = {};
  s["mbr-primaries.img"] = put(disk(128 * 512), 0, mbrSector([
    { status: 0x80, type: 0x83, lba: 2, count: 30 }, { type: 0x82, lba: 32, count: 16 },
    { type: 0x07, lba: 48, count: 40 }, { type: 0x0c, lba: 88, count: 40 },
  ]));
  s["mbr-one.img"] = put(disk(64 * 512), 0, mbrSector([{ status: 0x80, type: 0x83, lba: 1, count: 63 }]));
  s["mbr-logical.img"] = mbrWithLogicals(160, 40, [8, 12, 4], 0x05, undefined,
    [{ status: 0x80, type: 0x83, lba: 2, count: 20 }, { type: 0x82, lba: 22, count: 18 }]);
  s["mbr-logical-lba.img"] = mbrWithLogicals(96, 8, [16, 16, 16, 8], 0x0f);
  s["mbr-logical-linux.img"] = mbrWithLogicals(64, 4, [20, 20], 0x85);
  s["mbr-beyond-end.img"] = put(disk(32 * 512), 0, mbrSector([{ type: 0x83, lba: 8, count: 1000 }, { type: 0x83, lba: 2, count: 6 }]));
  s["mbr-only-sector.img"] = mbrSector([{ type: 0x83, lba: 1, count: 1 }]);
  s["partitionless-bootsector.img"] = (() => {
    const d = disk(16 * 512);
    d.write("\xeb\x3c\x90mkfs.fat", 0, "latin1");
    for (let i = 446; i < 510; i++) d[i] = (i * 7) & 0xff;
    d[510] = 0x55; d[511] = 0xaa;
    return d;
  })();
  s["empty.img"] = disk(4096);
  const parts = [
    { type: BIOS_BOOT, first: 34n, last: 41n, name: "bios" },
    { type: ESP, first: 42n, last: 57n, name: "esp" },
    { first: 58n, last: 89n, name: "root" },
  ];
  s["gpt.img"] = gptDisk({ sectors: 128, parts });
  s["gpt-4-entries.img"] = gptDisk({ sectors: 48, entries: 4, parts: [{ first: 3n, last: 20n }, { first: 21n, last: 44n }] });
  s["gpt-damaged-header.img"] = gptDisk({ sectors: 128, parts, damagePrimary: "header" });
  s["gpt-damaged-array.img"] = gptDisk({ sectors: 128, parts, damagePrimary: "array" });
  s["gpt-no-primary-signature.img"] = gptDisk({ sectors: 48, entries: 4, parts: [{ first: 4n, last: 40n }], damagePrimary: "signature" });
  s["gpt-4k.img"] = gptDisk({ sector: 4096, sectors: 24, entries: 32, parts: [{ first: 3n, last: 10n }, { type: ESP, first: 11n, last: 20n }] });
  s["gpt-hybrid.img"] = gptDisk({ sectors: 64, entries: 4, parts: [{ first: 4n, last: 30n }, { first: 31n, last: 58n }],
    hybrid: [{ type: 0x83, lba: 31, count: 28 }] });
  s["gpt-entry-256.img"] = gptDisk({ sectors: 64, entries: 8, entrySize: 256, parts: [{ first: 8n, last: 50n }] });
  s["gpt-header-512.img"] = gptDisk({ sectors: 48, entries: 4, headerSize: 512, parts: [{ first: 4n, last: 40n }] });
  return s;
}

function partitionRegressions(): Record<string, Buffer> {
  const s: Record<string, Buffer> = {};
  // EBR 2 links back to EBR 1: the chain loops.
  s["hand-mbr-extended-loop.bin"] = mbrWithLogicals(64, 4, [4, 4, 4], 0x05, (i, nat) => (i === 2 ? 5 : nat));
  // An EBR that links to itself.
  s["hand-mbr-extended-self.bin"] = mbrWithLogicals(64, 4, [4, 4], 0x05, (i, nat) => (i === 1 ? 5 : nat));
  // 130 logical partitions: past MAX_LOGICAL (128).
  s["hand-mbr-extended-130.bin"] = mbrWithLogicals(264, 2, new Array(130).fill(1), 0x0f);
  // The extended partition starts past the end; logical entry points at 0xffffffff sectors.
  s["hand-mbr-extended-beyond.bin"] = put(disk(8 * 512), 0, mbrSector([{ type: 0x05, lba: 0xfffffff0, count: 0xffffffff }]));
  s["hand-mbr-logical-huge.bin"] = mbrWithLogicals(16, 1, [0xfffffffe], 0x05);
  // Two extended entries sharing one EBR; an EBR whose partition entry is itself extended.
  s["hand-mbr-two-extended.bin"] = (() => {
    const d = mbrWithLogicals(32, 4, [4, 4], 0x05);
    put(d, 0, mbrSector([{ type: 0x05, lba: 4, count: 10 }, { type: 0x0f, lba: 4, count: 10 }, { type: 0x85, lba: 9, count: 5 }]));
    return d;
  })();
  // GPT partition array of 0xffffffff entries of 0xffffffff bytes (the size overflows u32).
  s["hand-gpt-array-overflow.bin"] = gptDisk({ sectors: 48, entries: 4, parts: [{ first: 4n, last: 40n }],
    override: (h) => { h.writeUInt32LE(0xffffffff, 80); h.writeUInt32LE(0xffffffff, 84); } });
  // count * entrySize = 2^32 exactly (wraps to 0 in 32 bits).
  s["hand-gpt-array-2pow32.bin"] = gptDisk({ sectors: 48, entries: 4, parts: [{ first: 4n, last: 40n }],
    override: (h) => { h.writeUInt32LE(0x01000000, 80); h.writeUInt32LE(0x100, 84); } });
  // Array LBA at 2^63 and right at the last LBA.
  s["hand-gpt-array-lba-huge.bin"] = gptDisk({ sectors: 48, entries: 4, parts: [{ first: 4n, last: 40n }],
    override: (h) => h.writeBigUInt64LE(1n << 63n, 72) });
  s["hand-gpt-array-at-end.bin"] = gptDisk({ sectors: 48, entries: 4, parts: [{ first: 4n, last: 40n }],
    override: (h, p) => { if (p) h.writeBigUInt64LE(47n, 72); } });
  // Header size 0xffffffff, and 91.
  s["hand-gpt-header-size-huge.bin"] = gptDisk({ sectors: 48, entries: 4, parts: [{ first: 4n, last: 40n }],
    override: (h) => h.writeUInt32LE(0xffffffff, 12) });
  s["hand-gpt-header-size-small.bin"] = gptDisk({ sectors: 48, entries: 4, parts: [{ first: 4n, last: 40n }],
    override: (h) => h.writeUInt32LE(91, 12) });
  // Entries whose LBAs overflow when multiplied by the sector size (2^55 * 512 = 2^64 = 0),
  // and one spanning 0..2^64-1 (its size wraps to 0).
  s["hand-gpt-entry-lba-wrap.bin"] = gptDisk({ sectors: 48, entries: 4, parts: [
    { first: 1n << 55n, last: (1n << 55n) + 7n }, { first: 0n, last: (1n << 64n) - 1n }, { first: 40n, last: 4n }] });
  // A protective MBR on a disk of one sector (the last LBA underflows), and on 1.5 sectors.
  s["hand-gpt-tiny-disk.bin"] = mbrSector([{ type: 0xee, lba: 1, count: 0xffffffff }]);
  s["hand-gpt-odd-size.bin"] = Buffer.concat([gptDisk({ sectors: 40, entries: 4, parts: [{ first: 4n, last: 30n }] }), Buffer.alloc(300)]);
  // The backup header claims to be at LBA 1 (the primary is damaged).
  s["hand-gpt-backup-liar.bin"] = gptDisk({ sectors: 48, entries: 4, parts: [{ first: 4n, last: 40n }], damagePrimary: "header",
    override: (h, p) => { if (!p) h.writeBigUInt64LE(1n, 24); } });
  // Entry size not a multiple of 8, and 2^31.
  s["hand-gpt-entry-size-odd.bin"] = gptDisk({ sectors: 48, entries: 4, parts: [{ first: 4n, last: 40n }],
    override: (h) => h.writeUInt32LE(130, 84) });
  s["hand-gpt-entry-size-2g.bin"] = gptDisk({ sectors: 48, entries: 4, parts: [{ first: 4n, last: 40n }],
    override: (h) => { h.writeUInt32LE(1, 80); h.writeUInt32LE(0x80000000, 84); } });
  // 4096 entries of 128 bytes, all used: many partitions, many strings (primary only).
  s["hand-gpt-4096-entries.bin"] = gptDisk({ sectors: 2 + 1024 + 16, entries: 4096, noBackup: true,
    parts: Array.from({ length: 4096 }, (_, i) => ({ first: 1026n, last: BigInt(1026 + (i % 8)) })) });
  return s;
}

// ---- ext images -----------------------------------------------------------------------------

function sh(cmd: string, args: string[], env: Record<string, string> = {}): string {
  return execFileSync(cmd, args, { encoding: "utf8", env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
}

// The tree every image is populated from; `big` bounds the largest file.
function makeTree(dir: string, big: number, many = 90): void {
  const w = (p: string, b: Buffer | string) => { mkdirSync(join(dir, p, ".."), { recursive: true }); writeFileSync(join(dir, p), b); };
  w("hello.txt", "hello, pvboot\n");
  w("boot/grub/menu.lst", "default 0\ntimeout 3\ntitle Linux\n  root (hd0,0)\n  kernel /boot/vmlinuz root=/dev/xvda1\n  initrd /boot/initrd.img\n");
  w("boot/vmlinuz", tagged(Math.min(big, 300 * 1024), 1));
  w("boot/initrd.img", tagged(Math.min(big >> 2, 64 * 1024), 2));
  w("boot/dense", pseudoRandom(3000, 4)); // a few blocks of real data
  w("boot/config", "CONFIG_XEN=y\n".repeat(200));
  w("empty", "");
  w("tiny", "x");
  w("inline-59", "i".repeat(59));
  w("inline-61", "j".repeat(61));
  // A sparse file: a block at 0 and one at 40 KiB.
  const fd = openSync(join(dir, "sparse"), "w");
  writeSync(fd, Buffer.from("start"), 0, 5, 0);
  writeSync(fd, Buffer.from("end"), 0, 3, 40 * 1024);
  closeSync(fd);
  // A directory of several blocks (an htree after e2fsck -D): a few files, then hard links to
  // one of them (names cost directory space only, no inodes or data).
  for (let i = 0; i < many; i++) {
    const name = join(dir, `many/file-with-a-fairly-long-name-${String(i).padStart(3, "0")}`);
    if (i < 6) w(`many/file-with-a-fairly-long-name-${String(i).padStart(3, "0")}`, `${i}\n`);
    else linkSync(join(dir, "many/file-with-a-fairly-long-name-000"), name);
  }
  w("deep/a/b/c/d/e/f/g/h/i/j/leaf", "deep\n");
  linkSync(join(dir, "hello.txt"), join(dir, "hardlink"));
  symlinkSync("boot/vmlinuz", join(dir, "vmlinuz"));
  symlinkSync("/boot/grub/menu.lst", join(dir, "menu-abs"));
  symlinkSync("../".repeat(8) + "boot/grub/../grub/./menu.lst/" + "x".repeat(40), join(dir, "slow-symlink"));
  symlinkSync("nowhere/at/all", join(dir, "dangling"));
  symlinkSync("loop-b", join(dir, "loop-a"));
  symlinkSync("loop-a", join(dir, "loop-b"));
  symlinkSync(".", join(dir, "deep/self"));
  symlinkSync("../..", join(dir, "deep/a/up"));
}

interface ExtVariant { name: string; type: "ext2" | "ext3" | "ext4"; kib: number; args: string[]; fsck?: boolean }

const EXT_VARIANTS: ExtVariant[] = [
  { name: "ext2-1k", type: "ext2", kib: 1024, args: ["-b", "1024"] },
  { name: "ext2-4k", type: "ext2", kib: 4096, args: ["-b", "4096"] },
  { name: "ext2-tiny", type: "ext2", kib: 192, args: ["-b", "1024", "-N", "96"] },
  { name: "ext2-2k-dirindex", type: "ext2", kib: 2048, args: ["-b", "2048", "-O", "dir_index"], fsck: true },
  { name: "ext3-1k", type: "ext3", kib: 2048, args: ["-b", "1024"] },
  { name: "ext3-4k", type: "ext3", kib: 4096, args: ["-b", "4096", "-J", "size=1"] },
  { name: "ext4-1k", type: "ext4", kib: 1024, args: ["-b", "1024", "-O", "^has_journal"] },
  { name: "ext4-4k", type: "ext4", kib: 4096, args: ["-b", "4096"], fsck: true },
  { name: "ext4-2k-htree", type: "ext4", kib: 2048, args: ["-b", "2048"], fsck: true },
  { name: "ext4-small", type: "ext4", kib: 256, args: ["-b", "1024", "-O", "^has_journal", "-N", "96"] },
  { name: "ext4-inline", type: "ext4", kib: 1024, args: ["-b", "1024", "-O", "inline_data,^has_journal", "-I", "256"] },
  { name: "ext4-inline-4k", type: "ext4", kib: 2048, args: ["-b", "4096", "-O", "inline_data", "-I", "512"] },
  { name: "ext4-64bit", type: "ext4", kib: 2048, args: ["-b", "1024", "-O", "64bit,^has_journal"] },
  { name: "ext4-metabg", type: "ext4", kib: 2048, args: ["-b", "1024", "-O", "meta_bg,^resize_inode,^has_journal"] },
  { name: "ext4-metabg-64bit", type: "ext4", kib: 4096, args: ["-b", "1024", "-O", "meta_bg,64bit,^resize_inode"] },
  { name: "ext4-bigalloc", type: "ext4", kib: 4096, args: ["-b", "1024", "-O", "bigalloc,^has_journal", "-C", "16384"] },
  { name: "ext4-noextents", type: "ext4", kib: 1024, args: ["-b", "1024", "-O", "^extent,^64bit,^has_journal"] },
  { name: "ext4-nocsum", type: "ext4", kib: 1024, args: ["-b", "1024", "-O", "^metadata_csum,uninit_bg,^has_journal"] },
  { name: "ext4-nodirindex", type: "ext4", kib: 1024, args: ["-b", "1024", "-O", "^dir_index,^has_journal"] },
  { name: "ext4-inode128", type: "ext4", kib: 1024, args: ["-b", "1024", "-I", "128", "-O", "^has_journal"] },
  { name: "ext4-flexbg16", type: "ext4", kib: 4096, args: ["-b", "1024", "-G", "16", "-g", "1024", "-O", "^has_journal"] },
  { name: "ext4-casefold", type: "ext4", kib: 1024, args: ["-b", "1024", "-O", "casefold,^has_journal"] },
];

const FIXED = ["-U", "5eb3c6a1-0b32-4f6e-9d9a-2f0e6b6a7c01", "-E", "hash_seed=1c2d3e4f-5a6b-4c7d-8e9f-a0b1c2d3e4f5,root_owner=0:0", "-q", "-F"];
const FAKE_TIME = { E2FSPROGS_FAKE_TIME: "1700000000" };

export function mkExt(v: ExtVariant, work: string, tree?: string): Buffer | null {
  const img = join(work, `${v.name}.img`);
  const src = tree ?? join(work, `tree-${v.name}`);
  if (!tree) makeTree(src, (v.kib * 1024) >> 3, v.kib <= 256 ? 40 : 120);
  const inodes = v.args.includes("-N") ? [] : ["-N", "256"];
  rmSync(img, { force: true });
  try {
    sh("mke2fs", ["-t", v.type, ...inodes, ...v.args, ...FIXED, "-L", v.name.slice(0, 16), "-d", src, img, `${v.kib}k`], FAKE_TIME);
    if (v.fsck) {
      try { sh("e2fsck", ["-fyD", img], FAKE_TIME); } catch { /* exit 1: "file system was modified" */ }
    }
  } catch (e) {
    process.stderr.write(`seeds: mke2fs ${v.name} failed: ${(e as { stderr?: string }).stderr ?? e}\n`);
    return null;
  }
  return readFileSync(img);
}

// Every variant in the sparse form (what the fuzzer mutates best), and the small ones raw too.
function extSeeds(work: string): Record<string, Buffer> {
  const s: Record<string, Buffer> = {};
  for (const v of EXT_VARIANTS) {
    const b = mkExt(v, work);
    if (!b) continue;
    s[`${v.name}.pvz`] = toSparse(b);
    if (b.length <= 256 * 1024) s[`${v.name}.img`] = b;
  }
  return s;
}

// ---- XFS (the xfs target) -------------------------------------------------------------------

interface XfsVariant { name: string; args: string[] }
const XFS_VARIANTS: XfsVariant[] = [
  { name: "xfs-v5-4k", args: [] },
  { name: "xfs-v5-1k", args: ["-b", "size=1024"] },
  { name: "xfs-v5-1k-dir64k", args: ["-b", "size=1024", "-n", "size=65536"] },
  { name: "xfs-v4-512", args: ["-m", "crc=0", "-b", "size=512"] },
  { name: "xfs-v4-4k-noftype", args: ["-m", "crc=0", "-n", "ftype=0"] },
];

// mkfs.xfs -p: populated by mkfs itself from makeTree's tree (hard links become copies), 16 MiB
// (the sparse form's limit; mkfs.xfs needs its test-suite variables to go below 300 MB).
export function mkXfs(v: XfsVariant, work: string): Buffer | null {
  const img = join(work, `${v.name}.img`);
  const src = join(work, `tree-${v.name}`);
  makeTree(src, 96 * 1024, 60);
  const proto = join(work, `${v.name}.proto`);
  writeFileSync(proto, protofile(src));
  rmSync(img, { force: true });
  try {
    sh("truncate", ["-s", "16M", img]);
    sh("mkfs.xfs", ["-q", "-f", ...v.args, "-m", "uuid=5eb3c6a1-0b32-4f6e-9d9a-2f0e6b6a7c01", "-L", v.name.slice(4, 16), "-p", proto, img],
      { TEST_DIR: "1", TEST_DEV: "1", QA_CHECK_FS: "1" });
  } catch (e) {
    process.stderr.write(`seeds: mkfs.xfs ${v.name} failed: ${(e as { stderr?: string }).stderr ?? e}\n`);
    return null;
  }
  return readFileSync(img);
}

function xfsSeeds(work: string): Record<string, Buffer> {
  const s: Record<string, Buffer> = {};
  for (const v of XFS_VARIANTS) {
    const b = mkXfs(v, work);
    if (b) s[`${v.name}.pvz`] = toSparse(b);
  }
  return s;
}

// Hand-made damage: the v5 image with its root inode's data fork claiming more extents than fit,
// and with the superblock's AG geometry at its limits.
function xfsRegressions(work: string): Record<string, Buffer> {
  const s: Record<string, Buffer> = {};
  const b = mkXfs(XFS_VARIANTS[0], work);
  if (!b) return s;
  const root = Number(b.readBigUInt64BE(56));
  const inodeLog = b[122], inopbLog = b[123], blockSize = b.readUInt32BE(4);
  const at = (root >> inopbLog) * blockSize + ((root & ((1 << inopbLog) - 1)) << inodeLog);
  const many = Buffer.from(b);
  many.writeUInt32BE(0xffffffff, at + 76); // di_nextents
  many[at + 5] = 2; // extents format
  s["hand-root-nextents-huge.pvz"] = toSparse(many);
  const geo = Buffer.from(b);
  geo.writeUInt32BE(0x7fffffff, 84); // sb_agblocks
  geo[124] = 31; // sb_agblklog
  s["hand-sb-agblocks-max.pvz"] = toSparse(geo);
  return s;
}

// Where debugfs says an inode lives: [byte offset of the inode, inode size].
function inodeAt(img: string, path: string): number {
  const out = sh("debugfs", ["-R", `imap ${path}`, img]);
  const m = out.match(/located at block (\d+), offset (0x[0-9a-f]+)/);
  if (!m) throw new Error(`imap ${path}: ${out}`);
  const bs = blockSize(img);
  return Number(m[1]) * bs + Number(m[2]);
}

function blockSize(img: string): number {
  const b = readFileSync(img);
  return 1024 << b.readUInt32LE(1024 + 24);
}

function dataBlocks(img: string, path: string): number[] {
  return sh("debugfs", ["-R", `blocks ${path}`, img]).trim().split(/\s+/).filter(Boolean).map(Number);
}

function patch(img: string, at: number, bytes: Buffer | number[]): void {
  const fd = openSync(img, "r+");
  const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes);
  writeSync(fd, b, 0, b.length, at);
  closeSync(fd);
}

const u16 = (v: number) => { const b = Buffer.alloc(2); b.writeUInt16LE(v); return b; };
const u32 = (v: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(v >>> 0); return b; };

function extHeader(entries: number, max: number, depth: number): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16LE(0xf30a, 0);
  h.writeUInt16LE(entries, 2);
  h.writeUInt16LE(max, 4);
  h.writeUInt16LE(depth, 6);
  return h;
}

function extIndex(lblk: number, leaf: number): Buffer {
  const e = Buffer.alloc(12);
  e.writeUInt32LE(lblk, 0);
  e.writeUInt32LE(leaf, 4);
  return e;
}

function extLeaf(lblk: number, len: number, start: number): Buffer {
  const e = Buffer.alloc(12);
  e.writeUInt32LE(lblk, 0);
  e.writeUInt16LE(len, 4);
  e.writeUInt32LE(start, 8);
  return e;
}

// Hand-made nasty ext images: small mke2fs images without metadata_csum (so the damage is
// not simply refused by a checksum) with one field broken each.
function extRegressions(work: string): Record<string, Buffer> {
  const s: Record<string, Buffer> = {};
  const tree = join(work, "nasty-tree");
  mkdirSync(tree, { recursive: true });
  writeFileSync(join(tree, "file"), pseudoRandom(5000, 3));
  writeFileSync(join(tree, "small"), "small\n");
  mkdirSync(join(tree, "dir"));
  for (let i = 0; i < 40; i++) writeFileSync(join(tree, "dir", `entry-${String(i).padStart(2, "0")}-with-a-long-name`), "e");
  symlinkSync("file", join(tree, "link"));
  const base = (name: string, type: "ext2" | "ext4", extra: string[] = []): string => {
    const v: ExtVariant = { name, type, kib: 96, args: ["-b", "1024", "-N", "64", "-O", type === "ext4" ? "^metadata_csum,^has_journal" : "^dir_index", ...extra] };
    if (!mkExt(v, work, tree)) throw new Error(`mke2fs ${name}`);
    return join(work, `${name}.img`);
  };
  const take = (name: string, img: string) => { s[`hand-${name}.bin`] = readFileSync(img); };
  const SB = 1024;

  let img = base("sb-log-block-size-40", "ext4");
  patch(img, SB + 24, u32(40)); take("ext-sb-log-block-size-40", img);
  img = base("sb-log-block-size-7", "ext2");
  patch(img, SB + 24, u32(7)); take("ext-sb-log-block-size-7", img); // 128 KiB blocks
  img = base("sb-inodes-per-group-0", "ext4");
  patch(img, SB + 40, u32(0)); take("ext-sb-inodes-per-group-0", img);
  img = base("sb-blocks-per-group-0", "ext2");
  patch(img, SB + 32, u32(0)); take("ext-sb-blocks-per-group-0", img);
  img = base("sb-inode-size-0", "ext4");
  patch(img, SB + 88, u16(0)); take("ext-sb-inode-size-0", img);
  img = base("sb-inode-size-huge", "ext4");
  patch(img, SB + 88, u16(0xfff0)); take("ext-sb-inode-size-huge", img);
  img = base("sb-blocks-count-huge", "ext4", ["-O", "64bit"]);
  patch(img, SB + 4, u32(0xffffffff)); patch(img, SB + 0x150, u32(0xffffffff)); take("ext-sb-blocks-count-huge", img);
  img = base("sb-first-data-block-huge", "ext2");
  patch(img, SB + 20, u32(0xfffffff0)); take("ext-sb-first-data-block-huge", img);
  img = base("sb-desc-size-0", "ext4", ["-O", "64bit"]);
  patch(img, SB + 0xfe, u16(0)); take("ext-sb-desc-size-0", img);
  img = base("sb-inodes-count-0", "ext2");
  patch(img, SB + 0, u32(0)); take("ext-sb-inodes-count-0", img);

  // The root directory's first entry has rec_len 0; another image: rec_len past the block,
  // name_len past rec_len.
  img = base("dir-rec-len-0", "ext2");
  let root = dataBlocks(img, "/")[0] * blockSize(img);
  patch(img, root + 4, u16(0)); take("ext-dir-rec-len-0", img);
  img = base("dir-rec-len-past-block", "ext2");
  root = dataBlocks(img, "/")[0] * blockSize(img);
  patch(img, root + 12 + 4, u16(0xfffc)); take("ext-dir-rec-len-past-block", img);
  img = base("dir-name-len-past-rec", "ext2");
  root = dataBlocks(img, "/")[0] * blockSize(img);
  patch(img, root + 6, [0xff]); take("ext-dir-name-len-past-rec", img);
  // A directory entry naming inode 0xffffffff, and the directory as its own child.
  img = base("dir-inode-huge", "ext2");
  root = dataBlocks(img, "/")[0] * blockSize(img);
  patch(img, root + 24, u32(0xffffffff)); take("ext-dir-inode-huge", img);

  // Extent trees: an index that points at its own block (a loop), one deeper than 5 levels,
  // an extent far past the end of the filesystem, entries > max.
  img = base("extent-self-loop", "ext4");
  let ino = inodeAt(img, "/file");
  const bs = blockSize(img);
  const spare = dataBlocks(img, "/file")[0];
  patch(img, ino + 40, Buffer.concat([extHeader(1, 4, 1), extIndex(0, spare)]));
  patch(img, spare * bs, Buffer.concat([extHeader(1, (bs - 12) / 12, 1), extIndex(0, spare)]));
  take("ext-extent-self-loop", img);
  img = base("extent-depth-huge", "ext4");
  ino = inodeAt(img, "/file");
  patch(img, ino + 40, Buffer.concat([extHeader(1, 4, 0xffff), extIndex(0, dataBlocks(img, "/file")[0])]));
  take("ext-extent-depth-huge", img);
  img = base("extent-past-end", "ext4");
  ino = inodeAt(img, "/file");
  patch(img, ino + 40, Buffer.concat([extHeader(2, 4, 0), extLeaf(0, 0x7fff, 0xfffffff0), extLeaf(0x7fff, 0x8000 + 5, 3)]));
  take("ext-extent-past-end", img);
  img = base("extent-entries-over-max", "ext4");
  ino = inodeAt(img, "/file");
  patch(img, ino + 40, extHeader(0xffff, 0xffff, 0));
  take("ext-extent-entries-over-max", img);

  // Block maps (ext2): the indirect block points at itself; the double indirect at the
  // superblock; a file of 2^40 bytes.
  img = base("indirect-self", "ext2");
  ino = inodeAt(img, "/file");
  {
    const blocks = dataBlocks(img, "/file");
    const ind = blocks[0];
    patch(img, ino + 40 + 12 * 4, u32(ind));
    const self = Buffer.alloc(blockSize(img));
    for (let i = 0; i < self.length; i += 4) self.writeUInt32LE(ind, i);
    patch(img, ind * blockSize(img), self);
    patch(img, ino + 4, u32(0x7fffffff)); // i_size: reads run through the indirect range
  }
  take("ext-indirect-self", img);
  img = base("dindirect-superblock", "ext2");
  ino = inodeAt(img, "/file");
  patch(img, ino + 40 + 13 * 4, u32(1));
  patch(img, ino + 4, u32(0xffffffff)); patch(img, ino + 108, u32(0xff)); // i_size_high
  take("ext-dindirect-superblock", img);

  // A symlink with i_size 2^32-1 (slow, no blocks), and one whose target is itself.
  img = base("symlink-size-huge", "ext2");
  ino = inodeAt(img, "/link");
  patch(img, ino + 4, u32(0xffffffff));
  take("ext-symlink-size-huge", img);
  // The root inode is a regular file; the root inode's mode is 0.
  img = base("root-not-dir", "ext2");
  ino = inodeAt(img, "/");
  patch(img, ino, u16(0x81a4)); take("ext-root-not-dir", img);
  // Inline data claimed on an ext4 without the feature, with i_size 1000.
  img = base("inline-flag-bogus", "ext4");
  ino = inodeAt(img, "/small");
  patch(img, ino + 32, u32(0x10000000)); patch(img, ino + 4, u32(1000));
  take("ext-inline-flag-bogus", img);
  // An htree (dx) root with 200 indirect levels and a count larger than its limit.
  img = base("htree-levels", "ext4", ["-O", "dir_index"]);
  try { sh("e2fsck", ["-fyD", img], FAKE_TIME); } catch { /* modified */ }
  {
    const dirBlock = dataBlocks(img, "/dir")[0] * blockSize(img);
    // dx_root: '.' (12) + '..' (rec_len to the end) then dx_root_info at 24.
    patch(img, dirBlock + 24 + 6, [200]); // indirect_levels
    patch(img, dirBlock + 32, u16(0x10)); patch(img, dirBlock + 34, u16(0xffff)); // limit, count
  }
  take("ext-htree-levels", img);
  return s;
}

// ---- compressed streams (the decompress target) ---------------------------------------------

// An input of the decompress target (src/fuzz/decompress.ts): a selector byte (an index into
// FORMATS, or 7 for "whatever detectFormat says") and the stream.
const DEC_FORMATS = ["gzip", "xz", "lzma", "zstd", "lz4", "bzip2", "lzo"];
const DETECT = 7;
const sel = (fmt: string | number, b: Buffer): Buffer =>
  Buffer.concat([Buffer.from([typeof fmt === "number" ? fmt : DEC_FORMATS.indexOf(fmt)]), b]);

function tool(cmd: string, args: string[], input: Buffer): Buffer {
  return execFileSync(cmd, args, { input, maxBuffer: 64 << 20, stdio: ["pipe", "pipe", "pipe"] });
}

// What the decompressors get to chew on: text, x86-ish binary (BCJ), long runs, nothing.
function decInputs(): Record<string, Buffer> {
  const words = "the kernel module memory page buffer device driver boot loader xen domain grant event".split(" ");
  const r = pseudoRandom(8192, 11);
  let text = "";
  for (let i = 0; text.length < 6000; i++) text += words[r[i] % words.length] + (r[i + 1] % 9 === 0 ? ".\n" : " ");
  const bin = Buffer.concat([pseudoRandom(1500, 12), Buffer.from("\xe8\x10\x00\x00\x00\x90\xe9\xf0\xff\xff\xff".repeat(40), "latin1"), pseudoRandom(500, 13)]);
  return { text: Buffer.from(text), bin, runs: Buffer.alloc(20000, 0x61), empty: Buffer.alloc(0) };
}

// Each format as its tool writes it, with the variants the decoders branch on.
const DEC_VARIANTS: { fmt: string; name: string; cmd: string; args: string[] }[] = [
  { fmt: "gzip", name: "9", cmd: "gzip", args: ["-9cn"] },
  { fmt: "gzip", name: "1", cmd: "gzip", args: ["-1cn"] },
  { fmt: "xz", name: "crc32", cmd: "xz", args: ["-c", "--check=crc32"] },
  { fmt: "xz", name: "crc64", cmd: "xz", args: ["-c", "-1", "--check=crc64"] },
  { fmt: "xz", name: "sha256", cmd: "xz", args: ["-c", "--check=sha256"] },
  { fmt: "xz", name: "none", cmd: "xz", args: ["-c", "--check=none"] },
  { fmt: "xz", name: "x86", cmd: "xz", args: ["-c", "--check=crc32", "--x86", "--lzma2=preset=6"] },
  { fmt: "xz", name: "blocks", cmd: "xz", args: ["-c", "--check=crc32", "--block-size=2048"] },
  { fmt: "lzma", name: "6", cmd: "xz", args: ["-c", "--format=lzma"] },
  { fmt: "lzma", name: "lc0-lp2", cmd: "xz", args: ["-c", "--format=lzma", "--lzma1=preset=1,lc=0,lp=2,pb=0"] },
  { fmt: "zstd", name: "19", cmd: "zstd", args: ["-19", "-q", "-c"] },
  { fmt: "zstd", name: "1-nocheck", cmd: "zstd", args: ["-1", "-q", "-c", "--no-check"] },
  { fmt: "lz4", name: "legacy", cmd: "lz4", args: ["-l", "-9", "-c"] },
  { fmt: "lz4", name: "frame", cmd: "lz4", args: ["-c"] },
  { fmt: "lz4", name: "frame-dep-size", cmd: "lz4", args: ["-BD", "-B4", "--content-size", "-c"] },
  { fmt: "lz4", name: "frame-blockcrc", cmd: "lz4", args: ["--no-frame-crc", "-BX", "-c"] },
  { fmt: "bzip2", name: "9", cmd: "bzip2", args: ["-9c"] },
  { fmt: "bzip2", name: "1", cmd: "bzip2", args: ["-1c"] },
  { fmt: "lzo", name: "9", cmd: "lzop", args: ["-9c"] },
  { fmt: "lzo", name: "1", cmd: "lzop", args: ["-1c"] },
];

function decStreams(): Record<string, Buffer> {
  const s: Record<string, Buffer> = {};
  for (const [iname, input] of Object.entries(decInputs())) {
    for (const v of DEC_VARIANTS) {
      try {
        s[`${v.fmt}-${v.name}-${iname}`] = tool(v.cmd, v.args, input);
      } catch (e) {
        process.stderr.write(`seeds: ${v.cmd} ${v.args.join(" ")} failed: ${(e as Error).message}\n`);
      }
    }
  }
  return s;
}

function decompressSeeds(): Record<string, Buffer> {
  const s: Record<string, Buffer> = {};
  for (const [name, b] of Object.entries(decStreams())) {
    const fmt = name.split("-")[0];
    s[`${name}.bin`] = sel(fmt, b);
    if (name.endsWith("-text")) s[`detect-${name}.bin`] = sel(DETECT, b);
  }
  // Two concatenated streams (zstd frames, xz streams, gzip members), and a 17 MiB bomb per
  // format (past the target's 16 MiB limit: must be refused).
  const t = decInputs().text;
  s["zstd-two-frames.bin"] = sel("zstd", Buffer.concat([tool("zstd", ["-q", "-c"], t), tool("zstd", ["-q", "-c"], t)]));
  s["xz-two-streams.bin"] = sel("xz", Buffer.concat([tool("xz", ["-c", "--check=crc32"], t), tool("xz", ["-c", "--check=crc32"], t)]));
  s["gzip-two-members.bin"] = sel("gzip", Buffer.concat([tool("gzip", ["-cn"], t), tool("gzip", ["-cn"], t)]));
  return s;
}

const be32 = (b: Buffer, at: number, v: number) => { b.writeUInt32BE(v >>> 0, at); return b; };

// Hostile streams, each made from a real one: cut short, checks broken, sizes huge, nothing.
function decompressRegressions(): Record<string, Buffer> {
  const s: Record<string, Buffer> = {};
  const st = decStreams();
  const text = (fmt: string, variant: string) => Buffer.from(st[`${fmt}-${variant}-text`]);
  const put = (name: string, fmt: string | number, b: Buffer) => { s[`hand-${name}.bin`] = sel(fmt, b); };
  // Nothing but the selector, for each format and for detect; and only the magic.
  for (let i = 0; i <= DETECT; i++) s[`hand-empty-${i === DETECT ? "detect" : DEC_FORMATS[i]}.bin`] = Buffer.from([i]);
  const first: Record<string, string> = { gzip: "9", xz: "crc32", lzma: "6", zstd: "19", lz4: "legacy", bzip2: "9", lzo: "9" };
  for (const fmt of DEC_FORMATS) {
    const b = text(fmt, first[fmt]);
    put(`${fmt}-truncated-half`, fmt, b.subarray(0, b.length >> 1));
    put(`${fmt}-truncated-header`, fmt, b.subarray(0, 12));
    put(`${fmt}-last-byte-missing`, fmt, b.subarray(0, b.length - 1));
    put(`${fmt}-magic-only`, fmt, b.subarray(0, fmt === "lzma" ? 13 : fmt === "lzo" ? 9 : 4));
  }
  put("lz4-frame-truncated-half", "lz4", text("lz4", "frame").subarray(0, 40));
  // Broken checks.
  let b = text("gzip", "9"); b[b.length - 8] ^= 1; put("gzip-bad-crc", "gzip", b);
  b = text("gzip", "9"); be32(b, b.length - 4, 0xffffffff); put("gzip-isize-huge", "gzip", b);
  b = text("gzip", "9"); b[3] = 0x04; b.writeUInt16LE(0xffff, 10); put("gzip-fextra-huge", "gzip", b.subarray(0, 40));
  b = text("gzip", "9"); b[3] = 0x08; put("gzip-fname-unterminated", "gzip", Buffer.concat([b.subarray(0, 10), Buffer.alloc(50, 0x41)]));
  b = text("xz", "crc32"); b[b.length - 12 - 4 - 1 - 8] ^= 1; put("xz-bad-check", "xz", b); // somewhere in the last bytes before the index
  b = text("xz", "crc32"); b[b.length - 9] ^= 0x40; put("xz-bad-footer", "xz", b);
  b = text("xz", "crc32"); b[7] = 0x0f; b.writeUInt32LE(crc32(b.subarray(6, 8)), 8); put("xz-reserved-check", "xz", b);
  b = text("xz", "crc32");
  if (b[12] === 0x02 && b[14] === 0x21) { b[16] = 40; b.writeUInt32LE(crc32(b.subarray(12, 20)), 20); put("xz-dict-4g", "xz", b); }
  b = text("xz", "crc32"); b[12] = 0xff; put("xz-block-header-huge", "xz", b);
  b = text("zstd", "19"); b[b.length - 1] ^= 1; put("zstd-bad-checksum", "zstd", b);
  b = text("lz4", "frame"); b[b.length - 1] ^= 1; put("lz4-bad-checksum", "lz4", b);
  b = text("bzip2", "9"); b[10] ^= 1; put("bzip2-bad-block-crc", "bzip2", b);
  b = text("bzip2", "9"); b[b.length - 1] ^= 1; put("bzip2-bad-stream-crc", "bzip2", b);
  b = text("bzip2", "9"); b[3] = 0x30; put("bzip2-level-0", "bzip2", b);
  b = text("lzo", "9"); b[b.length - 10] ^= 1; put("lzo-bad-data", "lzo", b);
  // Huge declared sizes.
  b = text("lzma", "6"); b.writeBigUInt64LE(1n << 40n, 5); put("lzma-size-2p40", "lzma", b);
  b = text("lzma", "6"); b.writeUInt32LE(0xffffffff, 1); put("lzma-dict-4g", "lzma", b);
  b = text("lzma", "6"); b[0] = 0xff; put("lzma-props-bad", "lzma", b);
  b = text("lzma", "6"); b.writeBigUInt64LE(0n, 5); put("lzma-size-0", "lzma", b);
  // zstd: a single-segment frame declaring 2^40 bytes of content, then one raw block of 5;
  // a frame whose window descriptor says 2^41.
  put("zstd-fcs-2p40", "zstd", Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xe0]), Buffer.from([0, 0, 0, 0, 0, 1, 0, 0]), Buffer.from([0x29, 0, 0]), Buffer.from("hello")]));
  put("zstd-window-2p41", "zstd", Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0xf8]), Buffer.from([0x29, 0, 0]), Buffer.from("hello")]));
  put("zstd-rle-block-huge", "zstd", Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x50, 0xfb, 0xff, 0xff, 0x61])); // RLE, 2^21-1 bytes, window 1 MiB
  put("lz4-legacy-chunk-huge", "lz4", Buffer.from([0x02, 0x21, 0x4c, 0x18, 0xff, 0xff, 0xff, 0xff, 0x10, 0x61]));
  b = text("lz4", "frame-dep-size"); b.writeBigUInt64LE(1n << 62n, 6); put("lz4-frame-content-size-huge", "lz4", b);
  b = text("lzo", "9");
  if (b[33] === 0 && b.readUInt32BE(38) === decInputs().text.length) {
    be32(b, 38, 0xffffffff); put("lzo-block-size-huge", "lzo", Buffer.from(b));
    b = text("lzo", "9"); be32(b, 42, 0xfffffff0); put("lzo-compressed-size-huge", "lzo", b);
  } else throw new Error("lzop's header is not the one expected (name length or block size)");
  // More than the target's 16 MiB limit, from a few bytes of input.
  const bomb = Buffer.alloc(17 << 20);
  for (const [fmt, cmd, args] of [["gzip", "gzip", ["-9cn"]], ["xz", "xz", ["-c", "--check=crc32"]], ["zstd", "zstd", ["-19", "-q", "-c"]],
    ["lz4", "lz4", ["-l", "-c"]], ["bzip2", "bzip2", ["-9c"]]] as [string, string, string[]][]) {
    put(`${fmt}-bomb-17M`, fmt, tool(cmd, args, bomb));
  }
  return s;
}

// ---- main ---------------------------------------------------------------------------------

// Regression inputs are committed gzipped (the images are mostly zeros): name.bin.gz.
function write(dir: string, files: Record<string, Buffer>, gzip: boolean): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, b] of Object.entries(files)) {
    writeFileSync(join(dir, gzip ? `${name}.gz` : name), gzip ? gzipSync(b, { level: 9 }) : b);
  }
  const total = Object.values(files).reduce((n, b) => n + b.length, 0);
  console.log(`seeds: ${Object.keys(files).length} files, ${(total / 1024).toFixed(0)} KiB -> ${dir}`);
}

// ---- btrfs images -------------------------------------------------------------------------

// Small images from scripts/images/btrfs.sh (mkfs.btrfs, and the kernel on a loop mount for
// compression and subvolumes: needs root), in the sparse form src/fuzz/btrfs.ts reads in place.
function btrfsSeeds(work: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const name of ["mini", "mini-zstd", "mini-subvol"]) {
    const img = join(work, `btrfs-${name}.img`);
    sh(join(ROOT, "scripts/images/btrfs.sh"), [name, img]);
    out[`btrfs-${name}`] = toSparse(readFileSync(img));
    rmSync(img, { force: true });
  }
  return out;
}

// Hand-made damaged btrfs images (checksums fixed, so the damage gets past them), from the
// mini image: the superblock, the root and fs trees' nodes, directory and extent items.
const BT_CRC = (() => {
  const t = new Int32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c;
  }
  return t;
})();
function btCsum(img: Buffer, at: number, size: number): void {
  let c = -1;
  for (let i = at + 0x20; i < at + size; i++) c = BT_CRC[(c ^ img[i]) & 0xff] ^ (c >>> 8);
  img.writeUInt32LE((~c) >>> 0, at);
}

function btrfsRegressions(work: string): Record<string, Buffer> {
  const path = join(work, "btrfs-mini-zstd.img");
  sh(join(ROOT, "scripts/images/btrfs.sh"), ["mini-zstd", path]);
  const clean = readFileSync(path);
  const SB = 0x10000;
  const ns = clean.readUInt32LE(SB + 0x94);
  const phys = (logical: number): number[] =>
    [...sh("btrfs-map-logical", ["-l", String(logical), path]).matchAll(/physical (\d+)/g)].map((m) => Number(m[1]));
  // Write f's change into every copy of the node at logical, checksums fixed.
  const node = (img: Buffer, logical: number, f: (img: Buffer, at: number) => void): Buffer => {
    for (const at of phys(logical)) {
      f(img, at);
      btCsum(img, at, ns);
    }
    return img;
  };
  const superblock = (f: (img: Buffer) => void): Buffer => {
    const img = Buffer.from(clean);
    f(img);
    btCsum(img, SB, 4096);
    img.fill(0, 0x4000000, 0x4000000 + 4096); // no copy to fall back to
    return img;
  };
  // The leftmost leaf of the fs tree (5) and the item offsets of the first item of a type.
  const rootTree = Number(clean.readBigUInt64LE(SB + 0x50));
  const rt = phys(rootTree)[0];
  let fsRoot = 0;
  for (let i = 0; i < clean.readUInt32LE(rt + 0x60); i++) {
    const it = rt + 101 + i * 25;
    if (clean.readBigUInt64LE(it) === 5n && clean[it + 8] === 132) fsRoot = Number(clean.readBigUInt64LE(rt + 101 + clean.readUInt32LE(it + 17) + 176));
  }
  let leaf = fsRoot;
  for (let at = phys(leaf)[0]; clean[at + 0x64] > 0; at = phys(leaf)[0]) leaf = Number(clean.readBigUInt64LE(at + 101 + 17));
  const firstOf = (type: number, pred: (data: number) => boolean = () => true): number => {
    const at = phys(leaf)[0];
    for (let i = 0; i < clean.readUInt32LE(at + 0x60); i++) {
      const it = at + 101 + i * 25;
      const data = 101 + clean.readUInt32LE(it + 17);
      if (clean[it + 8] === type && pred(at + data)) return data;
    }
    throw new Error(`no item of type ${type} in leaf ${leaf}`);
  };
  const out: Record<string, Buffer> = {};
  out["btrfs-sb-sys-array-size-huge"] = superblock((img) => img.writeUInt32LE(0xffff, SB + 0xa0));
  out["btrfs-sb-sys-chunk-0-stripes"] = superblock((img) => img.writeUInt16LE(0, SB + 0x32b + 17 + 44));
  out["btrfs-sb-root-level-7"] = superblock((img) => { img[SB + 0xc6] = 7; });
  out["btrfs-sb-nodesize-huge"] = superblock((img) => img.writeUInt32LE(1 << 20, SB + 0x94));
  out["btrfs-leaf-nritems-huge"] = node(Buffer.from(clean), leaf, (img, at) => img.writeUInt32LE(0xffffffff, at + 0x60));
  out["btrfs-leaf-item-past-end"] = node(Buffer.from(clean), leaf, (img, at) => img.writeUInt32LE(0xfff0, at + 101 + 25 + 17));
  out["btrfs-leaf-keys-unsorted"] = node(Buffer.from(clean), leaf, (img, at) => img.writeBigUInt64LE(0xffffffffn, at + 101));
  const dirIndex = firstOf(96);
  out["btrfs-dir-name-len-huge"] = node(Buffer.from(clean), leaf, (img, at) => img.writeUInt16LE(0xffff, at + dirIndex + 27));
  out["btrfs-dir-location-bad-type"] = node(Buffer.from(clean), leaf, (img, at) => { img[at + dirIndex + 8] = 99; });
  const ext = firstOf(108);
  out["btrfs-extent-ram-huge"] = node(Buffer.from(clean), leaf, (img, at) => img.writeBigUInt64LE(1n << 40n, at + ext + 8));
  out["btrfs-extent-type-bad"] = node(Buffer.from(clean), leaf, (img, at) => { img[at + ext + 20] = 9; });
  out["btrfs-extent-compression-bad"] = node(Buffer.from(clean), leaf, (img, at) => { img[at + ext + 16] = 7; });
  // Small inputs: file data and the second copy of DUP metadata read as zeros (the damage
  // is in the first copies, and in the superblock, which stays).
  const blank: [number, number][] = [];
  for (const item of sh("btrfs", ["inspect-internal", "dump-tree", "-t", "chunk", path]).split(/\titem \d+ key/)) {
    const m = /CHUNK_ITEM \d+\)[\s\S]*?length (\d+) owner \d+ stripe_len \d+ type (\w+)\|(\w+)/.exec(item);
    if (!m) continue;
    const stripes = [...item.matchAll(/stripe \d+ devid \d+ offset (\d+)/g)].map((x) => Number(x[1]));
    if (m[2] === "DATA") blank.push([stripes[0], Number(m[1])]);
    else if (m[3] === "DUP" && stripes.length > 1) blank.push([stripes[1], Number(m[1])]);
  }
  for (const k of Object.keys(out)) {
    for (const [at, len] of blank) out[k].fill(0, at, Math.min(at + len, out[k].length));
    clean.copy(out[k], 0x4000000, 0x4000000, 0x4000000 + 4096);
    if (k.startsWith("btrfs-sb-")) out[k].fill(0, 0x4000000, 0x4000000 + 4096);
    out[k] = toSparse(out[k]);
  }
  return out;
}

function main(): void {
  const [mode, ...want] = process.argv.slice(2);
  if ((mode === "expand" || mode === "sparse") && want.length === 2) {
    // An ext input to a plain image (for debugfs, e2fsck, mount -o loop) or back.
    const b = readFileSync(want[0]);
    const raw = want[0].endsWith(".gz") ? gunzipSync(b) : b;
    writeFileSync(want[1], mode === "expand" ? fromSparse(raw) : toSparse(fromSparse(raw)));
    return;
  }
  const targets = want.length ? want : ["partitions", "ext", "decompress", "menulst", "kernel", "multiboot", "btrfs", "xfs", "grubcfg", "xenbus", "layout"];
  if (mode !== "corpus" && mode !== "regressions") {
    console.error("usage: seeds.ts corpus|regressions [TARGET...] | expand|sparse IN OUT");
    process.exit(2);
  }
  const work = mkdtempSync(join(tmpdir(), "pvboot-seeds-"));
  try {
    for (const t of targets) {
      const files = t === "partitions"
        ? (mode === "corpus" ? partitionSeeds() : partitionRegressions())
        : t === "ext" ? (mode === "corpus" ? extSeeds(work) : extRegressions(work))
        : t === "decompress" ? (mode === "corpus" ? decompressSeeds() : decompressRegressions())
        : t === "menulst" ? (mode === "corpus" ? menulstSeeds() : menulstRegressions())
        : t === "kernel" ? (mode === "corpus" ? kernelSeeds() : kernelRegressions())
        : t === "multiboot" ? (mode === "corpus" ? multibootSeeds() : multibootRegressions())
        : t === "grubcfg" ? (mode === "corpus" ? grubcfgSeeds() : grubcfgRegressions())
        : t === "layout" ? (mode === "corpus" ? { ...layoutSeeds(), ...layoutRegressions() } : layoutRegressions())
        : t === "xenbus" ? (mode === "corpus" ? { ...xenbusSeeds(), ...xenbusRegressions() } : xenbusRegressions())
        : t === "btrfs" ? (mode === "corpus" ? btrfsSeeds(work) : btrfsRegressions(work))
        : t === "xfs" ? (mode === "corpus" ? xfsSeeds(work) : xfsRegressions(work)) : null;
      if (!files) throw new Error(`unknown target ${t}`);
      const out = mode === "corpus" ? process.env.PVBOOT_SEEDS_OUT ?? join(ROOT, "build/fuzz/corpus", t) : join(ROOT, "test/fuzz", t);
      write(out, files, mode === "regressions");
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) main();
