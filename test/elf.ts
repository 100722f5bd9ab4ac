// An ELF reader for the tests: headers, program headers, sections and notes, 32- and 64-bit,
// little-endian. Written for checking images, so it throws on anything malformed.

export interface ElfSegment { type: number; flags: number; offset: number; vaddr: bigint; paddr: bigint; filesz: number; memsz: number }
export interface ElfSection { name: string; type: number; offset: number; size: number; addr: bigint }
export interface ElfNote { name: string; type: number; desc: Uint8Array }
export interface Elf { bits: 32 | 64; machine: number; type: number; entry: bigint; segments: ElfSegment[]; sections: ElfSection[] }

export const PT_LOAD = 1, PT_NOTE = 4, SHT_NOTE = 7, EM_386 = 3, EM_X86_64 = 62, ET_EXEC = 2;

export function readElf(b: Uint8Array): Elf {
  if (b.length < 52 || b[0] !== 0x7f || b[1] !== 0x45 || b[2] !== 0x4c || b[3] !== 0x46) throw new Error("not an ELF file");
  if (b[5] !== 1) throw new Error("not little-endian");
  const bits = b[4] === 2 ? 64 : b[4] === 1 ? 32 : (() => { throw new Error("bad ELF class"); })();
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const addr = (off: number) => (bits === 64 ? v.getBigUint64(off, true) : BigInt(v.getUint32(off, true)));
  const word = (off: number) => (bits === 64 ? Number(v.getBigUint64(off, true)) : v.getUint32(off, true));
  const W = bits === 64 ? 8 : 4;
  const type = v.getUint16(16, true), machine = v.getUint16(18, true);
  const entry = addr(24);
  const phoff = word(24 + W), shoff = word(24 + 2 * W);
  const hdr = 24 + 3 * W + 4; // e_flags
  const phentsize = v.getUint16(hdr + 2, true), phnum = v.getUint16(hdr + 4, true);
  const shentsize = v.getUint16(hdr + 6, true), shnum = v.getUint16(hdr + 8, true), shstrndx = v.getUint16(hdr + 10, true);
  if (phoff + phnum * phentsize > b.length || shoff + shnum * shentsize > b.length) throw new Error("ELF headers outside the file");

  const segments: ElfSegment[] = [];
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    segments.push(bits === 64
      ? { type: v.getUint32(p, true), flags: v.getUint32(p + 4, true), offset: word(p + 8), vaddr: addr(p + 16), paddr: addr(p + 24), filesz: word(p + 32), memsz: word(p + 40) }
      : { type: v.getUint32(p, true), offset: word(p + 4), vaddr: addr(p + 8), paddr: addr(p + 12), filesz: word(p + 16), memsz: word(p + 20), flags: v.getUint32(p + 24, true) });
  }
  const raw = Array.from({ length: shnum }, (_, i) => {
    const s = shoff + i * shentsize;
    return bits === 64
      ? { nameOff: v.getUint32(s, true), type: v.getUint32(s + 4, true), addr: addr(s + 16), offset: word(s + 24), size: word(s + 32) }
      : { nameOff: v.getUint32(s, true), type: v.getUint32(s + 4, true), addr: addr(s + 12), offset: word(s + 16), size: word(s + 20) };
  });
  const strtab = raw[shstrndx];
  const cstr = (off: number) => {
    let end = off;
    while (end < b.length && b[end] !== 0) end++;
    return new TextDecoder().decode(b.subarray(off, end));
  };
  const sections = raw.map((s) => ({ name: strtab ? cstr(strtab.offset + s.nameOff) : "", type: s.type, offset: s.offset, size: s.size, addr: s.addr }));
  return { bits, machine, type, entry, segments, sections };
}

// The notes in a PT_NOTE segment or SHT_NOTE section: {namesz, descsz, type, name, desc}, 4-aligned.
export function readNotes(b: Uint8Array, offset: number, size: number): ElfNote[] {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const notes: ElfNote[] = [];
  const align = (n: number) => (n + 3) & ~3;
  let p = offset;
  const end = offset + size;
  if (end > b.length) throw new Error("note area outside the file");
  while (p + 12 <= end) {
    const namesz = v.getUint32(p, true), descsz = v.getUint32(p + 4, true), type = v.getUint32(p + 8, true);
    const nameAt = p + 12, descAt = nameAt + align(namesz);
    if (descAt + descsz > end) throw new Error(`note at ${p} runs past its area`);
    const name = new TextDecoder().decode(b.subarray(nameAt, nameAt + namesz)).replace(/\0+$/, "");
    notes.push({ name, type, desc: b.slice(descAt, descAt + descsz) });
    p = descAt + align(descsz);
  }
  return notes;
}

export function segmentNotes(b: Uint8Array, elf: Elf): ElfNote[] {
  return elf.segments.filter((s) => s.type === PT_NOTE).flatMap((s) => readNotes(b, s.offset, s.filesz));
}
