// The one interface every filesystem reader offers (src/fs/ext today; each new one in a folder
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
//
// An inode handle is a u64 the reader gives out and takes back; only the reader knows what it
// means (ext: the inode number; a reader with subvolumes may pack more into it). Every result
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

export class FsMount {
  fs: FileSystem | null = null;
  error: string | null = null;
  warnings: string[] = [];
}

// The base every reader extends; each method is overridden (AssemblyScript dispatches them
// virtually). The bodies here only answer for a reader that forgot one.
export class FileSystem {
  get flavor(): string { return "?"; }
  get label(): string { return ""; }
  get uuid(): string { return ""; }
  get warnings(): string[] { return []; }
  // Requests made to the source and bytes asked for, since the mount.
  get reads(): u64 { return 0; }
  get bytesRead(): u64 { return 0; }

  // One line for messages: flavor, label, uuid, sizes, features.
  describe(): string { return this.flavor; }

  // An absolute path's inode. followLast: follow a symlink in the last component too.
  lookup(path: string, followLast: bool = true): FsLookup {
    const r = new FsLookup();
    r.error = this.flavor + ": lookup not implemented";
    return r;
  }

  stat(ino: u64): FsStat {
    const st = new FsStat();
    st.error = this.flavor + ": stat not implemented";
    return st;
  }

  // Every entry of a directory ("." and ".." included where the format stores them).
  list(ino: u64): FsListing {
    const l = new FsListing();
    l.error = this.flavor + ": list not implemented";
    return l;
  }

  // A whole regular file in fresh memory.
  readFile(ino: u64): FsFileData {
    const f = new FsFileData();
    f.error = this.flavor + ": readFile not implemented";
    return f;
  }

  // len bytes at offset of a regular file into dst. A range past the end is refused.
  readRange(ino: u64, offset: u64, len: u32, dst: usize): string | null {
    return this.flavor + ": readRange not implemented";
  }

  // A symlink's target, as stored (not resolved).
  readLink(ino: u64): FsLink {
    const l = new FsLink();
    l.error = this.flavor + ": readLink not implemented";
    return l;
  }
}
