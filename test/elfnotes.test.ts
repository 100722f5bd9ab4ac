// The built PV image carries the Xen ELF notes a domain builder needs, checked with our own
// ELF reader on build/pvboot-x86_64.elf (made by `make`).

import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { ET_EXEC, EM_X86_64, PT_LOAD, readElf, segmentNotes, type ElfNote } from "./elf";

const IMAGE = new URL("../build/pvboot-x86_64.elf", import.meta.url);

// elfnote.h numbering
const NOTE = { ENTRY: 1, HYPERCALL_PAGE: 2, VIRT_BASE: 3, PADDR_OFFSET: 4, XEN_VERSION: 5, GUEST_OS: 6, LOADER: 8, PAE_MODE: 9, FEATURES: 10 };

const text = (n: ElfNote) => new TextDecoder().decode(n.desc).replace(/\0+$/, "");
const u64 = (n: ElfNote) => new DataView(n.desc.buffer, n.desc.byteOffset).getBigUint64(0, true);

describe("pvboot-x86_64.elf", () => {
  const bytes = new Uint8Array(readFileSync(IMAGE));
  const elf = readElf(bytes);
  const notes = segmentNotes(bytes, elf).filter((n) => n.name === "Xen");
  const note = (type: number) => {
    const found = notes.filter((n) => n.type === type);
    expect(found, `exactly one Xen note of type ${type}`).toHaveLength(1);
    return found[0];
  };

  it("is a 64-bit x86 executable loaded at virtual address 0", () => {
    expect(elf.bits).toBe(64);
    expect(elf.machine).toBe(EM_X86_64);
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
