// The new domain as the next kernel finds it after xen.start_kernel: walked from cr3 the way
// the CPU would, its ELF and Xen notes parsed here independently of the core, and every
// promise of docs/loader.md checked. Each check is "ok" or one sentence naming what failed
// and where. A 32-bit PAE domain is checked by the same rules in its own layouts: the 3-level
// walk, the compat start_info, a P2M of u32 entries, x86_32's shared_info.

import { CONS, PAGE, SHINFO, SHINFO32, SI, SI32, SIF_INITDOMAIN, SIF_MOD_START_PFN, SIF_MULTIBOOT_MOD, SIF_PRIVILEGED } from "./abi";
import { CONSOLE_EVTCHN, STORE_EVTCHN, type Domain } from "./domain";
import { XS_RING } from "./xenstored";
import { XenbusState } from "./blkback";
import { ADDR_MASK, COMPAT_HOLE, PTE, translate as walk, XEN_SLOTS } from "./mmu";
import type { HandoffRecord } from "./imports";
import { PT_LOAD, PT_NOTE, SHT_NOTE, readElf, readNotes, type ElfNote } from "../elf";

export interface HandoffExpect {
  elf?: Uint8Array; // the unpacked vmlinux as it should be
  initrd?: Uint8Array;
  modules?: { bytes: Uint8Array; cmdline: string }[];
  cmdline?: string;
}

export const CHECK_NAMES = [
  "pagetables", "segments", "bss", "start_info", "p2m", "layout", "hypercall_page", "modules",
  "evtchn", "grants", "xenstore", "blkback", "timer", "console", "trampoline", "entry", "frontends",
] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

export interface StartInfoFields {
  magic: string; nr_pages: bigint; shared_info: bigint; flags: bigint; store_mfn: bigint;
  store_evtchn: bigint; console_mfn: bigint; console_evtchn: bigint; pt_base: bigint;
  nr_pt_frames: bigint; mfn_list: bigint; mod_start: bigint; mod_len: bigint; cmd_line: string;
  first_p2m_pfn: bigint; nr_p2m_frames: bigint;
}

export interface KernelInfo {
  notes: "elfnotes" | "__xen_guest";
  virtBase: bigint;
  paddrOffset: bigint;
  entry: bigint;
  kstart: bigint; // virt_kstart, virt_kend as libelf computes them
  kend: bigint;
  hypercallPage: bigint | null;
  initP2m: bigint | null;
  modStartPfn: boolean;
  // libelf's XEN_PAE_YES (a `__xen_guest` PAE=yes, not yes[extended-cr3]) without the
  // pae_pgdir_above_4gb feature: the PAE L3 must lie below 4 GiB of machine memory
  l3Below4G: boolean;
  segments: { offset: number; filesz: number; memsz: number; va: bigint }[];
}

export interface HandoffReport {
  checks: Record<CheckName, string>;
  startInfo: StartInfoFields | null;
  kernel: KernelInfo | null;
  modules: { size: number; cmdline: string }[];
}

// The walk from cr3 (mmu.ts: 4 levels, or PAE's 3), over the domain's frames.
export function translate(dom: Domain, cr3: number, va: bigint): { mfn: number; writable: boolean } | null {
  return walk((m) => (dom.mem.has(m) ? dom.mem.bytes(m) : null), cr3, va, dom.pv32);
}

const hex = (n: number | bigint) => "0x" + n.toString(16);
const XEN = "Xen";

// The kernel's Xen parameters by libelf's rules (xen/common/libelf/libelf-dominfo.c): notes
// from PT_NOTE segments, else SHT_NOTE sections, else the legacy `__xen_guest` string, whose
// HYPERCALL_PAGE is a page number relative to VIRT_BASE. PADDR_OFFSET defaults to 0 with
// notes and to VIRT_BASE with __xen_guest; VIRT_BASE to 0; ENTRY to e_entry.
export function parseKernel(elfBytes: Uint8Array, bits: 32 | 64 = 64): KernelInfo {
  const elf = readElf(elfBytes);
  if (bits === 64 && (elf.bits !== 64 || elf.machine !== 62)) throw new Error("not an x86_64 ELF");
  if (bits === 32 && (elf.bits !== 32 || elf.machine !== 3)) throw new Error("not an i386 ELF");
  let notes: ElfNote[] = elf.segments.filter((s) => s.type === PT_NOTE).flatMap((s) => readNotes(elfBytes, s.offset, s.filesz));
  if (!notes.some((n) => n.name === XEN)) {
    notes = elf.sections.filter((s) => s.type === SHT_NOTE).flatMap((s) => readNotes(elfBytes, s.offset, s.size));
  }
  notes = notes.filter((n) => n.name === XEN);
  let virtBase: bigint | null = null, paddrOffset: bigint | null = null, entry: bigint | null = null;
  let hypercallPage: bigint | null = null, initP2m: bigint | null = null, modStartPfn = false;
  const num = (d: Uint8Array) => {
    const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
    return d.length >= 8 ? v.getBigUint64(0, true) : d.length >= 4 ? BigInt(v.getUint32(0, true)) : d.length >= 2 ? BigInt(v.getUint16(0, true)) : BigInt(d[0] ?? 0);
  };
  let kind: KernelInfo["notes"] = "elfnotes";
  let l3Below4G = false;
  if (notes.length) {
    for (const n of notes) {
      if (n.type === 3) virtBase = num(n.desc);
      else if (n.type === 4) paddrOffset = num(n.desc);
      else if (n.type === 1) entry = num(n.desc);
      else if (n.type === 2) hypercallPage = num(n.desc);
      else if (n.type === 15) initP2m = num(n.desc);
      else if (n.type === 16) modStartPfn = num(n.desc) !== 0n;
    }
    paddrOffset ??= 0n;
  } else {
    const sec = elf.sections.find((s) => s.name === "__xen_guest");
    if (!sec) throw new Error("the kernel has no Xen notes and no __xen_guest section");
    kind = "__xen_guest";
    const text = new TextDecoder("latin1").decode(elfBytes.subarray(sec.offset, sec.offset + sec.size)).replace(/\0.*$/s, "");
    for (const item of text.split(",")) {
      const [name, value = ""] = item.split("=");
      const big = () => BigInt(value.trim());
      if (name === "VIRT_BASE") virtBase = big();
      else if (name === "VIRT_ENTRY") entry = big();
      else if (name === "ELF_PADDR_OFFSET") paddrOffset = big();
      else if (name === "HYPERCALL_PAGE") hypercallPage = big() << 12n;
      else if (name === "PAE") l3Below4G = value.startsWith("yes") && value !== "yes[extended-cr3]";
    }
    if (/(^|,)FEATURES=[^,]*pae_pgdir_above_4gb/.test(text)) l3Below4G = false; // required or not
    if (virtBase !== null && hypercallPage !== null) hypercallPage += virtBase;
    virtBase ??= 0n;
    paddrOffset ??= virtBase;
  }
  virtBase ??= 0n;
  const loads = elf.segments.filter((s) => s.type === PT_LOAD && (s.flags & 7) !== 0);
  if (!loads.length) throw new Error("the kernel has no loadable segment");
  const pstart = loads.reduce((m, s) => (s.paddr < m ? s.paddr : m), loads[0].paddr);
  const pend = loads.reduce((m, s) => (s.paddr + BigInt(s.memsz) > m ? s.paddr + BigInt(s.memsz) : m), 0n);
  const off = virtBase - paddrOffset;
  return {
    notes: kind, virtBase, paddrOffset, entry: entry ?? elf.entry, kstart: BigInt.asUintN(64, pstart + off),
    kend: BigInt.asUintN(64, pend + off), hypercallPage, initP2m, modStartPfn, l3Below4G,
    segments: loads.map((s) => ({ offset: s.offset, filesz: s.filesz, memsz: s.memsz, va: BigInt.asUintN(64, s.paddr + off) })),
  };
}

export class Fail extends Error {}

export function checkHandoff(dom: Domain, record: HandoffRecord, expect: HandoffExpect = {}): HandoffReport {
  const checks = {} as Record<CheckName, string>;
  const cr3 = dom.cr3 ?? Number(record.l4Mfn);
  const tr = (va: bigint) => translate(dom, cr3, va);
  const run = (name: CheckName, fn: () => void) => {
    try {
      fn();
      checks[name] = "ok";
    } catch (e) {
      if (!(e instanceof Fail)) throw e;
      checks[name] = e.message;
    }
  };
  const fail = (msg: string): never => {
    throw new Fail(msg);
  };

  // Bytes at [va, va+len) through the new tables, page by page: fn(chunk, offset in range).
  const eachChunk = (va: bigint, len: number, what: string, fn: (b: Uint8Array, off: number, va: bigint) => void) => {
    let off = 0;
    while (off < len) {
      const at = va + BigInt(off);
      const t = tr(at);
      if (!t) fail(`${what}: va ${hex(at)} is not mapped in the new page tables`);
      const inPage = Number(at & 0xfffn);
      const n = Math.min(PAGE - inPage, len - off);
      fn(dom.mem.bytes(t!.mfn).subarray(inPage, inPage + n), off, at);
      off += n;
    }
  };
  const readVa = (va: bigint, len: number, what: string) => {
    const out = new Uint8Array(len);
    eachChunk(va, len, what, (b, off) => out.set(b, off));
    return out;
  };
  const isZero = (b: Uint8Array) => {
    for (let i = 0; i < b.length; i++) if (b[i]) return i;
    return -1;
  };

  // ---- the kernel ----
  const elfBytes = expect.elf ?? record.elfBytes;
  let kernel: KernelInfo | null = null;
  let kernelError = "";
  try {
    kernel = parseKernel(elfBytes, dom.pv32 ? 32 : 64);
  } catch (e) {
    kernelError = `the kernel ELF (${elfBytes.length} bytes) cannot be read: ${(e as Error).message}`;
  }
  const needKernel = () => kernel ?? fail(kernelError);

  // ---- start_info ----
  let si: StartInfoFields | null = null;
  let siError = "";
  const siT = tr(record.startInfo);
  if (!siT) siError = `start_info's va ${hex(record.startInfo)} (rsi) is not mapped in the new page tables`;
  else {
    const b = dom.mem.bytes(siT.mfn);
    const v = new DataView(b.buffer, b.byteOffset, PAGE);
    const u = (o: number) => v.getBigUint64(o, true);
    const cstr = (o: number, max: number) => {
      const s = b.subarray(o, o + max);
      const end = s.indexOf(0);
      return new TextDecoder("latin1").decode(end < 0 ? s : s.subarray(0, end));
    };
    const w = (o: number) => BigInt(v.getUint32(o, true));
    si = dom.pv32 ? {
      magic: cstr(SI32.magic, 32), nr_pages: w(SI32.nr_pages), shared_info: w(SI32.shared_info), flags: w(SI32.flags),
      store_mfn: w(SI32.store_mfn), store_evtchn: w(SI32.store_evtchn), console_mfn: w(SI32.console_mfn),
      console_evtchn: w(SI32.console_evtchn), pt_base: w(SI32.pt_base), nr_pt_frames: w(SI32.nr_pt_frames),
      mfn_list: w(SI32.mfn_list), mod_start: w(SI32.mod_start), mod_len: w(SI32.mod_len),
      cmd_line: cstr(SI32.cmd_line, SI32.cmd_line_size), first_p2m_pfn: w(SI32.first_p2m_pfn), nr_p2m_frames: w(SI32.nr_p2m_frames),
    } : {
      magic: cstr(SI.magic, 32), nr_pages: u(SI.nr_pages), shared_info: u(SI.shared_info), flags: u(SI.flags),
      store_mfn: u(SI.store_mfn), store_evtchn: u(SI.store_evtchn), console_mfn: u(SI.console_mfn),
      console_evtchn: u(SI.console_evtchn), pt_base: u(SI.pt_base), nr_pt_frames: u(SI.nr_pt_frames),
      mfn_list: u(SI.mfn_list), mod_start: u(SI.mod_start), mod_len: u(SI.mod_len),
      cmd_line: cstr(SI.cmd_line, SI.cmd_line_size), first_p2m_pfn: u(1152), nr_p2m_frames: u(1160),
    };
  }
  const needSi = () => si ?? fail(siError);

  // ---- the P2M, read through the new tables ----
  let p2m: number[] | null = null;
  let p2mError = "";
  if (si) {
    try {
      const width = dom.pv32 ? 4 : 8;
      const raw = readVa(si.mfn_list, dom.nrPages * width, `the P2M at mfn_list ${hex(si.mfn_list)}`);
      const v = new DataView(raw.buffer);
      p2m = Array.from({ length: dom.nrPages }, (_, i) => (dom.pv32 ? v.getUint32(i * 4, true) : Number(v.getBigUint64(i * 8, true))));
    } catch (e) {
      if (!(e instanceof Fail)) throw e;
      p2mError = e.message;
    }
  } else p2mError = siError;
  const needP2m = () => p2m ?? fail(p2mError);
  const pfnOf = new Map<number, number>();
  p2m?.forEach((m, pfn) => pfnOf.set(m, pfn));

  // ---- the mapped region from virt_base ----
  let regionPages = 0;
  if (kernel && p2m) {
    while (regionPages < dom.nrPages) {
      const t = tr(kernel.virtBase + BigInt(regionPages) * 4096n);
      if (!t) break;
      regionPages++;
    }
  }
  const regionEnd = () => needKernel().virtBase + BigInt(regionPages) * 4096n;
  const vaToPfn = (va: bigint) => Number((va - needKernel().virtBase) >> 12n);

  run("p2m", () => {
    const list = needP2m();
    const seen = new Map<number, number>();
    list.forEach((mfn, pfn) => {
      if (dom.mem.owner(mfn) !== dom.domid) fail(`P2M[${pfn}] is mfn ${hex(mfn)}, not a frame of the domain`);
      const other = seen.get(mfn);
      if (other !== undefined) fail(`P2M[${other}] and P2M[${pfn}] are both mfn ${hex(mfn)}: not a permutation`);
      seen.set(mfn, pfn);
    });
    list.forEach((mfn, pfn) => {
      const m2p = dom.m2p.get(mfn);
      if (m2p !== pfn) fail(`the M2P says mfn ${hex(mfn)} is pfn ${m2p}, the P2M puts it at pfn ${pfn} (no MMU_MACHPHYS_UPDATE for it?)`);
    });
  });

  run("layout", () => {
    const k = needKernel();
    const list = needP2m();
    if (regionPages === 0) fail(`virt_base ${hex(k.virtBase)} is not mapped`);
    for (let pfn = 0; pfn < regionPages; pfn++) {
      const va = k.virtBase + BigInt(pfn) * 4096n;
      const t = tr(va)!;
      if (t.mfn !== list[pfn]) fail(`va ${hex(va)} (pfn ${pfn}) maps mfn ${hex(t.mfn)}, the P2M says ${hex(list[pfn])}`);
    }
    const end = regionEnd();
    if (end % 0x400000n !== 0n) fail(`the mapped region from virt_base ends at ${hex(end)} (pfn ${regionPages}), not on a 4 MiB boundary`);
    const stackTop = BigInt.asUintN(64, record.stack);
    const stackPage = (stackTop - 8n) & ~0xfffn;
    const st = tr(stackTop - 8n);
    if (!st || !st.writable) fail(`the boot stack at rsp-8 = ${hex(stackTop - 8n)} is ${st ? "mapped read-only" : "not mapped"}`);
    if (stackPage < k.virtBase || stackPage >= end) fail(`the boot stack page ${hex(stackPage)} lies outside the region ${hex(k.virtBase)}..${hex(end)}`);
    if (end - (stackPage + 4096n) < 512n * 1024n) fail(`only ${(end - stackPage - 4096n) / 1024n} KiB after the boot stack page ${hex(stackPage)} up to ${hex(end)}, at least 512 KiB required`);
    const zeroRange = (from: bigint, to: bigint, what: string) => {
      for (let va = from; va < to; va += 4096n) {
        const n = Number(to - va < 4096n ? to - va : 4096n);
        const b = dom.mem.bytes(tr(va)!.mfn).subarray(0, n);
        const i = isZero(b);
        if (i >= 0) fail(`${what}: va ${hex(va + BigInt(i))} (pfn ${vaToPfn(va)}) holds 0x${b[i].toString(16)}, not zero`);
      }
    };
    zeroRange(k.virtBase, k.kstart, "the padding below the kernel");
    zeroRange(stackPage + 4096n, end, "the padding after the boot stack");
  });

  run("segments", () => {
    const k = needKernel();
    // A record without the ELF: the layout reused its spare pages (the PT_LOAD bytes below are
    // still checked against the expected kernel).
    if (expect.elf && record.elfLen > 0) {
      const r = record.elfBytes;
      if (r.length !== expect.elf.length) fail(`the record's ELF (${r.length} bytes at linear ${hex(record.elf)}) is not the expected kernel (${expect.elf.length} bytes)`);
      if (Buffer.compare(r, expect.elf) !== 0) {
        for (let i = 0; i < r.length; i++) if (r[i] !== expect.elf[i]) fail(`the record's ELF differs from the expected kernel at byte ${hex(i)}`);
      }
    }
    const hc = k.hypercallPage;
    k.segments.forEach((s, n) => {
      eachChunk(s.va, s.filesz, `PT_LOAD ${n}`, (b, off, va) => {
        // Chunks never cross a page: the hypercall page (the builder's to fill) is one chunk.
        if (hc !== null && (va & ~0xfffn) === hc) return;
        const want = elfBytes.subarray(s.offset + off, s.offset + off + b.length);
        if (Buffer.compare(b, want) === 0) return;
        for (let i = 0; i < b.length; i++) {
          if (b[i] !== want[i]) fail(`PT_LOAD ${n}: va ${hex(va + BigInt(i))} (file offset ${hex(s.offset + off + i)}) reads 0x${b[i].toString(16)}, the ELF has 0x${want[i].toString(16)}`);
        }
      });
    });
  });

  run("bss", () => {
    const k = needKernel();
    const hc = k.hypercallPage;
    k.segments.forEach((s, n) => {
      eachChunk(s.va + BigInt(s.filesz), s.memsz - s.filesz, `the BSS of PT_LOAD ${n}`, (b, _off, va) => {
        if (hc !== null && (va & ~0xfffn) === hc) return;
        const i = isZero(b);
        if (i >= 0) fail(`the BSS of PT_LOAD ${n}: va ${hex(va + BigInt(i))} holds 0x${b[i].toString(16)}, not zero`);
      });
    });
  });

  run("hypercall_page", () => {
    const k = needKernel();
    if (k.hypercallPage === null) return;
    const got = readVa(k.hypercallPage, PAGE, `the hypercall page`);
    for (let i = 0; i < PAGE; i++) {
      if (got[i] !== dom.hypercallPage[i]) fail(`the hypercall page at ${hex(k.hypercallPage)} differs from Xen's at byte ${hex(i)} (0x${got[i].toString(16)}, Xen's 0x${dom.hypercallPage[i].toString(16)})`);
    }
  });

  // The page tables reachable from cr3.
  const tables = new Map<number, { level: number; from: string }>();
  const l1maps = new Map<number, { va: bigint; rw: boolean }[]>();
  const walkTables = (mfn: number, level: number, vaBase: bigint, from: string) => {
    if (tables.has(mfn)) return;
    tables.set(mfn, { level, from });
    if (!dom.mem.has(mfn)) return;
    const b = dom.mem.bytes(mfn);
    const v = new DataView(b.buffer, b.byteOffset, PAGE);
    const entries = dom.pv32 && level === 3 ? 4 : 512; // a PAE L3 has 4
    for (let i = 0; i < entries; i++) {
      if (!dom.pv32 && level === 4 && i >= XEN_SLOTS.first && i <= XEN_SLOTS.last) continue;
      const e = v.getBigUint64(i * 8, true);
      if (!(e & PTE.P)) continue;
      let va = vaBase + (BigInt(i) << BigInt(12 + 9 * (level - 1)));
      if (level === 4 && i >= 256) va |= 0xffff000000000000n;
      if (dom.pv32 && va >= COMPAT_HOLE) continue; // Xen's own entries in L3 slot 3's L2
      const child = Number((e & ADDR_MASK) >> 12n);
      if (level > 1) walkTables(child, level - 1, va, `L${level} mfn ${hex(mfn)} slot ${i}`);
      else {
        const list = l1maps.get(child) ?? [];
        list.push({ va, rw: (e & PTE.RW) !== 0n });
        l1maps.set(child, list);
      }
    }
  };
  walkTables(cr3, dom.pv32 ? 3 : 4, 0n, "cr3");

  run("pagetables", () => {
    const s = needSi();
    const k = needKernel();
    needP2m();
    if (dom.pv32 && k.l3Below4G && cr3 >= 0x100000) {
      fail(`the PAE L3 is mfn ${hex(cr3)}, above 4 GiB, and the kernel (PAE=yes without pae_pgdir_above_4gb) cannot take that`);
    }
    const ptT = tr(s.pt_base);
    if (!ptT || ptT.mfn !== cr3) fail(`pt_base ${hex(s.pt_base)} translates to ${ptT ? "mfn " + hex(ptT.mfn) : "nothing"}, not to cr3's mfn ${hex(cr3)}`);
    if (s.pt_base % 4096n !== 0n) fail(`pt_base ${hex(s.pt_base)} is not page-aligned`);
    const ptPfn = vaToPfn(s.pt_base);
    const nrPt = Number(s.nr_pt_frames);
    const list_ = (pfn: number) => (p2m && pfn < p2m.length ? `mfn ${hex(p2m[pfn])}` : "beyond the domain");
    const inP2mArea = (pfn: number) => k.initP2m !== null && pfn >= Number(s.first_p2m_pfn) && pfn < Number(s.first_p2m_pfn + s.nr_p2m_frames);
    for (const [mfn, t] of tables) {
      if (dom.mmu.level(mfn) !== t.level) {
        fail(`the L${t.level} table mfn ${hex(mfn)} (from ${t.from}) is ${dom.mmu.level(mfn) ? "validated as an L" + dom.mmu.level(mfn) : "not validated (not pinned)"}`);
      }
      for (const m of l1maps.get(mfn) ?? []) {
        if (m.rw) fail(`the L${t.level} table mfn ${hex(mfn)} is mapped writable at va ${hex(m.va)}`);
      }
      const pfn = pfnOf.get(mfn);
      if (pfn === undefined || !((pfn >= ptPfn && pfn < ptPfn + nrPt) || inP2mArea(pfn))) {
        fail(`the L${t.level} table mfn ${hex(mfn)} is at pfn ${pfn ?? "(none)"}, outside pt_base's pfns ${ptPfn}..${ptPfn + nrPt - 1}` +
          (k.initP2m !== null ? " and the INIT_P2M area" : ""));
      }
    }
    // The other way: every frame nr_pt_frames counts from pt_base is one of those tables (Linux
    // reserves, and later gives back as page tables, exactly that many frames).
    const tablePfns = new Set([...tables.keys()].map((m) => pfnOf.get(m)));
    for (let pfn = ptPfn; pfn < ptPfn + nrPt; pfn++) {
      if (!tablePfns.has(pfn)) fail(`nr_pt_frames is ${nrPt}, but pfn ${pfn} (pt_base + ${pfn - ptPfn}, ${list_(pfn)}) is no page table reachable from cr3`);
    }
  });

  run("start_info", () => {
    const s = needSi();
    const k = needKernel();
    const list = needP2m();
    const L = dom.layout;
    const d0 = dom.config.dom0;
    const want = (name: string, got: bigint, exp: bigint | number) => {
      if (got !== BigInt(exp)) fail(`start_info ${name} is ${hex(got)}, expected ${hex(BigInt(exp))}`);
    };
    const magic = dom.pv32 ? "xen-3.0-x86_32p" : "xen-3.0-x86_64";
    if (s.magic !== magic) fail(`start_info magic is "${s.magic}", expected "${magic}"`);
    if (record.startInfo % 4096n !== 0n) fail(`start_info's va ${hex(record.startInfo)} (rsi) is not page-aligned`);
    want("nr_pages", s.nr_pages, dom.nrPages);
    want("shared_info", s.shared_info, BigInt(dom.sharedInfoMfn) * 4096n);
    want("store_mfn", s.store_mfn, d0 ? 0 : dom.p2m[L.storePfn]);
    want("store_evtchn", s.store_evtchn, d0 ? 0 : STORE_EVTCHN);
    want("console.domU.mfn", s.console_mfn, d0 ? 0 : dom.p2m[L.consolePfn]);
    want("console.domU.evtchn", s.console_evtchn, d0 ? 0 : CONSOLE_EVTCHN);
    const hasModule = s.mod_len > 0n;
    const multiboot = (s.flags & BigInt(SIF_MULTIBOOT_MOD)) !== 0n;
    let flags = BigInt(d0 ? SIF_PRIVILEGED | SIF_INITDOMAIN : 0);
    if (hasModule && k.modStartPfn) flags |= BigInt(SIF_MOD_START_PFN);
    if (hasModule && (expect.modules ? true : expect.initrd ? false : multiboot)) flags |= BigInt(SIF_MULTIBOOT_MOD);
    want("flags", s.flags, flags);
    if (!hasModule && s.mod_start !== 0n) fail(`start_info mod_start is ${hex(s.mod_start)} with mod_len 0`);
    if (s.nr_pt_frames === 0n) fail("start_info nr_pt_frames is 0");
    const siPfn = vaToPfn(record.startInfo);
    const siMfn = tr(record.startInfo)!.mfn;
    if (list[siPfn] !== siMfn) fail(`start_info's va ${hex(record.startInfo)} is pfn ${siPfn} by virt_base, whose P2M entry is ${hex(list[siPfn])}, but the va maps mfn ${hex(siMfn)}`);
    if (!d0) {
      if (list[siPfn + 1] !== Number(s.store_mfn)) fail(`the xenstore ring mfn ${hex(s.store_mfn)} is not at pfn ${siPfn + 1} (start_info's + 1): the P2M has ${hex(list[siPfn + 1])} there`);
      if (list[siPfn + 2] !== Number(s.console_mfn)) fail(`the console ring mfn ${hex(s.console_mfn)} is not at pfn ${siPfn + 2} (start_info's + 2): the P2M has ${hex(list[siPfn + 2])} there`);
    }
    if (k.initP2m !== null) {
      want("mfn_list (INIT_P2M)", s.mfn_list, k.initP2m);
      if (s.nr_p2m_frames === 0n) fail("start_info nr_p2m_frames is 0 with INIT_P2M");
      if (list[Number(s.first_p2m_pfn)] !== tr(s.mfn_list)?.mfn) fail(`first_p2m_pfn ${s.first_p2m_pfn} is not the P2M's first page`);
    } else {
      want("first_p2m_pfn", s.first_p2m_pfn, 0);
      want("nr_p2m_frames", s.nr_p2m_frames, 0);
      if (s.mfn_list < k.virtBase || s.mfn_list >= regionEnd()) fail(`mfn_list ${hex(s.mfn_list)} lies outside the mapped region`);
    }
    if (expect.cmdline !== undefined && s.cmd_line !== expect.cmdline) fail(`start_info cmd_line is "${s.cmd_line}", expected "${expect.cmdline}"`);
  });

  const modules: { size: number; cmdline: string }[] = [];
  run("modules", () => {
    const s = needSi();
    const len = Number(s.mod_len);
    if (len === 0) {
      if (expect.initrd || expect.modules?.length) fail("start_info has no module (mod_len 0), one was expected");
      return;
    }
    let bytes: Uint8Array;
    if (s.flags & BigInt(SIF_MOD_START_PFN)) {
      const list = needP2m();
      const first = Number(s.mod_start);
      const pages = Math.ceil(len / PAGE);
      if (first + pages > dom.nrPages) fail(`the module's pfns ${first}..${first + pages - 1} run past the domain`);
      if (kernel && first < regionPages) fail(`the unmapped module starts at pfn ${first}, inside the mapped region (pfns below ${regionPages})`);
      bytes = new Uint8Array(len);
      for (let i = 0; i < pages; i++) bytes.set(dom.mem.bytes(list[first + i]).subarray(0, Math.min(PAGE, len - i * PAGE)), i * PAGE);
    } else {
      bytes = readVa(s.mod_start, len, `the module at mod_start ${hex(s.mod_start)}`);
    }
    if (s.flags & BigInt(SIF_MULTIBOOT_MOD)) {
      const v = new DataView(bytes.buffer);
      const pagesUsed = new Map<number, string>();
      const claim = (first: number, end: number, what: string) => {
        for (let p = Math.floor(first / PAGE); p < Math.ceil(end / PAGE); p++) {
          const other = pagesUsed.get(p);
          if (other) fail(`${what} shares the package's page ${p} with ${other}`);
          pagesUsed.set(p, what);
        }
      };
      for (let i = 0; ; i++) {
        if (i * 16 + 16 > len) fail(`the multiboot package (${len} bytes) has no end descriptor (mod_start 0)`);
        const start = v.getUint32(i * 16, true);
        if (start === 0) {
          claim(0, i * 16 + 16, "the descriptors");
          break;
        }
        const end = v.getUint32(i * 16 + 4, true), cmd = v.getUint32(i * 16 + 8, true);
        const what = `module ${i}`;
        if (start % PAGE !== 0) fail(`${what} starts at package offset ${hex(start)}, not page-aligned`);
        if (end < start || end > len) fail(`${what} ends at ${hex(end)}, outside ${hex(start)}..${hex(len)}`);
        if (cmd % PAGE !== 0 || cmd >= len) fail(`${what}'s command line at offset ${hex(cmd)} is not a page of its own in the package`);
        const nul = bytes.subarray(cmd, Math.min(cmd + PAGE, len)).indexOf(0);
        if (nul < 0) fail(`${what}'s command line at offset ${hex(cmd)} has no NUL in its page`);
        claim(start, end, what);
        claim(cmd, cmd + nul + 1, `${what}'s command line`);
        modules.push({ size: end - start, cmdline: new TextDecoder().decode(bytes.subarray(cmd, cmd + nul)) });
        const exp = expect.modules?.[i];
        if (exp) {
          if (exp.bytes.length !== end - start) fail(`${what} is ${end - start} bytes, expected ${exp.bytes.length}`);
          for (let j = 0; j < exp.bytes.length; j++) if (bytes[start + j] !== exp.bytes[j]) fail(`${what} differs from the expected file at byte ${hex(j)}`);
          if (modules[i].cmdline !== exp.cmdline) fail(`${what}'s command line is "${modules[i].cmdline}", expected "${exp.cmdline}"`);
        }
      }
      if (expect.modules && expect.modules.length !== modules.length) fail(`the package has ${modules.length} modules, expected ${expect.modules.length}`);
      if (expect.initrd) fail("the module is a multiboot package, an initrd was expected");
    } else {
      if (expect.modules) fail("the module is not a multiboot package (no SIF_MULTIBOOT_MOD)");
      if (expect.initrd) {
        if (expect.initrd.length !== len) fail(`mod_len is ${len}, the initrd is ${expect.initrd.length} bytes`);
        for (let j = 0; j < len; j++) if (bytes[j] !== expect.initrd[j]) fail(`the initrd differs from the expected file at byte ${hex(j)}`);
      }
    }
  });

  teardownChecks(dom, run, fail);

  run("entry", () => {
    const k = needKernel();
    if (record.entry !== k.entry) {
      fail(`the jump goes to ${hex(record.entry)}, the kernel's entry (${k.notes === "elfnotes" ? "its ENTRY note or e_entry" : "__xen_guest VIRT_ENTRY or e_entry"}) is ${hex(k.entry)}`);
    }
  });


  run("trampoline", () => {
    const L = dom.layout;
    const page = record.trampoline / PAGE;
    const va = (BigInt(L.firstFreePfn) << 12n) + BigInt(record.trampoline);
    const frame = dom.linear.mapped.get(page) ?? dom.pfnToMfn(L.firstFreePfn + page);
    const t = tr(va);
    if (!t || t.mfn !== frame) fail(`the trampoline's va ${hex(va)} maps ${t ? "mfn " + hex(t.mfn) : "nothing"}, not its frame ${hex(frame)}`);
    if (!t!.writable) fail(`the trampoline's va ${hex(va)} is mapped read-only; the contract says read-write`);
    const k = needKernel();
    if (va >= k.virtBase && va < regionEnd()) fail(`the trampoline's va ${hex(va)} lies inside the kernel's region ${hex(k.virtBase)}..${hex(regionEnd())}`);
    const s = needSi();
    if (k.initP2m !== null && va >= k.initP2m && va < k.initP2m + s.nr_p2m_frames * 4096n) fail(`the trampoline's va ${hex(va)} lies inside the INIT_P2M area`);
    const pfn = pfnOf.get(frame);
    if (pfn !== undefined && pfn < regionPages) fail(`the trampoline's frame ${hex(frame)} is also pfn ${pfn}, inside the kernel's region`);
  });

  const ordered = {} as Record<CheckName, string>;
  for (const n of CHECK_NAMES) ordered[n] = checks[n];
  return { checks: ordered, startInfo: si, kernel, modules };
}

// What the teardown leaves (src/boot/teardown.ts), the same for every kind of domain: no own
// port or pending bit, no live grant, no watch or traffic, the backends and frontends back
// where the toolstack had them, no timer, the console drained. `run` records each check.
export type TeardownCheck = "evtchn" | "grants" | "xenstore" | "blkback" | "frontends" | "timer" | "console";

export function teardownChecks(dom: Domain, run: (name: TeardownCheck, fn: () => void) => void, fail: (msg: string) => never): void {
  run("evtchn", () => {
    const live = dom.config.dom0 ? [] : [STORE_EVTCHN, CONSOLE_EVTCHN];
    for (const [port, st] of dom.evtchn.ports) {
      if (live.includes(port)) continue;
      fail(`event channel port ${port} is still open (${st.kind === "interdomain" ? `bound to ${st.backend} in d${st.remote}` : `unbound, for d${st.remote}`})`);
    }
    const b = dom.mem.bytes(dom.sharedInfoMfn);
    const v = dom.mem.view(dom.sharedInfoMfn);
    const pendingLive: number[] = [];
    const nrPorts = dom.pv32 ? SHINFO32.nr_ports : SHINFO.nr_ports;
    for (let port = 0; port < nrPorts; port++) {
      if (!((b[SHINFO.evtchn_pending + (port >> 3)] >> (port & 7)) & 1)) continue;
      if (!dom.evtchn.ports.has(port)) fail(`port ${port} is closed but its pending bit is set in shared_info`);
      pendingLive.push(port);
    }
    const sel = dom.pv32 ? BigInt(v.getUint32(SHINFO32.pending_sel, true)) : v.getBigUint64(SHINFO.pending_sel, true);
    const wordShift = dom.pv32 ? 5 : 6;
    const allowed = pendingLive.reduce((m, p) => m | (1n << BigInt(p >> wordShift)), 0n);
    if (sel & ~allowed) fail(`evtchn_pending_sel is ${hex(sel)}, but only ${pendingLive.length ? "ports " + pendingLive.join(",") : "no live port"} pending`);
    if (b[SHINFO.upcall_pending] && !pendingLive.length) fail("evtchn_upcall_pending is set with no live port pending");
    if (b[SHINFO.upcall_mask] !== 1) fail(`evtchn_upcall_mask is ${b[SHINFO.upcall_mask]}: events must stay masked across the jump`);
  });

  run("grants", () => {
    if (dom.gnttab.version !== 1) fail(`the grant table is version ${dom.gnttab.version}, not 1`);
    // refs 0 (console) and 1 (xenstore): exactly as the toolstack seeded them (nothing for dom0)
    for (const ref of [0, 1]) {
      const e = dom.gnttab.readEntry(ref);
      const want = dom.gnttab.seeded.get(ref) ?? { flags: 0, domid: 0, frame: 0 };
      if (e.flags !== want.flags || e.domid !== want.domid || e.frame !== want.frame) {
        fail(`reserved grant ref ${ref} (the ${ref ? "xenstore" : "console"} ring's) reads flags ${hex(e.flags)} d${e.domid} frame ${hex(e.frame)}, ` +
          `not flags ${hex(want.flags)} d${want.domid} frame ${hex(want.frame)} as the toolstack left it`);
      }
    }
    for (let ref = 2; ref < dom.gnttab.nrEntries; ref++) {
      const e = dom.gnttab.readEntry(ref);
      if (e.flags) fail(`grant ref ${ref} has flags ${hex(e.flags)} (to d${e.domid}, frame ${hex(e.frame)}): still in use`);
    }
    if (dom.gnttab.liveMappings()) fail(`${dom.gnttab.liveMappings()} grant mappings by a backend are still in place`);
  });

  run("xenstore", () => {
    const xs = dom.xenstore;
    if (!xs) return;
    const w = xs.guestWatches();
    if (w.length) fail(`the guest still has a xenstore watch on ${w[0].path} (token "${w[0].token}")` + (w.length > 1 ? ` and ${w.length - 1} more` : ""));
    if (xs.openTransactions()) fail(`${xs.openTransactions()} xenstore transactions are still open`);
    const p = xs.pendingWork();
    if (p.partialRequest) fail("xenstored holds a request the guest wrote only in part");
    if (p.replies || p.events) fail(`xenstored still owes the guest ${p.replies} replies and ${p.events} watch events`);
    const rv = dom.mem.view(dom.storeMfn);
    const rq = [rv.getUint32(XS_RING.req_cons, true), rv.getUint32(XS_RING.req_prod, true)];
    const rs = [rv.getUint32(XS_RING.rsp_cons, true), rv.getUint32(XS_RING.rsp_prod, true)];
    if (rq[0] !== rq[1]) fail(`the xenstore ring's requests are not idle (req_cons ${rq[0]}, req_prod ${rq[1]})`);
    if (rs[0] !== rs[1]) fail(`the xenstore ring's responses are not idle: ${(rs[1] - rs[0]) >>> 0} bytes unread (rsp_cons ${rs[0]}, rsp_prod ${rs[1]})`);
  });

  run("blkback", () => {
    for (const bb of dom.blkbacks) {
      const fe = dom.xenstore?.read(`${bb.frontendPath}/state`) ?? null;
      if (bb.state !== XenbusState.InitWait && bb.state !== XenbusState.Closed) {
        fail(`the backend ${bb.backendPath} is in state ${bb.state}, not InitWait (2) or Closed (6)`);
      }
      if (bb.connected || bb.inFlight) fail(`the backend ${bb.backendPath} is still connected (${bb.inFlight} requests in flight)`);
      if (fe === null) fail(`${bb.frontendPath}/state is missing`);
    }
  });

  // Every frontend under the guest's device/ is back in Initialising, as the toolstack made it:
  // the next kernel's xenbus connects only a frontend it finds there (Linux's xenbus_probe skips
  // a device whose frontend is Closed, and the disk would never appear).
  run("frontends", () => {
    const xs = dom.xenstore;
    if (!xs) return;
    const home = `/local/domain/${dom.domid}/device`;
    for (const cls of xs.directory(home) ?? []) {
      for (const id of xs.directory(`${home}/${cls}`) ?? []) {
        if (xs.read(`${home}/${cls}/${id}/backend`) === null) continue; // not a frontend (device/suspend/event-channel)
        const st = xs.read(`${home}/${cls}/${id}/state`);
        if (st === String(XenbusState.Initialising)) continue;
        fail(`${home}/${cls}/${id}/state is ${st ?? "missing"}${st === String(XenbusState.Closed) ? " (Closed, which Linux's xenbus ignores)" : ""}, not Initialising (1)`);
      }
    }
  });

  run("timer", () => {
    if (dom.timer !== 0n) fail(`the single-shot timer is still armed (set_timer_op ${dom.timer} ns)`);
  });

  run("console", () => {
    if (dom.config.dom0) return;
    const v = dom.mem.view(dom.console.mfn);
    const cons = v.getUint32(CONS.out_cons, true), prod = v.getUint32(CONS.out_prod, true);
    if (cons !== prod) fail(`the console ring holds ${(prod - cons) >>> 0} bytes not taken by the backend (out_cons ${cons}, out_prod ${prod})`);
  });
}

// The JSON line `pvboot run --json` ends with after a jump (scripts/cli/main.ts).
export function handoffJson(report: HandoffReport, record: HandoffRecord): Record<string, unknown> {
  let summary: Record<string, unknown> = {};
  try {
    if (record.summaryText) summary = JSON.parse(record.summaryText) as Record<string, unknown>;
  } catch {
    summary = {};
  }
  const str = (x: unknown) => (typeof x === "string" ? x : typeof x === "number" ? hex(x) : null);
  const sk = (typeof summary.kernel === "object" && summary.kernel ? summary.kernel : summary) as Record<string, unknown>;
  const title = summary.title ?? summary.entry_title ?? (typeof summary.entry === "string" && !/^0x/i.test(summary.entry) ? summary.entry : null);
  const s = report.startInfo;
  return {
    entry: typeof title === "string" ? title : null,
    kernel: {
      format: typeof sk.format === "string" ? sk.format : null,
      compression: typeof sk.compression === "string" ? sk.compression : null,
      entry: hex(record.entry),
      virt_base: str(sk.virt_base) ?? (report.kernel ? hex(report.kernel.virtBase) : null),
    },
    start_info: s && {
      magic: s.magic, nr_pages: Number(s.nr_pages), shared_info: hex(s.shared_info), flags: Number(s.flags),
      store_mfn: hex(s.store_mfn), store_evtchn: Number(s.store_evtchn), console_mfn: hex(s.console_mfn),
      console_evtchn: Number(s.console_evtchn), pt_base: hex(s.pt_base), nr_pt_frames: Number(s.nr_pt_frames),
      mfn_list: hex(s.mfn_list), mod_start: hex(s.mod_start), mod_len: Number(s.mod_len), cmd_line: s.cmd_line,
      first_p2m_pfn: hex(s.first_p2m_pfn), nr_p2m_frames: Number(s.nr_p2m_frames),
    },
    modules: report.modules,
    checks: report.checks,
  };
}
