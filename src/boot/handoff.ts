// The handoff: from a laid-out new domain (src/loader/layout.ts) to the next kernel running.
// Order matters: the page tables are made read-only and pinned while everything can still be
// undone; then the teardown; then the last line and the console drained; then the M2P
// update, after which the loader may not allocate (the platform maps new memory by the M2P);
// then the jump, which the platform does from its trampoline page (docs/contract.md).
// A PVH domain (kind 2) has no page tables to pin and no M2P: its record names hvm_start_info,
// the PHYS32 entry and the ordered copies (src/loader/pvh/layout.ts), after the same teardown.

import * as abi from "../xen/abi";
import { map_frame, unmap_frame, mfn_of, mmuext_op, mmu_update, start_kernel, MAP_READONLY } from "../xen/hypercall";
import { console } from "../xen/console";
import { now } from "../xen/time";
import { Text } from "../lib/text";
import { jsonString } from "../config/json";
import { hex } from "../loader/elf";
import { NewDomain } from "../loader/layout";
import { Loaded } from "./load";
import { teardown, clearSelectors } from "./teardown";
import { pvh } from "../xen/arch";
import { bootReport } from "./report";

const MMUEXT_PIN_L3_TABLE: u32 = 2; // x86_32 PAE: the top-level table is the L3
const MMUEXT_PIN_L4_TABLE: u32 = 3;
const MMUEXT_UNPIN_TABLE: u32 = 4;
const MMU_MACHPHYS_UPDATE: u64 = 1;
const RECORD_SIZE: u32 = 64;

// Hand the domain to the loaded kernel. Returns only when that could not be done: the reason.
export function handOver(title: string, l: Loaded): string {
  if (pvh()) return handOverPvh(title, l);
  const d = l.domain!;
  const img = l.image!;

  // Everything the last steps need, allocated now.
  const summary = summaryJson(title, l);
  const record = heap.alloc(RECORD_SIZE);
  const ops = heap.alloc(24);
  const changes = countChanges(d);
  const reqs = heap.alloc(<usize>(changes > 0 ? changes : 1) * 16);
  fillM2pRequests(d, reqs);
  memory.fill(record, 0, RECORD_SIZE);
  store<u64>(record, d.l4Mfn);
  store<u64>(record + 8, d.entry);
  store<u64>(record + 16, d.stackTop);
  store<u64>(record + 24, d.startInfoVa);
  store<u32>(record + 32, <u32>d.trampoline);
  store<u32>(record + 40, d.elfReused ? 0 : <u32>img.elfPtr);
  store<u32>(record + 44, d.elfReused ? 0 : <u32>img.elfSize);
  store<u32>(record + 48, <u32>summary.buf);
  store<u32>(record + 52, summary.len);

  // Xen pins no table that is writable anywhere: take write access from our own mappings.
  for (let i = 0; i < d.tablePages.length; i++) {
    const page = d.tablePages[i];
    const rc = map_frame(page, mfn_of(page), MAP_READONLY);
    if (rc < 0) {
      restoreWritable(d, i);
      return "pvboot: cannot map a page table read-only (" + rc.toString() + "); not starting the kernel";
    }
  }
  memory.fill(ops, 0, 24);
  store<u32>(ops, d.pae ? MMUEXT_PIN_L3_TABLE : MMUEXT_PIN_L4_TABLE);
  store<u64>(ops + 8, d.l4Mfn);
  const pin = mmuext_op(ops, 1);
  if (pin < 0) {
    restoreWritable(d, d.tablePages.length);
    return "pvboot: Xen refused the new page tables (" + (d.pae ? "MMUEXT_PIN_L3_TABLE" : "MMUEXT_PIN_L4_TABLE") + ": " + pin.toString() + "); not starting the kernel";
  }

  const t0 = now();
  const t = teardown();
  bootReport.phase("teardown", "", 0, 0, now() - t0);
  for (let i = 0; i < t.problems.length; i++) console.line(new Text().str("pvboot: ").str(t.problems[i]));
  if (t.liveGrants > 0) {
    store<u32>(ops, MMUEXT_UNPIN_TABLE);
    mmuext_op(ops, 1);
    restoreWritable(d, d.tablePages.length);
    return "pvboot: " + t.liveGrants.toString() + " grant entries are still in use; the next kernel must not inherit them: not starting it";
  }

  console.line(new Text().str("pvboot: starting ").str(title.length > 0 ? "'" + title + "'" : "the kernel")
    .str(" at ").str(hex(d.entry)).str(" (start_info ").str(hex(d.startInfoVa)).str(", ").u(d.nrPages >> 8).str(" MiB)"));
  console.drain();
  clearSelectors(); // the drain took the console's events, not their selector bits

  // From here on the M2P describes the new domain: no more allocations, no more mappings.
  if (changes > 0) {
    const rc = mmu_update(reqs, changes);
    if (rc < 0) return "pvboot: the M2P update failed (" + rc.toString() + "); the domain cannot go on";
  }
  const rc = start_kernel(record, RECORD_SIZE);
  return "pvboot: the platform refused the jump (" + rc.toString() + ")";
}

// Kind 2: the 64-byte record of docs/contract.md, the teardown, the last line, the jump.
function handOverPvh(title: string, l: Loaded): string {
  const p = l.pvh!;
  const img = l.image!;
  const summary = summaryJson(title, l);
  const record = heap.alloc(RECORD_SIZE);
  memory.fill(record, 0, RECORD_SIZE);
  store<u64>(record, p.startInfo);
  store<u64>(record + 8, p.entry);
  store<u32>(record + 16, <u32>p.copies);
  store<u32>(record + 20, p.nrCopies);
  store<u32>(record + 32, <u32>p.trampoline);
  store<u32>(record + 40, <u32>img.elfPtr);
  store<u32>(record + 44, <u32>img.elfSize);
  store<u32>(record + 48, <u32>summary.buf);
  store<u32>(record + 52, summary.len);

  const t0 = now();
  const t = teardown();
  bootReport.phase("teardown", "", 0, 0, now() - t0);
  for (let i = 0; i < t.problems.length; i++) console.line(new Text().str("pvboot: ").str(t.problems[i]));
  if (t.liveGrants > 0) {
    return "pvboot: " + t.liveGrants.toString() + " grant entries are still in use; the next kernel must not inherit them: not starting it";
  }
  console.line(new Text().str("pvboot: starting ").str(title.length > 0 ? "'" + title + "'" : "the kernel")
    .str(" at ").str(hex(p.entry)).str(" (PVH, hvm_start_info ").str(hex(p.startInfo)).str(", ").u(p.ramPages >> 8).str(" MiB)"));
  console.drain();
  clearSelectors();
  const rc = start_kernel(record, RECORD_SIZE);
  return "pvboot: the platform refused the jump (" + rc.toString() + ")";
}

function restoreWritable(d: NewDomain, upTo: i32): void {
  for (let i = 0; i < upTo; i++) unmap_frame(d.tablePages[i]);
}

// Frames whose pfn changes: one MMU_MACHPHYS_UPDATE each.
function countChanges(d: NewDomain): u32 {
  let n: u32 = 0;
  for (let p: u64 = 0; p < d.nrPages; p++) {
    if (load<u64>(d.p2m + <usize>(p * 8)) != load<u64>(d.oldP2m + <usize>(p * 8))) n++;
  }
  return n;
}

function fillM2pRequests(d: NewDomain, reqs: usize): void {
  let n: usize = 0;
  for (let p: u64 = 0; p < d.nrPages; p++) {
    const mfn = load<u64>(d.p2m + <usize>(p * 8));
    if (mfn == load<u64>(d.oldP2m + <usize>(p * 8))) continue;
    store<u64>(reqs + n * 16, (mfn << 12) | MMU_MACHPHYS_UPDATE);
    store<u64>(reqs + n * 16 + 8, p);
    n++;
  }
}

// {"entry": "Debian", "kernel": {"format": "bzImage", "compression": "xz", "entry": "0x...",
//  "virt_base": "0x..."}, "modules": [{"size": 123, "cmdline": "/m1 --a"}]}
function summaryJson(title: string, l: Loaded): Text {
  const img = l.image!;
  const t = new Text(1024);
  t.str("{\"entry\": ");
  jsonString(t, title);
  t.str(", \"kernel\": {\"format\": ");
  jsonString(t, img.container);
  t.str(", \"compression\": ");
  jsonString(t, img.compression.length > 0 ? img.compression : "none");
  t.str(", \"entry\": ");
  jsonString(t, hex(img.xen!.entry));
  t.str(", \"virt_base\": ");
  jsonString(t, hex(img.xen!.virtBase));
  t.str("}, \"modules\": [");
  for (let i = 0; i < l.modules.length; i++) {
    if (i > 0) t.str(", ");
    t.str("{\"size\": ").u(l.modules[i].size).str(", \"cmdline\": ");
    jsonString(t, l.moduleLines.length > i ? l.moduleLines[i] : "");
    t.str("}");
  }
  if (l.initrd != null) {
    t.str("], \"initrd\": {\"size\": ").u(l.initrd!.size).str("}}");
  } else t.str("]}");
  return t;
}
