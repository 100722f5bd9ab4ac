// The next kernel's view of pvboot's handoff on real Xen (issue 7, case 8): the probe
// (src/probe/main.ts, build/probe-x86_64.elf: the same shim as pvboot, its own core) reports
// what it finds, and this file compares that with what the menu.lst asked for and with the
// teardown rules (docs/loader.md). For each width (x86_64 on Debian's hypervisor; x86_32 PAE,
// build/probe-x86_32.elf booted by build/pvboot-x86_32.elf.gz, on the hypervisor rebuilt with
// CONFIG_PV32), three guests in one Xen boot:
//   direct     xl kernel=probe, ramdisk=a file: what libxenguest itself hands over (the baseline)
//   modules    pvboot boots the probe from menu.lst with three `module` lines (SIF_MULTIBOOT_MOD)
//   initrd     pvboot boots the probe from menu.lst with an `initrd` line
// Any mismatch fails with a message naming the guest and the field.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { crc32 } from "node:zlib";
import { makeDisk } from "../../scripts/images/make-disk";
import { PVBOOT_IMAGE, PVBOOT_IMAGE_X86_32, runGuests, type GuestsRun, type GuestResult } from "../../scripts/xen-host/guests";
import { parseReport, type Report } from "./probe-report";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const MEMORY_MB = 128;
const SIF_MULTIBOOT_MOD = 4;
const XENBUS = { Initialising: 1, InitWait: 2, Closed: 6 };

// The module files: one not a multiple of 4096, one exactly two pages, one of a single byte.
const M1 = Buffer.alloc(123457).map((_, i) => (i * 7 + 3) & 255);
const M2 = Buffer.alloc(8192, 0x5a);
const M3 = Buffer.from("x");
const KERNEL_ARGS = "probe.a=1 words with  spaces --dash";
// The command line each module must see: the whole `module` line after the command name.
const MODULES = [
  { file: "m1.bin", data: M1, line: "/boot/m1.bin --alpha beta=2" },
  { file: "m2.bin", data: M2, line: "/boot/m2.bin" },
  { file: "m3.bin", data: M3, line: "/boot/m3.bin \"\" ''" },
];
const INITRD_ARGS = "initrd entry";
const DIRECT_ARGS = "direct probe args";

const hex = (n: number) => "0x" + n.toString(16).padStart(8, "0");

// Every comparison goes through here: the message names the guest and the field.
function check(errors: string[], guest: string, field: string, got: unknown, want: unknown): void {
  if (String(got) !== String(want)) errors.push(`${guest}: ${field}: expected ${String(want)}, got ${String(got)}`);
}

// What the teardown rules and libxenguest's layout say every next kernel finds.
function checkCommon(g: string, r: Report, errors: string[], opts: { memoryMB: number; flags: number; args: string; magic: string }): void {
  const si = r.startInfo;
  check(errors, g, "done", r.done, true);
  check(errors, g, "start_info.magic", si.magic, opts.magic);
  check(errors, g, "start_info.nr_pages", si.nr_pages, opts.memoryMB * 256);
  check(errors, g, "start_info.flags", Number(si.flags), opts.flags);
  check(errors, g, "cmd_line", r.cmdline, opts.args);
  const store = Number(si.store_evtchn), cons = Number(si.console_evtchn);

  // Event channels: the xenstore and console ports bound to dom0, every other one closed.
  for (let port = 1; port < 64; port++) {
    const e = r.evtchn.get(port);
    if (!e) { errors.push(`${g}: evtchn ${port}: not reported`); continue; }
    if (port === store || port === cons) {
      check(errors, g, `evtchn ${port} (${port === store ? "xenstore" : "console"}).status`, e.status, "interdomain");
      check(errors, g, `evtchn ${port}.remote_dom`, e.remote_dom, 0);
    } else {
      check(errors, g, `evtchn ${port}.status`, e.status, "closed");
      check(errors, g, `evtchn ${port}.pending (closed port)`, e.pending, 0);
    }
  }
  const pendingPorts = r.pending.ports === "-" ? [] : (r.pending.ports ?? "").split(",").map(Number);
  check(errors, g, "pending ports outside xenstore/console", pendingPorts.filter((p) => p !== store && p !== cons).join(","), "");
  check(errors, g, "pending.upcall_mask", r.pending.upcall_mask, 1);
  if (pendingPorts.length === 0) {
    check(errors, g, "pending.pending_sel (nothing pending)", r.pending.pending_sel, "0x0");
    check(errors, g, "pending.upcall_pending (nothing pending)", r.pending.upcall_pending, 0);
  }

  // Grants: v1; live only the toolstack's reserved entries (0: console, 1: xenstore, for dom0).
  check(errors, g, "gnttab.version", r.gnttab.version, 1);
  check(errors, g, "gnttab.live", r.gnttab.live, 2);
  const byRef = new Map(r.grants.map((e) => [Number(e.ref), e]));
  check(errors, g, "grants live", [...byRef.keys()].sort().join(","), "0,1");
  check(errors, g, "grant 0.frame (console)", byRef.get(0)?.frame, si.console_mfn);
  check(errors, g, "grant 1.frame (xenstore)", byRef.get(1)?.frame, si.store_mfn);
  for (const e of r.grants) check(errors, g, `grant ${e.ref}.domid`, e.domid, 0);

  // xenstore: the ring idle, our watch's own event only, nobody else's.
  check(errors, g, "xenstore ring req idle", r.ring.req_cons, r.ring.req_prod);
  check(errors, g, "xenstore ring rsp idle", r.ring.rsp_cons, r.ring.rsp_prod);
  check(errors, g, "xenstore.watch", r.watch.watch, "ok");
  check(errors, g, "xenstore.initial event", r.watch.initial, "device/vbd");
  check(errors, g, "xenstore.later events (stale)", r.watch.later, "-");
  check(errors, g, "xenstore.foreign events (a watch left behind)", r.watch.foreign, 0);

  // Layout (docs/loader.md) and the page tables that map it.
  const l = r.layout, pt = r.pagetables;
  const n = (s: string | undefined) => Number(s);
  const ptPfn = n(l.pt_pfn), nrPt = n(si.nr_pt_frames), end = n(l.mapped_end_pfn);
  check(errors, g, "layout: p2m < start_info", n(l.p2m_pfn) < n(l.si_pfn), true);
  check(errors, g, "layout: xenstore page", n(l.store_pfn), n(l.si_pfn) + 1);
  check(errors, g, "layout: console page", n(l.console_pfn), n(l.si_pfn) + 2);
  check(errors, g, "layout: page tables after console", ptPfn, n(l.si_pfn) + 3);
  check(errors, g, "layout: pt_base", n(si.pt_base), ptPfn * 4096);
  check(errors, g, "layout: stack after the tables", n(l.stack_pfn), ptPfn + nrPt);
  check(errors, g, "layout: mapping ends at a 4 MiB boundary", end % 1024, 0);
  check(errors, g, "layout: >= 512 KiB mapped after the stack", end - n(l.stack_pfn) - 1 >= 128, true);
  check(errors, g, "pagetables.tables (reached from pt_base)", pt.tables, nrPt);
  check(errors, g, "pagetables.outside (tables not among nr_pt_frames)", pt.outside, 0);
  check(errors, g, "pagetables.wrong_mfn (va != pfn << 12)", pt.wrong_mfn, 0);
  check(errors, g, "pagetables.pt_writable", pt.pt_writable, 0);
  check(errors, g, "pagetables.large", pt.large, 0);
}

function checkModules(g: string, r: Report, errors: string[]): void {
  check(errors, g, "modules.count", r.modulesSummary?.count, MODULES.length);
  const base = Number(r.startInfo.mod_start);
  check(errors, g, "mod_start: page-aligned, below the P2M", base % 4096 === 0 && base < Number(r.layout.p2m_pfn) * 4096, true);
  MODULES.forEach((want, i) => {
    const m = r.modules[i];
    if (!m) { errors.push(`${g}: module ${i + 1}: not reported`); return; }
    check(errors, g, `module ${i + 1}.size`, m.size, want.data.length);
    check(errors, g, `module ${i + 1}.crc32`, m.crc32, hex(crc32(want.data)));
    check(errors, g, `module ${i + 1}.cmdline`, m.cmdline, want.line);
    check(errors, g, `module ${i + 1}.start page-aligned`, Number(m.start) % 4096, 0);
    check(errors, g, `module ${i + 1}.pad`, m.pad, 0);
  });
}

function checkInitrd(g: string, r: Report, errors: string[]): void {
  check(errors, g, "initrd.size", r.initrd?.size, M1.length);
  check(errors, g, "initrd.crc32", r.initrd?.crc32, hex(crc32(M1)));
  check(errors, g, "mod_len", r.startInfo.mod_len, M1.length);
}

// pvboot's disk, after its teardown: the frontend back in Initialising (Linux's xenbus ignores
// one it finds Closed), the backend waiting for the next one (InitWait) or Closed.
function checkVbd(g: string, r: Report, errors: string[]): void {
  check(errors, g, "vbd count", r.vbds.length, 1);
  for (const v of r.vbds) {
    check(errors, g, `vbd ${v.dev}.state (frontend Initialising)`, Number(v.state), XENBUS.Initialising);
    check(errors, g, `vbd ${v.dev}.backend_state (InitWait or Closed)`, [XENBUS.InitWait, XENBUS.Closed].includes(Number(v.backend_state)), true);
  }
}

// The same three guests for each width: the probe and pvboot of that width, on a hypervisor
// that runs it.
const WIDTHS = [
  { arch: "x86_64", probe: join(ROOT, "build/probe-x86_64.elf"), pvboot: PVBOOT_IMAGE, hypervisor: "debian", magic: "xen-3.0-x86_64" },
  { arch: "x86_32", probe: join(ROOT, "build/probe-x86_32.elf"), pvboot: PVBOOT_IMAGE_X86_32, hypervisor: "pv32", magic: "xen-3.0-x86_32p" },
] as const;

for (const w of WIDTHS) describe(`the probe (${w.arch}): what the next kernel finds after pvboot's handoff on real Xen 4.17`, () => {
  const PROBE_ELF = w.probe;
  let dir = "";
  let run: GuestsRun;
  const guest = (name: string): GuestResult => run.guests.find((x) => x.name === name)!;
  const report = (name: string) => parseReport(guest(name).lines.map((l) => l.text));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "pvboot-probe-"));
    const a = join(dir, "a");
    mkdirSync(join(a, "boot", "grub"), { recursive: true });
    copyFileSync(PROBE_ELF, join(a, "boot", "probe"));
    for (const m of MODULES) writeFileSync(join(a, "boot", m.file), m.data);
    writeFileSync(join(a, "boot", "grub", "menu.lst"), "timeout 0\ntitle probe with modules\n  root (hd0,0)\n" +
      `  kernel /boot/probe ${KERNEL_ARGS}\n` + MODULES.map((m) => `  module ${m.line}\n`).join(""));
    makeDisk(join(dir, "a.img"), 16, [{ fsType: "ext2", sizeMiB: 14, dir: a }]);
    const b = join(dir, "b");
    mkdirSync(join(b, "boot", "grub"), { recursive: true });
    copyFileSync(PROBE_ELF, join(b, "boot", "probe"));
    writeFileSync(join(b, "boot", "rd.bin"), M1);
    writeFileSync(join(b, "boot", "grub", "menu.lst"),
      `timeout 0\ntitle probe with an initrd\n  root (hd0,0)\n  kernel /boot/probe ${INITRD_ARGS}\n  initrd /boot/rd.bin\n`);
    makeDisk(join(dir, "b.img"), 16, [{ fsType: "ext2", sizeMiB: 14, dir: b }]);
    writeFileSync(join(dir, "rd.bin"), M1);

    const done = [/^probe: done$/];
    run = await runGuests([
      { name: "direct", kernel: PROBE_ELF, ramdisk: join(dir, "rd.bin"), extra: DIRECT_ARGS, memoryMB: MEMORY_MB, expect: done },
      { name: "modules", kernel: w.pvboot, disk: join(dir, "a.img"), hotplug: "block-quick", memoryMB: MEMORY_MB, expect: done },
      { name: "initrd", kernel: w.pvboot, disk: join(dir, "b.img"), hotplug: "block-quick", memoryMB: MEMORY_MB, expect: done },
    ], { timeoutMs: 240_000, echo: !!process.env.PVBOOT_ECHO, hypervisor: w.hypervisor });
    if (!run.ok) console.error(run.xen.lines.slice(-40).join("\n"));
    const s = (ms: number) => (ms / 1000).toFixed(1);
    console.log(`probe run (${w.arch}): ${s(run.elapsedMs)} s; Xen + dom0 with xl up at ${s(run.xlReadyMs)} s`);
    for (const g of run.guests) console.log(`  ${g.name}: xl create at ${s(g.createMs)} s; done +${s(g.matchedMs[0] - g.createMs)} s`);
  }, 300_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("every probe reports to the end", () => {
    expect(run.ok, run.reason).toBe(true);
  });

  it("direct boot (libxenguest's own handoff) is the baseline the checks assume", () => {
    const errors: string[] = [];
    const r = report("direct");
    checkCommon("direct", r, errors, { memoryMB: MEMORY_MB, flags: 0, args: DIRECT_ARGS, magic: w.magic });
    checkInitrd("direct", r, errors);
    check(errors, "direct", "vbd count", r.vbds.length, 0);
    expect(errors).toEqual([]);
  });

  it("pvboot with three `module` lines: start_info, the module package, the teardown", () => {
    const errors: string[] = [];
    const r = report("modules");
    checkCommon("modules", r, errors, { memoryMB: MEMORY_MB, flags: SIF_MULTIBOOT_MOD, args: KERNEL_ARGS, magic: w.magic });
    checkModules("modules", r, errors);
    checkVbd("modules", r, errors);
    expect(errors).toEqual([]);
  });

  it("pvboot with an `initrd` line: start_info, the initrd, the teardown", () => {
    const errors: string[] = [];
    const r = report("initrd");
    checkCommon("initrd", r, errors, { memoryMB: MEMORY_MB, flags: 0, args: INITRD_ARGS, magic: w.magic });
    checkInitrd("initrd", r, errors);
    checkVbd("initrd", r, errors);
    expect(errors).toEqual([]);
  });
});
