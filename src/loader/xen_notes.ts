// What a PV kernel tells its domain builder about itself: the Xen ELF notes (name "Xen") from
// its PT_NOTE segments, else from its SHT_NOTE sections, else the legacy "__xen_guest" string
// ("GUEST_OS=linux,XEN_VER=xen-3.0,VIRT_BASE=0xC0000000,..."). The defaults and checks are
// libxenguest's, so a kernel Xen's own builder accepts is accepted here and vice versa.

import { ElfImage, ElfRegion, EM_386, EM_X86_64, hex } from "./elf";
import { wrongWidth } from "../xen/arch";

export const NOTE_ENTRY: u32 = 1;
export const NOTE_HYPERCALL_PAGE: u32 = 2;
export const NOTE_VIRT_BASE: u32 = 3;
export const NOTE_PADDR_OFFSET: u32 = 4;
export const NOTE_XEN_VERSION: u32 = 5;
export const NOTE_GUEST_OS: u32 = 6;
export const NOTE_GUEST_VERSION: u32 = 7;
export const NOTE_LOADER: u32 = 8;
export const NOTE_PAE_MODE: u32 = 9;
export const NOTE_FEATURES: u32 = 10;
export const NOTE_HV_START_LOW: u32 = 12;
export const NOTE_INIT_P2M: u32 = 15;
export const NOTE_MOD_START_PFN: u32 = 16;

const MAX_NOTES: u32 = 1024;
const MAX_STRING: u32 = 256;
const UNSET: u64 = u64.MAX_VALUE;

// Feature names in XENFEAT bit order (features.h); a required ("!name") feature not in this
// list makes the kernel unloadable, as in libxenguest.
const FEATURE_NAMES: string[] = ["writable_page_tables", "writable_descriptor_tables", "auto_translated_physmap",
  "supervisor_mode_kernel", "pae_pgdir_above_4gb", "", "", "", "hvm_callback_vector", "", "", "dom0"];

export class XenParams {
  source: string = ""; // "PT_NOTE", "SHT_NOTE" or "__xen_guest"
  guestOs: string = "";
  guestVersion: string = "";
  xenVersion: string = "";
  loader: string = "";
  paeMode: string = "";
  features: string = "";
  featuresRequired: u32 = 0; // XENFEAT bits the kernel cannot run without
  featuresSupported: u32 = 0; // XENFEAT bits it names, required or not
  paeLegacy: bool = false; // __xen_guest's PAE=yes without [extended-cr3] (libelf's XEN_PAE_YES)
  virtBase: u64 = 0;
  paddrOffset: u64 = 0;
  entry: u64 = 0;
  hypercallPage: u64 = UNSET; // virtual address, or UNSET
  hvStartLow: u64 = UNSET;
  initP2m: u64 = UNSET; // where the kernel wants its P2M list mapped, or UNSET
  modStartPfn: bool = false; // the initrd may stay unmapped, passed as a pfn
  virtKstart: u64 = 0; // the image's first and last virtual addresses
  virtKend: u64 = 0;
  error: string | null = null;

  hasHypercallPage(): bool { return this.hypercallPage != UNSET; }
  hasInitP2m(): bool { return this.initP2m != UNSET; }

  // A 32-bit PAE kernel that can only take its L3 (the PAE top-level table, whose address a
  // non-extended cr3 holds in 32 bits) below 4 GiB of machine memory: libelf's XEN_PAE_YES
  // (a PAE_MODE note of "yes" is extended-cr3, "bimodal" too), unless it says it copes with
  // XENFEAT_pae_pgdir_above_4gb.
  needsL3Below4G(): bool { return this.paeLegacy && (this.featuresSupported & (1 << 4)) == 0; }
}

class NoteScan {
  count: u32 = 0; // Xen notes found
  total: u32 = 0; // notes of any name seen, capped
  error: string | null = null;
  virtBase: u64 = UNSET;
  paddrOffset: u64 = UNSET;
  entry: u64 = UNSET;
}

// The Xen parameters of an ELF kernel for a domain of the given width (true: x86_64).
export function xenParams(e: ElfImage, want64: bool): XenParams {
  const x = new XenParams();
  const scan = new NoteScan();
  for (let i = 0; i < e.noteSegments.length && scan.error == null; i++) readNotes(e, e.noteSegments[i], x, scan);
  if (scan.count > 0) x.source = "PT_NOTE";
  if (scan.count == 0 && scan.error == null) {
    for (let i = 0; i < e.noteSections.length && scan.error == null; i++) readNotes(e, e.noteSections[i], x, scan);
    if (scan.count > 0) x.source = "SHT_NOTE";
  }
  if (scan.error != null) return failed(x, scan.error!);
  let legacy = false;
  if (scan.count == 0 && e.xenGuest != null) {
    const err = readGuestString(e, e.xenGuest!, x, scan);
    if (err != null) return failed(x, err);
    x.source = "__xen_guest";
    legacy = true;
  }

  const width = e.is64 ? "64-bit" : "32-bit";
  if (x.source.length == 0) {
    if (e.machine == EM_X86_64 || e.machine == EM_386)
      return failed(x, "a " + width + " kernel with no Xen notes and no __xen_guest section: it cannot run as a Xen PV guest (built without CONFIG_XEN_PV?)");
    return failed(x, "not an x86 kernel (" + e.describe() + ")");
  }
  const is64 = e.is64 && e.machine == EM_X86_64;
  const is32 = !e.is64 && e.machine == EM_386;
  if (!is64 && !is32) return failed(x, "a " + width + " non-x86 kernel: pvboot boots x86 PV kernels");
  if (is64 != want64) return failed(x, wrongWidth(is64));
  if (!x.loader.startsWith("generic") && !x.guestOs.startsWith("linux"))
    return failed(x, "built for loader '" + x.loader + "' and guest OS '" + x.guestOs + "': Xen loads only the generic loader's and Linux images");
  if (!x.xenVersion.startsWith("xen-3.0"))
    return failed(x, "built for Xen interface '" + x.xenVersion + "', not xen-3.0");
  if (!want64 && x.paeMode.length == 0)
    return failed(x, "a 32-bit kernel without PAE: Xen runs 32-bit PV guests in PAE mode only");

  // Addresses, as libxenguest computes them.
  if (scan.paddrOffset != UNSET && scan.virtBase == UNSET) return failed(x, "PADDR_OFFSET is set but VIRT_BASE is not");
  x.virtBase = scan.virtBase == UNSET ? 0 : scan.virtBase;
  // __xen_guest kernels predate PADDR_OFFSET's default of 0: theirs is VIRT_BASE.
  x.paddrOffset = scan.paddrOffset != UNSET ? scan.paddrOffset : legacy ? x.virtBase : 0;
  const offset = x.virtBase - x.paddrOffset;
  x.virtKstart = e.pstart + offset;
  x.virtKend = e.pend + offset;
  x.entry = scan.entry != UNSET ? scan.entry : e.entry;
  if (legacy && x.hasHypercallPage()) x.hypercallPage += x.virtBase; // a page number there
  if (x.virtKstart > x.virtKend || x.entry < x.virtKstart || x.entry > x.virtKend || x.virtBase > x.virtKstart)
    return failed(x, "entry " + hex(x.entry) + " or image " + hex(x.virtKstart) + "-" + hex(x.virtKend) + " lies outside the kernel (virt_base " + hex(x.virtBase) + ")");
  if (x.hasHypercallPage() && (x.hypercallPage < x.virtKstart || x.hypercallPage >= x.virtKend || (x.hypercallPage & 0xfff) != 0))
    return failed(x, "hypercall page " + hex(x.hypercallPage) + " is not a page inside the kernel");
  if (x.hasInitP2m() && x.initP2m >= x.virtKstart && x.initP2m < x.virtKend)
    return failed(x, "INIT_P2M " + hex(x.initP2m) + " lies inside the kernel");
  return x;
}

function failed(x: XenParams, why: string): XenParams {
  x.error = why;
  return x;
}

function align4(v: u64): u64 {
  return (v + 3) & ~(<u64>3);
}

// The notes in one region: {namesz, descsz, type, name (padded to 4), desc (padded to 4)}.
function readNotes(e: ElfImage, r: ElfRegion, x: XenParams, scan: NoteScan): void {
  let at = r.offset;
  const end = r.offset + r.size;
  while (at + 12 <= end) {
    if (++scan.total > MAX_NOTES) {
      scan.error = "more than " + MAX_NOTES.toString() + " ELF notes";
      return;
    }
    const p = e.base + <usize>at;
    const namesz = <u64>load<u32>(p);
    const descsz = <u64>load<u32>(p + 4);
    const type = load<u32>(p + 8);
    const nameAt = at + 12;
    const descAt = nameAt + align4(namesz);
    const next = descAt + align4(descsz);
    if (namesz > end || descsz > end || next > end) return; // a truncated last note is ignored
    if (namesz == 4 && load<u32>(e.base + <usize>nameAt) == 0x006e6558) { // "Xen\0"
      const err = xenNote(e.base + <usize>descAt, <u32>descsz, type, x, scan);
      if (err != null) {
        scan.error = err;
        return;
      }
      scan.count++;
    }
    at = next;
  }
}

function numeric(p: usize, n: u32): u64 {
  if (n == 1) return load<u8>(p);
  if (n == 2) return load<u16>(p);
  if (n == 4) return load<u32>(p);
  if (n == 8) return load<u64>(p);
  return UNSET;
}

function cstring(p: usize, n: u32): string {
  let s = "";
  for (let i: u32 = 0; i < n && i < MAX_STRING; i++) {
    const c = load<u8>(p + i);
    if (c == 0) break;
    s += String.fromCharCode(c >= 0x20 && c < 0x7f ? c : 0x3f);
  }
  return s;
}

function xenNote(p: usize, n: u32, type: u32, x: XenParams, scan: NoteScan): string | null {
  const v = numeric(p, n);
  const name = "Xen note " + type.toString();
  switch (type) {
    case NOTE_ENTRY: if (v == UNSET) return name + " (ENTRY) has a bad size"; scan.entry = v; break;
    case NOTE_HYPERCALL_PAGE: if (v == UNSET) return name + " (HYPERCALL_PAGE) has a bad size"; x.hypercallPage = v; break;
    case NOTE_VIRT_BASE: if (v == UNSET) return name + " (VIRT_BASE) has a bad size"; scan.virtBase = v; break;
    case NOTE_PADDR_OFFSET: if (v == UNSET) return name + " (PADDR_OFFSET) has a bad size"; scan.paddrOffset = v; break;
    case NOTE_HV_START_LOW: x.hvStartLow = v; break;
    case NOTE_INIT_P2M: if (v == UNSET) return name + " (INIT_P2M) has a bad size"; x.initP2m = v; break;
    case NOTE_MOD_START_PFN: x.modStartPfn = v != 0 && v != UNSET; break;
    case NOTE_XEN_VERSION: x.xenVersion = cstring(p, n); break;
    case NOTE_GUEST_OS: x.guestOs = cstring(p, n); break;
    case NOTE_GUEST_VERSION: x.guestVersion = cstring(p, n); break;
    case NOTE_LOADER: x.loader = cstring(p, n); break;
    case NOTE_PAE_MODE: x.paeMode = cstring(p, n); break;
    case NOTE_FEATURES: {
      x.features = cstring(p, n);
      return parseFeatures(x);
    }
    default: break; // notes the domain builder does not act on
  }
  return null;
}

// "writable_page_tables|!supervisor_mode_kernel": names, "!" for required ones.
function parseFeatures(x: XenParams): string | null {
  const parts = x.features.split("|");
  for (let i = 0; i < parts.length; i++) {
    const f = parts[i];
    if (!f.startsWith("!")) {
      const known = FEATURE_NAMES.indexOf(f);
      if (known >= 0 && f.length > 0) x.featuresSupported |= <u32>1 << <u32>known;
      continue;
    }
    const idx = FEATURE_NAMES.indexOf(f.substring(1));
    if (idx < 0 || f.length == 1) return "the kernel requires Xen feature '" + f.substring(1) + "', which no domain builder knows";
    x.featuresRequired |= <u32>1 << <u32>idx;
    x.featuresSupported |= <u32>1 << <u32>idx;
  }
  return null;
}

// The legacy "NAME=VALUE,NAME=VALUE" string (NUL-terminated within its section).
function readGuestString(e: ElfImage, r: ElfRegion, x: XenParams, scan: NoteScan): string | null {
  const s = cstring(e.base + <usize>r.offset, <u32>(r.size < <u64>MAX_STRING * 4 ? r.size : <u64>MAX_STRING * 4));
  const items = s.split(",");
  for (let i = 0; i < items.length; i++) {
    const eq = items[i].indexOf("=");
    const name = eq < 0 ? items[i] : items[i].substring(0, eq);
    const value = eq < 0 ? "" : items[i].substring(eq + 1);
    if (name == "LOADER") x.loader = value;
    else if (name == "GUEST_OS") x.guestOs = value;
    else if (name == "GUEST_VER") x.guestVersion = value;
    else if (name == "XEN_VER") x.xenVersion = value;
    else if (name == "PAE") {
      x.paeMode = value;
      x.paeLegacy = value.startsWith("yes") && value != "yes[extended-cr3]";
    }
    else if (name == "VIRT_BASE") scan.virtBase = parseNumber(value);
    else if (name == "VIRT_ENTRY") scan.entry = parseNumber(value);
    else if (name == "ELF_PADDR_OFFSET") scan.paddrOffset = parseNumber(value);
    else if (name == "HYPERCALL_PAGE") x.hypercallPage = parseNumber(value) << 12;
    else if (name == "FEATURES") {
      x.features = value;
      const err = parseFeatures(x);
      if (err != null) return err;
    }
  }
  return null;
}

// strtoull(s, 0, 0): decimal, 0x hex or 0 octal; stops at the first bad digit.
function parseNumber(s: string): u64 {
  let base: u64 = 10;
  let i = 0;
  if (s.startsWith("0x") || s.startsWith("0X")) {
    base = 16;
    i = 2;
  } else if (s.startsWith("0") && s.length > 1) {
    base = 8;
    i = 1;
  }
  let v: u64 = 0;
  for (; i < s.length && i < 40; i++) {
    const c = s.charCodeAt(i);
    let d: u64 = 0;
    if (c >= 0x30 && c <= 0x39) d = <u64>(c - 0x30);
    else if (c >= 0x61 && c <= 0x66) d = <u64>(c - 0x61 + 10);
    else if (c >= 0x41 && c <= 0x46) d = <u64>(c - 0x41 + 10);
    else break;
    if (d >= base) break;
    v = v * base + d;
  }
  return v;
}
