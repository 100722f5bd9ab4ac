// Which kind of guest the core runs in, asked once of the platform (docs/contract.md,
// xen.guest_kind). Only what differs by kind asks: start_info's and shared_info's layouts
// (x86_64's in PV64 and PVH), the blkif ring's, the loader (PV's virtual layout or PVH's
// physical placement) and the handoff. I/O code otherwise never does.

import { guest_kind } from "./hypercall";

export const GUEST_PV64: i32 = 0; // x86_64 PV
export const GUEST_PV32: i32 = 1; // x86_32 PAE PV (a compat guest of 64-bit Xen)
export const GUEST_PVH: i32 = 2; // PVH: the shim runs the core in long mode on its own page tables

let kind: i32 = -1;

export function guestKind(): i32 {
  if (kind < 0) kind = guest_kind();
  return kind;
}

// True in a 32-bit PAE domain.
export function pv32(): bool {
  return guestKind() == GUEST_PV32;
}

// True in a PVH domain (build/pvboot-pvh.elf): frames are guest frames, there is no PV MMU,
// and a kernel is placed at its physical addresses and entered at its PHYS32 entry.
export function pvh(): bool {
  return guestKind() == GUEST_PVH;
}

// The image a kernel of the other width needs, by its file name (build/pvboot-x86_*.elf).
export function imageName(for64: bool): string {
  return for64 ? "pvboot-x86_64.elf" : "pvboot-x86_32.elf";
}

// The refusal of a kernel of the other width, the same words wherever it is found: a PV
// domain keeps the width of the first kernel it ran, so only the other image can boot it.
export function wrongWidth(kernel64: bool): string {
  const mine = kernel64 ? "32" : "64";
  return "a " + (kernel64 ? "64-bit (x86_64)" : "32-bit (x86_32)") + " kernel: this is " + imageName(!kernel64) +
    ", which boots " + mine + "-bit PV domains, and a PV domain keeps the width it started with; boot this kernel with " +
    imageName(kernel64) + " (kernel = \"" + imageName(kernel64) + "\" in the domain's config)";
}
