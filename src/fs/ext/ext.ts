// A read-only ext2/ext3/ext4 reader over a BlockSource: the FileSystem of src/fs/fs.ts.
//
//   const m = ExtFs.mount(src);              // m.fs, or null and m.error; m.warnings either way
//   const fs = m.fs!;
//   fs.label, fs.uuid, fs.blockSize, fs.flavor ("ext2"/"ext3"/"ext4"), fs.features, fs.describe()
//   const l = fs.lookup("/boot/vmlinuz");    // l.ino, or 0 and l.error; follows symlinks
//   const st = fs.stat(l.ino);               // st.type (FileType), st.mode, st.size (u64), ...
//   const d = fs.list(dirIno);               // d.entries: { name, ino, type }[], "." and ".." included
//   const f = fs.readFile(l.ino);            // f.data (fresh memory), f.size; or f.error
//   fs.readRange(ino, offset, len, dst);     // null, or an error; offsets are 64-bit
//   fs.readLink(ino);                        // a symlink's target
//   fs.lookup(path, false)                   // the symlink itself, if the last component is one
//
// Every result carries `error: string | null` (AssemblyScript has no union with string).
// readFile and readRange take regular files only; readFile refuses files of 4 GiB or more,
// and above 1 GiB (the runtime's largest allocation) or the source's size, naming the size:
// read those with readRange, which handles any 64-bit offset. A range past the end of the
// file is refused, never clipped.
//
// Errors are strings that start with the flavor and name the inode and/or block
// ("ext4: inode 12: extent header at block 1234 has bad magic 0x0000"); nothing from the disk
// can make this code trap, loop without end, or read outside the source. Warnings (checksum
// mismatches, a journal that needs recovery) collect in fs.warnings, each once.
//
// What it reads: block sizes 1 KiB to 64 KiB; revision 0 and 1; 128-byte and larger inodes;
// classic and meta_bg descriptor tables, 32- and 64-byte descriptors (64bit), flex_bg,
// sparse_super(2); block maps and extent trees (depth <= 5, unwritten extents as zeros,
// holes as zeros); inline_data files, directories and symlinks; htree directories (read as
// plain); fast and slow symlinks; bigalloc (blocks are still the unit of addressing);
// metadata_csum (superblock, group descriptors, inodes, extent and directory blocks are
// verified, a mismatch is only a warning). The journal is ignored (needs_recovery: a
// warning). Refused, naming the feature: compression, journal_dev, encrypt, unknown
// incompatible features, and lookups through casefolded directories.
//
// Memory: the runtime never frees, so the reader allocates little: per mount a block cache
// (32 blocks, 16 above 4 KiB), 8 inode slots and two scratch buffers; per call a few small
// result objects. list(), readFile() and the strings in results are the caller's to budget.
// I/O: metadata goes through the cache; file data is read straight into the caller's
// memory, each physically contiguous stretch as one request (fs.reads counts them).

import { BlockSource } from "../../disk/source";
import { FileSystem, FileType, FsLookup, FsStat, FsDirEntry, FsListing, FsFileData, FsLink } from "../fs";
import { Superblock } from "./superblock";
import { Volume } from "./volume";
import { Groups } from "./groups";
import { Inodes, Inode } from "./inode";
import { DirReader } from "./dir";
import { resolvePath } from "./path";
import { readData, mapBlock } from "./file";
import { readLinkBytes } from "./symlink";
import { tryAlloc, ALLOC_MAX } from "./alloc";
import { nameString } from "./format";
import { SB_OFFSET, SB_SIZE, ROOT_INO, FT_UNKNOWN, FL_ENCRYPT, FL_COMPR, FL_VERITY, INCOMPAT_RECOVER } from "./layout";
import { Run, RUN_HOLE, RUN_ZERO, RUN_DATA } from "./run";

// What mount gives: the reader itself (its ext-only fields too: blockSize, features, ...).
export class ExtMount {
  fs: ExtFs | null = null;
  error: string | null = null;
  warnings: string[] = [];
}

// Files larger than this are refused by readFile (they cannot be one allocation anyway);
// readRange reads any part of any file.
const FOUR_GIB: u64 = <u64>1 << 32;

export class ExtFs extends FileSystem {
  private vol: Volume;
  private groups: Groups;
  private inodes: Inodes;

  private constructor(vol: Volume) {
    super();
    const groups = new Groups(vol);
    this.vol = vol;
    this.groups = groups;
    this.inodes = new Inodes(vol, groups);
  }

  static mount(src: BlockSource): ExtMount {
    const m = new ExtMount();
    if (src.size < <u64>(SB_OFFSET + SB_SIZE)) {
      m.error = "ext: " + src.name + " is too small for an ext2/3/4 filesystem (" + src.size.toString() + " bytes)";
      return m;
    }
    const raw = heap.alloc(SB_SIZE);
    const err = src.read(SB_OFFSET, SB_SIZE, raw);
    if (err != null) {
      m.error = "ext: superblock: " + err;
      return m;
    }
    const sb = new Superblock();
    const bad = sb.parse(raw, src.size, m.warnings);
    if (bad != null) {
      m.error = bad;
      return m;
    }
    const fs = new ExtFs(new Volume(src, sb, m.warnings));
    // The root must be a readable directory, or nothing else can be.
    const root = fs.inodes.get(ROOT_INO);
    if (root == null) {
      m.error = fs.vol.error;
      return m;
    }
    if (!root.isDir) {
      m.error = sb.flavor + ": the root (inode 2) is not a directory (mode " + root.mode.toString(8) + ")";
      return m;
    }
    m.fs = fs;
    return m;
  }

  get flavor(): string { return this.vol.sb.flavor; }
  get label(): string { return this.vol.sb.label; }
  get uuid(): string { return this.vol.sb.uuid; }
  get blockSize(): u32 { return this.vol.sb.blockSize; }
  get blocksCount(): u64 { return this.vol.sb.blocksCount; }
  get inodesCount(): u32 { return this.vol.sb.inodesCount; }
  get features(): string { return this.vol.sb.featureList; }
  get warnings(): string[] { return this.vol.warnings; }
  // Requests made to the source and bytes asked for, since the mount.
  get reads(): u64 { return this.vol.reads; }
  get bytesRead(): u64 { return this.vol.bytesRead; }

  // One line for messages: `ext4 "root" 1234abcd-..., 4096-byte blocks, features: ...`.
  describe(): string {
    const sb = this.vol.sb;
    return sb.flavor + " \"" + sb.label + "\" " + sb.uuid + ", " + sb.blocksCount.toString() + " blocks of " +
      sb.blockSize.toString() + " bytes" + (sb.clusterRatio > 1 ? " (clusters of " + sb.clusterRatio.toString() + ")" : "") +
      ", features: " + sb.featureList;
  }

  // An absolute path's inode. followLast: follow a symlink in the last component too.
  lookup(path: string, followLast: bool = true): FsLookup {
    const r = new FsLookup();
    this.vol.error = null;
    r.ino = <u64>resolvePath(this.vol, this.inodes, path, followLast);
    if (r.ino == 0) r.error = this.vol.error;
    return r;
  }

  // The inode behind a handle; ext's handles are its inode numbers, which are 32-bit.
  private inode(ino: u64): Inode | null {
    if (ino > <u64>U32.MAX_VALUE) {
      this.vol.error = this.vol.F + "inode " + ino.toString() + " is out of range (inode numbers are 32-bit)";
      return null;
    }
    return this.inodes.get(<u32>ino);
  }

  stat(ino: u64): FsStat {
    const st = new FsStat();
    const node = this.inode(ino);
    if (node == null) {
      st.error = this.vol.error;
      return st;
    }
    st.ino = ino;
    st.mode = node.mode;
    st.type = <FileType>node.ftype;
    st.size = node.size;
    st.links = node.links;
    st.uid = node.uid;
    st.gid = node.gid;
    st.mtime = node.mtime;
    st.flags = node.flags;
    return st;
  }

  // Every entry of a directory, in disk order ("." and ".." included).
  list(ino: u64): FsListing {
    const out = new FsListing();
    const node = this.inode(ino);
    if (node == null) {
      out.error = this.vol.error;
      return out;
    }
    const r = new DirReader(this.vol, node);
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
      if (r.type == FT_UNKNOWN) untyped = true;
      out.entries.push(new FsDirEntry(nameString(r.name, r.nameLen), r.ino, <FileType>r.type));
    }
    // No filetype feature: ask each inode (after the scan: reading inodes while scanning
    // would recycle the directory's own inode slot). A damaged one just stays Unknown.
    if (untyped) {
      for (let i = 0; i < out.entries.length; i++) {
        const e = unchecked(out.entries[i]);
        if (e.type != FileType.Unknown) continue;
        const c = this.inode(e.ino);
        if (c != null) e.type = <FileType>c.ftype;
      }
    }
    return out;
  }

  // The inode of a regular file, or null and the reason in `why`.
  private regularFile(ino: u64, why: FsFileData): Inode | null {
    const node = this.inode(ino);
    if (node == null) {
      why.error = this.vol.error;
      return null;
    }
    if (!node.isReg) {
      why.error = this.vol.F + "inode " + ino.toString() + " is not a regular file (mode " + node.mode.toString(8) + ")";
      return null;
    }
    if ((node.flags & FL_ENCRYPT) != 0) {
      why.error = this.vol.F + "inode " + ino.toString() + " is encrypted (encrypt feature)";
      return null;
    }
    return node;
  }

  // A whole regular file in fresh memory.
  readFile(ino: u64): FsFileData {
    const f = new FsFileData();
    const node = this.regularFile(ino, f);
    if (node == null) return f;
    const size = node.size;
    const F = this.vol.F + "inode " + ino.toString() + ": ";
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

  // len bytes at offset of a regular file into dst. A range past the end is refused.
  readRange(ino: u64, offset: u64, len: u32, dst: usize): string | null {
    const why = new FsFileData();
    const node = this.regularFile(ino, why);
    if (node == null) return why.error;
    return readData(this.vol, node, offset, len, dst);
  }

  // Saved defaults (src/boot/saved.ts): the range must lie in the file's own data blocks, all
  // of the file in one physically contiguous run of written blocks (no hole, no unwritten
  // extent: GRUB's blocklist rule, and a fragmented file is refused), not inline, encrypted,
  // compressed or verity-protected, on a filesystem whose journal needs no recovery (the
  // journal may hold newer copies of the blocks). Before writing, the bytes at that place on
  // the source must equal the file's bytes as read through the inode; after, they are read
  // back. Data blocks carry no checksum in ext4, so nothing else changes.
  writeInPlace(ino: u64, offset: u64, len: u32, src: usize): string | null {
    const why = new FsFileData();
    const node = this.regularFile(ino, why);
    if (node == null) return why.error;
    const sb = this.vol.sb;
    const F = this.vol.F + "inode " + ino.toString() + ": ";
    if ((sb.incompat & INCOMPAT_RECOVER) != 0) return this.vol.F + "the journal needs recovery (needs_recovery): the file's blocks may be older than the journal's copy";
    if (node.hasInlineData) return F + "the data is inline in the inode (inline_data): the file has no blocks of its own";
    if ((node.flags & (FL_COMPR | FL_VERITY)) != 0) return F + "the file is " + ((node.flags & FL_COMPR) != 0 ? "compressed" : "verity-protected");
    if (node.size == 0) return F + "the file is empty: it has no blocks";
    if (offset > node.size || <u64>len > node.size - offset) return F + "a write of " + len.toString() + " bytes at " + offset.toString() + " would go past the end of the file (" + node.size.toString() + " bytes): pvboot never changes a file's size";
    const logBs = sb.logBlockSize;
    const blocks = (node.size + (<u64>sb.blockSize - 1)) >> logBs;
    const run = this.vol.run;
    if (!mapBlock(this.vol, node, 0, run)) return this.vol.error;
    if (run.kind == RUN_HOLE) return F + "the file has no block at its start (a hole)";
    if (run.kind == RUN_ZERO) return F + "the file's first extent is unwritten (preallocated)";
    if (run.count < blocks) {
      const next = new Run();
      let what = "fragmented (its " + blocks.toString() + " blocks are not one contiguous run)";
      if (mapBlock(this.vol, node, run.count, next) && next.kind != RUN_DATA) what = "not all written (a hole or an unwritten extent at block " + run.count.toString() + ")";
      return F + "the file is " + what;
    }
    const pblk = run.pblk; // readData below reuses vol.run
    const at = (pblk << logBs) + offset;
    const onFile = heap.alloc(<usize>len);
    const onDisk = heap.alloc(<usize>len);
    let e = readData(this.vol, node, offset, len, onFile);
    if (e == null) e = this.vol.src.read(at, len, onDisk);
    if (e == null && memory.compare(onFile, onDisk, len) != 0) e = F + "the bytes at block " + pblk.toString() + " differ from the file's: the layout is in doubt";
    if (e == null) e = this.vol.src.write(at, len, src);
    if (e == null) e = this.vol.src.read(at, len, onDisk);
    if (e == null && memory.compare(src, onDisk, len) != 0) e = F + "block " + pblk.toString() + " did not read back as written";
    heap.free(onFile);
    heap.free(onDisk);
    return e;
  }

  // A symlink's target, as stored (not resolved).
  readLink(ino: u64): FsLink {
    const l = new FsLink();
    const node = this.inode(ino);
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
