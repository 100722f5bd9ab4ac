// pvboot's AssemblyScript runtime (compiled in place of the stub: asconfig-runtime.mjs): a bump
// allocator, as the stub runtime is, with one addition: the memory of a boot attempt, which
// is given back when the attempt fails (docs/loader.md, "Memory of a boot attempt").
//
// Two kinds of memory come out of one region that grows upwards from __heap_base:
//   - kept memory: every object, string and array (__new), and heap.alloc. Never freed.
//   - attempt memory: what the loader asks for by name (src/lib/attempt.ts: file buffers,
//     unpacked kernels, decompressor state, the layout's pages), only between beginAttempt
//     and endAttempt. A failed attempt gives it back.
// While an attempt is open, kept allocations go into a pool reserved below the attempt's
// memory when it began; once the pool is full they go on top, and `keep` rises past them.
// Giving the attempt's memory back moves the bump pointer down to the pool's last kept byte
// or to `keep`, whichever is higher: it never goes below anything kept, whatever was
// allocated during the attempt and in whatever order. That is what makes it safe for
// the menu, the config, the mounts and caches, the drivers' state and the console, which
// may all allocate during an attempt (a `root` that mounts, a cache that fills).
//
// Memory handed out is zero, as the stub's always was (fresh from memory.grow): memory given
// back and handed out again is cleared first, up to `clean`, above which nothing was ever used.

import { AL_MASK, BLOCK, BLOCK_OVERHEAD, BLOCK_MAXSIZE, OBJECT, OBJECT_OVERHEAD, OBJECT_MAXSIZE } from "~lib/rt/common";
import { E_ALLOCATION_TOO_LARGE } from "~lib/util/error";

// Kept memory an attempt may allocate below its own (its strings, the ELF's description, the
// layout's tables of pfns); the rest of the pool comes back when the attempt ends.
export const ATTEMPT_POOL: usize = 1 << 20;
const WASM_PAGE: usize = 65536;

// @ts-ignore: decorator
@lazy let start: usize = ((__heap_base + BLOCK_OVERHEAD + AL_MASK) & ~AL_MASK) - BLOCK_OVERHEAD;
// @ts-ignore: decorator
@lazy let top: usize = start; // the next free byte
// @ts-ignore: decorator
@lazy let clean: usize = start; // from here up, nothing was ever handed out: it is zero
// @ts-ignore: decorator
@lazy let open: bool = false;
// @ts-ignore: decorator
@lazy let poolNext: usize = 0; // the next kept block while an attempt is open
// @ts-ignore: decorator
@lazy let poolEnd: usize = 0;
// @ts-ignore: decorator
@lazy let keep: usize = 0; // giving the attempt's memory back stops here at the lowest
// @ts-ignore: decorator
@lazy let attempts: u32 = 0; // attempts given back, for the tests and `pvboot.debug=memory`

// Memory up to `end` exists (growing the linear memory), else false.
function reach(end: usize): bool {
  const have = <usize>memory.size() << 16;
  if (end <= have) return true;
  const pages = <i32>((end - have + WASM_PAGE - 1) >> 16);
  // At least 1 MiB at a time: growing maps RAM on Xen, a call per 64 KiB is wasteful.
  if (pages < 16 && memory.grow(16) >= 0) return true;
  return memory.grow(pages) >= 0;
}

// Zero [from, to) where it may have been used before.
// @ts-ignore: decorator
@inline function scrub(from: usize, to: usize): void {
  if (from < clean) memory.fill(from, 0, (to < clean ? to : clean) - from);
  if (to > clean) clean = to;
}

// @ts-ignore: decorator
@inline function blockSize(size: usize): usize {
  return ((size + BLOCK_OVERHEAD + AL_MASK) & ~AL_MASK) - BLOCK_OVERHEAD;
}

// Where a block may start at or after `p`: its payload 16-byte aligned.
// @ts-ignore: decorator
@inline function blockAt(p: usize): usize {
  return ((p + BLOCK_OVERHEAD + AL_MASK) & ~AL_MASK) - BLOCK_OVERHEAD;
}

// A kept block at `at` (block header address) of payload `payload`; the caller has room.
// @ts-ignore: decorator
@inline function place(at: usize, payload: usize): usize {
  const ptr = at + BLOCK_OVERHEAD;
  scrub(ptr, ptr + payload);
  changetype<BLOCK>(at).mmInfo = payload;
  return ptr;
}

// @ts-ignore: decorator
@unsafe @global
export function __alloc(size: usize): usize {
  if (size > BLOCK_MAXSIZE) throw new Error(E_ALLOCATION_TOO_LARGE);
  const payload = blockSize(size);
  if (open) {
    const at = blockAt(poolNext);
    if (at + BLOCK_OVERHEAD + payload <= poolEnd) {
      poolNext = at + BLOCK_OVERHEAD + payload;
      return place(at, payload);
    }
  }
  const at = blockAt(top);
  if (!reach(at + BLOCK_OVERHEAD + payload)) unreachable(); // out of memory
  top = at + BLOCK_OVERHEAD + payload;
  if (open) keep = top; // kept above the attempt's memory: it stays when that goes
  return place(at, payload);
}

// The end of the region a kept block is the last of, or 0.
function lastIn(ptr: usize, size: usize): usize {
  const end = ptr + size;
  if (open && end == poolNext) return poolEnd;
  if (end == top && (!open || keep == top)) return usize.MAX_VALUE;
  return 0;
}

// @ts-ignore: decorator
@unsafe @global
export function __realloc(ptr: usize, size: usize): usize {
  assert(ptr != 0 && !(ptr & AL_MASK));
  const block = changetype<BLOCK>(ptr - BLOCK_OVERHEAD);
  const have = block.mmInfo;
  const payload = blockSize(size);
  if (size > BLOCK_MAXSIZE) throw new Error(E_ALLOCATION_TOO_LARGE);
  if (payload <= have) return ptr; // shrinking keeps the block as it is
  const limit = lastIn(ptr, have);
  if (limit != 0 && ptr + payload <= limit && (limit != usize.MAX_VALUE || reach(ptr + payload))) {
    scrub(ptr + have, ptr + payload);
    block.mmInfo = payload;
    if (limit == usize.MAX_VALUE) {
      top = ptr + payload;
      if (open) keep = top;
    } else poolNext = ptr + payload;
    return ptr;
  }
  const fresh = __alloc(max<usize>(payload, have << 1));
  memory.copy(fresh, ptr, have);
  return fresh;
}

// @ts-ignore: decorator
@unsafe @global
export function __free(ptr: usize): void {
  assert(ptr != 0 && !(ptr & AL_MASK));
  // Only the newest block outside an attempt goes back (as the stub did): nothing else can
  // know it is not referenced.
  const block = changetype<BLOCK>(ptr - BLOCK_OVERHEAD);
  if (!open && ptr + block.mmInfo == top) top = changetype<usize>(block);
}

// heap.reset(): everything back (the test entries reset between cases; never in the image).
// @ts-ignore: decorator
@unsafe @global
export function __reset(): void {
  top = start;
  open = false;
}

// @ts-ignore: decorator
@unsafe @global
export function __new(size: usize, id: u32): usize {
  if (size > OBJECT_MAXSIZE) throw new Error(E_ALLOCATION_TOO_LARGE);
  const ptr = __alloc(OBJECT_OVERHEAD + size);
  const object = changetype<OBJECT>(ptr - BLOCK_OVERHEAD);
  object.gcInfo = 0;
  object.gcInfo2 = 0;
  object.rtId = id;
  object.rtSize = <u32>size;
  return ptr + OBJECT_OVERHEAD;
}

// @ts-ignore: decorator
@unsafe @global
export function __renew(oldPtr: usize, size: usize): usize {
  if (size > OBJECT_MAXSIZE) throw new Error(E_ALLOCATION_TOO_LARGE);
  const newPtr = __realloc(oldPtr - OBJECT_OVERHEAD, OBJECT_OVERHEAD + size);
  changetype<OBJECT>(newPtr - BLOCK_OVERHEAD).rtSize = <u32>size;
  return newPtr + OBJECT_OVERHEAD;
}

// No collector: these are the hooks the compiler calls.
// @ts-ignore: decorator
@global @unsafe
export function __link(parentPtr: usize, childPtr: usize, expectMultiple: bool): void {}

// @ts-ignore: decorator
@global @unsafe
export function __pin(ptr: usize): usize {
  return ptr;
}

// @ts-ignore: decorator
@global @unsafe
export function __unpin(ptr: usize): void {}

// @ts-ignore: decorator
@global @unsafe
function __visit(ptr: usize, cookie: u32): void {} // eslint-disable-line @typescript-eslint/no-unused-vars

// @ts-ignore: decorator
@global @unsafe
export function __collect(): void {}

// ---- the attempt's memory (used through src/lib/attempt.ts) ----------------------------------

// Open an attempt: the pool for kept memory, then the attempt's own above it. False when one
// is open already (attempts do not nest) or the pool does not fit.
export function runtimeBegin(): bool {
  if (open) return false;
  const from = (top + AL_MASK) & ~AL_MASK;
  if (!reach(from + ATTEMPT_POOL)) return false;
  poolNext = from;
  poolEnd = from + ATTEMPT_POOL;
  top = poolEnd;
  keep = 0;
  open = true;
  return true;
}

// Close the attempt. give_back: everything of the attempt's above what is kept is free again.
export function runtimeEnd(giveBack: bool): void {
  if (!open) return;
  open = false;
  if (giveBack) {
    top = max<usize>(poolNext, keep);
    attempts++;
  }
  // Kept (the attempt booted): its memory stays in use, the pool's unused end with it.
}

export function runtimeOpen(): bool {
  return open;
}

// `size` bytes of attempt memory aligned to `align` (a power of two), zero unless !zero; 0 when
// the memory cannot hold it.
export function runtimeTake(size: usize, align: usize, zero: bool): usize {
  const at = (top + align - 1) & ~(align - 1);
  const end = at + size;
  if (end < at || !reach(end)) return 0;
  top = end;
  if (zero) scrub(at, end);
  else if (end > clean) clean = end;
  return at;
}

// Grow the attempt's newest block [ptr, ptr + size) to `want` bytes in place, when it is the
// newest thing allocated and memory allows; false otherwise.
export function runtimeExtend(ptr: usize, size: usize, want: usize): bool {
  if (!open || ptr + size != top || keep == top) return false;
  const end = ptr + want;
  if (end < ptr || !reach(end)) return false;
  top = end;
  if (end > clean) clean = end;
  return true;
}

// The allocator's end: what the linear memory holds below it is in use.
export function runtimeTop(): usize {
  return top;
}

export function runtimeAttemptsGivenBack(): u32 {
  return attempts;
}
