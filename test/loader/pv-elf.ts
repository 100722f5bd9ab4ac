// A minimal x86_64 PV kernel for tests that boot something: one PT_LOAD of code and a PT_NOTE
// with the Xen notes Linux carries (GUEST_OS linux, XEN_VERSION xen-3.0, LOADER generic,
// VIRT_BASE, PADDR_OFFSET 0, ENTRY, HYPERCALL_PAGE), laid out as Linux's vmlinux is:
// physical addresses from 16 MiB, virtual = physical + VIRT_BASE. `entryOffset` (< 64 KiB)
// moves the entry point, so that tests can tell kernels apart; `xenNotes` false makes a
// bare-metal-only kernel (the same image without its notes).

const VIRT_BASE = 0xffffffff80000000n;
const PHYS = 0x1000000n;

function note(type: number, desc: Buffer): Buffer {
  const h = Buffer.alloc(16);
  h.writeUInt32LE(4, 0);
  h.writeUInt32LE(desc.length, 4);
  h.writeUInt32LE(type, 8);
  h.write("Xen\0", 12, "latin1");
  return Buffer.concat([h, desc, Buffer.alloc((4 - (desc.length % 4)) % 4)]);
}

const u64 = (v: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(v);
  return b;
};

export function pvElf(entryOffset = 0, xenNotes = true): Buffer {
  const codeOff = 0x1000, codeLen = 0x12000; // 72 KiB: room for the entry and the hypercall page
  const start = VIRT_BASE + PHYS;
  const notes = Buffer.concat([
    note(6, Buffer.from("linux\0")), note(5, Buffer.from("xen-3.0\0")), note(8, Buffer.from("generic\0")),
    note(3, u64(VIRT_BASE)), note(4, u64(0n)), note(1, u64(start + BigInt(entryOffset))),
    note(2, u64(start + 0x11000n)),
  ]);
  const noteOff = codeOff + codeLen;
  const b = Buffer.alloc(noteOff + notes.length);
  b.write("\x7fELF", 0, "latin1");
  b[4] = 2; b[5] = 1; b[6] = 1;
  b.writeUInt16LE(2, 16); // executable
  b.writeUInt16LE(62, 18); // x86_64
  b.writeUInt32LE(1, 20);
  b.writeBigUInt64LE(start + BigInt(entryOffset), 24);
  b.writeBigUInt64LE(64n, 32); // program headers right after the header
  b.writeUInt16LE(64, 52);
  b.writeUInt16LE(56, 54);
  b.writeUInt16LE(xenNotes ? 2 : 1, 56);
  const ph = (i: number, type: number, flags: number, off: number, vaddr: bigint, paddr: bigint, size: number, memsz: number) => {
    const p = 64 + i * 56;
    b.writeUInt32LE(type, p); b.writeUInt32LE(flags, p + 4); b.writeBigUInt64LE(BigInt(off), p + 8);
    b.writeBigUInt64LE(vaddr, p + 16); b.writeBigUInt64LE(paddr, p + 24);
    b.writeBigUInt64LE(BigInt(size), p + 32); b.writeBigUInt64LE(BigInt(memsz), p + 40); b.writeBigUInt64LE(0x1000n, p + 48);
  };
  ph(0, 1, 7, codeOff, start, PHYS, codeLen, codeLen + 0x4000); // PT_LOAD, with some BSS
  if (xenNotes) ph(1, 4, 4, noteOff, 0n, 0n, notes.length, notes.length); // PT_NOTE
  b.fill(0x90, codeOff, codeOff + codeLen);
  notes.copy(b, noteOff);
  return b;
}

// The same minimal kernel for a 32-bit PAE domain: ELF32 i386, VIRT_BASE 0xC0000000, notes
// with 4-byte numbers and PAE_MODE "yes" (libelf's extended-cr3).
export function pvElf32(entryOffset = 0): Buffer {
  const VB = 0xc0000000, PH = 0x100000;
  const codeOff = 0x1000, codeLen = 0x12000;
  const start = VB + PH;
  const u32 = (v: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0);
    return b;
  };
  const notes = Buffer.concat([
    note(6, Buffer.from("linux\0")), note(5, Buffer.from("xen-3.0\0")), note(8, Buffer.from("generic\0")),
    note(9, Buffer.from("yes\0")), note(3, u32(VB)), note(4, u32(0)), note(1, u32(start + entryOffset)),
    note(2, u32(start + 0x11000)),
  ]);
  const noteOff = codeOff + codeLen;
  const b = Buffer.alloc(noteOff + notes.length);
  b.write("\x7fELF", 0, "latin1");
  b[4] = 1; b[5] = 1; b[6] = 1;
  b.writeUInt16LE(2, 16); // executable
  b.writeUInt16LE(3, 18); // i386
  b.writeUInt32LE(1, 20);
  b.writeUInt32LE(start + entryOffset, 24);
  b.writeUInt32LE(52, 28); // program headers right after the header
  b.writeUInt16LE(52, 40);
  b.writeUInt16LE(32, 42);
  b.writeUInt16LE(2, 44);
  const ph = (i: number, type: number, flags: number, off: number, vaddr: number, paddr: number, size: number, memsz: number) => {
    const p = 52 + i * 32;
    b.writeUInt32LE(type, p); b.writeUInt32LE(off, p + 4); b.writeUInt32LE(vaddr >>> 0, p + 8); b.writeUInt32LE(paddr, p + 12);
    b.writeUInt32LE(size, p + 16); b.writeUInt32LE(memsz, p + 20); b.writeUInt32LE(flags, p + 24); b.writeUInt32LE(0x1000, p + 28);
  };
  ph(0, 1, 7, codeOff, start, PH, codeLen, codeLen + 0x4000); // PT_LOAD, with some BSS
  ph(1, 4, 4, noteOff, 0, 0, notes.length, notes.length); // PT_NOTE
  b.fill(0x90, codeOff, codeOff + codeLen);
  notes.copy(b, noteOff);
  return b;
}

// A 32-bit PV kernel that describes itself the old way: no notes, a `__xen_guest` section
// string (e.g. "GUEST_OS=linux,XEN_VER=xen-3.0,VIRT_BASE=0xC0000000,ELF_PADDR_OFFSET=0xC0000000,
// PAE=yes,LOADER=generic"). One PT_LOAD at 0xC0100000 (physical = virtual, as the string's
// ELF_PADDR_OFFSET says), entry at its start.
export function pvElf32Legacy(guest: string): Buffer {
  const start = 0xc0100000;
  const codeOff = 0x1000, codeLen = 0x3000;
  const str = Buffer.from(guest + "\0", "latin1");
  const shstr = Buffer.from("\0__xen_guest\0.shstrtab\0", "latin1");
  const strOff = codeOff + codeLen, shstrOff = strOff + str.length, shOff = (shstrOff + shstr.length + 7) & ~7;
  const b = Buffer.alloc(shOff + 3 * 40);
  b.write("\x7fELF", 0, "latin1");
  b[4] = 1; b[5] = 1; b[6] = 1;
  b.writeUInt16LE(2, 16); b.writeUInt16LE(3, 18); b.writeUInt32LE(1, 20);
  b.writeUInt32LE(start, 24); b.writeUInt32LE(52, 28); b.writeUInt32LE(shOff, 32);
  b.writeUInt16LE(52, 40); b.writeUInt16LE(32, 42); b.writeUInt16LE(1, 44);
  b.writeUInt16LE(40, 46); b.writeUInt16LE(3, 48); b.writeUInt16LE(2, 50);
  const p = 52; // PT_LOAD, rwx
  b.writeUInt32LE(1, p); b.writeUInt32LE(codeOff, p + 4); b.writeUInt32LE(start, p + 8); b.writeUInt32LE(start, p + 12);
  b.writeUInt32LE(codeLen, p + 16); b.writeUInt32LE(codeLen, p + 20); b.writeUInt32LE(7, p + 24); b.writeUInt32LE(0x1000, p + 28);
  b.fill(0x90, codeOff, codeOff + codeLen);
  str.copy(b, strOff);
  shstr.copy(b, shstrOff);
  const section = (i: number, name: number, type: number, off: number, size: number) => {
    const s = shOff + i * 40;
    b.writeUInt32LE(name, s); b.writeUInt32LE(type, s + 4); b.writeUInt32LE(off, s + 16); b.writeUInt32LE(size, s + 20);
  };
  section(1, 1, 1, strOff, str.length); // __xen_guest, PROGBITS
  section(2, 13, 3, shstrOff, shstr.length); // .shstrtab
  return b;
}
