// A mounted btrfs filesystem's shared state: the source, the chosen superblock, the chunk
// map, the tree node cache, warnings and the error convention (functions returning a number
// or pointer give 0 and leave the message in `error`; those returning a message return it).
//
// Tree nodes are read through `node()`, which maps the logical address, reads the node into
// the cache and checks it before anyone looks inside: the checksum (a bad copy is passed
// over for another DUP/RAID1 copy, with a warning), the header's bytenr, fsid and level,
// the item count against the node size, every leaf item's data inside the node, and keys in
// strictly increasing order. After that, code reading a node trusts only those facts.

import { BlockSource } from "../../disk/source";
import { BlockCache } from "../ext/cache";
import { addWarning } from "../ext/warnings";
import { Superblock } from "./superblock";
import { ChunkMap } from "./chunks";
import { blockCsumOk, computeCsum, csumHex, csumName } from "./checksum";
import { keyCmpAt } from "./key";
import { HDR_SIZE, HDR_BYTENR, HDR_FSID, HDR_NRITEMS, HDR_LEVEL, ITEM_SIZE, PTR_SIZE, KEY_SIZE } from "./layout";

export class Volume {
  src: BlockSource;
  sb: Superblock;
  chunks: ChunkMap;
  warnings: string[];
  cache: BlockCache;
  error: string | null = null;
  reads: u64 = 0;
  bytesRead: u64 = 0;

  constructor(src: BlockSource, sb: Superblock, warnings: string[]) {
    this.src = src;
    this.sb = sb;
    this.warnings = warnings;
    this.chunks = new ChunkMap(sb.devid);
    // Two tree paths of depth 8 (a directory walk and the lookups it makes) and room more.
    this.cache = new BlockCache(sb.nodeSize > 16384 ? 20 : 32, sb.nodeSize);
  }

  warn(msg: string): void { addWarning(this.warnings, "btrfs: " + msg); }

  fail(msg: string): usize {
    this.error = "btrfs: " + msg;
    return 0;
  }
  failed(msg: string): bool {
    this.error = "btrfs: " + msg;
    return false;
  }

  // len bytes at a device offset.
  readPhys(offset: u64, len: u32, dst: usize): bool {
    this.reads++;
    this.bytesRead += len;
    const err = this.src.read(offset, len, dst);
    if (err != null) return this.failed(err);
    return true;
  }

  // len bytes at a logical address (any number of chunks), from the first copy.
  readLogical(a: u64, len: u32, dst: usize): bool {
    let done: u32 = 0;
    while (done < len) { // each turn reads to a chunk's end at least: bounded by the chunk count
      const at = a + done;
      if (at < a) return this.failed("logical range at " + a.toString() + " wraps around");
      if (this.chunks.copies(at) == 0) return this.failed(this.chunks.error!);
      const phys = this.chunks.physical(at, 0);
      const left = len - done;
      const n: u32 = this.chunks.run < <u64>left ? <u32>this.chunks.run : left;
      if (!this.readPhys(phys, n, dst + done)) return false;
      done += n;
    }
    return true;
  }

  // The tree node at logical address bytenr, checked (see above). level: the level it must
  // have (from its parent), or -1 for any. tree names the tree for messages. The pointer is
  // valid until the next node() call that misses the cache.
  node(bytenr: u64, level: i32, tree: string): usize {
    const ns = this.sb.nodeSize;
    const hit = this.cache.find(bytenr);
    if (hit != 0) {
      if (level >= 0 && <i32>load<u8>(hit + HDR_LEVEL) != level) return this.badLevel(tree, bytenr, hit, level);
      return hit;
    }
    const W = tree + ": node " + bytenr.toString();
    if (bytenr == 0 || (bytenr & <u64>(this.sb.sectorSize - 1)) != 0) return this.fail(W + " is not sector-aligned");
    const n = this.chunks.copies(bytenr);
    if (n == 0) return this.fail(W + ": " + this.chunks.error!);
    const p = this.cache.claim(bytenr);
    let why: string | null = null;
    for (let k = 0; k < n; k++) {
      const phys = this.chunks.physical(bytenr, k);
      if (this.chunks.run < <u64>ns) return this.fail(W + " crosses the end of its chunk");
      if (!this.readPhys(phys, ns, p)) return 0;
      const t = this.sb.csumType;
      if (blockCsumOk(t, p, ns)) {
        if (why != null) this.warn(W + ": copy 1 " + why + "; copy " + (k + 1).toString() + " is good");
        why = null;
        break;
      }
      if (why == null) {
        const d = computeCsum(t, p + 0x20, ns - 0x20);
        why = "has a bad " + csumName(t) + " checksum (stored " + csumHex(t, p) + ", computed " + csumHex(t, d) + ") at device offset " + phys.toString();
      }
    }
    if (why != null) return this.fail(W + " " + why);
    const e = this.checkNode(p, bytenr, level);
    if (e != null) return this.fail(W + ": " + e);
    this.cache.commit();
    return p;
  }

  private badLevel(tree: string, bytenr: u64, p: usize, level: i32): usize {
    return this.fail(tree + ": node " + bytenr.toString() + " has level " + load<u8>(p + HDR_LEVEL).toString() + " where its parent says " + level.toString());
  }

  private checkNode(p: usize, bytenr: u64, level: i32): string | null {
    const ns = this.sb.nodeSize;
    if (load<u64>(p + HDR_BYTENR) != bytenr) return "its header says bytenr " + load<u64>(p + HDR_BYTENR).toString();
    if (memory.compare(p + HDR_FSID, this.sb.metaFsid, 16) != 0) return "its fsid is not this filesystem's";
    const lvl = <i32>load<u8>(p + HDR_LEVEL);
    if (lvl >= 8) return "level " + lvl.toString() + " is 8 or more";
    if (level >= 0 && lvl != level) return "level " + lvl.toString() + " where its parent says " + level.toString();
    const nr = load<u32>(p + HDR_NRITEMS);
    const room = ns - HDR_SIZE;
    if (lvl > 0) {
      if (nr == 0) return "internal node with no items";
      if (<u64>nr * PTR_SIZE > <u64>room) return nr.toString() + " key pointers do not fit in " + ns.toString() + " bytes";
    } else {
      if (<u64>nr * ITEM_SIZE > <u64>room) return nr.toString() + " items do not fit in " + ns.toString() + " bytes";
      const headers = nr * ITEM_SIZE;
      for (let i: u32 = 0; i < nr; i++) {
        const it = p + HDR_SIZE + i * ITEM_SIZE;
        const off = load<u32>(it + KEY_SIZE);
        const size = load<u32>(it + KEY_SIZE + 4);
        if (<u64>off + size > <u64>room || off < headers) {
          return "item " + i.toString() + " has data at " + off.toString() + " (" + size.toString() + " bytes), outside the leaf's data area";
        }
      }
    }
    const step = lvl > 0 ? PTR_SIZE : ITEM_SIZE;
    for (let i: u32 = 1; i < nr; i++) {
      const a = p + HDR_SIZE + (i - 1) * step;
      if (keyCmpAt(a, a + step) >= 0) return "key " + i.toString() + " is not above key " + (i - 1).toString();
    }
    return null;
  }
}
