// The btrfs reader (src/fs/btrfs) on its own, through its test module (test/btrfs/entry.ts):
// images made by Debian's btrfs-progs and the kernel's btrfs driver (scripts/images/btrfs.sh;
// root for the loop mounts, cached under build/cache/btrfs) read back against what the kernel
// reads from them, subvolumes and GRUB's paths, refusals, and damaged images that must give
// an error naming the structure, never a trap.

import { beforeAll, describe, expect, it } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { join } from "node:path";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { BtrfsImage, buildBtrfsWasm, ROOT, type WalkRecord } from "./btrfs/wasm";
import { buildImage, compressionCounts, MATRIX, type BuiltImage } from "./btrfs/images";
import { crc32c, fixCsum, SB, SB_COPY1 } from "./btrfs/patch";

beforeAll(() => {
  buildBtrfsWasm();
});

// Every path the kernel reads, with the same type, size, bytes and link target.
function compare(img: BtrfsImage, built: BuiltImage): string[] {
  const walked = img.walk();
  const got = new Map<string, WalkRecord>(walked.map((r) => [r.p, r]));
  const problems: string[] = [];
  for (const [p, e] of Object.entries(built.manifest)) {
    const g = got.get(p);
    if (!g) problems.push(`${p}: not listed`);
    else if (g.e) problems.push(`${p}: ${g.e}`);
    else if (g.t !== e.t) problems.push(`${p}: type ${g.t}, the kernel says ${e.t}`);
    else if (g.s !== e.s) problems.push(`${p}: size ${g.s}, the kernel says ${e.s}`);
    else if (e.c !== undefined && (g.c! >>> 0) !== e.c) problems.push(`${p}: content differs`);
    else if (e.l !== undefined && g.l !== e.l) problems.push(`${p}: target ${g.l}, the kernel says ${e.l}`);
  }
  for (const p of got.keys()) if (!(p in built.manifest)) problems.push(`${p}: listed, the kernel does not`);
  return problems;
}

function mounted(built: BuiltImage): BtrfsImage {
  const img = new BtrfsImage(readFileSync(built.path));
  expect(img.mountInfo.error, "mount").toBeNull();
  return img;
}

describe("btrfs: the test module", () => {
  it("is integer-only (no f32/f64 instruction), as the PV image must be", () => {
    const dis = execFileSync("wasm-objdump", ["-d", buildBtrfsWasm()], { maxBuffer: 1 << 28, encoding: "utf8" });
    expect(dis.split("\n").filter((l) => /\bf(32|64)\./.test(l)).slice(0, 3)).toEqual([]);
  });
});

describe("btrfs: images made by mkfs.btrfs and the kernel read back exactly", () => {
  for (const spec of MATRIX) {
    it(spec.name, () => {
      const built = buildImage(spec.name);
      const img = mounted(built);
      expect(img.mountInfo.warnings).toEqual([]);
      expect(img.mountInfo.describe).toMatch(spec.expect);
      expect(compare(img, built)).toEqual([]);
      expect(Object.keys(built.manifest).length).toBeGreaterThan(spec.min ?? 1700);
      expect(img.stats().warnings).toEqual([]);
    }, 300_000);
  }

  it("the compressed images really hold zlib, lzo and zstd extents (inline and regular)", () => {
    for (const alg of ["zlib", "lzo", "zstd"]) {
      const counts = compressionCounts(buildImage(alg).path);
      expect(counts[alg], alg).toBeGreaterThan(100);
    }
    expect(compressionCounts(buildImage("property-zstd").path).zstd).toBeGreaterThan(10);
  }, 600_000);

  it("holes and preallocated extents read as zeros (and the image has them)", () => {
    const built = buildImage("zstd");
    const dump = execFileSync("btrfs", ["inspect-internal", "dump-tree", built.path], { encoding: "utf8", maxBuffer: 1 << 28 });
    expect(dump).toMatch(/extent data disk byte \d+ nr \d+\n\s+extent data offset \d+ nr \d+ ram \d+\n\s+extent compression 0 \(none\)/);
    expect(dump).toMatch(/prealloc data disk byte/);
    const img = mounted(built);
    const u = img.lookup("/prealloc/unwritten");
    expect(img.readFile(u.ino).data!.equals(Buffer.alloc(1 << 20))).toBe(true);
    const p = img.readFile(img.lookup("/prealloc/partly").ino).data!;
    expect(p.subarray(0, 4).toString()).toBe("head");
    expect(p.subarray(20000, 20004).toString()).toBe("tail");
    expect(p.subarray(4096, 20000).equals(Buffer.alloc(20000 - 4096))).toBe(true);
    const h = img.lookup("/sparse/holey");
    const mid = img.readRange(h.ino, 600000, 4096);
    expect(mid).toEqual(Buffer.alloc(4096));
    expect(img.readRange(h.ino, (10 << 20) + 100, 1)).toMatch(/past the end of the file/);
  }, 300_000);
});

describe("btrfs: a long session", () => {
  it("the leaf budget is per search: many lookups on one mount keep working", () => {
    const img = mounted(buildImage("n4k-single"));
    let last = { ino: "0", error: "none" as string | null };
    for (let i = 0; i < 20000; i++) last = img.lookup("/deep/d0/d1/d2/d3/d4/d5/d6/d7/d8/d9/d10/d11/d12/d13/d14/d15/d16/d17/d18/d19/d20/d21/d22/d23/d24/d25/d26/d27/d28/d29/d30/d31/d32/d33/d34/d35/d36/d37/d38/d39/bottom.txt");
    expect(last.error).toBeNull();
    expect(img.readFile(last.ino).data!.toString()).toBe("the bottom\n");
  }, 300_000);
});

describe("btrfs: subvolumes", () => {
  it("reads from the default subvolume (a snapshot), and SUSE's top-level paths", () => {
    const built = buildImage("subvol-suse");
    const img = mounted(built);
    expect(img.mountInfo.defaultSubvol).toBeGreaterThan(256);
    expect(img.cat("/boot/marker")).toBe("in @ before the snapshot\n");
    expect(img.cat("/@/boot/marker")).toBe("in @ after the snapshot\n");
    expect(img.cat("/@/.snapshots/1/snapshot/boot/marker")).toBe("in @ before the snapshot\n");
    expect(img.cat("/@/.snapshots/1/snapshot/boot/grub/grub.cfg")).toBe(img.cat("/boot/grub/grub.cfg"));
    expect(img.cat("/toplevel.txt")).toBe("top level\n");
    expect(img.cat("/@/home/user.txt")).toBe("home file\n");
    expect(img.cat("/boot/../boot/./marker")).toBe("in @ before the snapshot\n");
    expect(img.cat("/@/boot/../../@/boot/marker")).toBe("in @ after the snapshot\n");
    // A nested subvolume inside a snapshot is an empty directory, as Linux shows it.
    const home = img.lookup("/home");
    expect(home.error).toBeNull();
    expect(img.stat(home.ino).type).toBe(2);
    expect(img.list(home.ino).entries).toEqual([]);
    // Handles of one inode number in two subvolumes differ.
    expect(img.lookup("/boot/marker").ino).not.toBe(img.lookup("/@/boot/marker").ino);
    // A name in neither: the error names the default subvolume's miss.
    expect(img.lookup("/nosuch/file").error).toMatch(/^btrfs: \/nosuch\/file: "nosuch" not found in directory 256 of subvolume 2\d\d$/);
  }, 300_000);

  it("the whole default subvolume matches the kernel's mount of it", () => {
    const built = buildImage("subvol-suse");
    expect(compare(mounted(built), built)).toEqual([]);
  }, 300_000);
});

describe("btrfs: refusals", () => {
  it("a filesystem of two devices names the missing one", () => {
    const built = buildImage("multidev");
    const dev2 = execFileSync("btrfs", ["inspect-internal", "dump-super", built.path + ".2"], { encoding: "utf8" });
    const uuid = /dev_item.uuid\s+(\S+)/.exec(dev2)![1];
    const img = new BtrfsImage(readFileSync(built.path));
    expect(img.mountInfo.error).toBe(
      `btrfs: filesystem ${img.mountInfo.error!.split(" ")[2]} spans 2 devices and only devid 1 (uuid ${/dev_item.uuid\s+(\S+)/.exec(execFileSync("btrfs", ["inspect-internal", "dump-super", built.path], { encoding: "utf8" }))![1]}) is here; missing: devid 2 (uuid ${uuid})`);
  }, 300_000);

  it("not btrfs: an ext image or zeros", () => {
    const img = new BtrfsImage(Buffer.alloc(1 << 20));
    expect(img.mountInfo.error).toBe("btrfs: superblock at 65536: no btrfs magic");
    expect(new BtrfsImage(Buffer.alloc(4096)).mountInfo.error).toBe("btrfs: superblock at 65536: the source is too small (4096 bytes)");
  });
});

// The physical offsets of a logical address's copies (btrfs-map-logical).
function mirrors(path: string, logical: number): number[] {
  const out = execFileSync("btrfs-map-logical", ["-l", String(logical), path], { encoding: "utf8" });
  return [...out.matchAll(/physical (\d+)/g)].map((m) => Number(m[1]));
}

// The fs tree's root node (logical) as btrfs-progs reports it.
function fsTreeRoot(path: string): number {
  const out = execFileSync("btrfs", ["inspect-internal", "dump-tree", "-t", "root", path], { encoding: "utf8", maxBuffer: 1 << 26 });
  return Number(/FS_TREE ROOT_ITEM 0\)[^\n]*\n[^\n]*bytenr (\d+)/.exec(out)![1]);
}

describe("btrfs: damaged images give errors naming the structure, never a trap", () => {
  const base = () => buildImage("n16k-dup");

  it("a bad primary superblock checksum: the copy at 64 MiB is used, with a warning", () => {
    const data = readFileSync(base().path);
    data[SB + 0x100] ^= 0xff;
    const img = new BtrfsImage(data);
    expect(img.mountInfo.error).toBeNull();
    expect(img.mountInfo.warnings[0]).toMatch(/^btrfs: primary superblock at 65536: crc32c checksum mismatch \(stored [0-9a-f]+, computed [0-9a-f]+\); using the copy at 67108864$/);
    expect(img.cat("/boot/grub/grub.cfg")).toMatch(/^set default=0/);
    data[SB_COPY1 + 0x100] ^= 0xff;
    expect(new BtrfsImage(data).mountInfo.error).toMatch(/^btrfs: superblock at 65536: crc32c checksum mismatch/);
  }, 300_000);

  it("a bad node checksum: the other DUP copy, then an error naming the tree and node", () => {
    const built = base();
    const data = readFileSync(built.path);
    const root = fsTreeRoot(built.path);
    const [m1, m2] = mirrors(built.path, root);
    data[m1 + 200] ^= 0x55;
    let img = new BtrfsImage(data);
    expect(img.mountInfo.error).toBeNull();
    expect(img.mountInfo.warnings.join("\n")).toMatch(new RegExp(`fs tree 5: node ${root}: copy 1 has a bad crc32c checksum .* at device offset ${m1}; copy 2 is good`));
    data[m2 + 200] ^= 0x55;
    img = new BtrfsImage(data);
    expect(img.mountInfo.error).toMatch(new RegExp(`^btrfs: fs tree 5: node ${root} has a bad crc32c checksum \\(stored [0-9a-f]+, computed [0-9a-f]+\\) at device offset ${m1}$`));
  }, 300_000);

  it("a bad item offset in a leaf (checksum fixed): the leaf and item are named", () => {
    const built = base();
    const data = readFileSync(built.path);
    const root = fsTreeRoot(built.path);
    const ns = 16384;
    for (const m of mirrors(built.path, root)) {
      const level = data[m + 0x64];
      expect(level).toBeGreaterThanOrEqual(0);
      // Item 1's data offset (in a leaf) or key pointer 1's block (in a node).
      if (level === 0) data.writeUInt32LE(0xfff0, m + 101 + 25 + 17);
      else data.writeBigUInt64LE(12345n, m + 101 + 33 + 17);
      fixCsum(data, m, ns);
    }
    const img = new BtrfsImage(data);
    const all = [img.mountInfo.error ?? "", ...img.walk().map((r) => r.e ?? "")].join("\n");
    expect(all).toMatch(new RegExp(`btrfs: fs tree 5: node (${root}: item 1 has data at 65520 \\(\\d+ bytes\\), outside the leaf's data area|12345 is not sector-aligned)`));
  }, 300_000);

  it("bad chunk items: in the superblock's sys_chunk_array and in the chunk tree", () => {
    const built = base();
    let data = readFileSync(built.path);
    // num_stripes of the first sys chunk (key 17 bytes, then the chunk's u16 at 44) -> 0.
    for (const at of [SB, SB_COPY1]) {
      data.writeUInt16LE(0, at + 0x32b + 17 + 44);
      fixCsum(data, at, 4096);
    }
    expect(new BtrfsImage(data).mountInfo.error).toBe("btrfs: superblock sys_chunk_array at byte 0: chunk with 0 stripes runs past the array (129 bytes)"); // two DUP stripes: 17 + 48 + 2 * 32;
    // The chunk tree's leaf: the data chunk's length -> 0.
    data = readFileSync(built.path);
    const super_ = execFileSync("btrfs", ["inspect-internal", "dump-super", built.path], { encoding: "utf8" });
    const chunkRoot = Number(/chunk_root\s+(\d+)/.exec(super_)![1]);
    for (const m of mirrors(built.path, chunkRoot)) {
      const nr = data.readUInt32LE(m + 0x60);
      for (let i = 0; i < nr; i++) {
        const it = m + 101 + i * 25;
        if (data[it + 8] === 228 && data.readBigUInt64LE(it + 9) > 30000000n) {
          data.writeBigUInt64LE(0n, m + 101 + data.readUInt32LE(it + 17));
        }
      }
      fixCsum(data, m, 16384);
    }
    expect(new BtrfsImage(data).mountInfo.error).toMatch(new RegExp(`^btrfs: chunk tree: leaf ${chunkRoot} item \\d+ \\(256 228 \\d+\\): chunk at \\d+ has bad length 0$`));
  }, 300_000);

  it("two pointers to one subtree (checksum fixed): the walk stops, it does not list twice", () => {
    const built = buildImage("n4k-single");
    const data = readFileSync(built.path);
    const root = fsTreeRoot(built.path);
    const [m] = mirrors(built.path, root);
    expect(data[m + 0x64]).toBeGreaterThan(0); // an internal node on 4 KiB nodes
    data.writeBigUInt64LE(data.readBigUInt64LE(m + 101 + 17), m + 101 + 33 + 17);
    fixCsum(data, m, 4096);
    const img = new BtrfsImage(data);
    expect(img.mountInfo.error).toBeNull();
    const errors = img.walk().map((r) => r.e ?? "").filter((e) => e);
    expect(errors.join("\n")).toMatch(/^btrfs: fs tree 5: leaf \d+ does not follow on from the leaf before it \(keys out of order across leaves\)$/m);
  }, 300_000);

  it("seeded random damage to metadata never traps or hangs", () => {
    const built = base();
    const clean = readFileSync(built.path);
    const root = fsTreeRoot(built.path);
    let seed = 99;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8);
    let errors = 0;
    for (let round = 0; round < 10; round++) {
      const data = Buffer.from(clean);
      for (const m of mirrors(built.path, root)) {
        for (let k = 0; k < 4; k++) data[m + 0x20 + (rnd() % (16384 - 0x20))] = rnd() & 0xff;
        if (round % 2 === 0) fixCsum(data, m, 16384); // half get past the checksum
      }
      const img = new BtrfsImage(data);
      const recs = img.mountInfo.error === null ? img.walk(3000, 1n << 20n, 32n << 20n) : [];
      if (img.mountInfo.error !== null || recs.some((r) => r.e)) errors++;
    }
    expect(errors).toBeGreaterThan(0);
  }, 300_000);
});

// The regular extents of inode ino in tree `tree` as btrfs-progs lists them.
function extentsOf(path: string, tree: number, ino: number): { off: number; disk: number; diskLen: number; comp: string }[] {
  const out = execFileSync("btrfs", ["inspect-internal", "dump-tree", "-t", String(tree), path], { encoding: "utf8", maxBuffer: 1 << 28 });
  const res: { off: number; disk: number; diskLen: number; comp: string }[] = [];
  for (const it of out.split(/\n\s*item \d+ /)) {
    const k = new RegExp(`^key \\(${ino} EXTENT_DATA (\\d+)\\)`).exec(it);
    const d = /extent data disk byte (\d+) nr (\d+)/.exec(it);
    if (!k || !d || d[1] === "0") continue;
    res.push({ off: Number(k[1]), disk: Number(d[1]), diskLen: Number(d[2]), comp: /compression \d+ \((\w+)\)/.exec(it)![1] });
  }
  return res;
}

const inoOf = (handle: string) => Number(BigInt(handle) & ((1n << 48n) - 1n));

describe("btrfs: data checksums (the csum tree) are checked on every read", () => {
  it("a data sector with a bad checksum: an error naming the inode, file offset and logical address", () => {
    const built = buildImage("n16k-dup");
    const data = readFileSync(built.path);
    const clean = new BtrfsImage(data);
    const l = clean.lookup("/boot/vmlinuz-6.1.0-pv");
    expect(l.error).toBeNull();
    const ino = inoOf(l.ino);
    const e = extentsOf(built.path, 5, ino).find((x) => x.comp === "none" && x.diskLen >= 3 * 4096)!;
    expect(e, "an uncompressed extent of 3 sectors or more").toBeDefined();
    const fileOff = e.off + 8192; // its third sector
    const before = clean.readRange(l.ino, fileOff - 4096, 4096) as Buffer;
    const after = clean.readRange(l.ino, fileOff + 4096, 4096) as Buffer;
    expect(clean.readFile(l.ino).error).toBeNull();
    const sector = e.disk + 8192;
    const [phys] = mirrors(built.path, sector);
    data[phys + 100] ^= 0x01;
    const img = new BtrfsImage(data);
    const want = new RegExp(`^btrfs: fs tree 5: inode ${ino}: data checksum mismatch at file offset ${fileOff} \\(the sector at logical address ${sector}\\) \\(device offset ${phys}\\): stored crc32c [0-9a-f]{8}, computed [0-9a-f]{8}$`);
    expect(img.readFile(l.ino).error).toMatch(want);
    // Sector by sector: the sectors around it read as before; a few bytes inside it do not.
    expect(img.readRange(l.ino, fileOff - 4096, 4096)).toEqual(before);
    expect(img.readRange(l.ino, fileOff + 4096, 4096)).toEqual(after);
    expect(img.readRange(l.ino, fileOff + 10, 5)).toMatch(want);
  }, 300_000);

  it("a compressed extent is checked before it is decompressed", () => {
    const built = buildImage("zstd");
    const data = readFileSync(built.path);
    const clean = new BtrfsImage(data);
    const l = clean.lookup("/boot/vmlinuz-6.1.0-pv");
    const ino = inoOf(l.ino);
    const e = extentsOf(built.path, 5, ino).find((x) => x.comp === "zstd")!;
    expect(e, "a zstd extent").toBeDefined();
    const [phys] = mirrors(built.path, e.disk);
    data[phys + 7] ^= 0x80;
    const img = new BtrfsImage(data);
    expect(img.readFile(l.ino).error).toMatch(new RegExp(`^btrfs: fs tree 5: inode ${ino}: zstd extent at file offset ${e.off}: data checksum mismatch in the sector at logical address ${e.disk} \\(device offset ${phys}\\): stored crc32c [0-9a-f]{8}, computed [0-9a-f]{8}$`));
  }, 300_000);

  it("DUP data: a bad copy 1 is read from copy 2 with a warning; both bad is the error", () => {
    const dir = mkdtempSync(join(tmpdir(), "pvboot-btrfs-dupdata-"));
    try {
      const content = Buffer.alloc(64 * 1024);
      for (let i = 0; i < content.length; i += 4) content.writeUInt32LE((i * 2654435761) >>> 0, i);
      mkdirSync(join(dir, "tree"));
      writeFileSync(join(dir, "tree", "kernel"), content);
      const path = join(dir, "img");
      execFileSync("truncate", ["-s", "128M", path]);
      execFileSync("mkfs.btrfs", ["-q", "-f", "-d", "dup", "-m", "dup", "-r", join(dir, "tree"), path], { stdio: ["ignore", "ignore", "inherit"] });
      const data = readFileSync(path);
      const l = new BtrfsImage(data).lookup("/kernel");
      const ino = inoOf(l.ino);
      const [e] = extentsOf(path, 5, ino);
      const sector = e.disk + 4096;
      const copies = mirrors(path, sector);
      expect(copies.length).toBe(2);
      data[copies[0] + 1] ^= 0xff;
      let img = new BtrfsImage(data);
      const f = img.readFile(l.ino);
      expect(f.error).toBeNull();
      expect(f.data!.equals(content)).toBe(true);
      expect(img.stats().warnings).toContain(`btrfs: fs tree 5: inode ${ino}: data at file offset ${e.off + 4096} (the sector at logical address ${sector}) has a bad crc32c checksum on copy 1 (device offset ${copies[0]}); copy 2 is good`);
      data[copies[1] + 1] ^= 0xff;
      img = new BtrfsImage(data);
      expect(img.readFile(l.ino).error).toMatch(new RegExp(`^btrfs: fs tree 5: inode ${ino}: data checksum mismatch at file offset ${e.off + 4096} \\(the sector at logical address ${sector}\\) \\(device offset ${copies[0]}\\)`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});

describe("btrfs: through the pvboot command (the loader's mounts, blkfront, discovery)", () => {
  const PVBOOT = join(ROOT, "scripts/pvboot.mjs");
  const pvboot = (...args: string[]) => spawnSync("node", [PVBOOT, ...args], { stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 26 });

  it("ls, cat and menu discovery read the default subvolume; top-level paths work too", () => {
    const built = buildImage("subvol-suse");
    let r = pvboot("ls", built.path, "/boot");
    expect(r.status, r.stderr.toString()).toBe(0);
    expect(r.stdout.toString()).toMatch(/^-rw-r--r--\s+25 marker$/m);
    r = pvboot("cat", built.path, "/@/boot/marker");
    expect(r.stdout.toString()).toBe("in @ after the snapshot\n");
    r = pvboot("cat", built.path, "(hd0)/boot/vmlinuz-6.1.0-pv");
    expect(r.status).toBe(0);
    expect(crc32c(r.stdout)).toBe(built.manifest["/boot/vmlinuz-6.1.0-pv"].c);
    // the tree holds a grub.cfg and a menu.lst: discovery takes the grub.cfg first (issue 18)
    r = pvboot("menu", built.path);
    expect(r.stdout.toString()).toMatch(/format\s+grub\.cfg/);
    expect(r.stdout.toString()).toMatch(/config\s+\(hd0\)\/boot\/grub\/grub\.cfg/);
    expect(r.stdout.toString()).toMatch(/0 \* Debian/);
  }, 300_000);

  it("a zstd-compressed kernel file reads byte for byte", () => {
    const built = buildImage("zstd");
    const r = pvboot("cat", built.path, "/boot/vmlinuz-6.1.0-pv");
    expect(r.status, r.stderr.toString()).toBe(0);
    expect(crc32c(r.stdout)).toBe(built.manifest["/boot/vmlinuz-6.1.0-pv"].c);
  }, 300_000);
});

// The sparse "PVZ1" form of the fuzz inputs (scripts/fuzz/seeds.ts), expanded.
function expandSparse(b: Buffer): Buffer {
  const img = Buffer.alloc(b.readUInt32LE(4));
  for (let r = 8; r + 516 <= b.length; r += 516) b.copy(img, b.readUInt32LE(r) * 512, r + 4, r + 516);
  return img;
}

describe("btrfs: the hand-made fuzz regression inputs give the error they are about", () => {
  const expected: Record<string, RegExp> = {
    "btrfs-sb-sys-array-size-huge": /^btrfs: superblock at 65536: sys_chunk_array_size 65535 is above 2048$/,
    "btrfs-sb-sys-chunk-0-stripes": /^btrfs: superblock sys_chunk_array at byte 0: chunk with 0 stripes/,
    "btrfs-sb-root-level-7": /^btrfs: root tree: node \d+ has level 0 where its parent says 7|root tree: node \d+: level 0 where its parent says 7/,
    "btrfs-sb-nodesize-huge": /^btrfs: superblock at 65536: node size 1048576 is not a power of two from the sector size to 65536$/,
    "btrfs-leaf-nritems-huge": /^btrfs: fs tree 5: node \d+: 4294967295 items do not fit in 16384 bytes$/,
    "btrfs-leaf-item-past-end": /^btrfs: fs tree 5: node \d+: item 1 has data at 65520 \(\d+ bytes\), outside the leaf's data area$/,
    "btrfs-leaf-keys-unsorted": /^btrfs: fs tree 5: node \d+: key 1 is not above key 0$/,
    "btrfs-dir-name-len-huge": /btrfs: fs tree 5: leaf \d+ item \d+ \(256 96 \d+\): directory entry name length 65535 \(1 to 255\)/,
    "btrfs-dir-location-bad-type": /btrfs: fs tree 5: leaf \d+ item \d+ \(256 96 \d+\): directory entry location has key type 99/,
    "btrfs-extent-ram-huge": /btrfs: fs tree 5: leaf \d+ item \d+ \(\d+ 108 0\): .*(inline extent of 1099511627776 bytes|for 1099511627776)/,
    "btrfs-extent-type-bad": /btrfs: fs tree 5: leaf \d+ item \d+ \(\d+ 108 0\): file extent type 9 is unknown/,
    "btrfs-extent-compression-bad": /btrfs: fs tree 5: leaf \d+ item \d+ \(\d+ 108 0\): .*compression type 7 is unknown/,
  };
  for (const [name, re] of Object.entries(expected)) {
    it(name, () => {
      const b = execFileSync("gzip", ["-dc", join(ROOT, "test/fuzz/btrfs", `${name}.gz`)], { maxBuffer: 1 << 28 });
      const img = new BtrfsImage(expandSparse(b));
      const errors = [img.mountInfo.error ?? "", ...(img.mountInfo.error === null ? img.walk().map((r) => r.e ?? r.re ?? "") : [])];
      expect(errors.filter((e) => re.test(e)), errors.filter((e) => e).slice(0, 5).join("\n")).not.toEqual([]);
    }, 120_000);
  }
});
