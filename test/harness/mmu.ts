// Xen's page-type bookkeeping for one 64-bit PV guest, as far as pinning a new top-level page
// table goes (MMUEXT_PIN_L4_TABLE / MMUEXT_UNPIN_TABLE), written from the rules of Xen's
// xen/arch/x86/mm.c (get_page_type, the promote_l*_table validation, get_page_from_l*e):
//
//  - every frame has at most one type at a time: an L1, L2, L3 or L4 page table, or a
//    writable data page (a frame some L1 entry, or the running loader's own mappings, maps
//    with RW set). A type sticks while references to it exist; the same frame may be used as
//    the same level many times (shared tables), never as two levels, nor as a table and a
//    writable page;
//  - validating a table validates, recursively, every table its present entries point at
//    (only the first time the frame takes that type, as Xen validates on the 0 -> 1 type
//    reference); an L1 entry may map any frame of the domain (or Xen's frames shared with
//    it), read-only when that frame is a page table;
//  - flag bits Xen does not allow a PV guest: PWT, PCD, PSE (superpages, refused in L3 and L2;
//    the PAT bit in an L1), GLOBAL above L1; entries of L4 slots 256..271 (Xen's own area)
//    are ignored and overwritten by Xen — the harness is stricter and refuses them, since
//    whatever the loader put there would silently vanish;
//  - on success Xen writes its adjustments into the tables (USER on L4/L3/L2 entries,
//    USER|ACCESSED on L4 entries, USER|_PAGE_GUEST_KERNEL on L1 kernel entries); this
//    model does the same, then keeps a copy of every validated table so that a later write by
//    the loader (which Xen would have faulted, the wasm store cannot be trapped here) shows.
//
// For a 32-bit PAE guest (a compat guest of 64-bit Xen) the top-level table is an L3
// (MMUEXT_PIN_L3_TABLE) of which only entries 0..3 exist, without PWT, PCD, PSE or G (Xen's
// l3_disallow_mask for a 32-bit guest, 0x198 of the flags); entry 3 must be present (Xen's
// compat rule: it puts its own mappings in that L2 above the hypervisor hole,
// HYPERVISOR_COMPAT_VIRT_START 0xF5800000), that L2 may serve no other slot or table, and none
// of its entries from the hole up may be present. On success Xen adds RW and USER to the L3's
// present entries (seen on the PV32 test host: libxenguest's 0x001 reads back 0x007); this
// model does the same. Its other adjustments are not modelled for PAE tables.
//
// Not modelled: linear (recursive) page-table entries, which Xen accepts read-only (refused
// here as a type clash); Xen's own L4 slots are left as the loader wrote them (empty); the L1TF
// handling of non-present entries; the writable-page type of frames only mapped by the
// platform's own page tables beyond what RunningMappings reports.

import { PAGE } from "./abi";

export const PTE = {
  P: 0x1n, RW: 0x2n, US: 0x4n, PWT: 0x8n, PCD: 0x10n, A: 0x20n, D: 0x40n, PSE: 0x80n, G: 0x100n,
  GUEST_KERNEL: 1n << 52n, // Xen's _PAGE_GUEST_KERNEL (flag bit 12, PTE bit 52)
} as const;
export const ADDR_MASK = 0x000ffffffffff000n;
export const XEN_SLOTS = { first: 256, last: 271 } as const; // va 0xffff800000000000..0xffff87ffffffffff

export const MMU_MACHPHYS_UPDATE = 1;
export const MMUEXT_PIN_L3_TABLE = 2, MMUEXT_PIN_L4_TABLE = 3, MMUEXT_UNPIN_TABLE = 4;
export const COMPAT_HOLE = 0xF5800000n; // HYPERVISOR_COMPAT_VIRT_START's default
const COMPAT_HOLE_L2_SLOT = Number((COMPAT_HOLE >> 21n) & 511n); // in the L2 of L3 slot 3

// What the running domain (the loader on its platform) maps now, which Xen's type counts see.
export interface RunningMappings {
  // where the running domain maps `mfn` writable now (words for a message), or null
  writableAt(mfn: number): string | null;
  // the platform's own page tables, typed by Xen while they are in use
  platformTable(mfn: number): boolean;
  owns(mfn: number): boolean; // a frame of the domain
  shared(mfn: number): boolean; // Xen's frame shared with the domain (shared_info, grant frames)
}

interface Table {
  level: number;
  refs: number; // type references: parent entries, the pin
  children: number[]; // the next level's tables it references (one per entry)
  writes: number[]; // for an L1: the frames it maps writable
  copy: Uint8Array; // the bytes as validated (after Xen's adjustments)
}

const hex = (n: number | bigint) => "0x" + n.toString(16);

export class Mmu {
  lastError = ""; // why the last refused operation was refused, in words
  private tables = new Map<number, Table>();
  private writable = new Map<number, number>(); // mfn -> writable references from validated L1s
  private pinnedSet = new Set<number>();

  constructor(private bytes: (mfn: number) => Uint8Array, private running: RunningMappings) {}

  get pinned(): ReadonlySet<number> {
    return this.pinnedSet;
  }

  // The level a validated table has (1..4), or 0.
  level(mfn: number): number {
    return this.tables.get(mfn)?.level ?? 0;
  }

  // Every validated table (mfn -> level).
  typedTables(): Map<number, number> {
    return new Map([...this.tables].map(([m, t]) => [m, t.level]));
  }

  private refuse(errno: number, why: string): number {
    this.lastError = why;
    return -errno;
  }

  // MMUEXT_PIN_L4_TABLE.
  pinL4(mfn: number): number {
    return this.pinTop(mfn, 4, false);
  }

  // MMUEXT_PIN_L3_TABLE of a 32-bit PAE guest.
  pinL3(mfn: number): number {
    return this.pinTop(mfn, 3, true);
  }

  private pinTop(mfn: number, top: number, pae: boolean): number {
    const EINVAL = 22;
    if (!this.running.owns(mfn)) return this.refuse(EINVAL, `pin L${top} mfn ${hex(mfn)}: not a frame of the domain`);
    if (this.pinnedSet.has(mfn)) return this.refuse(EINVAL, `pin L${top} mfn ${hex(mfn)}: already pinned`);
    const xenL2 = new Set<number>(); // PAE: the L2s in L3 slot 3, Xen's to share with itself only
    // Work on copies; commit only when everything validated (Xen undoes a failed validation).
    const tables = new Map([...this.tables].map(([m, t]) => [m, { ...t, children: [...t.children], writes: [...t.writes] }]));
    const writable = new Map(this.writable);
    const fresh: number[] = [];

    const take = (m: number, level: number, where: string, slot3 = false): string | null => {
      const t = tables.get(m);
      if (t) {
        if (t.level !== level) return `${where}: mfn ${hex(m)} is already an L${t.level} page table, it cannot also be an L${level}`;
        if (pae && level === 2 && (slot3 || xenL2.has(m))) return `${where}: L2 mfn ${hex(m)} is L3 slot 3's (Xen's compat L2) and is also used elsewhere`;
        t.refs++;
        return null;
      }
      if (slot3) xenL2.add(m);
      if (this.running.shared(m)) return `${where}: mfn ${hex(m)} is Xen's frame shared with the domain, it cannot be a page table`;
      if (!this.running.owns(m)) return `${where}: mfn ${hex(m)} is not a frame of the domain`;
      if (this.running.platformTable(m)) return `${where}: mfn ${hex(m)} is one of the platform's own page tables, in use`;
      const w = this.running.writableAt(m);
      if (w) return `${where}: L${level} page table mfn ${hex(m)} is mapped writable by the running domain at ${w}`;
      if ((writable.get(m) ?? 0) > 0) return `${where}: L${level} page table mfn ${hex(m)} is mapped writable by an L1 entry of a validated table`;
      const nt: Table = { level, refs: 1, children: [], writes: [], copy: new Uint8Array(0) };
      tables.set(m, nt);
      fresh.push(m);
      const v = new DataView(this.bytes(m).buffer, this.bytes(m).byteOffset, PAGE);
      if (pae && level === 3 && !(v.getBigUint64(3 * 8, true) & PTE.P)) {
        return `L3 mfn ${hex(m)}: slot 3 is empty; Xen requires an L2 there for a 32-bit guest (its compat mappings)`;
      }
      for (let i = 0; i < 512; i++) {
        const e = v.getBigUint64(i * 8, true);
        if (!(e & PTE.P)) continue;
        const at = `L${level} mfn ${hex(m)} slot ${i}`;
        if (pae && level === 3) {
          if (i > 3) return `${at}: a PAE L3 has 4 entries, this one (${hex(e)}) is beyond them`;
          const bad = e & (PTE.PWT | PTE.PCD | PTE.PSE | PTE.G);
          if (bad) return `${at}: PAE L3 entry ${hex(e)} has flags ${hex(bad)}, which Xen refuses in a 32-bit guest's L3`;
          const err = take(Number((e & ADDR_MASK) >> 12n), 2, at, i === 3);
          if (err) return err;
          nt.children.push(Number((e & ADDR_MASK) >> 12n));
          continue;
        }
        if (pae && level === 2 && slot3 && i >= COMPAT_HOLE_L2_SLOT) {
          return `${at}: va ${hex(0xC0000000n + (BigInt(i) << 21n))} is in the hypervisor's hole (from ${hex(COMPAT_HOLE)}); the entry ${hex(e)} would be Xen's`;
        }
        if (level === 4 && i >= XEN_SLOTS.first && i <= XEN_SLOTS.last) {
          return `${at}: L4 slots ${XEN_SLOTS.first}..${XEN_SLOTS.last} are Xen's (va 0xffff800000000000..0xffff87ffffffffff); the entry ${hex(e)} would be overwritten`;
        }
        const child = Number((e & ADDR_MASK) >> 12n);
        if (level > 1) {
          if (e & PTE.PSE) return `${at}: superpage (PSE) entry ${hex(e)}, which Xen refuses for PV guests`;
          const bad = e & (PTE.PWT | PTE.PCD | PTE.G);
          if (bad) return `${at}: entry ${hex(e)} has flags ${hex(bad)} Xen does not allow above L1`;
          const err = take(child, level - 1, at);
          if (err) return err;
          nt.children.push(child);
        } else {
          const bad = e & (PTE.PWT | PTE.PCD | PTE.PSE);
          if (bad) return `${at}: entry ${hex(e)} has cache-attribute flags ${hex(bad)} Xen does not allow a domU`;
          if (!this.running.owns(child) && !this.running.shared(child)) {
            return `${at}: maps mfn ${hex(child)}, which is not a frame of the domain`;
          }
          if (e & PTE.RW) {
            const ct = tables.get(child);
            if (ct) return `${at}: maps L${ct.level} page table mfn ${hex(child)} writable`;
            if (this.running.platformTable(child)) return `${at}: maps the platform's page table mfn ${hex(child)} writable`;
            writable.set(child, (writable.get(child) ?? 0) + 1);
            nt.writes.push(child);
          }
        }
      }
      return null;
    };

    const err = take(mfn, top, `pin L${top} mfn ${hex(mfn)}`);
    if (err) return this.refuse(EINVAL, err);
    // Xen's adjustments, written into the guest's tables, then the copies.
    for (const m of fresh) {
      const t = tables.get(m)!;
      const b = this.bytes(m);
      if (pae) {
        if (t.level === 3) {
          const v = new DataView(b.buffer, b.byteOffset, PAGE);
          for (let i = 0; i < 4; i++) {
            const e = v.getBigUint64(i * 8, true);
            if (e & PTE.P) v.setBigUint64(i * 8, e | PTE.RW | PTE.US, true);
          }
        }
        t.copy = b.slice();
        continue;
      }
      const v = new DataView(b.buffer, b.byteOffset, PAGE);
      for (let i = 0; i < 512; i++) {
        let e = v.getBigUint64(i * 8, true);
        if (!(e & PTE.P)) continue;
        if (t.level === 4) e |= PTE.A | PTE.US;
        else if (t.level > 1) e |= PTE.US;
        else {
          if (!(e & PTE.US)) e |= PTE.GUEST_KERNEL | PTE.US;
          if (!(e & PTE.GUEST_KERNEL)) e |= PTE.G | PTE.US;
        }
        v.setBigUint64(i * 8, e, true);
      }
      t.copy = b.slice();
    }
    this.tables = tables;
    this.writable = writable;
    this.pinnedSet.add(mfn);
    this.lastError = "";
    return 0;
  }

  // MMUEXT_UNPIN_TABLE.
  unpin(mfn: number): number {
    const EINVAL = 22;
    if (!this.running.owns(mfn)) return this.refuse(EINVAL, `unpin mfn ${hex(mfn)}: not a frame of the domain`);
    if (!this.pinnedSet.has(mfn)) return this.refuse(EINVAL, `unpin mfn ${hex(mfn)}: not pinned`);
    this.pinnedSet.delete(mfn);
    this.put(mfn);
    this.lastError = "";
    return 0;
  }

  private put(mfn: number): void {
    const t = this.tables.get(mfn)!;
    if (--t.refs > 0) return;
    this.tables.delete(mfn);
    for (const c of t.children) this.put(c);
    for (const w of t.writes) {
      const n = (this.writable.get(w) ?? 1) - 1;
      if (n) this.writable.set(w, n);
      else this.writable.delete(w);
    }
  }

  // The bytes of table `mfn` as validated (after Xen's adjustments), or undefined when it is
  // not a validated table.
  validatedBytes(mfn: number): Uint8Array | undefined {
    return this.tables.get(mfn)?.copy;
  }

  // Validated tables whose bytes changed since: where the loader wrote into a pinned table.
  modified(): { mfn: number; level: number; slot: number; was: bigint; now: bigint }[] {
    const out = [];
    for (const [mfn, t] of this.tables) {
      const b = this.bytes(mfn);
      for (let i = 0; i < PAGE; i += 8) {
        let same = true;
        for (let k = 0; k < 8; k++) if (b[i + k] !== t.copy[i + k]) same = false;
        if (same) continue;
        const rd = (x: Uint8Array) => new DataView(x.buffer, x.byteOffset + i, 8).getBigUint64(0, true);
        out.push({ mfn, level: t.level, slot: i / 8, was: rd(t.copy), now: rd(b) });
        break;
      }
    }
    return out;
  }
}

// What the CPU does with cr3 = `l4` for virtual address `va`: the 4-level walk (or, `pae`, the
// 3-level one from an L3 of 4 entries, for a 32-bit va), present bits, RW anded along the way
// (a PDPTE has no RW bit). Null when not mapped (non-canonical or beyond 4 GiB included).
export function translate(bytes: (mfn: number) => Uint8Array | null, l4: number, va: bigint, pae = false): { mfn: number; writable: boolean } | null {
  va = BigInt.asUintN(64, va);
  const top = va >> 47n;
  if (top !== 0n && top !== 0x1ffffn) return null;
  if (pae && va >> 32n) return null;
  let table = l4;
  let writable = true;
  for (let level = pae ? 3 : 4; level >= 1; level--) {
    const b = bytes(table);
    if (!b) return null;
    const idx = Number((va >> BigInt(12 + 9 * (level - 1))) & (pae && level === 3 ? 3n : 511n));
    const e = new DataView(b.buffer, b.byteOffset, PAGE).getBigUint64(idx * 8, true);
    if (!(e & PTE.P)) return null;
    if (level > 1 && e & PTE.PSE) return null; // never validated: no superpages for PV
    if (!(pae && level === 3)) writable &&= (e & PTE.RW) !== 0n;
    table = Number((e & ADDR_MASK) >> 12n);
  }
  return { mfn: table, writable };
}
