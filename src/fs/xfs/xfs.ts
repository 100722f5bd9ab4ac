// A read-only XFS reader over a BlockSource: the FileSystem of src/fs/fs.ts.
//
//   const m = XfsFs.mount(src);              // m.fs, or null and m.error; m.warnings either way
//   fs.lookup / stat / list / readFile / readRange / readLink, as fs.ts describes
//
// Inode handles are XFS's own 64-bit inode numbers. Errors start with "xfs: " and name the
// inode, block and offset ("xfs: inode 131: bmap B+tree block 1234 has bad magic ...");
// nothing from the disk can make this code trap, loop without end, or read outside its
// source. Warnings (checksum mismatches, a log that needs recovery) collect in fs.warnings.
//
// What it reads: v4 and v5 (CRC) superblocks, 512-byte to 64 KiB blocks, directory blocks up
// to 64 KiB; v1/v2/v3 inodes; data forks as extent lists or B+trees (any depth up to 9),
// holes and unwritten extents as zeros, in-inode (local) data; directories short-form,
// block, leaf, node and B+tree (data blocks read linearly; lookups scan them); symlinks
// inline and remote; ftype or not; bigtime and nrext64 inodes; v5 CRCs of the superblock,
// inodes, bmap blocks, directory data blocks and remote symlink blocks (a mismatch is a
// warning naming the structure). finobt, rmapbt, reflink, inobtcount, sparse inodes,
// meta_uuid, exchange-range and parent pointers change nothing read here and are accepted.
// The log is not replayed: a log that needs recovery is a warning. Refused, naming them:
// v1 directories, metadir, zoned and unknown incompatible features, files on the realtime
// device.
//
// Memory: per mount a block cache (32 blocks, 16 above 4 KiB), 8 inode slots, one directory
// block and a symlink buffer; per call a few small result objects.

import { BlockSource } from "../../disk/source";
import { FileSystem, FileType, FsLookup, FsStat, FsDirEntry, FsListing, FsFileData, FsLink } from "../fs";
import { XfsSuper } from "./superblock";
import { XfsVolume } from "./volume";
import { XfsInodes, XfsInode } from "./inode";
import { XfsDirReader } from "./dir";
import { resolvePath } from "./path";
import { readData } from "./file";
import { readLinkBytes } from "./symlink";
import { checkLog } from "./log";
import { tryAlloc, ALLOC_MAX } from "../ext/alloc";
import { nameString } from "../ext/format";
import { addWarning } from "../ext/warnings";
import { SB_READ, SB_SECTSIZE, SB_MAGIC, be16, be32 } from "./layout";

export class XfsMount {
  fs: XfsFs | null = null;
  error: string | null = null;
  warnings: string[] = [];
}

const FOUR_GIB: u64 = <u64>1 << 32;

export class XfsFs extends FileSystem {
  private vol: XfsVolume;
  private inodes: XfsInodes;

  private constructor(vol: XfsVolume) {
    super();
    this.vol = vol;
    this.inodes = new XfsInodes(vol);
  }

  // Does the source start with an XFS superblock? (For src/fs/mounts.ts's probe.)
  static probe(src: BlockSource): bool {
    if (src.size < <u64>SB_READ) return false;
    const b = heap.alloc(4);
    return src.read(0, 4, b) == null && be32(b) == SB_MAGIC;
  }

  static mount(src: BlockSource): XfsMount {
    const m = new XfsMount();
    if (src.size < <u64>SB_READ) {
      m.error = "xfs: " + src.name + " is too small for an XFS filesystem (" + src.size.toString() + " bytes)";
      return m;
    }
    let raw = heap.alloc(SB_READ);
    let err = src.read(0, SB_READ, raw);
    if (err != null) {
      m.error = "xfs: superblock: " + err;
      return m;
    }
    // The CRC covers the whole sector: read it all when it is larger than 512 bytes.
    let len = SB_READ;
    const sect = be16(raw + SB_SECTSIZE);
    if (sect > SB_READ && sect <= 32768 && (sect & (sect - 1)) == 0 && <u64>sect <= src.size) {
      raw = heap.alloc(sect);
      err = src.read(0, sect, raw);
      if (err != null) {
        m.error = "xfs: superblock: " + err;
        return m;
      }
      len = sect;
    }
    const sb = new XfsSuper();
    const bad = sb.parse(raw, len, src.size, m.warnings);
    if (bad != null) {
      m.error = bad;
      return m;
    }
    const vol = new XfsVolume(src, sb, m.warnings);
    const logState = checkLog(vol);
    if (logState != null) addWarning(m.warnings, "xfs: " + logState);
    const fs = new XfsFs(vol);
    const root = fs.inodes.get(sb.rootIno);
    if (root == null) {
      m.error = "xfs: the root directory: " + vol.inner;
      return m;
    }
    if (!root.isDir) {
      m.error = "xfs: the root (inode " + sb.rootIno.toString() + ") is not a directory (mode " + root.mode.toString(8) + ")";
      return m;
    }
    m.fs = fs;
    return m;
  }

  get flavor(): string { return "xfs"; }
  get label(): string { return this.vol.sb.label; }
  get uuid(): string { return this.vol.sb.uuid; }
  get warnings(): string[] { return this.vol.warnings; }
  get reads(): u64 { return this.vol.reads; }
  get bytesRead(): u64 { return this.vol.bytesRead; }
  get blockSize(): u32 { return this.vol.sb.blockSize; }
  get blocksCount(): u64 { return this.vol.sb.dblocks; }
  get rootIno(): u64 { return this.vol.sb.rootIno; }
  get version(): u32 { return this.vol.sb.version; }
  get features(): string { return this.vol.sb.featureList; }

  // `xfs "root" 1234abcd-..., v5, 65536 blocks of 4096 bytes, 4 AGs, features: ...`.
  describe(): string {
    const sb = this.vol.sb;
    return "xfs \"" + sb.label + "\" " + sb.uuid + ", v" + sb.version.toString() + ", " + sb.dblocks.toString() + " blocks of " +
      sb.blockSize.toString() + " bytes, " + sb.agCount.toString() + " AGs, features: " + sb.featureList;
  }

  lookup(path: string, followLast: bool = true): FsLookup {
    const r = new FsLookup();
    this.vol.error = null;
    r.ino = resolvePath(this.vol, this.inodes, path, followLast);
    if (r.ino == 0) r.error = this.vol.error;
    return r;
  }

  stat(ino: u64): FsStat {
    const st = new FsStat();
    const node = this.inodes.get(ino);
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
    st.mtime = node.mtime;
    st.flags = node.flags;
    return st;
  }

  // Every entry of a directory, in disk order ("." and ".." included).
  list(ino: u64): FsListing {
    const out = new FsListing();
    const node = this.inodes.get(ino);
    if (node == null) {
      out.error = this.vol.error;
      return out;
    }
    const r = new XfsDirReader(this.vol, node);
    if (!r.start()) {
      out.error = this.vol.error;
      return out;
    }
    let untyped = false;
    for (;;) {
      const k = r.next();
      if (k < 0) {
        out.error = this.vol.error;
        return out;
      }
      if (k == 0) break;
      if (r.type == 0) untyped = true;
      out.entries.push(new FsDirEntry(nameString(r.name, r.nameLen), r.ino, <FileType>r.type));
    }
    // No ftype: ask each inode after the scan. A damaged one just stays Unknown.
    if (untyped) {
      for (let i = 0; i < out.entries.length; i++) {
        const e = unchecked(out.entries[i]);
        if (e.type != FileType.Unknown) continue;
        const c = this.inodes.get(e.ino);
        if (c != null) e.type = <FileType>c.ftype;
      }
      this.vol.error = null;
    }
    return out;
  }

  private regularFile(ino: u64, why: FsFileData): XfsInode | null {
    const node = this.inodes.get(ino);
    if (node == null) {
      why.error = this.vol.error;
      return null;
    }
    if (!node.isReg) {
      why.error = "xfs: inode " + ino.toString() + " is not a regular file (mode " + node.mode.toString(8) + ")";
      return null;
    }
    return node;
  }

  readFile(ino: u64): FsFileData {
    const f = new FsFileData();
    const node = this.regularFile(ino, f);
    if (node == null) return f;
    const size = node.size;
    const F = "xfs: inode " + ino.toString() + ": ";
    if (size >= FOUR_GIB) {
      f.error = F + "file of " + size.toString() + " bytes is 4 GiB or more: too large to read whole";
      return f;
    }
    if (size > ALLOC_MAX) {
      f.error = F + "file of " + size.toString() + " bytes is larger than one allocation (" + ALLOC_MAX.toString() + " bytes)";
      return f;
    }
    if (size > this.vol.src.size) {
      f.error = F + "file of " + size.toString() + " bytes is larger than its whole source (" + this.vol.src.size.toString() + " bytes)";
      return f;
    }
    const data = tryAlloc(size == 0 ? 1 : size);
    if (data == 0) {
      f.error = F + "no memory for a file of " + size.toString() + " bytes";
      return f;
    }
    const err = readData(this.vol, node, 0, <u32>size, data);
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
    return readData(this.vol, node, offset, len, dst);
  }

  // Saved defaults are never written here: this reader maps file blocks for reading only, and
  // a write would bypass XFS's log (which may hold newer copies after an unclean shutdown).
  writeInPlace(ino: u64, offset: u64, len: u32, src: usize): string | null {
    return this.flavor + ": pvboot does not write to XFS (its reader maps blocks for reading only, and the log may hold newer copies of them)";
  }

  readLink(ino: u64): FsLink {
    const l = new FsLink();
    const node = this.inodes.get(ino);
    if (node == null) {
      l.error = this.vol.error;
      return l;
    }
    const n = readLinkBytes(this.vol, node);
    if (n < 0) {
      l.error = this.vol.error;
      return l;
    }
    l.target = nameString(this.vol.linkBuf, <u32>n);
    return l;
  }
}
