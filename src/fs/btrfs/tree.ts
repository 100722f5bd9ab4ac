// B-tree search over btrfs trees (root, chunk, fs trees): a cursor that descends from a
// tree's root node to the leaf item at or after a key, and steps to the next or previous
// item across leaves. Nodes come from Volume.node() (checked, cached); the cursor keeps only
// each level's node address and slot, and re-fetches the leaf (a cache hit) when asked for
// an item, so lookups made between steps cannot leave it with a stale pointer.
//
// Bounds: depth at most 8 (levels checked against the parent's); a search and the steps
// after it walk at most MAX_LEAVES leaves; keys within a node are strictly increasing (checked when
// the node is read), and each leaf a walk steps into must start beyond the one it left, so a
// walk never meets an item twice.

import { Volume } from "./volume";
import { keyCmp } from "./key";
import { HDR_SIZE, HDR_NRITEMS, HDR_LEVEL, ITEM_SIZE, PTR_SIZE, KEY_SIZE, MAX_LEVEL } from "./layout";

export const MAX_LEAVES: i32 = 1 << 16;

export class Cursor {
  vol: Volume;
  tree: string; // for messages: "root tree", "fs tree 256", ...
  root: u64;
  rootLevel: i32;
  private addr: StaticArray<u64> = new StaticArray<u64>(MAX_LEVEL);
  private slot: StaticArray<i32> = new StaticArray<i32>(MAX_LEVEL);
  private leaves: i32 = 0;

  constructor(vol: Volume, tree: string, root: u64, rootLevel: i32) {
    this.vol = vol;
    this.tree = tree;
    this.root = root;
    this.rootLevel = rootLevel;
  }

  // Position at the first item >= key. 1: there is one; 0: none (past the end); -1: error.
  search(oid: u64, type: u8, off: u64): i32 {
    this.leaves = 0; // the budget is per search and the steps after it
    let lvl = this.rootLevel;
    let addr = this.root;
    for (;;) { // one turn per level: at most 8
      unchecked(this.addr[lvl] = addr);
      const p = this.vol.node(addr, lvl, this.tree);
      if (p == 0) return -1;
      const nr = <i32>load<u32>(p + HDR_NRITEMS);
      if (lvl == 0) {
        if (++this.leaves > MAX_LEAVES) return this.tooMany();
        // The first item >= key.
        let lo = 0, hi = nr;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (keyCmp(p + HDR_SIZE + <usize>mid * ITEM_SIZE, oid, type, off) < 0) lo = mid + 1;
          else hi = mid;
        }
        unchecked(this.slot[0] = lo);
        if (lo < nr) return 1;
        unchecked(this.slot[0] = nr - 1);
        return this.next();
      }
      // The last pointer whose key is <= key (or the first).
      let lo = 0, hi = nr - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (keyCmp(p + HDR_SIZE + <usize>mid * PTR_SIZE, oid, type, off) <= 0) lo = mid;
        else hi = mid - 1;
      }
      unchecked(this.slot[lvl] = lo);
      addr = load<u64>(p + HDR_SIZE + <usize>lo * PTR_SIZE + KEY_SIZE);
      lvl--;
    }
    return -1; // not reached
  }

  // Step to the next item. 1, 0 at the end, -1 on error.
  next(): i32 {
    let p = this.vol.node(unchecked(this.addr[0]), 0, this.tree);
    if (p == 0) return -1;
    const s = unchecked(this.slot[0]) + 1;
    if (s < <i32>load<u32>(p + HDR_NRITEMS)) {
      unchecked(this.slot[0] = s);
      return 1;
    }
    // Up to the first level with a pointer to the right, then down its leftmost path.
    let lvl = 1;
    for (; lvl <= this.rootLevel; lvl++) {
      p = this.vol.node(unchecked(this.addr[lvl]), lvl, this.tree);
      if (p == 0) return -1;
      const t = unchecked(this.slot[lvl]) + 1;
      if (t < <i32>load<u32>(p + HDR_NRITEMS)) {
        unchecked(this.slot[lvl] = t);
        break;
      }
    }
    if (lvl > this.rootLevel) return 0;
    this.saveEdge(true);
    return this.descend(lvl, false);
  }

  // Step to the previous item. 1, 0 before the first, -1 on error.
  prev(): i32 {
    const s = unchecked(this.slot[0]) - 1;
    if (s >= 0) {
      unchecked(this.slot[0] = s);
      return 1;
    }
    let lvl = 1;
    for (; lvl <= this.rootLevel; lvl++) {
      const t = unchecked(this.slot[lvl]) - 1;
      if (t >= 0) {
        unchecked(this.slot[lvl] = t);
        break;
      }
    }
    if (lvl > this.rootLevel) return 0;
    this.saveEdge(false);
    return this.descend(lvl, true);
  }

  // The key at the edge of the leaf being left (its last item going right, its first going
  // left): the next leaf must lie strictly beyond it, so no walk meets an item twice, even
  // when damaged nodes point at one leaf from several places.
  private edgeOid: u64 = 0;
  private edgeType: u8 = 0;
  private edgeOff: u64 = 0;
  private saveEdge(last: bool): void {
    const p = this.vol.cache.find(unchecked(this.addr[0]));
    if (p == 0) { // evicted: read again (checked); on failure descend reports it
      this.edgeOid = 0; this.edgeType = 0; this.edgeOff = 0;
      const q = this.vol.node(unchecked(this.addr[0]), 0, this.tree);
      if (q == 0) return;
      this.keepEdge(q, last);
      return;
    }
    this.keepEdge(p, last);
  }
  private keepEdge(p: usize, last: bool): void {
    const nr = <i32>load<u32>(p + HDR_NRITEMS);
    const k = p + HDR_SIZE + <usize>(last ? (nr > 0 ? nr - 1 : 0) : 0) * ITEM_SIZE;
    this.edgeOid = load<u64>(k);
    this.edgeType = load<u8>(k + 8);
    this.edgeOff = load<u64>(k + 9);
  }

  // From the pointer at (lvl, slot[lvl]) down to a leaf, taking the leftmost (or rightmost)
  // child at each level; an empty leaf below the root is damage.
  private descend(lvl: i32, rightmost: bool): i32 {
    while (lvl > 0) {
      const p = this.vol.node(unchecked(this.addr[lvl]), lvl, this.tree);
      if (p == 0) return -1;
      const child = load<u64>(p + HDR_SIZE + <usize>unchecked(this.slot[lvl]) * PTR_SIZE + KEY_SIZE);
      lvl--;
      unchecked(this.addr[lvl] = child);
      const c = this.vol.node(child, lvl, this.tree);
      if (c == 0) return -1;
      const nr = <i32>load<u32>(c + HDR_NRITEMS);
      if (nr == 0) {
        this.vol.fail(this.tree + ": leaf " + child.toString() + " below the root has no items");
        return -1;
      }
      unchecked(this.slot[lvl] = rightmost ? nr - 1 : 0);
    }
    const leaf = this.vol.node(unchecked(this.addr[0]), 0, this.tree);
    if (leaf == 0) return -1;
    const k = leaf + HDR_SIZE + <usize>unchecked(this.slot[0]) * ITEM_SIZE;
    const c = keyCmp(k, this.edgeOid, this.edgeType, this.edgeOff);
    if (rightmost ? c >= 0 : c <= 0) {
      this.vol.fail(this.tree + ": leaf " + unchecked(this.addr[0]).toString() + " does not follow on from the leaf before it (keys out of order across leaves)");
      return -1;
    }
    if (++this.leaves > MAX_LEAVES) return this.tooMany();
    return 1;
  }

  private tooMany(): i32 {
    this.vol.fail(this.tree + ": more than " + MAX_LEAVES.toString() + " leaves walked in one search");
    return -1;
  }

  // The current item (valid after search/next/prev returned 1). The leaf comes back from the
  // cache; 0 if it cannot (vol.error).
  private item(): usize {
    const p = this.vol.node(unchecked(this.addr[0]), 0, this.tree);
    if (p == 0) return 0;
    return p + HDR_SIZE + <usize>unchecked(this.slot[0]) * ITEM_SIZE;
  }

  // The current item's key; false (and vol.error) if its leaf cannot be read.
  oid: u64 = 0;
  type: u8 = 0;
  offset: u64 = 0;
  size: u32 = 0;
  leaf: u64 = 0;
  index: i32 = 0;
  load(): bool {
    const it = this.item();
    if (it == 0) return false;
    this.oid = load<u64>(it);
    this.type = load<u8>(it + 8);
    this.offset = load<u64>(it + 9);
    this.size = load<u32>(it + KEY_SIZE + 4);
    this.leaf = unchecked(this.addr[0]);
    this.index = unchecked(this.slot[0]);
    return true;
  }

  // The current item's data (size bytes; checked to lie inside the leaf). Valid until the
  // next node read that misses the cache: copy what must outlive that.
  data(): usize {
    const it = this.item();
    if (it == 0) return 0;
    const leaf = it - HDR_SIZE - <usize>unchecked(this.slot[0]) * ITEM_SIZE;
    return leaf + HDR_SIZE + load<u32>(it + KEY_SIZE);
  }

  // For messages: "fs tree 256: leaf 30441472 item 3 (257 108 0)".
  where(): string {
    return this.tree + ": leaf " + this.leaf.toString() + " item " + this.index.toString() +
      " (" + this.oid.toString() + " " + this.type.toString() + " " + this.offset.toString() + ")";
  }

  // Position at the item with exactly this key: 1 found, 0 not there, -1 error.
  exact(oid: u64, type: u8, off: u64): i32 {
    const r = this.search(oid, type, off);
    if (r <= 0) return r;
    if (!this.load()) return -1;
    return this.oid == oid && this.type == type && this.offset == off ? 1 : 0;
  }
}
