// A kernel's PVH entry: the Xen ELF note XEN_ELFNOTE_PHYS32_ENTRY (type 18, Xen's
// public/elfnote.h), the physical address at which a PVH domain's kernel starts in 32-bit
// protected mode with paging off (Xen's docs/misc/pvh.pandoc). Notes are read from the PT_NOTE
// segments, else the SHT_NOTE sections, as for PV (src/loader/xen_notes.ts); Linux's vmlinux
// carries the note when built with CONFIG_PVH. A kernel without it cannot be entered here.

import { ElfImage, ElfRegion, EM_386, EM_X86_64, hex } from "../elf";
import { XenParams } from "../xen_notes";

export const NOTE_PHYS32_ENTRY: u32 = 18;

const MAX_NOTES: u32 = 1024;
const NONE: u64 = u64.MAX_VALUE;
const FOUR_GIB: u64 = 1 << 32;

class Scan {
  notes: u32 = 0; // notes of any name seen, capped
  xen: u32 = 0; // Xen notes seen
  entry: u64 = NONE;
  error: string | null = null;
}

// The PVH parameters of an x86 ELF kernel of either width, in XenParams' shape: `entry` is the
// PHYS32 entry, `virtBase` 0 (segments go to their physical addresses), `source` where the
// note was found. `error` says why the kernel cannot boot in a PVH domain.
export function pvhParams(e: ElfImage): XenParams {
  const x = new XenParams();
  if (e.machine != EM_X86_64 && e.machine != EM_386) {
    x.error = "not an x86 kernel (" + e.describe() + ")";
    return x;
  }
  const scan = new Scan();
  for (let i = 0; i < e.noteSegments.length && scan.error == null; i++) readNotes(e, e.noteSegments[i], scan);
  if (scan.entry != NONE) x.source = "PT_NOTE";
  else {
    for (let i = 0; i < e.noteSections.length && scan.error == null; i++) readNotes(e, e.noteSections[i], scan);
    if (scan.entry != NONE) x.source = "SHT_NOTE";
  }
  if (scan.error != null) {
    x.error = scan.error;
    return x;
  }
  if (scan.entry == NONE) {
    x.error = "no PVH entry: the kernel has no XEN_ELFNOTE_PHYS32_ENTRY note (" + scan.xen.toString() +
      " other Xen notes), so it cannot start in a PVH domain (a Linux built without CONFIG_PVH, or a PV-only kernel: boot it with pvboot-x86_64.elf in a PV domain)";
    return x;
  }
  if (scan.entry >= FOUR_GIB) {
    x.error = "the PHYS32_ENTRY note says " + hex(scan.entry) + ", above 4 GiB: a 32-bit entry cannot reach it";
    return x;
  }
  if (scan.entry < e.pstart || scan.entry >= e.pend) {
    x.error = "the PHYS32_ENTRY " + hex(scan.entry) + " lies outside the kernel's segments (" + hex(e.pstart) + "-" + hex(e.pend) + ")";
    return x;
  }
  x.entry = scan.entry;
  x.virtBase = 0;
  x.virtKstart = e.pstart;
  x.virtKend = e.pend;
  x.guestOs = "PVH";
  return x;
}

// {namesz, descsz, type, name (padded to 4), desc (padded to 4)}, bounded by the region.
function readNotes(e: ElfImage, r: ElfRegion, scan: Scan): void {
  let at = r.offset;
  const end = r.offset + r.size;
  while (at + 12 <= end) {
    if (++scan.notes > MAX_NOTES) {
      scan.error = "more than " + MAX_NOTES.toString() + " ELF notes";
      return;
    }
    const p = e.base + <usize>at;
    const namesz = <u64>load<u32>(p);
    const descsz = <u64>load<u32>(p + 4);
    const type = load<u32>(p + 8);
    const descAt = at + 12 + ((namesz + 3) & ~(<u64>3));
    const next = descAt + ((descsz + 3) & ~(<u64>3));
    if (namesz > end || descsz > end || next > end) return; // a truncated last note is ignored
    if (namesz == 4 && load<u32>(e.base + <usize>(at + 12)) == 0x006e6558) { // "Xen\0"
      scan.xen++;
      if (type == NOTE_PHYS32_ENTRY) {
        const d = e.base + <usize>descAt;
        if (descsz == 4) scan.entry = <u64>load<u32>(d);
        else if (descsz == 8) scan.entry = load<u64>(d);
        else {
          scan.error = "Xen note 18 (PHYS32_ENTRY) has " + descsz.toString() + " bytes, not 4 or 8";
          return;
        }
      }
    }
    at = next;
  }
}
