// Devices as GRUB legacy names them: (hdN) a whole disk, (hdN,M) its partition M (0-based),
// each a BlockSource; partition tables read once per disk.

import { BlockSource, SliceSource } from "./source";
import { DiskSource } from "./disk_source";
import { PartitionTable, readPartitions } from "./partitions";
import { disks } from "../drivers/blkfront";

export class Volume {
  constructor(public source: BlockSource | null, public error: string | null) {}
}

const sources: DiskSource[] = [];
const tables: (PartitionTable | null)[] = [];

function diskSource(n: u32): DiskSource | null {
  if (n >= <u32>disks.list.length || !disks.list[n].connected) return null;
  while (sources.length <= <i32>n) {
    sources.push(new DiskSource(disks.list[sources.length]));
    tables.push(null);
  }
  return sources[n];
}

export function partitionTable(n: u32): PartitionTable | null {
  const d = diskSource(n);
  if (d == null) return null;
  if (tables[n] == null) tables[n] = readPartitions(d, d.disk.sectorSize);
  return tables[n];
}

// part < 0: the whole disk.
export function openVolume(diskNo: u32, part: i32): Volume {
  const d = diskSource(diskNo);
  if (d == null) {
    const why = diskNo < <u32>disks.list.length ? disks.list[diskNo].broken : null;
    return new Volume(null, why != null ? why : "no disk hd" + diskNo.toString() + " (the domain has " + disks.list.length.toString() + ")");
  }
  if (part < 0) return new Volume(d, null);
  const t = partitionTable(diskNo)!;
  if (t.error != null) return new Volume(null, t.error);
  const p = t.find(<u32>part);
  if (p == null) {
    return new Volume(null, "no partition (hd" + diskNo.toString() + "," + part.toString() + ") (" +
      (t.scheme == "none" ? "hd" + diskNo.toString() + " has no partition table" : t.scheme + " table with " + t.parts.length.toString() + " partitions") + ")");
  }
  return new Volume(new SliceSource(d, p.start, p.size, "(hd" + diskNo.toString() + "," + part.toString() + ")"), null);
}
