// Make a partitioned disk image without root or loop mounts: an MBR written here, then each
// ext2/3/4 partition made by mke2fs -E offset=... -d DIR straight into the image.
//
//   tsx scripts/images/make-disk.ts OUT SIZE_MIB [TYPE:SIZE_MIB:DIR ...]
//   e.g. make-disk.ts disk.img 64 ext4:48:root/   (a partition starting at 1 MiB)

import { execFileSync } from "node:child_process";
import { closeSync, openSync, writeSync, ftruncateSync } from "node:fs";
import { fileURLToPath } from "node:url";

export interface PartitionSpec { fsType: "ext2" | "ext3" | "ext4"; sizeMiB: number; dir: string; mkfsArgs?: string[] }

const MiB = 1024 * 1024;
const SECTOR = 512;

// One MBR entry: status, CHS (unused: 0xfe 0xff 0xff, as tools write for LBA-only), type, LBA start, count.
function mbrEntry(startLba: number, sectors: number, type: number): Buffer {
  const e = Buffer.alloc(16);
  e[0] = 0x00;
  e.set([0xfe, 0xff, 0xff], 1);
  e[4] = type;
  e.set([0xfe, 0xff, 0xff], 5);
  e.writeUInt32LE(startLba, 8);
  e.writeUInt32LE(sectors, 12);
  return e;
}

export function makeDisk(out: string, sizeMiB: number, parts: PartitionSpec[]): void {
  if (parts.length > 4) throw new Error("make-disk: at most 4 primary partitions");
  const fd = openSync(out, "w");
  try {
    ftruncateSync(fd, sizeMiB * MiB);
    const mbr = Buffer.alloc(SECTOR);
    let next = 1; // MiB
    parts.forEach((p, i) => {
      mbrEntry((next * MiB) / SECTOR, (p.sizeMiB * MiB) / SECTOR, 0x83).copy(mbr, 446 + i * 16);
      next += p.sizeMiB;
    });
    if (next > sizeMiB) throw new Error(`make-disk: partitions need ${next} MiB, the disk has ${sizeMiB}`);
    mbr.writeUInt32LE(0x7076626f, 440); // disk signature "pvbo"
    mbr[510] = 0x55;
    mbr[511] = 0xaa;
    writeSync(fd, mbr, 0, SECTOR, 0);
  } finally {
    closeSync(fd);
  }
  let start = 1;
  for (const p of parts) {
    execFileSync("mke2fs", ["-q", "-F", "-t", p.fsType, "-E", `offset=${start * MiB}`, "-d", p.dir,
      ...(p.mkfsArgs ?? []), out, `${p.sizeMiB}M`], { stdio: ["ignore", "ignore", "inherit"] });
    start += p.sizeMiB;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [out, size, ...specs] = process.argv.slice(2);
  if (!out || !size) {
    console.error("usage: make-disk.ts OUT SIZE_MIB [TYPE:SIZE_MIB:DIR ...]");
    process.exit(2);
  }
  makeDisk(out, Number(size), specs.map((s) => {
    const [fsType, mib, dir] = s.split(":");
    return { fsType: fsType as PartitionSpec["fsType"], sizeMiB: Number(mib), dir };
  }));
}
