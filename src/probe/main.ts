// The probe: a tiny PV kernel built from the same shim as pvboot (boot/), only this core
// differs. Booted by pvboot (or directly by xl), it reports on its console what a next kernel
// really finds: start_info field by field, the modules (sizes, command lines, CRC-32 of their
// bytes), the page tables and layout it was handed, the event channels (EVTCHNOP_status on
// every port) and pending bits, the grant table, xenstore (watch events, the vbd's states).
// One line per fact, each starting "probe: "; test/xen/probe.test.ts parses them. Built for
// both widths (probe-x86_64.elf, probe-x86_32.elf): on x86_32 it reads the compat start_info
// and shared_info and walks the PAE tables from the L3 (the l4= flag set is then "-"). Built
// with the PVH shim too (probe-pvh.elf): there it reports the memory map (xen.memory_map) where
// a PV domain's page tables are walked, and the module at the physical address the shim
// reports (hvm_start_info's first).
//
// Nothing is changed before it is looked at: shared_info's pending bits, the port states and
// the grant-table version are taken before the first console line (the console's own event
// and xenstored's replies would set bits), xenstore's ring indices before the first request.

import * as abi from "../xen/abi";
import { startInfo } from "../xen/start_info";
import { events } from "../xen/events";
import { console } from "../xen/console";
import { xenstore, xsErrorName } from "../xen/xenstore";
import { shutdown } from "../xen/sched";
import { deadlineAfterMs } from "../xen/time";
import { event_channel_op, grant_table_op, gnttab_setup_table, map_frame, unmap_frame, pfn_to_mfn, start_info_mfn, memory_map } from "../xen/hypercall";
import { allocPages } from "../lib/pages";
import { crc32 } from "../lib/crc32";
import { Text } from "../lib/text";
import "../lib/abort";
import { pv32, pvh } from "../xen/arch";

const PAGE: u64 = 4096;
const NR_PORTS: u32 = 64; // ports 0..63: the statuses reported
const STATUS_NAMES: string[] = ["closed", "unbound", "interdomain", "pirq", "virq", "ipi"];
const WATCH_MS: u64 = 1000;

// What is taken before anything is printed.
let pendingWords: usize = 0; // shared_info's evtchn_pending, 64 u64
let maskWords: usize = 0; // evtchn_mask, 64 u64
let upcallPending: u32 = 0;
let upcallMask: u32 = 0;
let pendingSel: u64 = 0;
let statuses: usize = 0; // NR_PORTS records of 24 bytes, rc at +24 (32 bytes each)
let gntVersion: i32 = 0;

// One page of linear memory over which frames are mapped to be read.
let window: usize = 0;
let windowMfn: u64 = 0;

function say(t: Text): void { console.line(t); }
function p(): Text { return new Text(512).str("probe: "); }

export function pvboot_main(): void {
  startInfo.init();
  events.init();
  snapshot();
  console.init();
  window = allocPages(1);

  reportStartInfo();
  if (pvh()) reportMemoryMap();
  else reportLayout();
  reportModules();
  reportEvents();
  reportGrants();
  reportXenstore();
  say(p().str("done"));
  shutdown(abi.SHUTDOWN_poweroff); // after the console's last lines (src/xen/sched.ts)
}

function snapshot(): void {
  const si = events.shinfo;
  pendingWords = heap.alloc(512);
  maskWords = heap.alloc(512);
  memory.fill(pendingWords, 0, 512);
  memory.fill(maskWords, 0, 512);
  // x86_32: 1024 ports in 32 u32 words, the same bits at the same bytes as u64 words
  const bytes: u32 = pv32() ? 128 : 512;
  memory.copy(pendingWords, si + abi.SHINFO_EVTCHN_PENDING, bytes);
  memory.copy(maskWords, si + (pv32() ? abi.SHINFO32_EVTCHN_MASK : abi.SHINFO_EVTCHN_MASK), bytes);
  upcallPending = load<u8>(si + abi.VCPU_UPCALL_PENDING);
  upcallMask = load<u8>(si + abi.VCPU_UPCALL_MASK);
  pendingSel = pv32() ? <u64>load<u32>(si + abi.VCPU32_PENDING_SEL) : load<u64>(si + abi.VCPU_PENDING_SEL);
  statuses = heap.alloc(NR_PORTS * 32);
  for (let port: u32 = 0; port < NR_PORTS; port++) {
    const a = statuses + port * 32;
    memory.fill(a, 0, 32);
    store<u16>(a, abi.DOMID_SELF);
    store<u32>(a + 4, port);
    store<i32>(a + 24, event_channel_op(abi.EVTCHNOP_status, a, 24));
  }
  const v = heap.alloc(8);
  store<u16>(v, abi.DOMID_SELF);
  store<u32>(v + 4, 0);
  const rc = grant_table_op(abi.GNTTABOP_get_version, v, 8, 1);
  gntVersion = rc < 0 ? rc : <i32>load<u32>(v + 4);
}

// --- pseudo-physical memory, read through the window ---

function mapMfn(mfn: u64): bool {
  if (windowMfn == mfn) return true;
  if (map_frame(window, mfn, 1) < 0) { windowMfn = 0; return false; }
  windowMfn = mfn;
  return true;
}

function mapPfn(pfn: u64): bool {
  const mfn = pfn_to_mfn(pfn);
  return mfn != <u64>-1 && mapMfn(mfn);
}

function unmapWindow(): void {
  if (windowMfn != 0) unmap_frame(window);
  windowMfn = 0;
}

// `n` bytes at pseudo-physical address `pa`, copied to `dst`; false when a page is outside.
function readPhys(dst: usize, pa: u64, n: u32): bool {
  let done: u32 = 0;
  while (done < n) {
    const at = pa + done;
    const off = <u32>(at & (PAGE - 1));
    let chunk = <u32>PAGE - off;
    if (chunk > n - done) chunk = n - done;
    if (!mapPfn(at >> 12)) return false;
    memory.copy(dst + done, window + off, chunk);
    done += chunk;
  }
  return true;
}

// CRC-32 of `n` bytes at `pa`; -1 when a page is outside the domain.
function crcPhys(pa: u64, n: u64): i64 {
  let c: u32 = 0;
  let done: u64 = 0;
  while (done < n) {
    const at = pa + done;
    const off = at & (PAGE - 1);
    let chunk = PAGE - off;
    if (chunk > n - done) chunk = n - done;
    if (!mapPfn(at >> 12)) return -1;
    c = crc32(window + <usize>off, <u32>chunk, c);
    done += chunk;
  }
  return <i64>c;
}

// A NUL-terminated string at `pa`, at most `max` bytes.
function cstrPhys(t: Text, pa: u64, max: u32): Text {
  const buf = heap.alloc(max + 1);
  if (!readPhys(buf, pa, max)) return t.str("<outside>");
  t.cstr(buf, max);
  heap.free(buf);
  return t;
}

// --- start_info ---

function reportStartInfo(): void {
  const t = p().str("start_info magic=").cstr(startInfo.magic, 32);
  t.str(" nr_pages=").u(startInfo.nrPages);
  t.str(" shared_info=").hex(startInfo.sharedInfo);
  t.str(" flags=").hex(startInfo.flags);
  t.str(" store_mfn=").u(startInfo.storeMfn);
  t.str(" store_evtchn=").u(startInfo.storeEvtchn);
  t.str(" console_mfn=").u(startInfo.consoleMfn);
  t.str(" console_evtchn=").u(startInfo.consoleEvtchn);
  t.str(" pt_base=").hex(startInfo.ptBase);
  t.str(" nr_pt_frames=").u(startInfo.nrPtFrames);
  t.str(" mfn_list=").hex(startInfo.mfnList);
  t.str(" mod_start=").hex(startInfo.modStart);
  t.str(" mod_len=").u(startInfo.modLen);
  t.str(" first_p2m_pfn=").u(startInfo.firstP2mPfn);
  t.str(" nr_p2m_frames=").u(startInfo.nrP2mFrames);
  say(t);
  const n = startInfo.cmdLineLength();
  say(p().str("cmdline ").bytes(startInfo.cmdLine, n));
  say(p().str("cmdline_len=").u(n));
}

// --- PVH: the memory map, as XENMEM_memory_map gives it (docs/contract.md, xen.memory_map) ---

const MAX_MEMMAP: u32 = 128;

function reportMemoryMap(): void {
  const buf = heap.alloc(MAX_MEMMAP * 24);
  const n = memory_map(buf, MAX_MEMMAP * 24);
  if (n < 0) {
    say(p().str("memmap error rc=").i(n));
    return;
  }
  let ram: u64 = 0;
  for (let i: i32 = 0; i < n; i++) {
    const e = buf + <usize>i * 24;
    const t = p().str("memmap ").u(i).str(" addr=").hex(load<u64>(e)).str(" size=").hex(load<u64>(e + 8));
    say(t.str(" type=").u(load<u32>(e + 16)));
    if (load<u32>(e + 16) == 1) ram += load<u64>(e + 8);
  }
  say(p().str("memmap count=").u(<u32>n).str(" ram_pages=").u(ram >> 12));
  heap.free(buf);
}

// --- layout and page tables (docs/loader.md: the new domain, x86_64 or x86_32 PAE) ---

// The pfn whose frame is `mfn`, searched below `limit`; -1 when none.
function pfnOf(mfn: u64, limit: u64): i64 {
  for (let pfn: u64 = 0; pfn < limit; pfn++) if (pfn_to_mfn(pfn) == mfn) return <i64>pfn;
  return -1;
}

// Distinct flag sets seen (the A and D bits left out: the CPU sets them as it goes).
class FlagSet {
  seen: u64[] = [];
  add(f: u64): void { if (this.seen.indexOf(f) < 0) this.seen.push(f); }
  text(t: Text): Text {
    for (let i = 0; i < this.seen.length; i++) { if (i > 0) t.ch(0x2c); t.hex(this.seen[i]); }
    if (this.seen.length == 0) t.str("-");
    return t;
  }
}

function reportLayout(): void {
  const nrPages = startInfo.nrPages;
  const ptBase = startInfo.ptBase;
  const nrPt = startInfo.nrPtFrames;
  const ptPfn = ptBase >> 12; // VIRT_BASE 0: va = pfn << 12
  const stackPfn = ptPfn + nrPt;
  const siPfn = pfnOf(start_info_mfn(), ptPfn);
  const storePfn = pfnOf(startInfo.storeMfn, ptPfn);
  const consolePfn = pfnOf(startInfo.consoleMfn, ptPfn);
  const p2mPfn = startInfo.mfnList >> 12;

  // The page-table pages: their frames, from the P2M.
  const ptMfns = new Array<u64>();
  for (let i: u64 = 0; i < nrPt; i++) ptMfns.push(pfn_to_mfn(ptPfn + i));

  // Walk from the L4: every table reached, every 4 KiB mapping below 512 GiB. PAE: from the
  // L3 (its 4 slots), up to the hypervisor's hole in slot 3 (Xen's own mappings above).
  const pae = pv32();
  const tables = new Array<u64>(); // mfns of the tables reached
  const outside = new Array<u64>(); // tables whose frame is not one of the nr_pt_frames pages
  const fl = [new FlagSet(), new FlagSet(), new FlagSet(), new FlagSet(), new FlagSet()]; // l4,l3,l2,l1 data,l1 pt
  let mappedEnd: u64 = 0; // end of the run mapped from va 0, pfn for pfn
  let runBroken = false;
  let wrong: u64 = 0; // mappings of va = pfn << 12 to another frame than p2m[pfn]
  const wrongPfns = new Text();
  const shinfoMfn = startInfo.sharedInfo >> 12;
  let ptWritable: u64 = 0; // page-table pages mapped writable
  let extra = new Text(); // mappings after the run (the trampoline's, say)
  let extraCount: u32 = 0;
  let large: u32 = 0;
  const top = pfn_to_mfn(ptPfn);
  const e4 = pae ? 0 : readTable(0, top, tables, ptMfns, outside);
  const l4End: u32 = pae ? 1 : 256;
  const l3End: u32 = pae ? 4 : 512;
  for (let i4: u32 = 0; i4 < l4End; i4++) {
    let e3: usize = 0;
    if (pae) e3 = readTable(1, top, tables, ptMfns, outside);
    else {
      const x4 = load<u64>(e4 + i4 * 8);
      if ((x4 & 1) == 0) continue;
      fl[0].add(x4 & 0xfff & ~0x60);
      e3 = readTable(1, (x4 & 0xffffffffff000) >> 12, tables, ptMfns, outside);
    }
    for (let i3: u32 = 0; i3 < l3End; i3++) {
      const x3 = load<u64>(e3 + i3 * 8);
      if ((x3 & 1) == 0) continue;
      fl[1].add(x3 & 0xfff & ~0x60);
      if ((x3 & 0x80) != 0) { large++; continue; }
      const e2 = readTable(2, (x3 & 0xffffffffff000) >> 12, tables, ptMfns, outside);
      const l2End: u32 = pae && i3 == 3 ? <u32>((abi.HYPERVISOR_VIRT_START_32 >> 21) & 511) : 512;
      for (let i2: u32 = 0; i2 < l2End; i2++) {
        const x2 = load<u64>(e2 + i2 * 8);
        if ((x2 & 1) == 0) continue;
        fl[2].add(x2 & 0xfff & ~0x60);
        if ((x2 & 0x80) != 0) { large++; continue; }
        const e1 = readTable(3, (x2 & 0xffffffffff000) >> 12, tables, ptMfns, outside);
        for (let i1: u32 = 0; i1 < 512; i1++) {
          const x1 = load<u64>(e1 + i1 * 8);
          if ((x1 & 1) == 0) continue;
          const pfn = (<u64>i4 << 27) | (<u64>i3 << 18) | (<u64>i2 << 9) | <u64>i1;
          const mfn = (x1 & 0xffffffffff000) >> 12;
          const isPt = ptMfns.indexOf(mfn) >= 0;
          fl[isPt ? 4 : 3].add(x1 & 0xfff & ~0x60);
          if (isPt && (x1 & 2) != 0) ptWritable++;
          if (!runBroken && pfn == mappedEnd) {
            mappedEnd = pfn + 1;
            // Below the first free page (the layout proper); the shim's own shared_info page
            // (in its image) has shared_info mapped over it. Above, the probe's own memory.
            if (pfn <= stackPfn && pfn_to_mfn(pfn) != mfn && mfn != shinfoMfn) {
              if (wrong < 8) wrongPfns.str(wrong > 0 ? "," : "").u(pfn);
              wrong++;
            }
          } else {
            runBroken = true;
            if (extraCount < 8) extra.str(extraCount > 0 ? "," : "").hex(pfn << 12);
            extraCount++;
          }
        }
        unmapTable(e1);
      }
      unmapTable(e2);
    }
    unmapTable(e3);
  }
  if (!pae) unmapTable(e4);

  const t = p().str("layout si_pfn=").i(siPfn).str(" store_pfn=").i(storePfn).str(" console_pfn=").i(consolePfn);
  t.str(" p2m_pfn=").u(p2mPfn).str(" pt_pfn=").u(ptPfn).str(" stack_pfn=").u(stackPfn);
  t.str(" mapped_end_pfn=").u(mappedEnd).str(" nr_pages=").u(nrPages);
  say(t);
  const u = p().str("pagetables tables=").u(tables.length).str(" nr_pt_frames=").u(nrPt);
  u.str(" outside=").u(outside.length).str(" wrong_mfn=").u(wrong)
  if (wrong > 0) u.str(" wrong_pfns=").text(wrongPfns);
  u.str(" pt_writable=").u(ptWritable);
  u.str(" large=").u(large).str(" extra=").u(extraCount);
  if (extraCount > 0) u.str(" extra_va=").text(extra);
  u.str(" l4=");
  fl[0].text(u).str(" l3=");
  fl[1].text(u).str(" l2=");
  fl[2].text(u).str(" l1=");
  fl[3].text(u).str(" l1pt=");
  fl[4].text(u);
  say(u);
}

// The table at `mfn`, mapped read-only over the page kept for its level (a walk holds four).
let levelPages: usize = 0;
function readTable(level: u32, mfn: u64, tables: Array<u64>, ptMfns: Array<u64>, outside: Array<u64>): usize {
  if (tables.indexOf(mfn) < 0) {
    tables.push(mfn);
    if (ptMfns.indexOf(mfn) < 0) outside.push(mfn);
  }
  if (levelPages == 0) levelPages = allocPages(4);
  const page = levelPages + <usize>level * <usize>PAGE;
  if (map_frame(page, mfn, 1) < 0) {
    unmap_frame(page);
    memory.fill(page, 0, <usize>PAGE); // nothing present
  }
  return page;
}

function unmapTable(page: usize): void {
  unmap_frame(page);
}

// --- modules ---

function reportModules(): void {
  const flags = startInfo.flags;
  const start = startInfo.modStart;
  const len = startInfo.modLen;
  if (start == 0 || len == 0) {
    say(p().str("modules none"));
    return;
  }
  // The module's pseudo-physical address: mapped at va = pfn << 12 (VIRT_BASE 0), or a pfn.
  const pa = (flags & abi.SIF_MOD_START_PFN) != 0 ? start << 12 : start;
  if ((flags & abi.SIF_MULTIBOOT_MOD) == 0) {
    say(p().str("initrd size=").u(len).str(" crc32=").hex(<u64>crcPhys(pa, len), 8));
    return;
  }
  const d = heap.alloc(16);
  let n: u32 = 0;
  for (; n < 1024; n++) {
    if (<u64>(n + 1) * 16 > len || !readPhys(d, pa + <u64>n * 16, 16)) {
      say(p().str("modules error=descriptor ").u(n).str(" outside the package"));
      break;
    }
    const ms = <u64>load<u32>(d);
    const me = <u64>load<u32>(d + 4);
    const cl = <u64>load<u32>(d + 8);
    if (ms == 0) break;
    const t = p().str("module ").u(n + 1).str(" start=").hex(ms).str(" size=").i(<i64>me - <i64>ms);
    if (me < ms || me > len) t.str(" error=outside");
    else t.str(" crc32=").hex(<u64>crcPhys(pa + ms, me - ms), 8);
    t.str(" cmdline_off=").hex(cl).str(" pad=").u(load<u32>(d + 12));
    t.str(" cmdline=");
    if (cl >= len) t.str("<outside>");
    else cstrPhys(t, pa + cl, <u32>min<u64>(4095, len - cl));
    say(t);
  }
  say(p().str("modules count=").u(n).str(" package_len=").u(len));
  unmapWindow();
}

// --- event channels ---

function reportEvents(): void {
  for (let port: u32 = 1; port < NR_PORTS; port++) {
    const a = statuses + port * 32;
    const rc = load<i32>(a + 24);
    const t = p().str("evtchn port=").u(port);
    if (rc < 0) {
      say(t.str(" status=error rc=").i(rc));
      continue;
    }
    const st = load<u32>(a + 8);
    t.str(" status=").str(st < <u32>STATUS_NAMES.length ? STATUS_NAMES[st] : "unknown" + st.toString());
    if (st == 1) t.str(" remote_dom=").u(load<u16>(a + 16));
    else if (st == 2) t.str(" remote_dom=").u(load<u16>(a + 16)).str(" remote_port=").u(load<u32>(a + 20));
    else if (st == 3 || st == 4) t.str(st == 3 ? " pirq=" : " virq=").u(load<u32>(a + 16));
    if (st != 0) t.str(" vcpu=").u(load<u32>(a + 12));
    const word = load<u64>(pendingWords + (port >> 6) * 8);
    const mask = load<u64>(maskWords + (port >> 6) * 8);
    t.str(" pending=").u((word >> <u64>(port & 63)) & 1).str(" masked=").u((mask >> <u64>(port & 63)) & 1);
    say(t);
  }
  const t = p().str("pending upcall_pending=").u(upcallPending).str(" upcall_mask=").u(upcallMask);
  t.str(" pending_sel=").hex(pendingSel).str(" ports=");
  let any = false;
  for (let w: u32 = 0; w < 64; w++) {
    const word = load<u64>(pendingWords + w * 8);
    for (let b: u32 = 0; b < 64; b++) {
      if (((word >> <u64>b) & 1) == 0) continue;
      if (any) t.ch(0x2c);
      t.u(w * 64 + b);
      any = true;
    }
  }
  if (!any) t.str("-");
  t.str(" masked_words=");
  let anyMask = false;
  for (let w: u32 = 0; w < 64; w++) {
    const m = load<u64>(maskWords + w * 8);
    if (m == 0) continue;
    if (anyMask) t.ch(0x2c);
    t.u(w).str(":").hex(m);
    anyMask = true;
  }
  if (!anyMask) t.str("-");
  say(t);
}

// --- grant table, as a fresh kernel maps it ---

function reportGrants(): void {
  const q = heap.alloc(16);
  memory.fill(q, 0, 16);
  store<u16>(q, abi.DOMID_SELF);
  const rc = grant_table_op(abi.GNTTABOP_query_size, q, 16, 1);
  const nr = load<u32>(q + 4);
  const t = p().str("gnttab version=").i(gntVersion).str(" query_rc=").i(rc).str(" status=").i(load<i16>(q + 12));
  t.str(" nr_frames=").u(nr).str(" max_nr_frames=").u(load<u32>(q + 8));
  if (rc < 0 || nr == 0) {
    say(t);
    return;
  }
  const frames = heap.alloc(nr * 8);
  const s = gnttab_setup_table(nr, frames);
  if (s < 0) {
    say(t.str(" setup_table=").i(s));
    return;
  }
  let live: u32 = 0;
  let residue: u32 = 0; // flags 0 but domid or frame left behind
  const lines = new Array<Text>();
  for (let f: u32 = 0; f < nr; f++) {
    if (!mapMfn(load<u64>(frames + f * 8))) {
      lines.push(p().str("gnttab frame ").u(f).str(" cannot be mapped"));
      continue;
    }
    for (let i: u32 = 0; i < 512; i++) {
      const e = window + i * 8;
      const flags = load<u16>(e);
      const dom = load<u16>(e + 2);
      const frame = load<u32>(e + 4);
      if (flags == 0 && dom == 0 && frame == 0) continue;
      if (flags == 0) { residue++; continue; }
      live++;
      if (lines.length < 64) {
        lines.push(p().str("grant ref=").u(f * 512 + i).str(" flags=").hex(flags).str(" domid=").u(dom).str(" frame=").u(frame));
      }
    }
  }
  unmapWindow();
  say(t.str(" live=").u(live).str(" residue=").u(residue));
  for (let i = 0; i < lines.length; i++) say(lines[i]);
}

// --- xenstore ---

function reportXenstore(): void {
  const err = xenstore.init();
  if (err != 0) {
    say(p().str("xenstore error=").str(xsErrorName(err)));
    return;
  }
  const ring = xenstore.ring;
  const t = p().str("xenstore ring req_cons=").u(load<u32>(ring + abi.XS_REQ_CONS)).str(" req_prod=").u(load<u32>(ring + abi.XS_REQ_PROD));
  t.str(" rsp_cons=").u(load<u32>(ring + abi.XS_RSP_CONS)).str(" rsp_prod=").u(load<u32>(ring + abi.XS_RSP_PROD));
  say(t);

  const token = "probe-vbd";
  const w = xenstore.watch("device/vbd", token);
  const deadline = deadlineAfterMs(WATCH_MS);
  let n: u32 = 0;
  const fired = new Array<string>();
  if (w == 0) {
    for (;;) {
      const path = xenstore.nextEvent(token, deadline);
      if (path == null) break;
      fired.push(path!);
      n++;
    }
  }
  // The first event is the watch's own (xenstored fires every new watch once).
  const u = p().str("xenstore watch=").str(w == 0 ? "ok" : xsErrorName(w)).str(" events=").u(n);
  u.str(" initial=").str(fired.length > 0 ? fired[0] : "-").str(" later=");
  for (let i = 1; i < fired.length; i++) { if (i > 1) u.ch(0x2c); u.str(fired[i]); }
  if (fired.length < 2) u.str("-");
  u.str(" foreign=").u(xenstore.foreign.length);
  for (let i = 0; i < xenstore.foreign.length && i < 8; i++) u.str(i == 0 ? " foreign_events=" : ",").str(xenstore.foreign[i].replace("\0", ":"));
  say(u);
  if (w == 0) xenstore.unwatch("device/vbd", token);

  const dir = xenstore.directory("device/vbd");
  if (dir.err != 0) {
    say(p().str("vbd none (").str(xsErrorName(dir.err)).str(")"));
  } else {
    const devs = dir.list();
    for (let i = 0; i < devs.length; i++) {
      const base = "device/vbd/" + devs[i];
      const backend = xenstore.readOr(base + "/backend", "");
      const v = p().str("vbd dev=").str(devs[i]).str(" state=").str(xenstore.readOr(base + "/state", "-"));
      v.str(" backend_state=").str(backend.length > 0 ? xenstore.readOr(backend + "/state", "-") : "-");
      v.str(" ring_ref=").str(xenstore.readOr(base + "/ring-ref", "-"));
      v.str(" event_channel=").str(xenstore.readOr(base + "/event-channel", "-"));
      v.str(" backend=").str(backend);
      say(v);
    }
    say(p().str("vbd count=").u(devs.length));
  }
}
