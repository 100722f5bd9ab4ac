// A minimal PVH kernel for tests that boot something in a PVH domain: an ELF64 x86_64 image
// with one PT_LOAD of code at 16 MiB physical (as Linux's vmlinux) with some bss, and a PT_NOTE
// holding only the Xen note XEN_ELFNOTE_PHYS32_ENTRY (18, 4 bytes), the physical entry.
// `entryOffset` moves the entry so that tests can tell kernels apart.

const PHYS = 0x1000000;

export function pvhElf(entryOffset = 0): Buffer {
  const codeOff = 0x1000, codeLen = 0x3000;
  const note = Buffer.alloc(20);
  note.writeUInt32LE(4, 0); // namesz
  note.writeUInt32LE(4, 4); // descsz
  note.writeUInt32LE(18, 8); // XEN_ELFNOTE_PHYS32_ENTRY
  note.write("Xen\0", 12, "latin1");
  note.writeUInt32LE(PHYS + entryOffset, 16);
  const noteOff = codeOff + codeLen;
  const b = Buffer.alloc(noteOff + note.length);
  b.write("\x7fELF", 0, "latin1");
  b[4] = 2; b[5] = 1; b[6] = 1;
  b.writeUInt16LE(2, 16); // executable
  b.writeUInt16LE(62, 18); // x86_64
  b.writeUInt32LE(1, 20);
  b.writeBigUInt64LE(BigInt(PHYS + entryOffset), 24);
  b.writeBigUInt64LE(64n, 32); // program headers right after the header
  b.writeUInt16LE(64, 52);
  b.writeUInt16LE(56, 54);
  b.writeUInt16LE(2, 56);
  const ph = (i: number, type: number, flags: number, off: number, paddr: number, size: number, memsz: number) => {
    const p = 64 + i * 56;
    b.writeUInt32LE(type, p); b.writeUInt32LE(flags, p + 4); b.writeBigUInt64LE(BigInt(off), p + 8);
    b.writeBigUInt64LE(BigInt(paddr), p + 16); b.writeBigUInt64LE(BigInt(paddr), p + 24);
    b.writeBigUInt64LE(BigInt(size), p + 32); b.writeBigUInt64LE(BigInt(memsz), p + 40); b.writeBigUInt64LE(0x1000n, p + 48);
  };
  ph(0, 1, 7, codeOff, PHYS, codeLen, codeLen + 0x5000); // PT_LOAD, with bss
  ph(1, 4, 4, noteOff, 0, note.length, note.length); // PT_NOTE
  for (let i = 0; i < codeLen; i++) b[codeOff + i] = (i * 7 + 3) & 0xff; // distinct bytes, so a misplaced copy shows
  note.copy(b, noteOff);
  return b;
}

// The Xen note of type `from` in an ELF64's PT_NOTE segments renamed to type `to`, in place
// (a vmlinux "without the PHYS32 note": 18 -> 0x7f, a type no domain builder reads).
export function retypeXenNote(elf: Buffer, from: number, to: number): number {
  const phoff = Number(elf.readBigUInt64LE(32)), phentsize = elf.readUInt16LE(54), phnum = elf.readUInt16LE(56);
  let changed = 0;
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    if (elf.readUInt32LE(p) !== 4) continue;
    const off = Number(elf.readBigUInt64LE(p + 8)), size = Number(elf.readBigUInt64LE(p + 32));
    for (let at = off; at + 12 <= off + size;) {
      const namesz = elf.readUInt32LE(at), descsz = elf.readUInt32LE(at + 4);
      if (namesz === 4 && elf.toString("latin1", at + 12, at + 15) === "Xen" && elf.readUInt32LE(at + 8) === from) {
        elf.writeUInt32LE(to, at + 8);
        changed++;
      }
      at += 12 + ((namesz + 3) & ~3) + ((descsz + 3) & ~3);
    }
  }
  return changed;
}

// A PVH kernel no copy order can place: two PT_LOAD segments read from the same 10 MiB of the
// file and both loaded at 2 MiB physical, over the low RAM where the core's memory (and so the
// file as the core read it) lies. Each copy would overwrite the other's source.
export function crossedPvhElf(): Buffer {
  const PH = 0x200000, len = 10 << 20, dataOff = 0x1000;
  const note = Buffer.alloc(20);
  note.writeUInt32LE(4, 0);
  note.writeUInt32LE(4, 4);
  note.writeUInt32LE(18, 8);
  note.write("Xen\0", 12, "latin1");
  note.writeUInt32LE(PH, 16);
  const noteOff = dataOff + len;
  const b = Buffer.alloc(noteOff + note.length);
  b.write("\x7fELF", 0, "latin1");
  b[4] = 2; b[5] = 1; b[6] = 1;
  b.writeUInt16LE(2, 16);
  b.writeUInt16LE(62, 18);
  b.writeUInt32LE(1, 20);
  b.writeBigUInt64LE(BigInt(PH), 24);
  b.writeBigUInt64LE(64n, 32);
  b.writeUInt16LE(64, 52);
  b.writeUInt16LE(56, 54);
  b.writeUInt16LE(3, 56);
  const ph = (i: number, type: number, off: number, paddr: number, size: number) => {
    const p = 64 + i * 56;
    b.writeUInt32LE(type, p); b.writeUInt32LE(7, p + 4); b.writeBigUInt64LE(BigInt(off), p + 8);
    b.writeBigUInt64LE(BigInt(paddr), p + 16); b.writeBigUInt64LE(BigInt(paddr), p + 24);
    b.writeBigUInt64LE(BigInt(size), p + 32); b.writeBigUInt64LE(BigInt(size), p + 40); b.writeBigUInt64LE(0x1000n, p + 48);
  };
  ph(0, 1, dataOff, PH, len);
  ph(1, 1, dataOff, PH, len);
  ph(2, 4, noteOff, 0, note.length);
  for (let i = 0; i < len; i += 4096) b[dataOff + i] = (i >> 12) & 0xff;
  note.copy(b, noteOff);
  return b;
}
