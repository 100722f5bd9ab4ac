// The one interface every filesystem reader offers (src/fs/ext, src/fs/btrfs; each new one in a folder
// of its own beside it). The menu, the command line, config discovery, the loader and tool
// mode see only this, through src/fs/mounts.ts, which picks the reader by its superblock.
//
//   fs.flavor, fs.label, fs.uuid, fs.describe(), fs.warnings, fs.reads, fs.bytesRead
//   const l = fs.lookup("/boot/vmlinuz");    // l.ino, or l.error; follows symlinks
//   const st = fs.stat(l.ino);               // st.type (FileType), st.mode, st.size (u64), ...
//   const d = fs.list(dirIno);               // d.entries: { name, ino, type }[]
//   const f = fs.readFile(l.ino);            // f.data (fresh memory), f.size; or f.error
//   fs.readRange(ino, offset, len, dst);     // null, or an error; offsets are 64-bit
//   fs.readLink(ino);                        // a symlink's target, as stored
//   fs.writeInPlace(ino, offset, len, src);  // saved defaults only: null, or why not written
//
// An inode handle is a u64 the reader gives out and takes back; only the reader knows what it
// means (ext: the inode number; btrfs: the subvolume in the top 16 bits, the inode below). Every result
// carries `error: string | null`; errors start with the flavor and say where ("ext4: inode 12:
// ..."). Nothing on the disk may make a reader trap, loop without end or read outside its
// source.

// File types, as directory entries code them (ext's numbering; other readers map to it).
export enum FileType {
  Unknown = 0,
  File = 1,
  Dir = 2,
  CharDev = 3,
  BlockDev = 4,
  Fifo = 5,
  Socket = 6,
  Symlink = 7,
}

export class FsLookup {
  ino: u64 = 0;
  error: string | null = null;
}

export class FsStat {
  error: string | null = null;
  ino: u64 = 0;
  mode: u16 = 0; // type and permission bits, as in st_mode
  type: FileType = FileType.Unknown;
  size: u64 = 0;
  links: u32 = 0;
  uid: u32 = 0;
  gid: u32 = 0;
  mtime: u32 = 0; // seconds since 1970 (low 32 bits)
  flags: u32 = 0; // the reader's own inode flags (ext: i_flags)
}

export class FsDirEntry {
  name: string;
  ino: u64;
  type: FileType;
  constructor(name: string, ino: u64, type: FileType) {
    this.name = name;
    this.ino = ino;
    this.type = type;
  }
}

export class FsListing {
  entries: FsDirEntry[] = [];
  error: string | null = null;
}

export class FsFileData {
  data: usize = 0;
  size: u64 = 0;
  error: string | null = null;
}

export class FsLink {
  target: string = "";
  error: string | null = null;
}

// The base every reader extends (AssemblyScript dispatches these virtually).
export abstract class FileSystem {
  abstract get flavor(): string; // "ext4", ...
  abstract get label(): string;
  abstract get uuid(): string;
  abstract get warnings(): string[];
  // Requests made to the source and bytes asked for, since the mount.
  abstract get reads(): u64;
  abstract get bytesRead(): u64;

  // One line for messages: flavor, label, uuid, sizes, features.
  abstract describe(): string;

  // An absolute path's inode. followLast: follow a symlink in the last component too.
  abstract lookup(path: string, followLast: bool = true): FsLookup;

  abstract stat(ino: u64): FsStat;

  // Every entry of a directory ("." and ".." included where the format stores them).
  abstract list(ino: u64): FsListing;

  // A whole regular file in fresh memory.
  abstract readFile(ino: u64): FsFileData;

  // len bytes at offset of a regular file into dst. A range past the end is refused.
  abstract readRange(ino: u64, offset: u64, len: u32, dst: usize): string | null;

  // A symlink's target, as stored (not resolved).
  abstract readLink(ino: u64): FsLink;

  // Overwrite len bytes at offset of a regular file in the blocks it already has: never
  // allocating, never changing its size or any metadata. For the saved-default files only
  // (src/boot/saved.ts). null when written, else why nothing was. A reader that cannot do
  // this safely refuses, saying why (this default: every reader but ext's).
  writeInPlace(ino: u64, offset: u64, len: u32, src: usize): string | null {
    return this.flavor + ": pvboot writes saved defaults only on ext2/3/4, not on " + this.flavor;
  }
}
