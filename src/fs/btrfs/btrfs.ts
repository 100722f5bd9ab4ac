// A read-only btrfs reader over a BlockSource: the FileSystem of src/fs/fs.ts.
//
//   const m = BtrfsFs.mount(src);            // m.fs, or null and m.error; m.warnings either way
//   fs.lookup("/boot/vmlinuz")               // from the default subvolume; "/@/.snapshots/1/
//                                            // snapshot/boot/..." from the top level too
//   fs.stat(h), fs.list(h), fs.readFile(h), fs.readRange(h, off, len, dst), fs.readLink(h)
//
// Inode handles are (subvolume table index + 1) << 48 | inode number (subvol.ts), so one
// handle names a file in any subvolume.
//
// What it reads: the best of the superblock copies (superblock.ts); single, DUP and RAID1
// chunks on one device (chunks.ts); the root tree, the fs trees of every subvolume, inodes,
// DIR_INDEX listings and hashed DIR_ITEM lookups, inline, regular and prealloc extents, holes
// (file.ts); zlib, lzo and zstd compression (compress.ts); crc32c, xxhash64, sha256 and
// blake2b metadata checksums, checked on every tree node (a bad copy falls back to another
// DUP/RAID1 copy, with a warning; no good copy is an error). Not read: data checksums (the
// csum tree is not consulted), the log tree (a warning when one is present), other devices
// of a multi-device filesystem (refused, naming the missing ones), striped profiles (RAID0,
// RAID10, RAID5, RAID6: refused when something in them is read), extent_tree_v2 and
// raid_stripe_tree (refused at mount), encrypted extents.
//
// Errors start with "btrfs: " and name the tree, node or leaf and item, or the inode; nothing
// on the disk can make this code trap, loop without end or read outside its source.

import { BlockSource } from "../../disk/source";
import { FileSystem, FileType, FsLookup, FsStat, FsDirEntry, FsListing, FsFileData, FsLink } from "../fs";
import { tryAlloc, ALLOC_MAX } from "../ext/alloc";
import { Superblock, uuidString } from "./superblock";
import { Volume } from "./volume";
import { Cursor } from "./tree";
import { Subvols, INO_MASK } from "./subvol";
import { Inode } from "./inode";
import { listDir } from "./dir";
import { FileReader } from "./file";
import { INODE_NODATASUM } from "./csum";
import { Resolver } from "./path";
import { csumName } from "./checksum";
import {
  SB_SYS_ARRAY, KEY_SIZE, CHUNK_ITEM, CHUNK_HDR, CHUNK_NUM_STRIPES, STRIPE_SIZE, DEV_ITEM, DEV_ITEMS_OBJECTID,
  DEV_ITEM_UUID, FIRST_CHUNK_TREE_OBJECTID, FS_TREE_OBJECTID, EMPTY_SUBVOL_DIR_OBJECTID,
} from "./layout";

export class BtrfsMount {
  fs: BtrfsFs | null = null;
  error: string | null = null;
  warnings: string[] = [];
}

const FOUR_GIB: u64 = <u64>1 << 32;

export class BtrfsFs extends FileSystem {
  vol: Volume;
  subvols: Subvols;
  files: FileReader;
  paths: Resolver;
  defaultId: u64 = FS_TREE_OBJECTID;
  defaultIdx: i32 = 0;
  topIdx: i32 = -1;

  private constructor(vol: Volume) {
    super();
    const subvols = new Subvols(vol);
    const files = new FileReader(vol);
    this.vol = vol;
    this.subvols = subvols;
    this.files = files;
    this.paths = new Resolver(vol, subvols, files);
  }

  // Does the source look like btrfs (the primary superblock's magic)? For the mount probe.
  static probe(src: BlockSource): bool {
    if (src.size < 0x10000 + 4096) return false;
    const b = heap.alloc(8);
    if (src.read(0x10040, 8, b) != null) return false;
    return load<u64>(b) == 0x4d5f53665248425f;
  }

  static mount(src: BlockSource): BtrfsMount {
    const m = new BtrfsMount();
    const sb = new Superblock();
    const bad = sb.load(src, m.warnings);
    if (bad != null) {
      m.error = bad;
      return m;
    }
    const vol = new Volume(src, sb, m.warnings);
    const e = BtrfsFs.loadChunks(vol, m.warnings);
    if (e != null) {
      m.error = e;
      return m;
    }
    if (sb.logRoot != 0) vol.warn("a log tree (at " + sb.logRoot.toString() + ") was not replayed: the last fsync()ed changes may be missing");
    const fs = new BtrfsFs(vol);
    const id = fs.subvols.defaultId();
    if (id == 0) {
      m.error = vol.error;
      return m;
    }
    const idx = fs.subvols.index(id);
    if (idx < 0) {
      m.error = "btrfs: default subvolume " + id.toString() + ": " + strip(vol.error!);
      return m;
    }
    fs.defaultId = id;
    fs.defaultIdx = idx;
    if (id != FS_TREE_OBJECTID) {
      const t = fs.subvols.index(FS_TREE_OBJECTID);
      fs.topIdx = t; // -1 when the top level is unreadable: only default-relative paths then
      if (t < 0) vol.warn("the top-level subvolume (5) cannot be read: " + strip(vol.error!));
    } else {
      fs.topIdx = idx;
    }
    const root = fs.paths.inode(fs.subvols.handle(idx, fs.subvols.get(idx).dirid));
    if (root == null) {
      m.error = vol.error;
      return m;
    }
    if (!root.isDir) {
      m.error = "btrfs: the root directory of subvolume " + id.toString() + " is not a directory (mode " + root.mode.toString(8) + ")";
      return m;
    }
    m.fs = fs;
    return m;
  }

  // The sys_chunk_array, then the chunk tree (and, for a filesystem of several devices, the
  // refusal naming those that are not here).
  private static loadChunks(vol: Volume, warnings: string[]): string | null {
    const sb = vol.sb;
    const cm = vol.chunks;
    const base = sb.raw + SB_SYS_ARRAY;
    let pos: u32 = 0;
    const n = sb.sysArraySize;
    while (pos < n) { // each turn consumes at least 17 + 48 bytes
      const W = "superblock sys_chunk_array at byte " + pos.toString();
      if (n - pos < KEY_SIZE + CHUNK_HDR) return "btrfs: " + W + ": " + (n - pos).toString() + " bytes left, too few for a chunk";
      const k = base + pos;
      if (load<u8>(k + 8) != CHUNK_ITEM) return "btrfs: " + W + ": key type " + load<u8>(k + 8).toString() + " is not a chunk item";
      const ns = <u32>load<u16>(k + KEY_SIZE + CHUNK_NUM_STRIPES);
      const size = CHUNK_HDR + ns * STRIPE_SIZE;
      if (ns == 0 || size > n - pos - KEY_SIZE) return "btrfs: " + W + ": chunk with " + ns.toString() + " stripes runs past the array (" + n.toString() + " bytes)";
      if (!cm.add(load<u64>(k + 9), k + KEY_SIZE, size, W)) return "btrfs: " + cm.error!;
      pos += KEY_SIZE + size;
    }
    if (cm.chunks.length == 0) return "btrfs: superblock sys_chunk_array holds no chunk";
    // The chunk tree: every CHUNK_ITEM, and the DEV_ITEMs (for the device check).
    const c = new Cursor(vol, "chunk tree", sb.chunkRoot, <i32>sb.chunkRootLevel);
    const devids = new Array<u64>();
    const devUuids = new Array<string>();
    let r = c.search(0, 0, 0);
    let err: string | null = null;
    while (r == 1) {
      if (!c.load()) break;
      if (c.oid == DEV_ITEMS_OBJECTID && c.type == DEV_ITEM && c.size >= <u32>(DEV_ITEM_UUID + 16) && devids.length < 1024) {
        const d = c.data();
        if (d == 0) break;
        devids.push(c.offset);
        devUuids.push(uuidString(d + DEV_ITEM_UUID));
      } else if (c.oid == FIRST_CHUNK_TREE_OBJECTID && c.type == CHUNK_ITEM) {
        const d = c.data();
        if (d == 0) break;
        if (!cm.add(c.offset, d, c.size, c.where())) {
          err = "btrfs: " + cm.error!;
          break;
        }
      }
      r = c.next();
    }
    if (err == null && r != 0) err = vol.error;
    if (sb.numDevices != 1) {
      let missing = "";
      if (devids.length > 0) {
        for (let i = 0; i < devids.length; i++) {
          if (devids[i] == sb.devid) continue;
          missing += (missing.length > 0 ? ", " : "") + "devid " + devids[i].toString() + " (uuid " + devUuids[i] + ")";
        }
      } else {
        for (let i = 0; i < cm.otherDevs.length; i++) {
          missing += (missing.length > 0 ? ", " : "") + "devid " + cm.otherDevs[i].toString() + " (uuid " + cm.otherUuids[i] + ")";
        }
      }
      return "btrfs: filesystem " + sb.uuid + " spans " + sb.numDevices.toString() + " devices and only devid " +
        sb.devid.toString() + " (uuid " + sb.devUuid + ") is here; missing: " + (missing.length > 0 ? missing : "unknown (the chunk tree cannot be read)");
    }
    return err;
  }

  get flavor(): string { return "btrfs"; }
  get label(): string { return this.vol.sb.label; }
  get uuid(): string { return this.vol.sb.uuid; }
  get warnings(): string[] { return this.vol.warnings; }
  get reads(): u64 { return this.vol.reads; }
  get bytesRead(): u64 { return this.vol.bytesRead; }
  get sectorSize(): u32 { return this.vol.sb.sectorSize; }
  get nodeSize(): u32 { return this.vol.sb.nodeSize; }
  get features(): string { return this.vol.sb.features; }

  // `btrfs "label" uuid, N bytes, sectors of 4096, nodes of 16384, crc32c, data single,
  // metadata DUP, system DUP, default subvolume 256, features: ...`
  describe(): string {
    const sb = this.vol.sb;
    return "btrfs \"" + sb.label + "\" " + sb.uuid + ", " + sb.totalBytes.toString() + " bytes, sectors of " +
      sb.sectorSize.toString() + ", nodes of " + sb.nodeSize.toString() + ", " + csumName(sb.csumType) + ", " +
      this.vol.chunks.profiles() + ", default subvolume " + this.defaultId.toString() + ", features: " + sb.features;
  }

  lookup(path: string, followLast: bool = true): FsLookup {
    const r = new FsLookup();
    this.vol.error = null;
    r.ino = this.paths.resolve(path, followLast, this.defaultIdx, this.topIdx);
    if (r.ino == 0) r.error = this.vol.error;
    return r;
  }

  // A nested subvolume inside a snapshot shows as an empty directory (inode 2, as Linux
  // shows it); no inode item exists for it.
  private isEmptySubvolDir(h: u64): bool {
    return (h & INO_MASK) == EMPTY_SUBVOL_DIR_OBJECTID;
  }

  private inode(h: u64): Inode | null {
    this.vol.error = null;
    return this.paths.inode(h);
  }

  stat(ino: u64): FsStat {
    const st = new FsStat();
    if (this.isEmptySubvolDir(ino)) {
      st.ino = ino;
      st.mode = 0o40755;
      st.type = FileType.Dir;
      st.links = 1;
      return st;
    }
    const node = this.inode(ino);
    if (node == null) {
      st.error = this.vol.error;
      return st;
    }
    st.ino = ino;
    st.mode = <u16>node.mode;
    st.type = <FileType>node.ftype;
    st.size = node.size;
    st.links = node.nlink;
    st.uid = node.uid;
    st.gid = node.gid;
    st.mtime = <u32>node.mtime;
    st.flags = <u32>node.flags;
    return st;
  }

  // Every entry of a directory, in index (creation) order; btrfs stores no "." or "..".
  list(ino: u64): FsListing {
    const out = new FsListing();
    if (this.isEmptySubvolDir(ino)) return out;
    const node = this.inode(ino);
    if (node == null) {
      out.error = this.vol.error;
      return out;
    }
    const idx = this.paths.idx;
    if (!node.isDir) {
      out.error = "btrfs: fs tree " + this.subvols.get(idx).id.toString() + ": inode " + node.ino.toString() + " is not a directory";
      return out;
    }
    const ents = listDir(this.subvols.cursor(idx), node.ino);
    if (ents == null) {
      out.error = this.vol.error;
      return out;
    }
    for (let i = 0; i < ents.length; i++) {
      const e = ents[i];
      let h: u64;
      if (e.subvol) {
        const a = this.subvols.attached(this.subvols.get(idx).id, node.ino, e.oid);
        const j = a == 1 ? this.subvols.index(e.oid) : -1;
        if (a == 0) {
          h = this.subvols.handle(idx, EMPTY_SUBVOL_DIR_OBJECTID); // not attached here: empty, as in Linux
        } else if (j < 0) {
          this.vol.warn("directory " + node.ino.toString() + " of subvolume " + this.subvols.get(idx).id.toString() + ": entry \"" + e.name + "\": " + strip(this.vol.error!));
          h = this.subvols.handle(idx, EMPTY_SUBVOL_DIR_OBJECTID);
        } else {
          h = this.subvols.handle(j, this.subvols.get(j).dirid);
        }
      } else {
        if (e.oid == 0 || e.oid > INO_MASK) {
          out.error = "btrfs: fs tree " + this.subvols.get(idx).id.toString() + ": directory " + node.ino.toString() + ": entry \"" + e.name + "\" names inode " + e.oid.toString() + " (out of range)";
          return out;
        }
        h = this.subvols.handle(idx, e.oid);
      }
      out.entries.push(new FsDirEntry(e.name, h, e.type <= 7 ? <FileType>e.type : FileType.Unknown));
    }
    return out;
  }

  private regularFile(ino: u64, why: FsFileData): Inode | null {
    if (this.isEmptySubvolDir(ino)) {
      why.error = "btrfs: inode " + ino.toString() + " is not a regular file (an empty subvolume directory)";
      return null;
    }
    const node = this.inode(ino);
    if (node == null) {
      why.error = this.vol.error;
      return null;
    }
    if (!node.isReg) {
      why.error = "btrfs: fs tree " + this.subvols.get(this.paths.idx).id.toString() + ": inode " + node.ino.toString() + " is not a regular file (mode " + node.mode.toString(8) + ")";
      return null;
    }
    return node;
  }

  readFile(ino: u64): FsFileData {
    const f = new FsFileData();
    const node = this.regularFile(ino, f);
    if (node == null) return f;
    const idx = this.paths.idx;
    const size = node.size;
    const F = "btrfs: fs tree " + this.subvols.get(idx).id.toString() + ": inode " + node.ino.toString() + ": ";
    if (size >= FOUR_GIB) {
      f.error = F + "file of " + size.toString() + " bytes is 4 GiB or more: too large to read whole";
      return f;
    }
    if (size > ALLOC_MAX) {
      f.error = F + "file of " + size.toString() + " bytes is larger than one allocation (" + ALLOC_MAX.toString() + " bytes)";
      return f;
    }
    // A compressed file may hold more than its source; a sparse one too. Past 32 times the
    // source, it is damage or nothing a boot needs.
    if (size > this.vol.src.size * 32) {
      f.error = F + "file of " + size.toString() + " bytes is more than 32 times its whole source (" + this.vol.src.size.toString() + " bytes)";
      return f;
    }
    const data = tryAlloc(size == 0 ? 1 : size);
    if (data == 0) {
      f.error = F + "no memory for a file of " + size.toString() + " bytes";
      return f;
    }
    const err = this.files.read(this.subvols.cursor(idx), node.ino, size, 0, <u32>size, data, (node.flags & INODE_NODATASUM) == 0);
    if (err != null) {
      f.error = err;
      return f;
    }
    f.data = data;
    f.size = size;
    return f;
  }

  readRange(ino: u64, offset: u64, len: u32, dst: usize): string | null {
    const why = new FsFileData();
    const node = this.regularFile(ino, why);
    if (node == null) return why.error;
    return this.files.read(this.subvols.cursor(this.paths.idx), node.ino, node.size, offset, len, dst, (node.flags & INODE_NODATASUM) == 0);
  }

  // Saved defaults are never written here: btrfs checksums file data (a block rewritten in
  // place no longer matches its checksum), may inline or compress a small file, and copies on
  // write; GRUB 2 keeps its environment block out of btrfs files for the same reasons.
  writeInPlace(ino: u64, offset: u64, len: u32, src: usize): string | null {
    return this.flavor + ": pvboot does not write to btrfs (file data is checksummed, and may be inline or compressed: a block rewritten in place would no longer match its checksum)";
  }

  readLink(ino: u64): FsLink {
    const l = new FsLink();
    let node: Inode | null = null;
    if (!this.isEmptySubvolDir(ino)) node = this.inode(ino);
    if (node == null) {
      l.error = this.vol.error != null ? this.vol.error : "btrfs: inode " + ino.toString() + " is not a symlink";
      return l;
    }
    if (!node.isSymlink) {
      l.error = "btrfs: fs tree " + this.subvols.get(this.paths.idx).id.toString() + ": inode " + node.ino.toString() + " is not a symlink (mode " + node.mode.toString(8) + ")";
      return l;
    }
    const p = this.paths.readLinkBytes(this.paths.idx, node);
    if (p == 0) {
      l.error = this.vol.error;
      return l;
    }
    l.target = String.UTF8.decodeUnsafe(p, this.paths.linkLen, false);
    return l;
  }
}

function strip(e: string): string {
  return e.startsWith("btrfs: ") ? e.substr(7) : e;
}
