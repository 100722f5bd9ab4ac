// The next kernel's start-of-day page tables, built in the loader's own memory: x86_64's four
// levels, or x86_32 PAE's three (an L3 of 4 used entries on top). Tables are keyed by the part
// of the virtual address they cover (an L3 per 512 GiB, an L2 per 1 GiB, an L1 per 2 MiB) and
// taken from a pool of pages in the order libxenguest uses: the top-level table, then the
// L3s, the L2s and the L1s of each area mapped. Entries are 8 bytes and hold machine frames
// at both widths.

import { checkedPages } from "../lib/attempt";

export const PTE_PRESENT: u64 = 0x001;
export const PTE_RW: u64 = 0x002;
export const PTE_USER: u64 = 0x004;
export const PTE_ACCESSED: u64 = 0x020;
export const PTE_DIRTY: u64 = 0x040;
// libxenguest's protections: L1 entries present+rw+accessed, upper levels add user and dirty.
export const PTE_L1: u64 = PTE_PRESENT | PTE_RW | PTE_ACCESSED;
export const PTE_TABLE: u64 = PTE_PRESENT | PTE_RW | PTE_ACCESSED | PTE_DIRTY | PTE_USER;
// A PAE L3 entry (a PDPTE): present only, as libxenguest writes them (the CPU reserves the
// other flag bits there).
export const PTE_PAE_L3: u64 = PTE_PRESENT;

const VA_MASK_64: u64 = 0xffffffffffff; // 48-bit virtual addresses
const VA_MASK_32: u64 = 0xffffffff;

// The shift of the address bits one table at `level` (1 = L1 .. 3 = L3) covers as a whole.
function keyShift(level: i32): u64 {
  return <u64>(12 + 9 * level);
}

export class PageTables {
  l4: usize = 0; // the top-level table's page in the loader's memory (the L4, or PAE's L3)
  top: i32 = 3; // the highest level below the top-level table: 3 (x86_64), 2 (PAE)
  vaMask: u64 = VA_MASK_64;
  // Per level (index 1..3): the key of each table and its page, in allocation order.
  keys: Array<Array<u64>> = [new Array<u64>(), new Array<u64>(), new Array<u64>(), new Array<u64>()];
  pages: Array<Array<usize>> = [new Array<usize>(), new Array<usize>(), new Array<usize>(), new Array<usize>()];
  order: Array<usize> = new Array<usize>(); // every table page, in pfn order (L4 first)

  constructor(withL4: bool, pae: bool = false) {
    if (pae) {
      this.top = 2;
      this.vaMask = VA_MASK_32;
    }
    if (withL4) {
      this.l4 = checkedPages(1, "page tables");
      this.order.push(this.l4);
    }
  }

  has(level: i32, key: u64): bool {
    return this.find(level, key) != 0;
  }

  find(level: i32, key: u64): usize {
    const k = this.keys[level];
    for (let i = k.length - 1; i >= 0; i--) if (k[i] == key) return this.pages[level][i];
    return 0;
  }

  // How many tables mapping [from, to] (inclusive) needs beyond those here and in `other`.
  missing(from: u64, to: u64, other: PageTables | null): u32 {
    let n: u32 = 0;
    for (let level = this.top; level >= 1; level--) {
      const s = keyShift(level);
      const a = (from & this.vaMask) >> s;
      const b = (to & this.vaMask) >> s;
      for (let key = a; key <= b; key++) {
        if (!this.has(level, key) && (other == null || !other!.has(level, key))) n++;
      }
    }
    return n;
  }

  // Allocate the tables [from, to] needs that neither this set nor `other` has, top level first.
  addRange(from: u64, to: u64, other: PageTables | null): void {
    for (let level = this.top; level >= 1; level--) {
      const s = keyShift(level);
      const a = (from & this.vaMask) >> s;
      const b = (to & this.vaMask) >> s;
      for (let key = a; key <= b; key++) {
        if (this.has(level, key) || (other != null && other!.has(level, key))) continue;
        const page = checkedPages(1, "page tables");
        this.keys[level].push(key);
        this.pages[level].push(page);
        this.order.push(page);
      }
    }
  }

  // One table at `level` for `key`, unless this set has it already.
  addTable(level: i32, key: u64): void {
    if (this.has(level, key)) return;
    const page = checkedPages(1, "page tables");
    this.keys[level].push(key);
    this.pages[level].push(page);
    this.order.push(page);
  }

  // The table at `level` covering va, here or in `other`; 0 when neither has it.
  tableFor(level: i32, va: u64, other: PageTables | null): usize {
    const key = (va & this.vaMask) >> keyShift(level);
    const t = this.find(level, key);
    if (t != 0 || other == null) return t;
    return other!.find(level, key);
  }
}

// Hook every table of `t` into its parent (the parent may live in `other`, the L4 always in
// `root`), given each table page's machine frame.
export function linkTables(root: PageTables, t: PageTables, other: PageTables | null, mfnOf: (page: usize) => u64): string | null {
  for (let level = t.top; level >= 1; level--) {
    const keys = t.keys[level];
    for (let i = 0; i < keys.length; i++) {
      const va = keys[i] << keyShift(level);
      let parent: usize;
      if (level == t.top) parent = root.l4;
      else {
        parent = t.tableFor(level + 1, va, other);
        if (parent == 0) parent = root.tableFor(level + 1, va, null);
      }
      if (parent == 0) return "page tables: no L" + (level + 1).toString() + " for an L" + level.toString();
      const index = <usize>((va >> keyShift(level)) & 511);
      const flags = level == 2 && t.top == 2 ? PTE_PAE_L3 : PTE_TABLE;
      store<u64>(parent + index * 8, (mfnOf(t.pages[level][i]) << 12) | flags);
    }
  }
  return null;
}

// Map one 4 KiB page at va to `mfn`; the L1 covering va must exist in `t` or `other`.
export function mapPage(t: PageTables, other: PageTables | null, va: u64, mfn: u64, writable: bool): bool {
  const l1 = t.tableFor(1, va, other);
  if (l1 == 0) return false;
  const index = <usize>(((va & t.vaMask) >> 12) & 511);
  store<u64>(l1 + index * 8, (mfn << 12) | (writable ? PTE_L1 : PTE_L1 & ~PTE_RW));
  return true;
}
