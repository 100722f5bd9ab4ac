// The PVH side of the emulator (docs/contract.md, kind 2): what the PVH shim does in
// xen.start_kernel (check the 64-byte record before anything changes, give the borrowed frames
// back with XENMEM_remove_from_physmap, leave the HVM params alone, do the copies from the
// trampoline page, enter the kernel in 32-bit protected mode with paging off, ebx =
// hvm_start_info), and the checks of the domain the kernel then finds, as Xen's
// docs/misc/pvh.pandoc and public/arch-x86/hvm/start_info.h describe it. Each check is "ok" or
// one sentence naming what differs, as handoff.ts does for PV.

import { PAGE } from "./abi";
import * as abi from "./abi";
import type { Domain, MemmapEntry } from "./domain";
import { E820_RAM } from "./domain";
import { DomainJumped, type HandoffRecord } from "./imports";
import { Fail, teardownChecks, type HandoffExpect } from "./handoff";
import { PT_LOAD, PT_NOTE, SHT_NOTE, readElf, readNotes, type ElfNote } from "../elf";

export const HVM_START_MAGIC = 0x336ec578;
export const XEN_ELFNOTE_PHYS32_ENTRY = 18;
const FOUR_GIB = 1n << 32n;
const COPY_ZERO = 0xffffffff;

export const PVH_CHECK_NAMES = [
  "entry", "cpu", "segments", "bss", "start_info", "cmdline", "modules", "memmap", "evtchn", "grants",
  "xenstore", "blkback", "frontends", "timer", "console", "borrowed", "params", "trampoline",
] as const;
export type PvhCheckName = (typeof PVH_CHECK_NAMES)[number];

// The record's PVH fields (docs/contract.md, "The handoff record for kind 2").
export interface PvhRecord {
  startInfo: bigint;
  entry: bigint;
  copies: number;
  nrCopies: number;
  trampoline: number;
  copyList: { dst: bigint; src: number; len: number }[];
}

// The vCPU as the trampoline leaves it at the kernel's first instruction.
export interface PvhCpu {
  eip: bigint; ebx: bigint; esp: number; cr0: number; cr4: number; efer: number; eflags: number;
  cs: { base: number; limit: number; code: boolean; db32: boolean }; ds: { base: number; limit: number };
}

export interface PvhJump {
  record: PvhRecord;
  cpu: PvhCpu;
  removed: { gfn: number; frame: number; what: string }[]; // XENMEM_remove_from_physmap, in order
  trampolineMark: Uint8Array; // what the shim put in the trampoline page before the copies
  startInfoBefore: Uint8Array; // hvm_start_info's struct at the jump, before the copies
  moduleBefore: Uint8Array[]; // each module's bytes at the jump
  paramsBefore: Map<number, bigint>;
  memmapBefore: MemmapEntry[];
}

export interface PvhReport {
  checks: Record<PvhCheckName, string>;
  startInfo: { magic: number; version: number; flags: number; nr_modules: number; modlist_paddr: bigint; cmdline_paddr: bigint;
    rsdp_paddr: bigint; memmap_paddr: bigint; memmap_entries: number; cmdline: string } | null;
  modules: { paddr: bigint; size: number }[];
}

const hex = (n: number | bigint) => "0x" + n.toString(16);

// Physical memory of a PVH domain: RAM frames are their own gfn.
export function physRead(dom: Domain, addr: bigint, len: number): Uint8Array {
  const out = new Uint8Array(len);
  let done = 0;
  while (done < len) {
    const a = addr + BigInt(done);
    const gfn = Number(a >> 12n), off = Number(a & 4095n);
    const n = Math.min(len - done, PAGE - off);
    if (gfn >= dom.nrPages) throw new Error(`physical ${hex(a)} is not RAM`);
    out.set(dom.mem.bytes(gfn).subarray(off, off + n), done);
    done += n;
  }
  return out;
}

export function physWrite(dom: Domain, addr: bigint, data: Uint8Array): void {
  let done = 0;
  while (done < data.length) {
    const a = addr + BigInt(done);
    const gfn = Number(a >> 12n), off = Number(a & 4095n);
    const n = Math.min(data.length - done, PAGE - off);
    if (gfn >= dom.nrPages) throw new Error(`physical ${hex(a)} is not RAM`);
    dom.mem.bytes(gfn).set(data.subarray(done, done + n), off);
    done += n;
  }
}

const inRam = (dom: Domain, a: bigint, len: number) =>
  a >= 0n && a + BigInt(len) <= FOUR_GIB && dom.memmap.some((m) => m.type === E820_RAM && a >= m.addr && a + BigInt(len) <= m.addr + m.size);

// xen.start_kernel in a PVH domain. Returns -errno when the record is refused (nothing changed,
// the reason in dom.jumpError); otherwise does the jump and throws DomainJumped.
// `unmapAll`: the shim's own page tables are left behind; every linear page holds its own RAM.
export function pvhStartKernel(dom: Domain, memory: WebAssembly.Memory, handoff: number, len: number, unmapAll: () => void): number {
  const size = memory.buffer.byteLength;
  const inside = (p: number, n: number) => p >>> 0 === p && n >= 0 && p + n <= size;
  const refuse = (why: string, rc = -abi.EINVAL) => {
    dom.jumpError = why;
    return rc;
  };
  if (len < 0 || !inside(handoff, len)) return -abi.EFAULT;
  if (len < 64) return refuse(`the handoff record is ${len} bytes, at least 64 expected`);
  const v = new DataView(memory.buffer);
  const u64 = (o: number) => v.getBigUint64(handoff + o, true);
  const u32 = (o: number) => v.getUint32(handoff + o, true);
  const base = BigInt(dom.layout.firstFreePfn) << 12n;
  const physOf = (off: number) => base + BigInt(off);
  const rec: PvhRecord = { startInfo: u64(0), entry: u64(8), copies: u32(16), nrCopies: u32(20), trampoline: u32(32), copyList: [] };
  if (u64(24) !== 0n || u32(36) !== 0 || u64(56) !== 0n) return refuse("a reserved field of the PVH handoff record is not 0");
  if (rec.entry >= FOUR_GIB) return refuse(`the entry ${hex(rec.entry)} is above 4 GiB`);
  if (rec.nrCopies < 1 || rec.nrCopies > 256) return refuse(`nr_copies is ${rec.nrCopies}, not 1..256`);
  if (!inside(rec.copies, rec.nrCopies * 16)) return refuse(`the copy list at ${hex(rec.copies)} lies outside the memory`, -abi.EFAULT);
  if (rec.trampoline % PAGE !== 0 || !inside(rec.trampoline, PAGE)) return refuse(`the trampoline offset ${hex(rec.trampoline)} is not a page-aligned page of the memory`);
  const tramp = physOf(rec.trampoline);
  if (tramp + BigInt(PAGE) > FOUR_GIB) return refuse(`the trampoline page ${hex(tramp)} is above 4 GiB`);
  if (!inRam(dom, rec.startInfo, 56)) return refuse(`start_info ${hex(rec.startInfo)} is not RAM below 4 GiB`, -abi.EFAULT);
  for (let i = 0; i < rec.nrCopies; i++) {
    const c = { dst: v.getBigUint64(rec.copies + i * 16, true), src: v.getUint32(rec.copies + i * 16 + 8, true), len: v.getUint32(rec.copies + i * 16 + 12, true) };
    if (c.src !== COPY_ZERO && !inside(c.src, c.len)) return refuse(`copy ${i}: source ${hex(c.src)}+${c.len} lies outside the memory`, -abi.EFAULT);
    if (!inRam(dom, c.dst, c.len)) return refuse(`copy ${i}: destination ${hex(c.dst)}+${c.len} is not RAM below 4 GiB`, -abi.EFAULT);
    if (c.dst < tramp + BigInt(PAGE) && tramp < c.dst + BigInt(c.len)) return refuse(`copy ${i} writes the trampoline page ${hex(tramp)}`);
    rec.copyList.push(c);
  }

  // What the kernel will be checked against, taken while the core's memory is as it left it.
  const bytes = new Uint8Array(memory.buffer);
  const elf = u32(40), elfLen = u32(44), summary = u32(48), summaryLen = u32(52);
  const record: HandoffRecord = {
    l4Mfn: 0n, entry: rec.entry, stack: 0n, startInfo: rec.startInfo, trampoline: rec.trampoline,
    elf, elfLen, summary, summaryLen,
    elfBytes: inside(elf, elfLen) ? bytes.slice(elf, elf + elfLen) : new Uint8Array(0),
    summaryText: summaryLen > 0 && inside(summary, summaryLen) ? new TextDecoder().decode(bytes.subarray(summary, summary + summaryLen)) : null,
    pvh: rec,
  };

  // The shim: borrowed frames out of the physmap (shared_info, then the grant frames).
  unmapAll();
  const removed: PvhJump["removed"] = [];
  for (const [gfn, frame] of [...dom.physmap]) {
    removed.push({ gfn, frame, what: frame === dom.sharedInfoMfn ? "shared_info" : `grant frame ${dom.gnttab.frames.indexOf(frame)}` });
    dom.physmap.delete(gfn);
  }
  const si = new DataView(physRead(dom, rec.startInfo, 56).buffer);
  const startInfoBefore = physRead(dom, rec.startInfo, 56);
  const moduleBefore: Uint8Array[] = [];
  const nrModules = si.getUint32(12, true), modlist = si.getBigUint64(16, true);
  for (let i = 0; i < Math.min(nrModules, 16); i++) {
    if (!inRam(dom, modlist + BigInt(i * 32), 32)) break;
    const m = new DataView(physRead(dom, modlist + BigInt(i * 32), 32).buffer);
    const pa = m.getBigUint64(0, true), sz = Number(m.getBigUint64(8, true));
    moduleBefore.push(inRam(dom, pa, sz) && sz < 1 << 30 ? physRead(dom, pa, sz) : new Uint8Array(0));
  }
  const mark = new TextEncoder().encode("pvboot PVH trampoline (emulated): lgdt, cr0.PG off, EFER.LME off, jmp entry");
  physWrite(dom, tramp, mark);

  // The trampoline: the copies in order, each with memmove semantics.
  for (const c of rec.copyList) {
    const data = c.src === COPY_ZERO ? new Uint8Array(c.len) : physRead(dom, physOf(c.src), c.len);
    physWrite(dom, c.dst, data);
  }
  dom.pvhJump = {
    record: rec, removed, trampolineMark: mark, startInfoBefore, moduleBefore,
    paramsBefore: new Map(dom.hvmParams), memmapBefore: dom.memmap.map((m) => ({ ...m })),
    cpu: {
      eip: rec.entry, ebx: rec.startInfo, esp: 0, cr0: 0x11, cr4: 0, efer: 0, eflags: 0x2,
      cs: { base: 0, limit: 0xffffffff, code: true, db32: true }, ds: { base: 0, limit: 0xffffffff },
    },
  };
  dom.afterCopies?.(dom);
  throw new DomainJumped(record);
}

// The kernel's PHYS32 entry, read here from its notes independently of the core.
export function phys32Entry(elfBytes: Uint8Array): bigint | null {
  const elf = readElf(elfBytes);
  let notes: ElfNote[] = elf.segments.filter((s) => s.type === PT_NOTE).flatMap((s) => readNotes(elfBytes, s.offset, s.filesz));
  let n = notes.find((x) => x.name === "Xen" && x.type === XEN_ELFNOTE_PHYS32_ENTRY);
  if (!n) {
    notes = elf.sections.filter((s) => s.type === SHT_NOTE).flatMap((s) => readNotes(elfBytes, s.offset, s.size));
    n = notes.find((x) => x.name === "Xen" && x.type === XEN_ELFNOTE_PHYS32_ENTRY);
  }
  if (!n) return null;
  const d = new DataView(n.desc.buffer, n.desc.byteOffset, n.desc.byteLength);
  return n.desc.length === 8 ? d.getBigUint64(0, true) : BigInt(d.getUint32(0, true));
}

export function checkPvhHandoff(dom: Domain, record: HandoffRecord, expect: HandoffExpect = {}): PvhReport {
  const checks = {} as Record<PvhCheckName, string>;
  const run = (name: PvhCheckName, fn: () => void) => {
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
  const j = dom.pvhJump!;
  const elfBytes = expect.elf ?? record.elfBytes;
  const elf = elfBytes.length ? readElf(elfBytes) : null;
  const loads = elf ? elf.segments.filter((s) => s.type === PT_LOAD && s.memsz > 0) : [];
  const read = (a: bigint, n: number, what: string) => {
    if (!inRam(dom, a, n)) fail(`${what} at ${hex(a)}+${n} is not RAM below 4 GiB`);
    return physRead(dom, a, n);
  };
  let report: PvhReport["startInfo"] = null;
  const modules: PvhReport["modules"] = [];

  run("entry", () => {
    if (!elf) fail("no ELF to check the entry against (the record carries none)");
    const want = phys32Entry(elfBytes);
    if (want === null) fail("the kernel has no XEN_ELFNOTE_PHYS32_ENTRY note, yet it was started");
    if (j.cpu.eip !== want) fail(`the jump goes to ${hex(j.cpu.eip)}, the kernel's PHYS32_ENTRY note says ${hex(want!)}`);
  });

  run("cpu", () => {
    const c = j.cpu;
    if (c.ebx !== record.startInfo) fail(`ebx is ${hex(c.ebx)}, not hvm_start_info's ${hex(record.startInfo)}`);
    if (new DataView(read(c.ebx, 4, "ebx").buffer).getUint32(0, true) !== HVM_START_MAGIC) fail(`ebx ${hex(c.ebx)} does not point at hvm_start_info's magic`);
    if (!(c.cr0 & 1) || c.cr0 & 0x80000000) fail(`cr0 is ${hex(c.cr0)}: protected mode on, paging off expected`);
    if (c.cr4 !== 0) fail(`cr4 is ${hex(c.cr4)}, not 0`);
    if (c.efer & 0x100) fail("EFER.LME is still set");
    if (c.eflags & 0x20300) fail(`eflags ${hex(c.eflags)}: VM, IF and TF must be clear`);
    if (c.cs.base !== 0 || c.cs.limit !== 0xffffffff || !c.cs.code || !c.cs.db32) fail("cs is not a flat 32-bit code segment");
    if (c.ds.base !== 0 || c.ds.limit !== 0xffffffff) fail("ds/es/ss are not flat 32-bit data segments");
  });

  run("segments", () => {
    if (!elf) fail("no ELF to check the segments against");
    loads.forEach((s, i) => {
      if (s.filesz === 0) return;
      const got = read(s.paddr, s.filesz, `segment ${i}`);
      const want = elfBytes.subarray(s.offset, s.offset + s.filesz);
      if (Buffer.compare(got, want) !== 0) {
        let k = 0;
        while (got[k] === want[k]) k++;
        fail(`segment ${i} (paddr ${hex(s.paddr)}) differs from the ELF at byte ${hex(k)} (physical ${hex(s.paddr + BigInt(k))}: ${hex(got[k])}, the ELF has ${hex(want[k])})`);
      }
    });
  });

  run("bss", () => {
    loads.forEach((s, i) => {
      if (s.memsz <= s.filesz) return;
      const z = read(s.paddr + BigInt(s.filesz), s.memsz - s.filesz, `segment ${i}'s zeros`);
      const k = z.findIndex((b) => b !== 0);
      if (k >= 0) fail(`segment ${i}'s bss is not zero at physical ${hex(s.paddr + BigInt(s.filesz + k))} (${hex(z[k])})`);
    });
  });

  run("start_info", () => {
    const b = read(record.startInfo, 56, "hvm_start_info");
    const v = new DataView(b.buffer);
    report = {
      magic: v.getUint32(0, true), version: v.getUint32(4, true), flags: v.getUint32(8, true), nr_modules: v.getUint32(12, true),
      modlist_paddr: v.getBigUint64(16, true), cmdline_paddr: v.getBigUint64(24, true), rsdp_paddr: v.getBigUint64(32, true),
      memmap_paddr: v.getBigUint64(40, true), memmap_entries: v.getUint32(48, true), cmdline: "",
    };
    if (Buffer.compare(b, j.startInfoBefore) !== 0) fail(`hvm_start_info at ${hex(record.startInfo)} changed during the copies`);
    if (report.magic !== HVM_START_MAGIC) fail(`magic is ${hex(report.magic)}, not ${hex(HVM_START_MAGIC)}`);
    if (report.version !== 1) fail(`version is ${report.version}, not 1 (the memory map needs version 1)`);
    if (report.flags !== 0) fail(`flags is ${hex(report.flags)}, not 0`);
    if (v.getUint32(52, true) !== 0) fail("the reserved field after memmap_entries is not 0");
  });

  run("cmdline", () => {
    if (!report) fail("no hvm_start_info");
    const r = report!;
    if (r.cmdline_paddr === 0n) {
      if (expect.cmdline) fail(`no command line, "${expect.cmdline}" expected`);
      return;
    }
    const raw = read(r.cmdline_paddr, Math.min(4096, dom.nrPages * PAGE - Number(r.cmdline_paddr)), "the command line");
    const nul = raw.indexOf(0);
    if (nul < 0) fail(`the command line at ${hex(r.cmdline_paddr)} has no NUL in 4096 bytes`);
    r.cmdline = Buffer.from(raw.subarray(0, nul)).toString("latin1");
    if (expect.cmdline !== undefined && r.cmdline !== expect.cmdline) fail(`the command line is "${r.cmdline}", expected "${expect.cmdline}"`);
  });

  run("modules", () => {
    if (!report) fail("no hvm_start_info");
    const r = report!;
    if (r.nr_modules > 16) fail(`nr_modules is ${r.nr_modules}`);
    if (r.nr_modules > 0 && r.modlist_paddr === 0n) fail("nr_modules is set but modlist_paddr is 0");
    for (let i = 0; i < r.nr_modules; i++) {
      const m = new DataView(read(r.modlist_paddr + BigInt(i * 32), 32, `module ${i}'s entry`).buffer);
      const paddr = m.getBigUint64(0, true), size = Number(m.getBigUint64(8, true));
      modules.push({ paddr, size });
      const got = read(paddr, size, `module ${i}`);
      for (const [k, s] of loads.entries()) {
        if (paddr < s.paddr + BigInt(s.memsz) && s.paddr < paddr + BigInt(size)) fail(`module ${i} (${hex(paddr)}+${size}) overlaps segment ${k}`);
      }
      if (j.moduleBefore[i] && Buffer.compare(got, j.moduleBefore[i]) !== 0) fail(`module ${i} at ${hex(paddr)} changed during the copies`);
      if (i === 0 && expect.initrd) {
        if (expect.initrd.length !== size) fail(`module 0 is ${size} bytes, the initrd is ${expect.initrd.length}`);
        const k = got.findIndex((b, x) => b !== expect.initrd![x]);
        if (k >= 0) fail(`module 0 differs from the initrd at byte ${hex(k)}`);
      }
    }
    if (expect.initrd && r.nr_modules !== 1) fail(`nr_modules is ${r.nr_modules}; the initrd should be the one module`);
    if (!expect.initrd && expect.elf && r.nr_modules !== 0) fail(`nr_modules is ${r.nr_modules}, no initrd was given`);
  });

  run("memmap", () => {
    if (!report) fail("no hvm_start_info");
    const r = report!;
    if (r.memmap_entries !== dom.memmap.length) fail(`memmap_entries is ${r.memmap_entries}, the domain's map has ${dom.memmap.length}`);
    const b = new DataView(read(r.memmap_paddr, r.memmap_entries * 24, "the memory map").buffer);
    dom.memmap.forEach((m, i) => {
      const addr = b.getBigUint64(i * 24, true), size = b.getBigUint64(i * 24 + 8, true), type = b.getUint32(i * 24 + 16, true);
      if (addr !== m.addr || size !== m.size || type !== m.type) {
        fail(`memory map entry ${i} is ${hex(addr)}+${hex(size)} type ${type}, the domain's is ${hex(m.addr)}+${hex(m.size)} type ${m.type}`);
      }
    });
  });

  teardownChecks(dom, run, fail);

  run("borrowed", () => {
    for (const [gfn, frame] of dom.physmap) fail(`gfn ${hex(gfn)} still holds ${frame === dom.sharedInfoMfn ? "shared_info" : "a grant frame"} (XENMEM_remove_from_physmap not done)`);
    if (!j.removed.some((r) => r.what === "shared_info")) fail("shared_info was never removed from the physmap");
    const grants = j.removed.filter((r) => r.what.startsWith("grant")).length;
    if (grants !== dom.gnttab.frames.length) fail(`${grants} grant frames were removed, the table has ${dom.gnttab.frames.length}`);
    const now = JSON.stringify(dom.memmap, (_, x) => (typeof x === "bigint" ? x.toString() : x));
    const was = JSON.stringify(j.memmapBefore, (_, x) => (typeof x === "bigint" ? x.toString() : x));
    if (now !== was) fail("the memory map changed");
  });

  run("params", () => {
    for (const [k, val] of j.paramsBefore) if (dom.hvmParams.get(k) !== val) fail(`HVM param ${k} is ${dom.hvmParams.get(k)}, Xen set ${val}`);
    if (dom.hvmParams.size !== j.paramsBefore.size) fail("HVM params were added");
  });

  run("trampoline", () => {
    const tramp = (BigInt(dom.layout.firstFreePfn) << 12n) + BigInt(record.trampoline);
    const got = physRead(dom, tramp, j.trampolineMark.length);
    if (Buffer.compare(got, j.trampolineMark) !== 0) fail(`the trampoline page ${hex(tramp)} was overwritten by the copies`);
    for (const [k, s] of loads.entries()) {
      if (tramp < s.paddr + BigInt(s.memsz) && s.paddr < tramp + BigInt(PAGE)) fail(`the trampoline page ${hex(tramp)} lies inside segment ${k}`);
    }
    if (record.startInfo >= tramp && record.startInfo < tramp + BigInt(PAGE)) fail("hvm_start_info lies in the trampoline page");
  });

  const ordered = {} as Record<PvhCheckName, string>;
  for (const n of PVH_CHECK_NAMES) ordered[n] = checks[n];
  return { checks: ordered, startInfo: report, modules };
}

// The JSON line `pvboot run --mode pvh --json` ends with.
export function pvhHandoffJson(report: PvhReport, record: HandoffRecord): Record<string, unknown> {
  let summary: Record<string, unknown> = {};
  try {
    if (record.summaryText) summary = JSON.parse(record.summaryText) as Record<string, unknown>;
  } catch {
    summary = {};
  }
  const sk = (typeof summary.kernel === "object" && summary.kernel ? summary.kernel : {}) as Record<string, unknown>;
  const s = report.startInfo;
  return {
    mode: "pvh",
    entry: typeof summary.entry === "string" ? summary.entry : null,
    kernel: {
      format: typeof sk.format === "string" ? sk.format : null,
      compression: typeof sk.compression === "string" ? sk.compression : null,
      entry: hex(record.entry),
    },
    hvm_start_info: s && {
      paddr: hex(record.startInfo), magic: hex(s.magic), version: s.version, flags: s.flags, nr_modules: s.nr_modules,
      modlist_paddr: hex(s.modlist_paddr), cmdline_paddr: hex(s.cmdline_paddr), rsdp_paddr: hex(s.rsdp_paddr),
      memmap_paddr: hex(s.memmap_paddr), memmap_entries: s.memmap_entries, cmdline: s.cmdline,
    },
    copies: record.pvh?.nrCopies ?? 0,
    modules: report.modules.map((m) => ({ paddr: hex(m.paddr), size: m.size })),
    checks: report.checks,
  };
}
