// ELF32 and ELF64 kernel images, read in place from memory: the header, the PT_LOAD segments,
// and the sections a PV kernel's Xen information may live in. Every offset and size from the
// file is checked against the image before it is used; counts are capped.

export const ELFCLASS32: u8 = 1;
export const ELFCLASS64: u8 = 2;
export const EM_386: u16 = 3;
export const EM_X86_64: u16 = 62;
const PT_LOAD: u32 = 1;
const PT_NOTE: u32 = 4;
const SHT_NOTE: u32 = 7;
const MAX_PHDRS: u32 = 256;
const MAX_SHDRS: u32 = 4096;

export class ElfSegment {
  offset: u64 = 0; // in the file
  vaddr: u64 = 0;
  paddr: u64 = 0;
  fileSize: u64 = 0;
  memSize: u64 = 0;
  flags: u32 = 0; // PF_X 1, PF_W 2, PF_R 4
}

// A region of the file: a PT_NOTE segment or a section.
export class ElfRegion {
  constructor(public offset: u64, public size: u64) {}
}

export class ElfImage {
  base: usize = 0; // where the file is in memory
  size: u64 = 0;
  is64: bool = false;
  machine: u16 = 0;
  type: u16 = 0;
  entry: u64 = 0;
  loads: Array<ElfSegment> = new Array<ElfSegment>(); // PT_LOAD segments, in file order
  noteSegments: Array<ElfRegion> = new Array<ElfRegion>(); // PT_NOTE segments (p_offset != 0)
  noteSections: Array<ElfRegion> = new Array<ElfRegion>(); // SHT_NOTE sections
  xenGuest: ElfRegion | null = null; // the legacy "__xen_guest" section
  pstart: u64 = 0; // lowest p_paddr of a PT_LOAD segment
  pend: u64 = 0; // highest p_paddr + p_memsz
  error: string | null = null;

  // "ELF64 x86_64" / "ELF32 i386"
  describe(): string {
    return (this.is64 ? "ELF64 " : "ELF32 ") + machineName(this.machine);
  }
}

export function machineName(m: u16): string {
  if (m == EM_X86_64) return "x86_64";
  if (m == EM_386) return "i386";
  return "machine " + m.toString();
}

export function isElf(p: usize, len: u64): bool {
  return len >= 4 && load<u32>(p) == 0x464c457f; // "\x7fELF"
}

// Parse the image at p (len bytes). On failure `error` says what is wrong with which field.
export function parseElf(p: usize, len: u64): ElfImage {
  const e = new ElfImage();
  e.base = p;
  e.size = len;
  if (!isElf(p, len) || len < 52) return fail(e, "not an ELF file");
  const cls = load<u8>(p + 4);
  if (cls != ELFCLASS32 && cls != ELFCLASS64) return fail(e, "unknown ELF class " + cls.toString());
  if (load<u8>(p + 5) != 1) return fail(e, "not a little-endian ELF file");
  e.is64 = cls == ELFCLASS64;
  if (e.is64 && len < 64) return fail(e, "truncated ELF header");
  e.type = load<u16>(p + 16);
  e.machine = load<u16>(p + 18);
  if (e.type != 2) return fail(e, "ELF type " + e.type.toString() + " is not an executable");

  let phoff: u64, shoff: u64, phentsize: u32, phnum: u32, shentsize: u32, shnum: u32, shstrndx: u32;
  if (e.is64) {
    e.entry = load<u64>(p + 24);
    phoff = load<u64>(p + 32);
    shoff = load<u64>(p + 40);
    phentsize = load<u16>(p + 54);
    phnum = load<u16>(p + 56);
    shentsize = load<u16>(p + 58);
    shnum = load<u16>(p + 60);
    shstrndx = load<u16>(p + 62);
  } else {
    e.entry = load<u32>(p + 24);
    phoff = load<u32>(p + 28);
    shoff = load<u32>(p + 32);
    phentsize = load<u16>(p + 42);
    phnum = load<u16>(p + 44);
    shentsize = load<u16>(p + 46);
    shnum = load<u16>(p + 48);
    shstrndx = load<u16>(p + 50);
  }
  const minPh: u32 = e.is64 ? 56 : 32;
  const minSh: u32 = e.is64 ? 64 : 40;
  if (phnum == 0) return fail(e, "no program headers");
  if (phnum > MAX_PHDRS) return fail(e, phnum.toString() + " program headers (at most " + MAX_PHDRS.toString() + ")");
  if (phentsize < minPh) return fail(e, "program header size " + phentsize.toString() + " is too small");
  if (!inside(phoff, <u64>phnum * phentsize, len)) return fail(e, "program headers at " + hex(phoff) + " lie outside the file");

  let first = true;
  for (let i: u32 = 0; i < phnum; i++) {
    const h = p + <usize>(phoff + <u64>i * phentsize);
    const type = load<u32>(h);
    const s = new ElfSegment();
    if (e.is64) {
      s.flags = load<u32>(h + 4);
      s.offset = load<u64>(h + 8);
      s.vaddr = load<u64>(h + 16);
      s.paddr = load<u64>(h + 24);
      s.fileSize = load<u64>(h + 32);
      s.memSize = load<u64>(h + 40);
    } else {
      s.offset = load<u32>(h + 4);
      s.vaddr = load<u32>(h + 8);
      s.paddr = load<u32>(h + 12);
      s.fileSize = load<u32>(h + 16);
      s.memSize = load<u32>(h + 20);
      s.flags = load<u32>(h + 24);
    }
    if (type == PT_NOTE) {
      // Some binutils leave p_offset 0 on note segments: those are not notes.
      if (s.offset != 0 && inside(s.offset, s.fileSize, len)) e.noteSegments.push(new ElfRegion(s.offset, s.fileSize));
      continue;
    }
    if (type != PT_LOAD) continue;
    if (!inside(s.offset, s.fileSize, len)) return fail(e, "segment " + i.toString() + " (" + hex(s.offset) + " + " + hex(s.fileSize) + ") lies outside the file");
    if (s.fileSize > s.memSize) return fail(e, "segment " + i.toString() + " has more file bytes than memory bytes");
    if (s.paddr + s.memSize < s.paddr) return fail(e, "segment " + i.toString() + " wraps around the address space");
    e.loads.push(s);
    if (first || s.paddr < e.pstart) e.pstart = s.paddr;
    if (first || s.paddr + s.memSize > e.pend) e.pend = s.paddr + s.memSize;
    first = false;
  }
  if (e.loads.length == 0) return fail(e, "no loadable segment");

  // Sections are optional (stripped images may lack them); a damaged table is ignored
  // rather than fatal, as Xen's loader does.
  if (shnum > 0 && shnum <= MAX_SHDRS && shentsize >= minSh && inside(shoff, <u64>shnum * shentsize, len)) {
    let strOff: u64 = 0, strSize: u64 = 0;
    if (shstrndx < shnum) {
      const sh = p + <usize>(shoff + <u64>shstrndx * shentsize);
      strOff = e.is64 ? load<u64>(sh + 24) : <u64>load<u32>(sh + 16);
      strSize = e.is64 ? load<u64>(sh + 32) : <u64>load<u32>(sh + 20);
      if (!inside(strOff, strSize, len)) strSize = 0;
    }
    for (let i: u32 = 1; i < shnum; i++) {
      const sh = p + <usize>(shoff + <u64>i * shentsize);
      const name = load<u32>(sh);
      const type = load<u32>(sh + 4);
      const off: u64 = e.is64 ? load<u64>(sh + 24) : <u64>load<u32>(sh + 16);
      const size: u64 = e.is64 ? load<u64>(sh + 32) : <u64>load<u32>(sh + 20);
      if (!inside(off, size, len)) continue;
      if (type == SHT_NOTE) e.noteSections.push(new ElfRegion(off, size));
      if (strSize > 0 && nameIs(p + <usize>strOff, strSize, name, "__xen_guest")) e.xenGuest = new ElfRegion(off, size);
    }
  }
  return e;
}

function fail(e: ElfImage, why: string): ElfImage {
  e.error = why;
  return e;
}

// off + size within len, without overflow.
export function inside(off: u64, size: u64, len: u64): bool {
  return off <= len && size <= len - off;
}

function nameIs(tab: usize, tabSize: u64, at: u32, want: string): bool {
  const n = <u64>want.length;
  if (<u64>at + n + 1 > tabSize) return false;
  for (let i = 0; i < want.length; i++) if (<i32>load<u8>(tab + at + i) != want.charCodeAt(i)) return false;
  return load<u8>(tab + at + want.length) == 0;
}

export function hex(v: u64): string {
  return "0x" + v.toString(16);
}
