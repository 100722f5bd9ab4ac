// One PV guest as Xen's domain builder leaves it at start of day (x86_64, or x86_32 PAE as a
// compat guest, VIRT_BASE 0): RAM in frames whose mfns are a shuffled permutation (pfn != mfn
// everywhere, so any mix-up of the two shows; for x86_32 about half of them below 4 GiB),
// start_info and the P2M in the width's layout, the xenstore and console pages, shared_info,
// the event channels to the console and xenstore backends, and the layout the shim would build.
// Or one PVH guest (mode "pvh", PVH-DESIGN in docs/contract.md): guest frames are physical
// (gfn = frame, no P2M), RAM below the 0xFC000000 hole in an E820 map, the console and xenstore
// pages in libxl's reserved special range named by HVM params, shared_info and the grant frames
// placed in the hole after RAM (XENMEM_add_to_physmap), and start_info synthesized by the shim.

import { PAGE, SI, SI32, SIF_INITDOMAIN, SIF_PRIVILEGED, type GuestArch, type ShutdownReason } from "./abi";
import { DOMID_XEN, MachineMemory } from "./frames";
import { Clock } from "./clock";
import { EventChannels } from "./evtchn";
import { ConsoleBackend, type ConsoleFaults } from "./console";
import { GrantTable } from "./gnttab";
import { Xenstored, type XenstoredFaults } from "./xenstored";
import { toolstackCreate, vbdDevid } from "./toolstack";
import { Blkback, type BlkbackFaults } from "./blkback";
import { Mmu } from "./mmu";

// A disk for the guest: a raw image, and how its backend behaves.
export interface DiskConfig {
  image: string;
  vdev?: string; // default xvda, xvdb, ... in order
  readonly?: boolean;
  cdrom?: boolean;
  sectorSize?: 512 | 4096;
  maxIndirectSegments?: number; // 0: the backend offers no indirect segments
  maxRingPageOrder?: number; // 0: one-page rings only
  faults?: BlkbackFaults;
  persist?: boolean; // the guest's writes go into the image file (default: an overlay in memory)
  flush?: "flush-cache" | "barrier" | "none"; // what the backend offers (default flush-cache)
}

export type GuestMode = "pv" | "pvh";

export interface DomainConfig {
  arch?: GuestArch; // default x86_64
  mode?: GuestMode; // default pv; pvh is x86_64 only (the shim runs the core in long mode)
  memoryMB?: number;
  cmdline?: string;
  dom0?: boolean; // SIF_INITDOMAIN: no console ring, output through console_io
  seed?: number; // for the P2M shuffle
  xenVersion?: { major: number; minor: number; extra: string };
  imagePages?: number; // size of the (native) image the layout starts with
  consoleFaults?: ConsoleFaults;
  preloadConsole?: string; // output a previous stage left unread in the console ring
  disks?: (string | DiskConfig)[]; // raw images for the block backends, xvda first
  xenstoreFaults?: XenstoredFaults;
  // xl ramdisk=: Xen's domain builder places the module right after the kernel image and
  // sets start_info mod_start to its virtual address (SIF flags 0), mod_len to its size.
  ramdisk?: Uint8Array;
}

export interface Layout {
  imagePages: number;
  p2mPfn: number;
  p2mPages: number;
  startInfoPfn: number;
  storePfn: number;
  consolePfn: number;
  ptPfn: number;
  nrPtFrames: number;
  stackPfn: number;
  firstFreePfn: number; // linear page 0
  mappedEndPfn: number; // end of Xen's start-of-day mapping (4 MiB aligned)
  ptReservePages: number; // top of RAM kept for the page tables that map the linear memory
  maxLinearPages: number; // in 64 KiB wasm pages
}

export const STORE_EVTCHN = 1;
export const CONSOLE_EVTCHN = 2;

// PVH: libxl's special pages sit in a reserved range below 0xFF000000; these two are the
// console's and xenstore's (HVM_PARAM_CONSOLE_PFN, HVM_PARAM_STORE_PFN).
export const PVH_SPECIAL_FIRST = 0xfeff8;
export const PVH_SPECIAL_PAGES = 8;
export const PVH_CONSOLE_GFN = 0xfeff8;
export const PVH_STORE_GFN = 0xfeffb;
export const PVH_MMIO_HOLE = 0xfc000000;
export const HVM_PARAM_STORE_PFN = 1, HVM_PARAM_STORE_EVTCHN = 2, HVM_PARAM_CONSOLE_PFN = 17, HVM_PARAM_CONSOLE_EVTCHN = 18;
export const E820_RAM = 1, E820_RESERVED = 2;
// Pages below the PVH linear memory kept for the shim: its image at 1 MiB, its page tables and
// the start_info page it fills.
export const PVH_LOW_RESERVE = 512;

export interface MemmapEntry { addr: bigint; size: bigint; type: number }

// The PVH layout (the fields PV's has, the ones PVH has none of 0): start_info after the shim's
// image at 1 MiB, and the linear memory as high as it can be in RAM (PVH-DESIGN: it starts at
// RAM's end less the most the core may grow to).
export function computePvhLayout(nrPages: number, imagePages: number): Layout {
  if (nrPages * PAGE > PVH_MMIO_HOLE) throw new Error(`a PVH domain of the emulator holds its RAM below 0xfc000000: ${nrPages} pages is too many`);
  const maxLinearPages = Math.min(65535, Math.floor((nrPages - PVH_LOW_RESERVE) / 16));
  if (maxLinearPages < 16) throw new Error(`domain too small: ${nrPages} pages`);
  const firstFreePfn = nrPages - maxLinearPages * 16;
  return {
    imagePages, p2mPfn: 0, p2mPages: 0, startInfoPfn: 0x100 + imagePages, storePfn: PVH_STORE_GFN, consolePfn: PVH_CONSOLE_GFN,
    ptPfn: 0, nrPtFrames: 0, stackPfn: 0, firstFreePfn, mappedEndPfn: 0, ptReservePages: 0, maxLinearPages,
  };
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// The page tables needed to map `pages` pages: L1s, L2s, and an L3, rounded up.
export function pageTableReserve(pages: number): number {
  return Math.ceil(pages / 512) + Math.ceil(pages / (512 * 512)) + 2;
}

// `pfnBytes`: a P2M entry's size (8, or 4 on x86_32). The start-of-day tables count the same
// at both widths: L4, L3 and L2 (PAE: L3, the L2 for slot 0 and the one for slot 3) and the L1s.
export function computeLayout(nrPages: number, imagePages: number, ramdiskPages = 0, pfnBytes = 8): Layout {
  const p2mPfn = imagePages + ramdiskPages;
  const p2mPages = Math.ceil((nrPages * pfnBytes) / PAGE);
  const startInfoPfn = p2mPfn + p2mPages;
  const storePfn = startInfoPfn + 1;
  const consolePfn = storePfn + 1;
  const ptPfn = consolePfn + 1;
  // L4, L3, L2 and the L1s covering the region up to the 4 MiB boundary after 512 KiB padding.
  let nrPtFrames = 3;
  let mappedEndPfn = 0;
  for (;;) {
    const end = ptPfn + nrPtFrames + 1 + 128;
    mappedEndPfn = Math.ceil(end / 1024) * 1024;
    const l1s = Math.ceil(mappedEndPfn / 512);
    if (3 + l1s === nrPtFrames) break;
    nrPtFrames = 3 + l1s;
  }
  const stackPfn = ptPfn + nrPtFrames;
  const firstFreePfn = stackPfn + 1;
  const ptReservePages = pageTableReserve(nrPages);
  const usable = nrPages - ptReservePages - firstFreePfn;
  if (usable < 16 * 16) throw new Error(`domain too small: ${nrPages} pages`);
  return {
    imagePages, p2mPfn, p2mPages, startInfoPfn, storePfn, consolePfn, ptPfn, nrPtFrames, stackPfn,
    firstFreePfn, mappedEndPfn, ptReservePages,
    maxLinearPages: Math.min(65535, Math.floor(usable / 16), pfnBytes === 4 ? Math.floor((0xF5800 - firstFreePfn) / 16) : 65535), // wasm2c keeps the size in 32 bits; x86_32's mapping ends at the hypervisor hole
  };
}

export class Domain {
  readonly domid = 1;
  readonly nrPages: number;
  readonly p2m: number[];
  readonly layout: Layout;
  readonly mem = new MachineMemory();
  readonly clock = new Clock();
  readonly sharedInfoMfn: number;
  readonly evtchn: EventChannels;
  readonly console: ConsoleBackend;
  readonly gnttab: GrantTable;
  readonly xenstore: Xenstored | null = null; // none for dom0
  readonly blkbacks: Blkback[] = [];
  readonly config: Required<Omit<DomainConfig, "seed">> & { seed: number };
  xenConsole = ""; // what console_io wrote (Xen's own serial console)
  shutdownReason: ShutdownReason | null = null;
  // Xen's M2P for the domain's frames (mfn -> pfn), from the P2M, changed by MMU_MACHPHYS_UPDATE
  // (-1: a pfn beyond 2^32, as good as invalid here).
  readonly m2p = new Map<number, number>();
  // What the platform maps over the linear memory now: linear page -> mfn (map_frame), and the
  // linear pages mapped read-only.
  readonly linear = { mapped: new Map<number, number>(), readOnly: new Set<number>() };
  readonly mmu: Mmu;
  readonly hypercallPage: Uint8Array;
  readonly pv32: boolean; // a 32-bit PAE (compat) guest
  readonly pvh: boolean; // a PVH guest
  readonly consoleMfn: number; // the console ring's frame (PVH: its gfn)
  readonly storeMfn: number; // the xenstore ring's frame (PVH: its gfn)
  // PVH: frames placed in the hole by XENMEM_add_to_physmap (gfn -> frame), the E820 map,
  // the HVM params as Xen set them, and the first gfn of the hole after RAM.
  readonly physmap = new Map<number, number>();
  readonly memmap: MemmapEntry[] = [];
  readonly hvmParams = new Map<number, bigint>();
  readonly holeGfn: number;
  // PVH, after the jump: what the emulated shim and trampoline did (pvh.ts checks it).
  pvhJump: import("./pvh").PvhJump | null = null;
  // PVH debug hook: called after the copies, before the checks (a test flips a byte to prove
  // a check can fail).
  afterCopies: ((dom: Domain) => void) | null = null;
  timer = 0n; // the single-shot timer's deadline (set_timer_op), 0 when not armed
  cr3: number | null = null; // the top-level table the vCPU runs on after the jump
  jumpError = ""; // why start_kernel refused the record, in words
  private origPfn = new Map<number, number>(); // mfn -> the pfn the toolstack gave it

  constructor(config: DomainConfig = {}) {
    this.config = {
      arch: config.arch ?? "x86_64",
      mode: config.mode ?? "pv",
      memoryMB: config.memoryMB ?? 256,
      cmdline: config.cmdline ?? "",
      dom0: config.dom0 ?? false,
      seed: config.seed ?? 0x5eed,
      xenVersion: config.xenVersion ?? { major: 4, minor: 17, extra: ".7-emulated" },
      imagePages: config.imagePages ?? 64,
      consoleFaults: config.consoleFaults ?? {},
      preloadConsole: config.preloadConsole ?? "",
      disks: config.disks ?? [],
      xenstoreFaults: config.xenstoreFaults ?? {},
      ramdisk: config.ramdisk ?? new Uint8Array(0),
    };
    this.pv32 = this.config.arch === "x86_32";
    this.pvh = this.config.mode === "pvh";
    if (this.pvh && this.pv32) throw new Error("a PVH domain runs the core as x86_64: no x86_32 PVH");
    if (this.pvh && this.config.dom0) throw new Error("the emulator's PVH domain is a domU");
    if (this.pvh && this.config.ramdisk.length) throw new Error("the emulator's PVH domain takes no ramdisk=");
    this.hypercallPage = this.pvh ? xenHypercallPageHvm() : this.pv32 ? xenHypercallPage32() : xenHypercallPage();
    this.nrPages = this.config.memoryMB * 256;
    this.layout = this.pvh ? computePvhLayout(this.nrPages, this.config.imagePages)
      : computeLayout(this.nrPages, this.config.imagePages, Math.ceil(this.config.ramdisk.length / PAGE), this.pv32 ? 4 : 8);
    this.p2m = this.pvh ? Array.from({ length: this.nrPages }, (_, i) => i) : this.shuffledP2M(this.config.seed);

    const { firstFreePfn, maxLinearPages } = this.layout;
    const linearEnd = firstFreePfn + maxLinearPages * 16;
    for (let pfn = 0; pfn < this.nrPages; pfn++) {
      const inLinear = pfn >= firstFreePfn && pfn < linearEnd;
      this.mem.add(this.p2m[pfn], this.domid, inLinear ? pfn - firstFreePfn : -1);
    }
    // PVH: Xen's own frames numbered far above any gfn, so that the two never meet
    this.sharedInfoMfn = this.pvh ? 0x40000000 : 0x7f000;
    this.mem.add(this.sharedInfoMfn, DOMID_XEN);
    this.mem.view(this.sharedInfoMfn).setUint8(1, 1); // vcpu 0: events masked at entry
    this.holeGfn = this.nrPages;
    if (this.pvh) {
      for (let i = 0; i < PVH_SPECIAL_PAGES; i++) this.mem.add(PVH_SPECIAL_FIRST + i, this.domid);
      this.consoleMfn = PVH_CONSOLE_GFN;
      this.storeMfn = PVH_STORE_GFN;
      this.memmap.push({ addr: 0n, size: BigInt(this.nrPages * PAGE), type: E820_RAM });
      this.memmap.push({ addr: BigInt(PVH_SPECIAL_FIRST * PAGE), size: BigInt(PVH_SPECIAL_PAGES * PAGE), type: E820_RESERVED });
      this.hvmParams.set(HVM_PARAM_STORE_PFN, BigInt(PVH_STORE_GFN)).set(HVM_PARAM_STORE_EVTCHN, BigInt(STORE_EVTCHN))
        .set(HVM_PARAM_CONSOLE_PFN, BigInt(PVH_CONSOLE_GFN)).set(HVM_PARAM_CONSOLE_EVTCHN, BigInt(CONSOLE_EVTCHN));
      this.physmap.set(this.holeGfn, this.sharedInfoMfn); // the shim's add_to_physmap(shared_info) at start of day
    } else {
      this.consoleMfn = this.p2m[this.layout.consolePfn];
      this.storeMfn = this.p2m[this.layout.storePfn];
    }

    this.evtchn = new EventChannels(this.mem, this.sharedInfoMfn, this.pv32);
    this.gnttab = new GrantTable(this.mem, this.domid, this.pvh ? { nextMfn: 0x40001000 } : {});
    if (!this.config.dom0) {
      // the toolstack's reserved grants, both rings to dom0's backends (the console's, xenstored)
      this.gnttab.seed(0, 0, this.consoleMfn);
      this.gnttab.seed(1, 0, this.storeMfn);
    }
    this.console = new ConsoleBackend(this.mem, this.consoleMfn, this.clock);
    this.console.faults = this.config.consoleFaults;
    if (!this.config.dom0) {
      this.console.port = CONSOLE_EVTCHN;
      this.console.notifyGuest = () => this.evtchn.raise(CONSOLE_EVTCHN);
      this.evtchn.connect(CONSOLE_EVTCHN, "console", 0, 10, () => this.console.notified());
    }
    if (!this.config.dom0) {
      this.xenstore = new Xenstored({
        mem: this.mem, clock: this.clock, ringMfn: this.storeMfn, guestDomid: this.domid,
        notifyGuest: () => this.evtchn.raise(STORE_EVTCHN),
      });
      this.xenstore.faults = this.config.xenstoreFaults;
      this.evtchn.connect(STORE_EVTCHN, "xenstore", 0, 11, () => this.xenstore!.notified());
      this.attachDisks(this.xenstore);
    }
    this.p2m.forEach((mfn, pfn) => {
      this.m2p.set(mfn, pfn);
      this.origPfn.set(mfn, pfn);
    });
    this.mmu = new Mmu((mfn) => this.mem.bytes(mfn), {
      writableAt: (mfn) => this.writableAt(mfn),
      platformTable: (mfn) => this.platformTable(mfn),
      owns: (mfn) => this.mem.owner(mfn) === this.domid,
      shared: (mfn) => mfn === this.sharedInfoMfn || this.gnttab.frames.includes(mfn),
    });
    if (!this.pvh) {
      this.writeP2M();
      this.writeRamdisk();
    }
    this.writeStartInfo();
    if (this.config.preloadConsole) this.console.preload(this.config.preloadConsole);
    if (this.config.consoleFaults.brokenIndexes) this.console.breakIndexes();
  }

  // What xl does for `disk = [...]`: the frontend and backend nodes, then blkback for each.
  private attachDisks(xs: Xenstored): void {
    const disks: DiskConfig[] = this.config.disks.map((d) => (typeof d === "string" ? { image: d } : d));
    const vdevs = disks.map((d, i) => d.vdev ?? "xvd" + String.fromCharCode(0x61 + i));
    toolstackCreate(xs, {
      domid: this.domid, name: "pvboot-guest", memoryKiB: this.config.memoryMB * 1024,
      console: { ringMfn: this.consoleMfn, port: CONSOLE_EVTCHN },
      store: { ringMfn: this.storeMfn, port: STORE_EVTCHN },
      disks: disks.map((d, i) => ({ vdev: vdevs[i], devid: vbdDevid(vdevs[i]), mode: d.readonly || d.cdrom ? "r" : "w", params: d.image })),
    });
    disks.forEach((d, i) => {
      this.blkbacks.push(new Blkback({
        xs, mem: this.mem, clock: this.clock, evtchn: this.evtchn, gnttab: this.gnttab, guestDomid: this.domid,
        devid: vbdDevid(vdevs[i]), image: d.image, readonly: d.readonly, cdrom: d.cdrom, sectorSize: d.sectorSize,
        maxIndirectSegments: d.maxIndirectSegments, maxRingPageOrder: d.maxRingPageOrder, faults: d.faults,
        persist: d.persist, flush: d.flush,
      }));
    });
  }

  // Where the running loader maps `mfn` writable now, as the platform's page tables do: the
  // start-of-day mapping of pfns below the linear memory (all but its page tables), every
  // linear page of the memory grown so far (its own frame, or what map_frame put there)
  // unless mapped read-only. Null when nowhere.
  writableAt(mfn: number): string | null {
    const L = this.layout;
    const pfn = this.origPfn.get(mfn);
    const hexva = (pfnOrPage: number) => "va 0x" + (pfnOrPage * PAGE).toString(16);
    if (pfn !== undefined && pfn < L.firstFreePfn && !(pfn >= L.ptPfn && pfn < L.ptPfn + L.nrPtFrames)) {
      return `pfn ${pfn} of the start-of-day mapping (${hexva(pfn)})`;
    }
    const pages = this.mem.memory ? this.mem.memory.buffer.byteLength / PAGE : 0;
    for (const [page, m] of this.linear.mapped) {
      if (m === mfn && page < pages && !this.linear.readOnly.has(page)) {
        return `linear offset 0x${(page * PAGE).toString(16)} (${hexva(L.firstFreePfn + page)}, put there by map_frame)`;
      }
    }
    if (pfn !== undefined && pfn >= L.firstFreePfn) {
      const page = pfn - L.firstFreePfn;
      if (page < pages && !this.linear.mapped.has(page)) {
        return `linear offset 0x${(page * PAGE).toString(16)} (${hexva(pfn)}), its own page of the memory`;
      }
    }
    return null;
  }

  // The platform's own page tables: the start-of-day ones and the reserve at the top of RAM
  // it extends its mapping from (all of it counted, whether the shim used it yet or not).
  platformTable(mfn: number): boolean {
    const L = this.layout;
    const pfn = this.origPfn.get(mfn);
    if (pfn === undefined) return false;
    return (pfn >= L.ptPfn && pfn < L.ptPfn + L.nrPtFrames) || pfn >= this.nrPages - L.ptReservePages;
  }

  // The pfn the toolstack gave `mfn` (the original P2M's inverse).
  originalPfn(mfn: number): number | undefined {
    return this.origPfn.get(mfn);
  }

  // PVH: the frame behind `gfn` now (RAM and the special pages are their own gfn; the hole
  // holds what add_to_physmap put there), or undefined.
  gfnFrame(gfn: number): number | undefined {
    const placed = this.physmap.get(gfn);
    if (placed !== undefined) return placed;
    if ((gfn >= 0 && gfn < this.nrPages) || (gfn >= PVH_SPECIAL_FIRST && gfn < PVH_SPECIAL_FIRST + PVH_SPECIAL_PAGES)) return gfn;
    return undefined;
  }

  // PVH: the gfn at which frame `frame` is in the physmap, or undefined.
  frameGfn(frame: number): number | undefined {
    for (const [g, f] of this.physmap) if (f === frame) return g;
    return this.gfnFrame(frame) === frame ? frame : undefined;
  }

  pfnToMfn(pfn: number): number {
    if (pfn < 0 || pfn >= this.nrPages) throw new Error(`pfn ${pfn} outside the domain`);
    return this.p2m[pfn];
  }

  // Machine frames far from the pfn range and in shuffled order.
  private shuffledP2M(seed: number): number[] {
    const rand = mulberry32(seed);
    const base = this.pv32 ? 0x100000 - this.nrPages : 0x100000; // x86_32: half below 4 GiB
    const mfns = Array.from({ length: this.nrPages }, (_, i) => base + i * 2 + (i & 1));
    for (let i = mfns.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [mfns[i], mfns[j]] = [mfns[j], mfns[i]];
    }
    return mfns;
  }

  private writeP2M(): void {
    const { p2mPfn, p2mPages } = this.layout;
    for (let page = 0; page < p2mPages; page++) {
      const v = this.mem.view(this.p2m[p2mPfn + page]);
      for (let i = 0; i < 512; i++) {
        const pfn = page * 512 + i;
        if (pfn < this.nrPages) v.setBigUint64(i * 8, BigInt(this.p2m[pfn]), true);
      }
      if (this.pv32) {
        for (let i = 0; i < 1024; i++) {
          const pfn = page * 1024 + i;
          v.setUint32(i * 4, pfn < this.nrPages ? this.p2m[pfn] : 0, true);
        }
      }
    }
  }

  private writeRamdisk(): void {
    const rd = this.config.ramdisk;
    for (let off = 0; off < rd.length; off += PAGE) {
      this.mem.bytes(this.p2m[this.config.imagePages + off / PAGE]).set(rd.subarray(off, off + PAGE));
    }
  }

  private writeStartInfo(): void {
    const L = this.layout;
    const b = this.mem.bytes(this.p2m[L.startInfoPfn]);
    const v = this.mem.view(this.p2m[L.startInfoPfn]);
    if (this.pvh) {
      this.writeStartInfoPvh(b, v);
      return;
    }
    if (this.pv32) {
      this.writeStartInfo32();
      return;
    }
    b.set(new TextEncoder().encode("xen-3.0-x86_64"), SI.magic);
    const u64 = (off: number, x: number) => v.setBigUint64(off, BigInt(x), true);
    u64(SI.nr_pages, this.nrPages);
    u64(SI.shared_info, this.sharedInfoMfn * PAGE);
    u64(SI.flags, this.config.dom0 ? SIF_PRIVILEGED | SIF_INITDOMAIN : 0);
    u64(SI.store_mfn, this.config.dom0 ? 0 : this.p2m[L.storePfn]);
    u64(SI.store_evtchn, this.config.dom0 ? 0 : STORE_EVTCHN);
    u64(SI.console_mfn, this.config.dom0 ? 0 : this.p2m[L.consolePfn]);
    u64(SI.console_evtchn, this.config.dom0 ? 0 : CONSOLE_EVTCHN);
    u64(SI.pt_base, L.ptPfn * PAGE);
    u64(SI.nr_pt_frames, L.nrPtFrames);
    u64(SI.mfn_list, L.p2mPfn * PAGE);
    if (this.config.ramdisk.length > 0) {
      u64(SI.mod_start, this.config.imagePages * PAGE);
      u64(SI.mod_len, this.config.ramdisk.length);
    }
    const cmd = new TextEncoder().encode(this.config.cmdline).subarray(0, SI.cmd_line_size - 1);
    b.set(cmd, SI.cmd_line);
  }

  // What the PVH shim synthesizes (docs/contract.md, "start_info in PVH"): x86_64's layout,
  // frames as gfns, no page tables, P2M or module (the emulator's PVH domain has no ramdisk=).
  private writeStartInfoPvh(b: Uint8Array, v: DataView): void {
    b.set(new TextEncoder().encode("xen-3.0-x86_64"), SI.magic);
    const u64 = (off: number, x: number) => v.setBigUint64(off, BigInt(x), true);
    u64(SI.nr_pages, this.nrPages);
    u64(SI.shared_info, this.holeGfn * PAGE);
    u64(SI.store_mfn, PVH_STORE_GFN);
    u64(SI.store_evtchn, STORE_EVTCHN);
    u64(SI.console_mfn, PVH_CONSOLE_GFN);
    u64(SI.console_evtchn, CONSOLE_EVTCHN);
    b.set(new TextEncoder().encode(this.config.cmdline).subarray(0, SI.cmd_line_size - 1), SI.cmd_line);
  }

  private writeStartInfo32(): void {
    const L = this.layout;
    const b = this.mem.bytes(this.p2m[L.startInfoPfn]);
    const v = this.mem.view(this.p2m[L.startInfoPfn]);
    b.set(new TextEncoder().encode("xen-3.0-x86_32p"), SI32.magic);
    const u32 = (off: number, x: number) => v.setUint32(off, x, true);
    const d0 = this.config.dom0;
    u32(SI32.nr_pages, this.nrPages);
    u32(SI32.shared_info, this.sharedInfoMfn * PAGE);
    u32(SI32.flags, d0 ? SIF_PRIVILEGED | SIF_INITDOMAIN : 0);
    u32(SI32.store_mfn, d0 ? 0 : this.p2m[L.storePfn]);
    u32(SI32.store_evtchn, d0 ? 0 : STORE_EVTCHN);
    u32(SI32.console_mfn, d0 ? 0 : this.p2m[L.consolePfn]);
    u32(SI32.console_evtchn, d0 ? 0 : CONSOLE_EVTCHN);
    u32(SI32.pt_base, L.ptPfn * PAGE);
    u32(SI32.nr_pt_frames, L.nrPtFrames);
    u32(SI32.mfn_list, L.p2mPfn * PAGE);
    if (this.config.ramdisk.length > 0) {
      u32(SI32.mod_start, this.config.imagePages * PAGE);
      u32(SI32.mod_len, this.config.ramdisk.length);
    }
    b.set(new TextEncoder().encode(this.config.cmdline).subarray(0, SI32.cmd_line_size - 1), SI32.cmd_line);
  }
}

// The hypercall page Xen writes for an HVM or PVH guest on AMD (SVM, as the test host's QEMU
// -cpu max): for each hypercall nr at nr * 32: mov $nr, %eax; vmmcall; ret.
export function xenHypercallPageHvm(): Uint8Array {
  const p = new Uint8Array(PAGE).fill(0xcc);
  for (let nr = 0; nr < PAGE / 32; nr++) p.set([0xb8, nr & 0xff, (nr >> 8) & 0xff, 0, 0, 0x0f, 0x01, 0xd9, 0xc3], nr * 32);
  return p;
}

// 64-bit Xen's hypercall page for a 32-bit PV guest: int3 everywhere, and for each hypercall
// nr at nr * 32: mov $nr, %eax; int $0x82; ret. HYPERVISOR_iret (23): push %eax;
// mov $23, %eax; int $0x82.
export function xenHypercallPage32(): Uint8Array {
  const p = new Uint8Array(PAGE).fill(0xcc);
  for (let nr = 0; nr < PAGE / 32; nr++) {
    const imm = [nr & 0xff, (nr >> 8) & 0xff, 0, 0];
    p.set(nr === 23 ? [0x50, 0xb8, ...imm, 0xcd, 0x82] : [0xb8, ...imm, 0xcd, 0x82, 0xc3], nr * 32);
  }
  return p;
}

// 64-bit Xen's hypercall page for a PV guest, as Xen fills it: int3 (0xcc) everywhere, and for
// each hypercall nr (0..127) at nr * 32: push %rcx; push %r11; mov $nr, %eax; syscall;
// pop %r11; pop %rcx; ret. HYPERVISOR_iret (23), which does not return, is push %rcx;
// push %r11; push %rax; mov $23, %eax; syscall.
export function xenHypercallPage(): Uint8Array {
  const p = new Uint8Array(PAGE).fill(0xcc);
  const IRET = 23;
  for (let nr = 0; nr < PAGE / 32; nr++) {
    const imm = [nr & 0xff, (nr >> 8) & 0xff, 0, 0];
    const code = nr === IRET
      ? [0x51, 0x41, 0x53, 0x50, 0xb8, ...imm, 0x0f, 0x05]
      : [0x51, 0x41, 0x53, 0xb8, ...imm, 0x0f, 0x05, 0x41, 0x5b, 0x59, 0xc3];
    p.set(code, nr * 32);
  }
  return p;
}
