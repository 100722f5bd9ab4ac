// The harness side of the jump: the emulated Xen's rules for pinning the next kernel's page
// tables (mmu.ts, through the contract's imports) and the verifier of the new domain
// (handoff.ts), proved on domains built by hand here, without the core.

import { describe, expect, it } from "vitest";
import { Domain } from "./harness/domain";
import { DomainJumped, HarnessError, makeImports, PlatformCrash } from "./harness/imports";
import { checkHandoff, CHECK_NAMES, parseKernel } from "./harness/handoff";
import { CONS, EBUSY, EFAULT, EINVAL, SI } from "./harness/abi";
import { pvElf } from "./loader/pv-elf";

const PAGE = 4096;
const L4E = 0x67n, L1E = 0x23n;

function setup() {
  const dom = new Domain({ memoryMB: 32, cmdline: "" });
  const memory = new WebAssembly.Memory({ initial: dom.layout.maxLinearPages, maximum: dom.layout.maxLinearPages });
  const { xen } = makeImports(dom, memory, { calls: {} });
  const F = dom.layout.firstFreePfn;
  const lin = () => new Uint8Array(memory.buffer);
  const entry = (mfn: number, flags: bigint) => (BigInt(mfn) << 12n) | flags;
  const setEntry = (table: number, slot: number, value: bigint) => dom.mem.view(table).setBigUint64(slot * 8, value, true);
  const offsetOfPfn = (pfn: number) => (pfn - F) * PAGE; // the linear offset of an original pfn
  const ro = (pfn: number) => expect(xen.map_frame(offsetOfPfn(pfn), BigInt(dom.p2m[pfn]), 1)).toBe(0);
  const ops = (list: [number, number][]) => {
    const at = offsetOfPfn(6400); // scratch, far above the new domain's region
    const v = new DataView(memory.buffer);
    list.forEach(([cmd, mfn], i) => {
      v.setUint32(at + i * 24, cmd, true);
      v.setBigUint64(at + i * 24 + 8, BigInt(mfn), true);
    });
    return xen.mmuext_op(at, list.length);
  };
  return { dom, memory, xen, F, lin, entry, setEntry, offsetOfPfn, ro, pin: (mfn: number) => ops([[3, mfn]]), unpin: (mfn: number) => ops([[4, mfn]]) };
}

type Hierarchy = { l4: number; l3: number; l2: number; l1: number; data: number };

// A four-level hierarchy in linear pages F+100.. mapping one data page at va 0; `edit` writes
// more entries while the tables are still writable (a store after map_frame read-only would
// fault, as on Xen).
function smallHierarchy(s: ReturnType<typeof setup>, opts: { roAll?: boolean; edit?: (h: Hierarchy) => void } = {}): Hierarchy {
  const { dom, F, entry, setEntry, ro } = s;
  const [l4, l3, l2, l1, data] = [100, 101, 102, 103, 104].map((i) => dom.p2m[F + i]);
  setEntry(l4, 0, entry(l3, L4E));
  setEntry(l3, 0, entry(l2, L4E));
  setEntry(l2, 0, entry(l1, L4E));
  setEntry(l1, 0, entry(data, L1E));
  setEntry(l1, 1, entry(l1, 0x21n)); // the L1 itself, read-only: allowed
  opts.edit?.({ l4, l3, l2, l1, data });
  if (opts.roAll !== false) for (const i of [100, 101, 102, 103]) ro(F + i);
  return { l4, l3, l2, l1, data };
}

describe("pinning the next kernel's L4 (Xen's rules)", () => {
  it("pins a correct hierarchy, refuses to pin it twice, unpins it once", () => {
    const s = setup();
    const h = smallHierarchy(s);
    expect(s.pin(h.l4), s.dom.mmu.lastError).toBe(0);
    expect(s.dom.mmu.level(h.l1)).toBe(1);
    expect(s.dom.mmu.level(h.l3)).toBe(3);
    // Xen's adjustment: USER and _PAGE_GUEST_KERNEL on a kernel L1 entry
    expect(s.dom.mem.view(h.l1).getBigUint64(0, true)).toBe(s.entry(h.data, L1E | 4n | (1n << 52n)));
    expect(s.pin(h.l4)).toBe(-EINVAL);
    expect(s.dom.mmu.lastError).toMatch(/already pinned/);
    expect(s.unpin(h.l4)).toBe(0);
    expect(s.dom.mmu.level(h.l1)).toBe(0);
    expect(s.unpin(h.l4)).toBe(-EINVAL);
    expect(s.dom.mmu.lastError).toMatch(/not pinned/);
  });

  it("refuses a table that an L1 entry maps writable", () => {
    const s = setup();
    const h = smallHierarchy(s, { edit: (h) => s.setEntry(h.l1, 2, s.entry(h.l2, L1E)) });
    expect(s.pin(h.l4)).toBe(-EINVAL);
    expect(s.dom.mmu.lastError).toMatch(/maps L2 page table mfn 0x[0-9a-f]+ writable/);
    expect(s.dom.mmu.level(h.l4)).toBe(0); // nothing kept from the failed validation
  });

  it("refuses a table in the linear memory that the loader did not make read-only", () => {
    const s = setup();
    const h = smallHierarchy(s, { roAll: false });
    for (const i of [100, 101, 103]) s.ro(s.F + i); // not the L2
    expect(s.pin(h.l4)).toBe(-EINVAL);
    expect(s.dom.mmu.lastError).toMatch(/L2 page table mfn 0x[0-9a-f]+ is mapped writable by the running domain at linear offset 0x66000/);
  });

  it("refuses foreign frames, superpages, Xen's L4 slots and one frame at two levels", () => {
    let s = setup();
    let h = smallHierarchy(s, { edit: (h) => s.setEntry(h.l1, 5, s.entry(0x12345, L1E)) });
    expect(s.pin(h.l4)).toBe(-EINVAL);
    expect(s.dom.mmu.lastError).toMatch(/maps mfn 0x12345, which is not a frame of the domain/);

    s = setup();
    h = smallHierarchy(s, { edit: (h) => s.setEntry(h.l2, 1, s.entry(h.data, L4E | 0x80n)) });
    expect(s.pin(h.l4)).toBe(-EINVAL);
    expect(s.dom.mmu.lastError).toMatch(/superpage \(PSE\)/);

    s = setup();
    h = smallHierarchy(s, { edit: (h) => s.setEntry(h.l3, 1, s.entry(h.l1, L4E)) }); // the L1 used as an L2 too
    expect(s.pin(h.l4)).toBe(-EINVAL);
    expect(s.dom.mmu.lastError).toMatch(/already an L1 page table, it cannot also be an L2/);

    s = setup();
    h = smallHierarchy(s, { edit: (h) => s.setEntry(h.l4, 256, s.entry(h.l3, L4E)) });
    expect(s.pin(h.l4)).toBe(-EINVAL);
    expect(s.dom.mmu.lastError).toMatch(/slots 256..271 are Xen's/);

    s = setup();
    h = smallHierarchy(s, { edit: (h) => s.setEntry(h.l3, 2, s.entry(s.dom.sharedInfoMfn, L4E)) }); // shared_info as an L2
    expect(s.pin(h.l4)).toBe(-EINVAL);
    expect(s.dom.mmu.lastError).toMatch(/Xen's frame shared with the domain/);
  });

  it("keeps pinned tables read-only for the loader: no writable map_frame, no unmap", () => {
    const s = setup();
    const h = smallHierarchy(s);
    expect(s.pin(h.l4)).toBe(0);
    // -EBUSY, as real Xen answers (test/xen/contract.test.ts): the frame's type is taken
    expect(s.xen.unmap_frame(s.offsetOfPfn(s.F + 102))).toBe(-EBUSY);
    expect(s.xen.map_frame(s.offsetOfPfn(s.F + 102), BigInt(h.l2), 0)).toBe(-EBUSY);
    expect(s.xen.map_frame(s.offsetOfPfn(s.F + 200), BigInt(h.l2), 0)).toBe(-EBUSY);
  });

  it("updates the M2P with MMU_MACHPHYS_UPDATE only, for the domain's own frames", () => {
    const s = setup();
    const at = s.offsetOfPfn(6400);
    const v = new DataView(s.memory.buffer);
    const mfn = s.dom.p2m[s.F + 5];
    v.setBigUint64(at, (BigInt(mfn) << 12n) | 1n, true);
    v.setBigUint64(at + 8, 77n, true);
    expect(s.xen.mmu_update(at, 1)).toBe(0);
    expect(s.dom.m2p.get(mfn)).toBe(77);
    v.setBigUint64(at, (0x12345n << 12n) | 1n, true);
    expect(s.xen.mmu_update(at, 1)).toBe(-EINVAL);
    expect(s.dom.mmu.lastError).toMatch(/not a frame of the domain/);
    v.setBigUint64(at, BigInt(mfn) << 12n, true); // MMU_NORMAL_PT_UPDATE
    expect(s.xen.mmu_update(at, 1)).toBe(-EINVAL);
    expect(s.xen.mmu_update(s.memory.buffer.byteLength - 8, 1)).toBe(-EFAULT);
  });

  it("answers pfn_of, va_of and hypercall_page as the shim does", () => {
    const s = setup();
    expect(s.xen.pfn_of(3 * PAGE + 5)).toBe(BigInt(s.F + 3));
    expect(s.xen.va_of(3 * PAGE + 5)).toBe(BigInt((s.F + 3) * PAGE + 5));
    expect(s.xen.pfn_of(s.memory.buffer.byteLength)).toBe(-1n);
    expect(s.xen.va_of(-1)).toBe(-1n);
    expect(s.xen.hypercall_page(PAGE)).toBe(0);
    // hypercall 1 (mmu_update): push %rcx; push %r11; mov $1,%eax; syscall; pop %r11; pop %rcx; ret
    expect([...s.lin().subarray(PAGE + 32, PAGE + 48)]).toEqual(
      [0x51, 0x41, 0x53, 0xb8, 1, 0, 0, 0, 0x0f, 0x05, 0x41, 0x5b, 0x59, 0xc3, 0xcc, 0xcc]);
    expect(s.xen.hypercall_page(s.memory.buffer.byteLength - 100)).toBe(-EFAULT);
  });
});

// ---- a whole new domain, laid out as libxenguest would, for the pvElf() kernel ----

const VIRT_BASE = 0xffffffff80000000n;

interface Built {
  s: ReturnType<typeof setup>;
  elf: Buffer;
  p2m: number[];
  recordAt: number;
  pfns: { kernel: number; p2m: number; si: number; pt: number; nrPt: number; stack: number; end: number; tramp: number };
}

function buildDomain(opts: { moveStore?: boolean; mapTrampoline?: boolean } = {}): Built {
  const s = setup();
  const { dom, F, entry, setEntry } = s;
  const elf = pvElf();
  const k = parseKernel(elf);
  const kernel = Number((k.kstart - VIRT_BASE) >> 12n); // 4096
  const kernelPages = Number((k.kend - k.kstart + 4095n) >> 12n);
  const p2mPfn = kernel + kernelPages;
  const p2mPages = dom.nrPages * 8 / PAGE;
  const si = p2mPfn + p2mPages;
  const pt = si + 3;
  const end = 5120; // 20 MiB
  const nrPt = 1 + 1 + 1 + end / 512 + 3; // L4, L3, L2, the L1s, the trampoline's L3, L2, L1
  const stack = pt + nrPt;
  expect(end - stack - 1).toBeGreaterThanOrEqual(128);
  const tramp = 7000; // a pfn of the linear memory, above the region

  // The new P2M: the frames below the linear memory (the old image, start_info, P2M, the
  // platform's tables) swap with frames far above the region; the rings move after start_info.
  const p2m = [...dom.p2m];
  const swap = (a: number, b: number) => ([p2m[a], p2m[b]] = [p2m[b], p2m[a]]);
  for (let i = 0; i < F; i++) swap(i, 6000 + i);
  const at = (mfn: number) => p2m.indexOf(mfn);
  if (opts.moveStore !== false) swap(si + 1, at(dom.p2m[dom.layout.storePfn]));
  swap(si + 2, at(dom.p2m[dom.layout.consolePfn]));

  // kernel: the PT_LOAD's file bytes, the BSS zero, Xen's hypercall page
  const seg = k.segments[0];
  for (let i = 0; i < seg.filesz; i++) {
    const va = seg.va + BigInt(i);
    dom.mem.bytes(p2m[Number((va - VIRT_BASE) >> 12n)])[Number(va & 0xfffn)] = elf[seg.offset + i];
  }
  dom.mem.bytes(p2m[Number((k.hypercallPage! - VIRT_BASE) >> 12n)]).set(dom.hypercallPage);
  // the P2M
  for (let pfn = 0; pfn < dom.nrPages; pfn++) dom.mem.view(p2m[p2mPfn + (pfn >> 9)]).setBigUint64((pfn & 511) * 8, BigInt(p2m[pfn]), true);
  // start_info
  const sib = dom.mem.bytes(p2m[si]);
  const siv = dom.mem.view(p2m[si]);
  sib.set(new TextEncoder().encode("xen-3.0-x86_64"), 0);
  const u = (o: number, x: bigint | number) => siv.setBigUint64(o, BigInt(x), true);
  u(SI.nr_pages, dom.nrPages);
  u(SI.shared_info, dom.sharedInfoMfn * PAGE);
  u(SI.store_mfn, dom.p2m[dom.layout.storePfn]);
  u(SI.store_evtchn, 1);
  u(SI.console_mfn, dom.p2m[dom.layout.consolePfn]);
  u(SI.console_evtchn, 2);
  u(SI.pt_base, VIRT_BASE + BigInt(pt * PAGE));
  u(SI.nr_pt_frames, nrPt);
  u(SI.mfn_list, VIRT_BASE + BigInt(p2mPfn * PAGE));
  // page tables
  const [l4, l3, l2] = [p2m[pt], p2m[pt + 1], p2m[pt + 2]];
  const l1s = Array.from({ length: end / 512 }, (_, i) => p2m[pt + 3 + i]);
  const [tl3, tl2, tl1] = [p2m[pt + 3 + l1s.length], p2m[pt + 4 + l1s.length], p2m[pt + 5 + l1s.length]];
  setEntry(l4, 511, entry(l3, L4E));
  setEntry(l3, 510, entry(l2, L4E));
  l1s.forEach((l1, i) => setEntry(l2, i, entry(l1, L4E)));
  for (let pfn = 0; pfn < end; pfn++) {
    const isPt = pfn >= pt && pfn < pt + nrPt;
    setEntry(l1s[pfn >> 9], pfn & 511, entry(p2m[pfn], isPt ? 0x21n : L1E));
  }
  const tva = BigInt(tramp) << 12n; // va_of: pfn << 12
  setEntry(l4, 0, entry(tl3, L4E));
  setEntry(tl3, Number((tva >> 30n) & 511n), entry(tl2, L4E));
  setEntry(tl2, Number((tva >> 21n) & 511n), entry(tl1, L4E));
  if (opts.mapTrampoline !== false) setEntry(tl1, Number((tva >> 12n) & 511n), entry(dom.p2m[tramp], L1E));
  // the tables' pages are the loader's own linear pages: read-only now
  for (let i = 0; i < nrPt; i++) {
    const mfn = p2m[pt + i];
    expect(s.xen.map_frame((dom.originalPfn(mfn)! - F) * PAGE, BigInt(mfn), 1)).toBe(0);
  }
  expect(s.pin(l4), dom.mmu.lastError).toBe(0);
  // the M2P, one batch
  const reqs = s.offsetOfPfn(6500);
  const v = new DataView(s.memory.buffer);
  let n = 0;
  p2m.forEach((mfn, pfn) => {
    if (dom.p2m[pfn] === mfn) return;
    v.setBigUint64(reqs + n * 16, (BigInt(mfn) << 12n) | 1n, true);
    v.setBigUint64(reqs + n * 16 + 8, BigInt(pfn), true);
    n++;
  });
  expect(s.xen.mmu_update(reqs, n)).toBe(0);
  // the ELF, the summary and the record in the linear memory
  const elfAt = s.offsetOfPfn(6600);
  s.lin().set(elf, elfAt);
  const summary = new TextEncoder().encode(JSON.stringify({ title: "mini", kernel: { format: "elf", compression: "none" } }));
  const sumAt = s.offsetOfPfn(6700);
  s.lin().set(summary, sumAt);
  const recordAt = s.offsetOfPfn(6701);
  v.setBigUint64(recordAt, BigInt(l4), true);
  v.setBigUint64(recordAt + 8, k.entry, true);
  v.setBigUint64(recordAt + 16, VIRT_BASE + BigInt((stack + 1) * PAGE), true);
  v.setBigUint64(recordAt + 24, VIRT_BASE + BigInt(si * PAGE), true);
  v.setUint32(recordAt + 32, s.offsetOfPfn(tramp), true);
  v.setUint32(recordAt + 40, elfAt, true);
  v.setUint32(recordAt + 44, elf.length, true);
  v.setUint32(recordAt + 48, sumAt, true);
  v.setUint32(recordAt + 52, summary.length, true);
  return { s, elf, p2m, recordAt, pfns: { kernel, p2m: p2mPfn, si, pt, nrPt, stack, end, tramp } };
}

function jump(b: Built) {
  try {
    b.s.xen.start_kernel(b.recordAt, 64);
  } catch (e) {
    if (e instanceof DomainJumped) return e.record;
    throw e;
  }
  throw new Error(`start_kernel returned: ${b.s.dom.jumpError}`);
}

describe("the new domain after the jump (handoff.ts)", () => {
  it("passes every check on a correct domain", () => {
    const b = buildDomain();
    const rec = jump(b);
    expect(b.s.dom.cr3).toBe(Number(rec.l4Mfn));
    const r = checkHandoff(b.s.dom, rec, { elf: b.elf, cmdline: "" });
    expect(Object.keys(r.checks)).toEqual([...CHECK_NAMES]);
    for (const n of CHECK_NAMES) expect(r.checks[n], n).toBe("ok");
    expect(r.kernel!.virtBase).toBe(VIRT_BASE);
    expect(r.startInfo!.nr_pt_frames).toBe(BigInt(b.pfns.nrPt));
  });

  it("refuses a record whose L4 is not pinned, or that is too short", () => {
    const b = buildDomain();
    const v = new DataView(b.s.memory.buffer);
    expect(b.s.xen.start_kernel(b.recordAt, 32)).toBe(-EINVAL);
    v.setBigUint64(b.recordAt, BigInt(b.p2m[b.pfns.pt + 1]), true); // the L3, not pinned
    expect(b.s.xen.start_kernel(b.recordAt, 64)).toBe(-EINVAL);
    expect(b.s.dom.jumpError).toMatch(/is not a pinned L4/);
    v.setUint32(b.recordAt + 32, 100, true);
    v.setBigUint64(b.recordAt, BigInt(b.p2m[b.pfns.pt]), true);
    expect(b.s.xen.start_kernel(b.recordAt, 64)).toBe(-EINVAL); // trampoline not page-aligned
  });

  it("faults a write into a pinned table, read-only in the linear memory, at the next call", () => {
    const b = buildDomain();
    b.s.dom.mem.view(b.p2m[b.pfns.pt + 5]).setBigUint64(8 * 7, 0n, true); // as a wasm store would
    expect(() => b.s.xen.start_kernel(b.recordAt, 64)).toThrow(PlatformCrash);
    expect(b.s.dom.jumpError).toMatch(/^a write to linear offset 0x[0-9a-f]+038 through a read-only mapping of mfn 0x[0-9a-f]+ \(an L1 page table\) \(0x27 became 0x0\)$/);
    expect(b.s.dom.cr3).toBeNull(); // no jump
  });

  it("faults a store through any read-only mapping, as Xen's #PF would, and not a store elsewhere", () => {
    const s = setup();
    const page = s.offsetOfPfn(s.F + 300);
    expect(s.xen.map_frame(page, BigInt(s.dom.p2m[s.F + 300]), 1)).toBe(0);
    s.lin()[page + PAGE - 1] = 0; // the same value: no change, nothing to see
    s.lin()[page + PAGE] = 7; // the next page, writable
    expect(s.xen.set_timer_op(0n)).toBe(0);
    s.lin()[page + 0x123] = 0x5a;
    let crash: unknown;
    try {
      s.xen.set_timer_op(0n);
    } catch (e) {
      crash = e;
    }
    expect(crash).toBeInstanceOf(PlatformCrash);
    const va = (BigInt(s.F) << 12n) + BigInt(page + 0x123);
    expect((crash as PlatformCrash).line).toBe(`pvboot: shim fault: vector 14 #PF page fault, error 0x3, cr2 0x${va.toString(16)}: ` +
      `a write to linear offset 0x${(page + 0x123).toString(16)} through a read-only mapping of mfn 0x${s.dom.p2m[s.F + 300].toString(16)} (0x0 became 0x5a)`);
    // made writable again, the page takes stores
    s.lin()[page + 0x123] = 0;
    expect(s.xen.map_frame(page, BigInt(s.dom.p2m[s.F + 300]), 0)).toBe(0);
    s.lin()[page + 0x123] = 0x5a;
    expect(s.xen.set_timer_op(0n)).toBe(0);
  });

  it("checks the jump's entry against the kernel's", () => {
    const b = buildDomain();
    const rec = jump(b);
    expect(checkHandoff(b.s.dom, rec).checks.entry).toBe("ok");
    const r = checkHandoff(b.s.dom, { ...rec, entry: rec.entry + 16n });
    expect(r.checks.entry).toMatch(/^the jump goes to 0xffffffff[0-9a-f]+, the kernel's entry \(its ENTRY note or e_entry\) is 0xffffffff[0-9a-f]+$/);
  });

  it("crashes the domain when the new tables do not map the trampoline", () => {
    const b = buildDomain({ mapTrampoline: false });
    expect(() => b.s.xen.start_kernel(b.recordAt, 64)).toThrow(PlatformCrash);
    expect(b.s.dom.jumpError).toMatch(/to nothing/);
  });

  // A vbd frontend in state `state`, and libxl's device/suspend/event-channel beside it.
  const frontend = (b: Built, state: string) => {
    const xs = b.s.dom.xenstore!;
    xs.write("/local/domain/1/device/suspend/event-channel", "");
    xs.write("/local/domain/1/device/vbd/51712/backend", "/local/domain/0/backend/vbd/1/51712");
    xs.write("/local/domain/1/device/vbd/51712/state", state);
  };
  const broken: [string, (b: Built) => void, RegExp, Parameters<typeof buildDomain>[0]?][] = [
    ["bss", (b) => { b.s.dom.mem.bytes(b.p2m[b.pfns.kernel + 0x13])[5] = 1; }, /the BSS of PT_LOAD 0: va 0xffffffff81013005 holds 0x1/],
    ["segments", (b) => { b.s.dom.mem.bytes(b.p2m[b.pfns.kernel + 1])[0] ^= 0xff; }, /PT_LOAD 0: va 0xffffffff81001000 \(file offset 0x2000\) reads 0x6f, the ELF has 0x90/],
    ["hypercall_page", (b) => { b.s.dom.mem.bytes(b.p2m[b.pfns.kernel + 0x11])[33] = 0; }, /differs from Xen's at byte 0x21/],
    ["start_info", () => {}, /xenstore ring mfn 0x[0-9a-f]+ is not at pfn \d+ \(start_info's \+ 1\)/, { moveStore: false }],
    ["layout", (b) => { b.s.dom.mem.bytes(b.p2m[12])[4] = 9; }, /padding below the kernel: va 0xffffffff8000c004 \(pfn 12\) holds 0x9/],
    ["p2m", (b) => { b.s.dom.m2p.set(b.p2m[40], 41); }, /the M2P says mfn 0x[0-9a-f]+ is pfn 41, the P2M puts it at pfn 40/],
    ["pagetables", (b) => { b.s.dom.mem.view(b.p2m[b.pfns.si]).setBigUint64(SI.nr_pt_frames, 5n, true); }, /table mfn 0x[0-9a-f]+ is at pfn \d+, outside pt_base's pfns/],
    // the other way: one frame more than the tables (the boot stack's page)
    ["pagetables", (b) => { b.s.dom.mem.view(b.p2m[b.pfns.si]).setBigUint64(SI.nr_pt_frames, BigInt(b.pfns.nrPt + 1), true); },
      /^nr_pt_frames is 17, but pfn \d+ \(pt_base \+ 16, mfn 0x[0-9a-f]+\) is no page table reachable from cr3$/],
    ["grants", (b) => { b.s.dom.mem.view(b.s.dom.gnttab.frames[0]).setUint16(0, 0, true); },
      /^reserved grant ref 0 \(the console ring's\) reads flags 0x0 d0 frame 0x[0-9a-f]+, not flags 0x1 d0 frame 0x[0-9a-f]+ as the toolstack left it$/],
    ["grants", (b) => { b.s.dom.mem.view(b.s.dom.gnttab.frames[0]).setUint32(8 + 4, 0x1234, true); },
      /^reserved grant ref 1 \(the xenstore ring's\) reads flags 0x1 d0 frame 0x1234, not flags 0x1 d0 frame 0x[0-9a-f]+ as/],
    // a vbd frontend left Closed, or Connected; device/suspend (no backend node) is no frontend
    ["frontends", (b) => { frontend(b, "6"); },
      /^\/local\/domain\/1\/device\/vbd\/51712\/state is 6 \(Closed, which Linux's xenbus ignores\), not Initialising \(1\)$/],
    ["frontends", (b) => { frontend(b, "4"); }, /vbd\/51712\/state is 4, not Initialising \(1\)$/],
    ["evtchn", (b) => { b.s.dom.evtchn.allocUnbound(0); }, /event channel port 3 is still open \(unbound, for d0\)/],
    ["grants", (b) => { b.s.dom.mem.view(b.s.dom.gnttab.frames[0]).setUint16(8 * 9, 1, true); }, /grant ref 9 has flags 0x1/],
    ["timer", (b) => { b.s.xen.set_timer_op(5_000_000_000n); }, /still armed/],
    ["console", (b) => { b.s.dom.mem.view(b.s.dom.console.mfn).setUint32(CONS.out_prod, 3, true); }, /console ring holds 3 bytes/],
    ["modules", () => {}, /no module \(mod_len 0\), one was expected/],
  ];
  for (const [name, breakIt, why, opts] of broken) {
    it(`reports what is wrong: ${name}`, () => {
      const b = buildDomain(opts);
      const rec = jump(b);
      breakIt(b);
      const r = checkHandoff(b.s.dom, rec, name === "modules" ? { initrd: new Uint8Array(10) } : {});
      expect(r.checks[name as (typeof CHECK_NAMES)[number]]).toMatch(why);
    });
  }

  it("reports a xenstore watch the loader left behind", () => {
    const b = buildDomain();
    const rec = jump(b);
    const xs = b.s.dom.xenstore!;
    const ring = b.s.dom.mem.bytes(b.s.dom.p2m[b.s.dom.layout.storePfn]);
    const v = b.s.dom.mem.view(b.s.dom.p2m[b.s.dom.layout.storePfn]);
    const payload = new TextEncoder().encode("device\0tok\0");
    const hdr = new DataView(new ArrayBuffer(16));
    hdr.setUint32(0, 4, true); // XS_WATCH
    hdr.setUint32(4, 1, true);
    hdr.setUint32(12, payload.length, true);
    const msg = new Uint8Array([...new Uint8Array(hdr.buffer), ...payload]);
    ring.set(msg, 0);
    v.setUint32(2052, msg.length, true); // req_prod
    xs.notified();
    b.s.dom.clock.finish();
    const r = checkHandoff(b.s.dom, rec);
    expect(r.checks.xenstore).toMatch(/still has a xenstore watch on .*device \(token "tok"\)/);
  });
});
