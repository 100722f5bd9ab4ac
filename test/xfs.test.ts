// The XFS reader (src/fs/xfs) on its own, through its test module (test/xfs/entry.ts): images
// made by mkfs.xfs (and filled through the kernel's own loop mount) read back against their
// source trees; the structures each image was meant to hold, as xfs_db reports them; a log
// left dirty; damaged images; seeded random corruption that must never trap or hang; and the
// pvboot command reading XFS through the whole loader.

import { beforeAll, describe, expect, it } from "vitest";
import { copyFileSync, mkdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { XfsImage, WASM_PATH, ROOT, buildXfsWasm, T } from "./xfs/wasm";
import { buildXfsImage, miniXfs, protofile, xfsDb, XFS_IMAGE_DIR, XFS_MATRIX, type XfsBuilt } from "./xfs/images";
import { verifyImage } from "./ext/verify";
import type { ExtImage } from "./ext/wasm";
import { crc32c, readAt, writeAt } from "./ext/patch";

const MiB = 1024 * 1024;

beforeAll(() => {
  buildXfsWasm();
});

function load(path: string): XfsImage {
  return new XfsImage(readFileSync(path));
}
function mounted(path: string): XfsImage {
  const img = load(path);
  expect(img.mountInfo.error, "mount").toBeNull();
  return img;
}
function verify(img: XfsImage, b: XfsBuilt) {
  return verifyImage(img as unknown as ExtImage, b.tree);
}

// ---- reading the image file in TypeScript, to find what to damage ---------------------------

interface Geo { blockSize: number; blockLog: number; agBlocks: number; agBlkLog: number; inodeLog: number; inopbLog: number; v5: boolean; dirBlkSize: number; sectSize: number }
function geometry(path: string): Geo {
  const b = readAt(path, 0, 512);
  const blockLog = b[120];
  return {
    blockSize: b.readUInt32BE(4), blockLog, agBlocks: b.readUInt32BE(84), agBlkLog: b[124], inodeLog: b[122], inopbLog: b[123],
    v5: (b.readUInt16BE(100) & 0xf) === 5, dirBlkSize: 1 << (blockLog + b[192]), sectSize: b.readUInt16BE(102),
  };
}
// Byte offset of a linear block, of an fsblock, of an inode.
function fsbToByte(g: Geo, fsb: bigint): number {
  const agno = Number(fsb >> BigInt(g.agBlkLog));
  const agbno = Number(fsb & ((1n << BigInt(g.agBlkLog)) - 1n));
  return (agno * g.agBlocks + agbno) * g.blockSize;
}
function inodeByte(g: Geo, ino: number): number {
  const i = BigInt(ino);
  const fsb = i >> BigInt(g.inopbLog);
  const within = Number(i & ((1n << BigInt(g.inopbLog)) - 1n));
  return fsbToByte(g, fsb) + (within << g.inodeLog);
}
function forkByte(g: Geo, ino: number): number {
  return inodeByte(g, ino) + (g.v5 ? 176 : 100);
}
// The extent record at byte off: [offset, fsblock, count, unwritten].
function extentAt(path: string, off: number): { off: bigint; fsb: bigint; len: number; flag: boolean } {
  const r = readAt(path, off, 16);
  const l0 = r.readBigUInt64BE(0), l1 = r.readBigUInt64BE(8);
  return { flag: (l0 >> 63n) === 1n, off: (l0 & ((1n << 63n) - 1n)) >> 9n, fsb: ((l0 & 0x1ffn) << 43n) | (l1 >> 21n), len: Number(l1 & 0x1fffffn) };
}

// A writable copy of an image under build/cache/xfs-images/damage/.
function damaged(base: XfsBuilt, label: string): string {
  const dir = join(XFS_IMAGE_DIR, "damage");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${label}.img`);
  copyFileSync(base.path, path);
  return path;
}

// Recompute a v5 superblock's CRC after editing it (so only the edit is seen, not the CRC).
function fixSbCrc(path: string): void {
  const g = geometry(path);
  const s = readAt(path, 0, g.sectSize);
  s.writeUInt32LE(0, 224);
  s.writeUInt32LE(crc32c(s) >>> 0, 224);
  writeAt(path, 0, s);
}

describe("xfs: the test module", () => {
  it("is integer-only (no f32/f64 instruction)", () => {
    const dis = execFileSync("wasm-objdump", ["-d", WASM_PATH], { maxBuffer: 256 * MiB, encoding: "utf8" });
    expect(dis.split("\n").filter((l) => /\bf(32|64)\./.test(l)).slice(0, 3)).toEqual([]);
  });
});

describe("xfs: images made by mkfs.xfs read back exactly", () => {
  for (const spec of XFS_MATRIX) {
    it(spec.name, async () => {
      const r = await new Promise<string>((resolve, reject) => {
        execFile("npx", ["tsx", "test/xfs/verify-run.ts", spec.name], { cwd: ROOT, maxBuffer: 64 * MiB, encoding: "utf8" },
          (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)));
      });
      const v = JSON.parse(r.trim().split("\n").pop()!);
      expect(v.mountInfo.error).toBeNull();
      expect(v.mountInfo.warnings).toEqual([]);
      expect(v.mountInfo.version).toBe(spec.mkfs.join(" ").includes("crc=0") ? 4 : 5);
      expect(v.problems).toEqual([]);
      expect(v.files).toBeGreaterThan(2000);
      expect(v.warnings).toEqual([]);
    }, 600_000);
  }

  it("the images hold every form: directories short-form to B+tree, B+tree files, unwritten extents, remote symlinks", () => {
    const want: [string, string, RegExp][] = [
      ["v5-4k", "/xfs/dirs/sf", /core\.format = 1 \(local\)/],
      ["v5-4k", "/xfs/dirs/block", /core\.format = 2 \(extents\)\s+core\.size = 4096\b/],
      ["v5-4k", "/xfs/dirs/leaf", /core\.format = 2 \(extents\)\s+core\.size = (8192|12288|16384|20480)\b/],
      ["v5-4k", "/xfs/dirs/node", /core\.format = 3 \(btree\)/],
      ["v5-4k", "/bigdir", /core\.format = [23] /],
      ["v5-4k", "/xfs/special/frag-a", /core\.format = 3 \(btree\)/],
      ["v5-4k", "/xfs/links/remote600", /core\.format = 2 \(extents\)/],
      ["v5-4k", "/xfs/links/inline", /core\.format = 1 \(local\)/],
      ["v5-1k", "/xfs/special/frag-b", /core\.format = 3 \(btree\)/],
      ["v4-512", "/bigdir", /core\.format = [23] /],
      ["v4-1k-noftype", "/xfs/dirs/node", /core\.format = [23] /],
    ];
    for (const [name, path, re] of want) {
      const b = buildXfsImage(XFS_MATRIX.find((s) => s.name === name)!);
      expect(xfsDb(b.path, [`path ${path}`, "print core.format core.size"]), `${name} ${path}`).toMatch(re);
    }
    const b = buildXfsImage(XFS_MATRIX.find((s) => s.name === "v5-4k")!);
    expect(xfsDb(b.path, ["path /xfs/special/prealloc", "bmap"])).toMatch(/flag 1/);
    // A bmap B+tree of two levels below the root on 1 KiB blocks.
    const k = buildXfsImage(XFS_MATRIX.find((s) => s.name === "v5-1k")!);
    expect(xfsDb(k.path, ["path /xfs/special/frag-a", "print u3.bmbt.level"])).toMatch(/level = [12]/);
  });

  it("reports the layout: label, uuid, version, features", () => {
    const b = buildXfsImage(XFS_MATRIX.find((s) => s.name === "v5-4k-features")!);
    const m = mounted(b.path).mountInfo;
    expect(m.flavor).toBe("xfs");
    expect(m.features).toMatch(/^crc .*ftype finobt rmapbt reflink inobtcount sparse bigtime nrext64$/);
    expect(m.label).toBe("pvboot-xfs");
    expect(m.describe).toMatch(/^xfs "pvboot-xfs" [0-9a-f-]{36}, v5, \d+ blocks of 4096 bytes, 4 AGs, features: /);
    const old = mounted(buildXfsImage(XFS_MATRIX.find((s) => s.name === "v5-4k-old")!).path).mountInfo;
    expect(old.features).not.toMatch(/finobt|bigtime|reflink/);
    const v4 = mounted(buildXfsImage(XFS_MATRIX.find((s) => s.name === "v4-1k-noftype")!).path).mountInfo;
    expect(v4.version).toBe(4);
    expect(v4.features).not.toMatch(/ftype/);
  });

  it("lists without ftype by asking each inode, and types every entry", () => {
    const b = buildXfsImage(XFS_MATRIX.find((s) => s.name === "v4-1k-noftype")!);
    const img = mounted(b.path);
    const d = img.list(img.lookup("/").ino);
    expect(d.entries.find((e) => e[0] === "fifo")![2]).toBe(T.fifo);
    expect(d.entries.find((e) => e[0] === "sizes")![2]).toBe(T.dir);
  });
});

describe("xfs: the log", () => {
  it("a log left dirty (shut down without unmounting) mounts with a warning; a clean one without", () => {
    const base = miniXfs("mini-v5-4k");
    const path = damaged(base, "dirty-log");
    const mnt = join(XFS_IMAGE_DIR, "mnt-dirty");
    mkdirSync(mnt, { recursive: true });
    execFileSync("mount", ["-o", "loop", path, mnt]);
    try {
      writeFileSync(join(mnt, "new-file"), "written, then the filesystem was shut down\n");
      execFileSync("sync");
      execFileSync("xfs_io", ["-x", "-c", "shutdown -f", mnt]);
    } finally {
      execFileSync("umount", [mnt]);
    }
    // xfs_repair agrees the log holds changes to replay.
    const rep = spawnSync("xfs_repair", ["-n", "-o", "force_geometry", path], { encoding: "utf8" });
    expect(rep.stdout + rep.stderr).toMatch(/valuable metadata changes in a log/);
    const img = mounted(path);
    expect(img.mountInfo.warnings.join("\n")).toMatch(/^xfs: the log needs recovery \(the filesystem was not cleanly unmounted\): it is not replayed here/);
    expect(img.lookup("/sizes/f-100").error).toBeNull();
    expect(mounted(base.path).mountInfo.warnings).toEqual([]);
  });
});

describe("xfs: damaged superblocks", () => {
  const cases: [string, (p: string) => void, RegExp][] = [
    ["magic", (p) => writeAt(p, 0, Buffer.from("XFSX")), /^no XFS superblock: magic 0x58465358 at byte 0/],
    ["version", (p) => writeAt(p, 100, Buffer.from([0xb4, 0xa3])), /^xfs: superblock: version 3 \(sb_versionnum 0xb4a3\)/],
    ["block size", (p) => writeAt(p, 4, Buffer.from([0, 0, 0x30, 0])), /^xfs: superblock: bad block size 12288 \(sb_blocklog 12/],
    ["block log", (p) => writeAt(p, 120, Buffer.from([40])), /^xfs: superblock: bad block size 4096 \(sb_blocklog 40/],
    ["inode size", (p) => writeAt(p, 104, Buffer.from([0x01, 0x00])), /^xfs: superblock: bad inode size 256 \(sb_inodelog 9; 512 to 2048/],
    ["ag blocks", (p) => writeAt(p, 84, Buffer.from([0, 0, 0, 0])), /^xfs: superblock: bad AG size 0 blocks/],
    ["ag count", (p) => writeAt(p, 88, Buffer.from([0, 0, 0, 0])), /^xfs: superblock: bad geometry: \d+ blocks in 0 AGs/],
    ["dblocks", (p) => writeAt(p, 8, Buffer.from([0, 0, 0, 1, 0, 0, 0, 0])), /^xfs: superblock: bad geometry: 4294967296 blocks in 1 AGs/],
    ["incompat", (p) => writeAt(p, 216, Buffer.from([0x80, 0, 0, 0x0b])), /^xfs: superblock: unsupported incompatible feature 0x80000000/],
    ["metadir", (p) => writeAt(p, 216, Buffer.from([0, 0, 0x01, 0x0b])), /unsupported incompatible feature .*metadir/],
    ["inprogress", (p) => writeAt(p, 126, Buffer.from([1])), /mkfs did not finish/],
    ["root", (p) => writeAt(p, 56, Buffer.from([0, 0, 0, 0, 0, 0, 0, 0x40])), /^xfs: the root directory: inode 64 \(block 8, offset 0\): bad magic 0x[0-9a-f]{4} \(not an inode\)/],
  ];
  for (const [label, damage, want] of cases) {
    it(label, () => {
      const path = damaged(miniXfs("mini-v5-4k"), `sb-${label.replace(/ /g, "-")}`);
      damage(path);
      if (label !== "magic") fixSbCrc(path);
      expect(load(path).mountInfo.error).toMatch(want);
    });
  }

  it("a superblock CRC mismatch is a warning; the rest reads", () => {
    const b = miniXfs("mini-v5-4k");
    const path = damaged(b, "sb-crc");
    writeAt(path, 400, Buffer.from([0x55]));
    const img = mounted(path);
    expect(img.mountInfo.warnings.join("\n")).toMatch(/^xfs: superblock: checksum 0x[0-9a-f]{8} does not match its contents \(0x[0-9a-f]{8}\)$/);
    expect(verify(img, b).problems).toEqual([]);
  });

  it("a truncated image mounts with a warning and fails cleanly past the end", () => {
    for (const name of ["mini-v5-4k", "mini-v4-512"]) {
      const path = damaged(miniXfs(name), `half-${name}`);
      truncateSync(path, 6 * MiB);
      const img = load(path);
      if (img.mountInfo.error !== null) {
        expect(img.mountInfo.error).toMatch(/^xfs: /);
        continue;
      }
      expect(img.mountInfo.warnings.join("\n")).toMatch(/is larger than its source/);
      const walked = img.walk();
      for (const w of walked.filter((x) => x.e)) expect(w.e).toMatch(/^xfs: /);
    }
    const tiny = damaged(miniXfs("mini-v5-4k"), "tiny");
    truncateSync(tiny, 300);
    expect(load(tiny).mountInfo.error).toMatch(/^xfs: image is too small for an XFS filesystem \(300 bytes\)/);
  });
});

describe("xfs: damaged inodes, extents, B+trees, directories, symlinks", () => {
  it("an inode with bad magic, and an inode CRC mismatch (a warning)", () => {
    const b = miniXfs("mini-v5-4k");
    const g = geometry(b.path);
    let path = damaged(b, "inode-magic");
    let img = mounted(path);
    const ino = img.lookup("/sizes/f-4097").ino;
    writeAt(path, inodeByte(g, ino), Buffer.from("XX"));
    img = mounted(path);
    expect(img.lookup("/sizes/f-4097").error).toMatch(new RegExp(`^xfs: /sizes/f-4097: inode ${ino} \\(block \\d+, offset \\d+\\): bad magic 0x5858 \\(not an inode\\)$`));
    expect(img.lookup("/sizes/f-100").error).toBeNull();

    path = damaged(b, "inode-crc");
    writeAt(path, inodeByte(g, ino) + 135, Buffer.from([0x77])); // di_pad2
    img = mounted(path);
    expect(img.readFile(ino).error).toBeNull();
    expect(img.stats().warnings.join("\n")).toMatch(new RegExp(`^xfs: inode ${ino} checksum 0x[0-9a-f]{8} does not match its contents`));
  });

  it("an extent outside the filesystem, of length 0, or out of order", () => {
    for (const name of ["mini-v5-4k", "mini-v4-512"]) {
      const b = miniXfs(name);
      const g = geometry(b.path);
      const img0 = mounted(b.path);
      const ino = img0.lookup("/sizes/f-13312").ino;
      const at = forkByte(g, ino);
      const rec = readAt(b.path, at, 16);
      let path = damaged(b, `ext-outside-${name}`);
      const bad = Buffer.from(rec);
      bad.writeUInt8(0x01, 7); // fsblock high bits: far outside
      writeAt(path, at, bad);
      expect(mounted(path).readFile(ino).error).toMatch(new RegExp(`^xfs: inode ${ino}: extent 0 in the inode maps to fsblocks \\d+\\+\\d+, outside the filesystem or its AG$`));
      path = damaged(b, `ext-zero-${name}`);
      const z = Buffer.from(rec);
      z.writeUInt32BE((z.readUInt32BE(12) & ~0x1fffff) >>> 0, 12);
      writeAt(path, at, z);
      expect(mounted(path).readFile(ino).error).toMatch(new RegExp(`^xfs: inode ${ino}: extent 0 in the inode has length 0`));
    }
    const b = miniXfs("mini-v5-4k");
    const g = geometry(b.path);
    const ino = mounted(b.path).lookup("/sparse/far").ino;
    expect(xfsDb(b.path, ["path /sparse/far", "print core.format"])).toMatch(/extents/);
    const at = forkByte(g, ino);
    const path = damaged(b, "ext-order");
    const first = readAt(b.path, at, 16), second = readAt(b.path, at + 16, 16);
    writeAt(path, at, second);
    writeAt(path, at + 16, first);
    expect(mounted(path).readFile(ino).error).toMatch(new RegExp(`^xfs: inode ${ino}: extents in the inode overlap or are out of order at record 1`));
  });

  it("a bmap B+tree block with bad magic, bad level, or a CRC mismatch", () => {
    const b = miniXfs("mini-v5-1k");
    const g = geometry(b.path);
    const ino = mounted(b.path).lookup("/xfs/special/frag-a").ino;
    expect(xfsDb(b.path, ["path /xfs/special/frag-a", "print core.format"])).toMatch(/btree/);
    // The root: level, numrecs, keys[maxrecs], ptrs[maxrecs].
    const fork = forkByte(g, ino);
    const forkoff = readAt(b.path, inodeByte(g, ino) + 82, 1)[0] * 8;
    const forkSize = forkoff || (1 << g.inodeLog) - 176;
    const maxrecs = Math.floor((forkSize - 4) / 16);
    const child = readAt(b.path, fork + 4 + maxrecs * 8, 8).readBigUInt64BE(0);
    const blk = fsbToByte(g, child) / g.blockSize;
    for (const [label, off, bytes, want] of [
      ["magic", 0, [0, 0, 0, 0], /bmap B\+tree block at block (\d+) has bad magic 0x00000000 \(0x424d4133\)/],
      ["level", 4, [0, 7], /bmap B\+tree block at block (\d+) has level 7, expected 0/],
      ["numrecs", 6, [0xff, 0xff], /bmap B\+tree node at block (\d+) has 65535 records \(1 to 59\)/],
    ] as const) {
      const path = damaged(b, `bmbt-${label}`);
      writeAt(path, blk * g.blockSize + off, Buffer.from(bytes));
      const r = mounted(path).readFile(ino);
      expect(r.error, label).toMatch(new RegExp(`^xfs: inode ${ino}: ` + want.source));
      expect(r.error).toContain(`block ${blk}`);
    }
    const path = damaged(b, "bmbt-crc");
    writeAt(path, blk * g.blockSize + g.blockSize - 1, Buffer.from([0x99])); // past the records in use
    const img = mounted(path);
    expect(img.readFile(ino).error).toBeNull();
    expect(img.stats().warnings.join("\n")).toMatch(new RegExp(`inode ${ino}: bmap B\\+tree block ${blk} checksum 0x[0-9a-f]{8} does not match`));
  });

  it("directory blocks: bad magic, a bad entry, a free space of length 0, a CRC mismatch", () => {
    for (const name of ["mini-v5-4k", "mini-v4-512"]) {
      const b = miniXfs(name);
      const g = geometry(b.path);
      const dirIno = mounted(b.path).lookup("/xfs/dirs/block").ino;
      const e = extentAt(b.path, forkByte(g, dirIno));
      const at = fsbToByte(g, e.fsb);
      const blk = at / g.blockSize;
      const hdr = g.v5 ? 64 : 16;
      const P = `^xfs: directory inode ${dirIno}, block ${blk} \\(directory block 0\\): `;
      for (const [label, off, bytes, want] of [
        ["magic", 0, [0, 0, 0, 0], /bad magic 0x00000000 \(not a directory data block\)/],
        ["namelen", hdr + 8, [0], new RegExp(`entry at offset ${hdr}: empty name`)],
        ["tag", hdr + 14, [0x12, 0x34], new RegExp(`entry at offset ${hdr} has tag 4660`)],
        ["inode", hdr, [0, 0, 0, 0, 0, 0, 0, 0], new RegExp(`entry at offset ${hdr}: inode 0`)],
      ] as const) {
        const path = damaged(b, `dir-${name}-${label}`);
        writeAt(path, at + off, Buffer.from(bytes));
        const img = mounted(path);
        expect(img.list(dirIno).error, `${name} ${label}`).toMatch(new RegExp(P + want.source));
        expect(img.lookup("/xfs/dirs/block/block-entry-00003").error).toMatch(new RegExp(`^xfs: /xfs/dirs/block/block-entry-00003: directory inode ${dirIno}, block ${blk}`));
        expect(img.lookup("/sizes/f-100").error).toBeNull();
        if (g.v5) expect(img.stats().warnings.join("\n")).toMatch(new RegExp(`directory inode ${dirIno}: block ${blk} \\(directory block 0\\) checksum`));
      }
    }
    const b = miniXfs("mini-v5-4k");
    const g = geometry(b.path);
    const dirIno = mounted(b.path).lookup("/xfs/dirs/block").ino;
    const at = fsbToByte(g, extentAt(b.path, forkByte(g, dirIno)).fsb);
    const path = damaged(b, "dir-crc");
    writeAt(path, at + 48 + 2, Buffer.from([0x7f, 0x7f])); // bestfree[0].length
    const img = mounted(path);
    expect(img.list(dirIno).entries.length).toBe(42);
    expect(img.stats().warnings.join("\n")).toMatch(/checksum 0x[0-9a-f]{8} does not match its contents/);
  });

  it("a short-form directory whose count runs past its size", () => {
    const b = miniXfs("mini-v5-4k");
    const g = geometry(b.path);
    const ino = mounted(b.path).lookup("/xfs/dirs/sf").ino;
    const path = damaged(b, "sf-count");
    writeAt(path, forkByte(g, ino), Buffer.from([200]));
    const img = mounted(path);
    expect(img.list(ino).error).toMatch(new RegExp(`^xfs: directory inode ${ino}, short-form entry at offset \\d+: only \\d+ bytes left|runs past the directory's`));
  });

  it("a remote symlink block with bad magic, and symlinks of impossible sizes", () => {
    const b = miniXfs("mini-v5-4k");
    const g = geometry(b.path);
    const ino = mounted(b.path).lookup("/xfs/links/remote600", false).ino;
    const e = extentAt(b.path, forkByte(g, ino));
    let path = damaged(b, "symlink-magic");
    writeAt(path, fsbToByte(g, e.fsb), Buffer.from("XXXX"));
    expect(mounted(path).readLink(ino).error).toMatch(new RegExp(`^xfs: inode ${ino}: remote symlink block \\d+ has bad magic 0x58585858`));
    path = damaged(b, "symlink-size");
    const size = Buffer.alloc(8);
    size.writeBigUInt64BE(5000n);
    writeAt(path, inodeByte(g, ino) + 56, size);
    expect(mounted(path).readLink(ino).error).toMatch(new RegExp(`^xfs: inode ${ino}: symlink target of 5000 bytes \\(1 to 1024\\)`));
  });
});

describe("xfs: seeded random corruption never traps", () => {
  it("over a hundred corrupted images: errors or data, never a trap", async () => {
    let mountedCount = 0, errors = 0;
    for (const name of ["mini-v5-4k", "mini-v4-512", "mini-v5-1k"]) {
      const base = readFileSync(miniXfs(name).path);
      // Metadata lives where the image is not zeros: corrupt bytes there.
      const g = geometry(miniXfs(name).path);
      const used: number[] = [];
      for (let blk = 0; blk * g.blockSize < base.length; blk++) {
        const s = base.subarray(blk * g.blockSize, (blk + 1) * g.blockSize);
        if (s.some((x) => x !== 0)) used.push(blk);
      }
      let seed = 1234;
      const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
      for (let n = 0; n < 40; n++) {
        await new Promise((r) => setTimeout(r, 0));
        const img = Buffer.from(base);
        for (let k = 0; k < 1 + (n % 20); k++) {
          const blk = used[rand() % used.length];
          img[blk * g.blockSize + (rand() % Math.min(g.blockSize, 512))] = rand() & 0xff;
        }
        const x = new XfsImage(img);
        if (x.mountInfo.error !== null) continue;
        mountedCount++;
        const w = x.walk(3000, 1n << 22n, 64n << 20n);
        errors += w.filter((r) => r.e).length;
      }
    }
    expect(mountedCount).toBeGreaterThan(30);
    expect(errors).toBeGreaterThan(0);
  }, 300_000);
});

describe("xfs: through pvboot (the whole loader)", () => {
  const PVBOOT = fileURLToPath(new URL("../scripts/pvboot.mjs", import.meta.url));
  // Awaited, not spawnSync: a run of the loader takes seconds, and the worker must stay responsive.
  const pvboot = (...args: string[]) => new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
    execFile("node", [PVBOOT, ...args], { encoding: "latin1", maxBuffer: 64 * MiB }, (err, stdout, stderr) =>
      resolve({ status: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }));
  });

  it("ls and cat read XFS v5 and v4 as the reader does", async () => {
    for (const name of ["mini-v5-4k", "mini-v4-512"]) {
      const b = miniXfs(name);
      const ls = await pvboot("ls", b.path, "/xfs/links");
      expect(ls.status, ls.stderr).toBe(0);
      expect(ls.stdout).toMatch(/lrwxrwxrwx\s+10 inline -> \.\.\/dirs\/sf/);
      expect(ls.stdout).toMatch(/lrwxrwxrwx\s+600 remote600 -> \.\.\/seg0-/);
      const cat = await pvboot("cat", b.path, "/xfs/special/frag-a");
      if (name === "mini-v5-4k") {
        expect(cat.status, cat.stderr).toBe(0);
        expect(Buffer.from(cat.stdout, "latin1").equals(readFileSync(join(b.tree.dir, "xfs/special/frag-a")))).toBe(true);
      }
      const c2 = await pvboot("cat", b.path, "(hd0)/sizes/f-13312");
      expect(c2.status, c2.stderr).toBe(0);
      expect(Buffer.from(c2.stdout, "latin1").equals(readFileSync(join(b.tree.dir, "sizes/f-13312")))).toBe(true);
    }
  }, 120_000);

  it("menu finds and reads /boot/grub/menu.lst on an XFS disk", async () => {
    const dir = join(XFS_IMAGE_DIR, "menu-tree");
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, "boot/grub"), { recursive: true });
    writeFileSync(join(dir, "boot/grub/menu.lst"), "default 0\ntimeout 5\ntitle Rocky on XFS\n  root (hd0)\n  kernel /boot/vmlinuz ro\n");
    writeFileSync(join(dir, "boot/vmlinuz"), "not a kernel");
    const img = join(XFS_IMAGE_DIR, "menu.img");
    writeFileSync(join(XFS_IMAGE_DIR, "menu.proto"), protofile(dir));
    rmSync(img, { force: true });
    execFileSync("truncate", ["-s", "16M", img]);
    execFileSync("mkfs.xfs", ["-q", "-f", "-p", join(XFS_IMAGE_DIR, "menu.proto"), img], { env: { ...process.env, TEST_DIR: "1", TEST_DEV: "1", QA_CHECK_FS: "1" } });
    const r = await pvboot("menu", img);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/0 \* Rocky on XFS/);
    expect(r.stdout).toMatch(/config\s+\(hd0\)\/boot\/grub\/menu\.lst/);
  }, 120_000);
});
