// Filesystems by GRUB device name, mounted once: "(hd0,0)" -> FileSystem. The menu, the command
// line, config discovery and tool mode all open files through here, so a filesystem's
// superblock and descriptors are read once per boot, whoever asks.

import { Text } from "../lib/text";
import { console } from "../xen/console";
import { disks } from "../drivers/blkfront";
import { partitionTable, openVolume } from "../disk/volumes";
import { parseDevPath } from "./devpath";
import { FileSystem } from "./fs";
import { ExtFs } from "./ext/ext";
import { BtrfsFs } from "./btrfs/btrfs";
import { BlockSource } from "../disk/source";
import { XfsFs } from "./xfs/xfs";
import { memoryTop } from "../lib/attempt";

export class Mounted {
  fs: FileSystem | null = null;
  device: string = ""; // "(hd0,0)" or "(hd0)"
  path: string = "/"; // the path on it, for a resolved file name
  error: string | null = null; // "(hd0,1): not an ext2/3/4 filesystem ..." when fs is null
  warnings: Array<string> = new Array<string>(); // printed once, at the first mount
}

class MountCacheEntry {
  constructor(public device: string, public fs: FileSystem | null, public error: string | null) {}
}

const cache = new Array<MountCacheEntry>();

export function deviceName(disk: i32, part: i32): string {
  return part < 0 ? "(hd" + disk.toString() + ")" : "(hd" + disk.toString() + "," + part.toString() + ")";
}

// Memory mounting has taken (the readers' state and caches at mount): a grub.cfg run does not
// count it against its own bounds (src/config/grubcfg/eval.ts), as the first run to name a
// device pays for every later one.
let mounted: i64 = 0;
export function mountMemory(): i64 {
  return mounted;
}

// Mount (or find mounted) the filesystem on a device; part < 0 is the whole disk. The reader
// is picked by superblock (mountBySuperblock: XFS, btrfs, else ext). Warnings
// (a journal needing recovery, a checksum mismatch) go to the console the first time.
export function mountDevice(disk: i32, part: i32): Mounted {
  const top = memoryTop();
  const m = findOrMount(disk, part);
  mounted += <i64>(memoryTop() - top);
  return m;
}

function findOrMount(disk: i32, part: i32): Mounted {
  const m = new Mounted();
  m.device = deviceName(disk, part);
  for (let i = 0; i < cache.length; i++) {
    if (cache[i].device == m.device) {
      m.fs = cache[i].fs;
      m.error = cache[i].error;
      return m;
    }
  }
  const v = openVolume(<u32>disk, part);
  if (v.source == null) {
    m.error = v.error;
    cache.push(new MountCacheEntry(m.device, null, m.error));
    return m;
  }
  const r = mountBySuperblock(v.source!);
  if (r.fs == null) m.error = m.device + ": " + r.error!;
  m.fs = r.fs;
  for (let i = 0; i < r.warnings.length; i++) {
    m.warnings.push(m.device + ": " + r.warnings[i]);
    console.line(new Text().str("pvboot: warning: ").str(m.device).str(": ").str(r.warnings[i]));
  }
  cache.push(new MountCacheEntry(m.device, m.fs, m.error));
  return m;
}

// What a reader's mount gave, whichever reader it was.
class AnyMount {
  constructor(public fs: FileSystem | null, public error: string | null, public warnings: string[]) {}
}

// The reader whose superblock the source has: XFS ("XFSB" at byte 0), btrfs (its magic at
// 64 KiB; an ext superblock at 1 KiB cannot be mistaken for either), else ext (and its "not
// an ext2/3/4 filesystem" when nothing is there).
function mountBySuperblock(src: BlockSource): AnyMount {
  if (XfsFs.probe(src)) {
    const x = XfsFs.mount(src);
    return new AnyMount(x.fs, x.error, x.warnings);
  }
  if (BtrfsFs.probe(src)) {
    const b = BtrfsFs.mount(src);
    return new AnyMount(b.fs, b.error, b.warnings);
  }
  const e = ExtFs.mount(src);
  return new AnyMount(e.fs, e.error, e.warnings);
}

// "(hd0,0)/boot/x" on its device, or "/boot/x" on `root` ("(hd0,0)"; "" when there is none).
export function resolvePath(name: string, root: string): Mounted {
  const dp = parseDevPath(name);
  if (dp.error != null) {
    const m = new Mounted();
    m.error = dp.error;
    return m;
  }
  if (dp.disk >= 0) {
    const m = mountDevice(dp.disk, dp.part);
    m.path = dp.path;
    return m;
  }
  if (root.length == 0) {
    const m = new Mounted();
    m.error = "'" + name + "': no root device set (use 'root (hd0,0)' or give the device)";
    return m;
  }
  const rp = parseDevPath(root);
  if (rp.error != null || rp.disk < 0) {
    const m = new Mounted();
    m.error = "the root device '" + root + "' is not a device like (hd0,0)";
    return m;
  }
  const m = mountDevice(rp.disk, rp.part);
  m.path = dp.path;
  return m;
}

// Every device that could hold a filesystem, in search order: hd0's partitions (or hd0
// itself when it has no table), then hd1's, ... Mounting is left to the caller.
export function searchOrder(): Array<string> {
  const out = new Array<string>();
  for (let d = 0; d < disks.list.length; d++) {
    if (!disks.list[d].connected) continue;
    const t = partitionTable(<u32>d)!;
    for (let i = 0; i < t.parts.length; i++) out.push(deviceName(d, <i32>t.parts[i].number));
    if (t.parts.length == 0) out.push(deviceName(d, -1));
  }
  return out;
}

// The first device (in searchOrder) whose filesystem mounts, or null.
export function firstFilesystem(): Mounted | null {
  const devs = searchOrder();
  for (let i = 0; i < devs.length; i++) {
    const m = resolvePath(devs[i] + "/", "");
    if (m.fs != null) return m;
  }
  return null;
}
