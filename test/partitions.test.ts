// Partition tables as the loader reads them through blkfront: MBR primaries, an extended
// partition's logical chain (numbered from (hdN,4)), GPT with its checksums and backup
// header, a partitionless disk; and `pvboot ls` / `pvboot cat` finding files on them.

import { beforeAll, describe, expect, it } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, openSync, writeSync, closeSync, ftruncateSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runLoader } from "./harness/run";

const MiB = 1024 * 1024;
const PVBOOT = fileURLToPath(new URL("../scripts/pvboot.mjs", import.meta.url));
let dir = "";
let rootDir = "";

function crc32(b: Uint8Array): number {
  let c = ~0 >>> 0;
  for (const x of b) {
    c ^= x;
    for (let k = 0; k < 8; k++) c = c & 1 ? (0xedb88320 ^ (c >>> 1)) >>> 0 : c >>> 1;
  }
  return ~c >>> 0;
}

function entry(type: number, lba: number, sectors: number): Buffer {
  const e = Buffer.alloc(16);
  e[4] = type;
  e.writeUInt32LE(lba, 8);
  e.writeUInt32LE(sectors, 12);
  return e;
}

function writeAt(file: string, off: number, data: Uint8Array): void {
  const fd = openSync(file, "r+");
  writeSync(fd, data, 0, data.length, off);
  closeSync(fd);
}

function blank(name: string, size: number): string {
  const f = join(dir, name);
  const fd = openSync(f, "w");
  ftruncateSync(fd, size);
  closeSync(fd);
  return f;
}

function mkfs(file: string, offset: number, size: number, type = "ext4", label = "part"): void {
  execFileSync("mke2fs", ["-q", "-F", "-t", type, "-L", label, "-E", `offset=${offset}`, "-d", rootDir, file, `${size / 1024}k`]);
}

function mbr(file: string, entries: Buffer[]): void {
  const s = Buffer.alloc(512);
  entries.forEach((e, i) => e.copy(s, 446 + i * 16));
  s[510] = 0x55;
  s[511] = 0xaa;
  writeAt(file, 0, s);
}

// A GPT with `parts` [firstLba, lastLba] of the Linux filesystem type; both headers.
function gpt(file: string, sizeBytes: number, parts: [number, number][]): void {
  const lbas = sizeBytes / 512;
  const entries = Buffer.alloc(128 * 128);
  parts.forEach(([first, last], i) => {
    const e = entries.subarray(i * 128);
    Buffer.from("af3dc60f838472478e793d69d8477de4", "hex").copy(e, 0); // 0FC63DAF-8483-4772-8E79-3D69D8477DE4
    e.writeUInt32LE(i + 1, 16);
    e.writeBigUInt64LE(BigInt(first), 32);
    e.writeBigUInt64LE(BigInt(last), 40);
  });
  const header = (self: number, other: number, arrayLba: number) => {
    const h = Buffer.alloc(512);
    h.write("EFI PART", 0, "latin1");
    h.writeUInt32LE(0x10000, 8);
    h.writeUInt32LE(92, 12);
    h.writeBigUInt64LE(BigInt(self), 24);
    h.writeBigUInt64LE(BigInt(other), 32);
    h.writeBigUInt64LE(34n, 40);
    h.writeBigUInt64LE(BigInt(lbas - 34), 48);
    h.writeBigUInt64LE(BigInt(arrayLba), 72);
    h.writeUInt32LE(128, 80);
    h.writeUInt32LE(128, 84);
    h.writeUInt32LE(crc32(entries), 88);
    h.writeUInt32LE(crc32(h.subarray(0, 92)), 16);
    return h;
  };
  mbr(file, [entry(0xee, 1, Math.min(lbas - 1, 0xffffffff))]);
  writeAt(file, 512, header(1, lbas - 1, 2));
  writeAt(file, 1024, entries);
  writeAt(file, (lbas - 33) * 512, entries);
  writeAt(file, (lbas - 1) * 512, header(lbas - 1, 1, lbas - 33));
}

function parts(file: string) {
  const r = runLoader({ memoryMB: 64, disks: [file], cmdline: "pvboot.tool=parts" });
  const out = r.console.match(/\x02pvboot-out \d+\r\n([\s\S]*?)\x02pvboot-exit/);
  return { out: out ? out[1] : "", console: r.console };
}

function pvboot(...args: string[]) {
  return spawnSync("node", [PVBOOT, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "pvboot-parts-"));
  rootDir = join(dir, "root");
  mkdirSync(join(rootDir, "boot/grub"), { recursive: true });
  writeFileSync(join(rootDir, "boot/grub/menu.lst"), "default 0\ntimeout 5\n");
  writeFileSync(join(rootDir, "boot/vmlinuz-test"), Buffer.alloc(300000, 7));
});

describe("partition tables", () => {
  it("reads MBR primaries and the logical chain, numbered as GRUB legacy does", () => {
    const f = blank("mbr.img", 48 * MiB);
    // primary 0 at 1 MiB (8 MiB), extended at 10 MiB holding two logicals (8 MiB each)
    mbr(f, [entry(0x83, 2048, 16384), entry(0x05, 20480, 40960)]);
    const ebr1 = Buffer.alloc(512);
    entry(0x83, 2048, 16384).copy(ebr1, 446);
    entry(0x05, 20480, 18432).copy(ebr1, 462); // next EBR, relative to the extended start
    ebr1[510] = 0x55; ebr1[511] = 0xaa;
    writeAt(f, 20480 * 512, ebr1);
    const ebr2 = Buffer.alloc(512);
    entry(0x83, 2048, 16384).copy(ebr2, 446);
    ebr2[510] = 0x55; ebr2[511] = 0xaa;
    writeAt(f, (20480 + 20480) * 512, ebr2);
    mkfs(f, 1 * MiB, 8 * MiB, "ext2", "first");
    mkfs(f, (20480 + 2048) * 512, 8 * MiB, "ext3", "fifth");
    mkfs(f, (40960 + 2048) * 512, 8 * MiB, "ext4", "sixth");
    const { out } = parts(f);
    expect(out).toBe([
      `hd0 ${48 * MiB} mbr`,
      `(hd0,0) ${MiB} ${8 * MiB} 0x83`,
      `(hd0,4) ${(20480 + 2048) * 512} ${8 * MiB} 0x83`,
      `(hd0,5) ${(40960 + 2048) * 512} ${8 * MiB} 0x83`,
      "",
    ].join("\n"));
    for (const p of ["(hd0,0)", "(hd0,4)", "(hd0,5)"]) {
      const r = pvboot("cat", f, `${p}/boot/grub/menu.lst`);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe("default 0\ntimeout 5\n");
    }
  });

  it("stops a looping extended chain with a warning", () => {
    const f = blank("loop.img", 16 * MiB);
    mbr(f, [entry(0x05, 2048, 20000)]);
    // EBR A (at the extended start) points to EBR B one sector on; B points to itself
    for (const at of [2048, 2049]) {
      const ebr = Buffer.alloc(512);
      entry(0x83, 63, 100).copy(ebr, 446);
      entry(0x05, 1, 100).copy(ebr, 462); // next EBR: relative to the extended start
      ebr[510] = 0x55; ebr[511] = 0xaa;
      writeAt(f, at * 512, ebr);
    }
    const r = parts(f);
    expect(r.console).toMatch(/pvboot: warning: hd0: extended partition chain loops at byte 1049088, stopped/);
    expect(r.out).toContain("(hd0,4)");
    expect(r.out).toContain("(hd0,5)");
  });

  it("reads GPT, and uses the backup header when the primary is damaged", () => {
    const f = blank("gpt.img", 40 * MiB);
    gpt(f, 40 * MiB, [[2048, 2048 + 16384 - 1], [20480, 20480 + 16384 - 1]]);
    mkfs(f, 2048 * 512, 8 * MiB, "ext4", "one");
    mkfs(f, 20480 * 512, 8 * MiB, "ext4", "two");
    const good = parts(f).out;
    expect(good).toBe([
      `hd0 ${40 * MiB} gpt`,
      `(hd0,0) ${MiB} ${8 * MiB} 0fc63daf-8483-4772-8e79-3d69d8477de4`,
      `(hd0,1) ${20480 * 512} ${8 * MiB} 0fc63daf-8483-4772-8e79-3d69d8477de4`,
      "",
    ].join("\n"));
    writeAt(f, 512 + 40, Buffer.from([0xff])); // damage the primary header
    const r = parts(f);
    expect(r.out).toBe(good);
    expect(r.console).toMatch(/pvboot: warning: hd0: the primary GPT is damaged \(GPT header at LBA 1 fails its checksum\): using the backup/);
    const c = pvboot("cat", f, "(hd0,1)/boot/grub/menu.lst");
    expect(c.stdout).toBe("default 0\ntimeout 5\n");
  });

  it("says which GPT checks failed when both copies are damaged", () => {
    const f = blank("gpt-bad.img", 8 * MiB);
    gpt(f, 8 * MiB, [[2048, 4095]]);
    writeAt(f, 1024, Buffer.from([1])); // the entry array: both headers' CRCs cover it
    writeAt(f, (8 * MiB / 512 - 33) * 512, Buffer.from([1]));
    const r = parts(f);
    expect(r.console).toMatch(/pvboot: error: hd0: both GPT headers are damaged \(GPT partition array at LBA 2 fails its checksum\)/);
  });

  it("reads a partitionless disk as (hd0) and finds its filesystem by itself", () => {
    const f = blank("whole.img", 8 * MiB);
    mkfs(f, 0, 8 * MiB, "ext2", "whole");
    expect(parts(f).out).toBe(`hd0 ${8 * MiB} none\n`);
    const r = pvboot("ls", f, "/boot");
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe("drwxr-xr-x         1024 grub/\n-rw-r--r--       300000 vmlinuz-test\n");
    expect(pvboot("cat", f, "(hd0)/boot/vmlinuz-test").stdout).toBe(Buffer.alloc(300000, 7).toString("latin1"));
  });
});

describe("pvboot ls and cat", () => {
  let disk = "";
  beforeAll(() => {
    disk = blank("cli.img", 24 * MiB);
    mbr(disk, [entry(0x83, 2048, 16384)]);
    mkfs(disk, MiB, 8 * MiB);
  });

  it("lists a directory the loader sees, sorted, with modes and sizes", () => {
    const r = pvboot("ls", disk, "(hd0,0)/boot");
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe("drwxr-xr-x         1024 grub/\n-rw-r--r--       300000 vmlinuz-test\n"); // small fs: 1 KiB blocks
  });

  it("writes a file's bytes exactly", () => {
    const r = spawnSync("node", [PVBOOT, "cat", disk, "(hd0,0)/boot/vmlinuz-test"], { stdio: ["ignore", "pipe", "pipe"] });
    expect(r.status).toBe(0);
    expect(Buffer.compare(r.stdout, readFileSync(join(rootDir, "boot/vmlinuz-test")))).toBe(0);
  });

  it("fails clearly: missing file, directory, bad device, no such partition", () => {
    let r = pvboot("cat", disk, "(hd0,0)/boot/nope");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^pvboot: error: \(hd0,0\)\/boot\/nope: ext4: .*"nope" not found/m);
    r = pvboot("cat", disk, "(hd0,0)/boot");
    expect(r.stderr).toContain("(hd0,0)/boot: not a regular file");
    r = pvboot("ls", disk, "(hd0,0,a)/");
    expect(r.stderr).toContain("BSD disklabel partitions are not supported");
    r = pvboot("ls", disk, "(hd0,3)/");
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("no partition (hd0,3) (mbr table with 1 partitions)");
    r = pvboot("ls", disk, "(hd1,0)/");
    expect(r.stderr).toContain("no disk hd1 (the domain has 1)");
  });
});
