// The built PV images carry the Xen ELF notes a domain builder needs, checked with our own
// ELF reader on build/pvboot-x86_64.elf and build/pvboot-x86_32.elf (both made by `make`).

import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { ET_EXEC, EM_X86_64, PT_LOAD, readElf, segmentNotes, type ElfNote } from "./elf";

const EM_386 = 3;

// elfnote.h numbering
const NOTE = { ENTRY: 1, HYPERCALL_PAGE: 2, VIRT_BASE: 3, PADDR_OFFSET: 4, XEN_VERSION: 5, GUEST_OS: 6, LOADER: 8, PAE_MODE: 9, FEATURES: 10 };

const text = (n: ElfNote) => new TextDecoder().decode(n.desc).replace(/\0+$/, "");
// A numeric note: 8 bytes in the 64-bit image, 4 in the 32-bit one (libelf reads either).
const u64 = (n: ElfNote) => {
  const v = new DataView(n.desc.buffer, n.desc.byteOffset, n.desc.byteLength);
  return n.desc.byteLength === 8 ? v.getBigUint64(0, true) : BigInt(v.getUint32(0, true));
};

for (const arch of ["x86_64", "x86_32"] as const) describe(`pvboot-${arch}.elf`, () => {
  const bytes = new Uint8Array(readFileSync(new URL(`../build/pvboot-${arch}.elf`, import.meta.url)));
  const elf = readElf(bytes);
  const notes = segmentNotes(bytes, elf).filter((n) => n.name === "Xen");
  const note = (type: number) => {
    const found = notes.filter((n) => n.type === type);
    expect(found, `exactly one Xen note of type ${type}`).toHaveLength(1);
    return found[0];
  };

  it(`is a ${arch === "x86_64" ? "64" : "32"}-bit x86 executable loaded at virtual address 0`, () => {
    expect(elf.bits).toBe(arch === "x86_64" ? 64 : 32);
    expect(elf.machine).toBe(arch === "x86_64" ? EM_X86_64 : EM_386);
    expect(elf.type).toBe(ET_EXEC);
    const loads = elf.segments.filter((s) => s.type === PT_LOAD);
    expect(loads.length).toBeGreaterThan(0);
    expect(loads[0].vaddr).toBe(0n);
  });

  it("names itself and the interface it speaks", () => {
    expect(text(note(NOTE.GUEST_OS))).toBe("pvboot");
    expect(text(note(NOTE.XEN_VERSION))).toBe("xen-3.0");
    expect(text(note(NOTE.LOADER))).toBe("generic");
    expect(text(note(NOTE.PAE_MODE))).toBe("yes");
    expect(text(note(NOTE.FEATURES)).split("|")).toContain("!writable_page_tables");
    // PAE_MODE "yes" is libelf's extended-cr3: the 32-bit shim's L3 may lie above 4 GiB
    if (arch === "x86_32") expect(text(note(NOTE.FEATURES)).split("|")).toContain("pae_pgdir_above_4gb");
  });

  it("places itself at VIRT_BASE 0 with PADDR_OFFSET 0", () => {
    expect(u64(note(NOTE.VIRT_BASE))).toBe(0n);
    expect(u64(note(NOTE.PADDR_OFFSET))).toBe(0n);
  });

  it("enters at the ELF entry point, inside the image", () => {
    const entry = u64(note(NOTE.ENTRY));
    expect(entry).toBe(elf.entry);
    const text = elf.sections.find((s) => s.name === ".text")!;
    expect(entry >= text.addr && entry < text.addr + BigInt(text.size)).toBe(true);
  });

  it("has a page-aligned hypercall page inside the loaded image", () => {
    const hp = u64(note(NOTE.HYPERCALL_PAGE));
    expect(hp % 4096n).toBe(0n);
    const load = elf.segments.find((s) => s.type === PT_LOAD && hp >= s.vaddr && hp + 4096n <= s.vaddr + BigInt(s.memsz));
    expect(load, "hypercall page inside a PT_LOAD segment").toBeDefined();
  });
});
