// pvboot as the bootloader of a PVH domU (issue 23) on the real Xen 4.17 host (QEMU TCG, SVM
// with nested paging): build/pvboot-pvh.elf(.gz) as `kernel =` of `type = "pvh"` guests (with
// cpuid = "host,rdtscp=0,xsave=0", scripts/xen-host/README.md says why), all in one Xen boot:
// - menu: the compressed image (xl unpacks it as for PV) shows its disk's menu.lst on the PV
//   console, boots the default entry, whose kernel is missing, says why, falls back to the
//   entry that halts, and powers off;
// - lister: the uncompressed image lists its disk's root through real blkback, byte for byte
//   what the emulator lists on the same image;
// - contract: the behaviour table (pvboot.debug=contract) run by the PVH shim: guest kind 2, the
//   memory map, no PV MMU;
// - probe: the probe kernel built with the PVH shim (build/probe-pvh.elf), booted by xl itself
//   with a ramdisk: the baseline of what a PVH kernel finds (start_info as the shim translates
//   hvm_start_info, the module's bytes, the memory map, only the console's and xenstore's ports
//   open, only the toolstack's two grants);
// - probe-pvboot: pvboot-pvh.elf.gz boots the same probe from menu.lst on its disk, with the
//   same command line and the same bytes as initrd: the probe must find what it found under
//   xl, field by field, except what the handoff itself explains (the module's address is
//   where pvboot put the initrd, and the disk pvboot read and gave back);
// - pf, ud, de, gp, hcpage: the PVH shim's faults made on purpose, each reported on the console
//   ring with its vector, error code, rip (the image's debug_fault_KIND symbol) and, for the
//   page fault, cr2, then the domain crashed by the shim (xl: "crash"), not by Xen;
// - panic: a hypercall Xen refuses (pvboot.debug=shim-panic), named in the shim's panic line as
//   the PVH shim made it (hvm_op, not PV's update_va_mapping), with Xen's rc.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { crc32 } from "node:zlib";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { makeDisk } from "../../scripts/images/make-disk";
import { ToolStream } from "../../scripts/cli/tool";
import { runGuests, type GuestsRun, type GuestResult, type GuestSpec } from "../../scripts/xen-host/guests";
import { parseReport } from "./probe-report";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const IMAGE = join(ROOT, "build/pvboot-pvh.elf");
const IMAGE_GZ = join(ROOT, "build/pvboot-pvh.elf.gz");
const SYMBOLS = join(ROOT, "build/pvh/pvboot.elf"); // the same image before `make` stripped it
const PROBE = join(ROOT, "build/probe-pvh.elf");
// How many grant-table frames pvboot sets up (NR_FRAMES in src/xen/gnttab.ts), read from there.
const GRANT_FRAMES = Number(/^const NR_FRAMES: u32 = (\d+);$/m.exec(readFileSync(join(ROOT, "src/xen/gnttab.ts"), "utf8"))![1]);
const PROBE_ARGS = "probe.run=direct two  spaces";
const RAMDISK = randomBytes(96 * 1024 + 123);
const BANNER = /^pvboot 0\.1\.0 \(xen-3\.0-x86_64\) on Xen 4\.17\.\d+.*, domU, (256|64) MiB$/;
const DISK_LINE = /^pvboot: hd0: vbd 51712 \(xvda\), 8 MiB \(16384 sectors\), 512-byte sectors, read-write$/;

// The faults as boot/pvh/traps.c makes them: the page fault writes to 0x7ead00000000, which
// the PVH shim's page tables (the first 4 GiB) do not map; #GP is a non-canonical load.
const FAULTS = {
  pf: { vector: 14, name: "#PF page fault", error: "0x2", cr2: "0x7ead00000000" },
  ud: { vector: 6, name: "#UD invalid opcode", error: "0x0" },
  de: { vector: 0, name: "#DE divide error", error: "0x0" },
  gp: { vector: 13, name: "#GP general protection", error: "0x0" },
} as const;
type Kind = keyof typeof FAULTS;
const KINDS = Object.keys(FAULTS) as Kind[];
const PANIC = [/^pvboot: debug action 'shim-panic': a hypercall Xen refuses$/,
  /^pvboot: shim panic: hvm_op\(HVMOP_get_param\)\(index 0xffff\): rc -22$/];
// The PVH image has guard pages (boot/pvh/mm.c: the core's memory through an alias mapped only
// as far as it has grown): each access out of bounds must be the wasm trap, never a shim fault
// and never a read of the RAM the 1:1 map has past the memory's end. oob: 256 MiB past the end;
// oob-end: a load across the end; oob-far: 6 GiB past the base.
const OOB = ["oob", "oob-end", "oob-far"] as const;
const OOB_LINES = [/^pvboot: wasm trap: out of bounds memory access$/];
const HCPAGE = /^pvboot: shim panic: Xen did not fill the hypercall page at 0x[0-9a-f]+ \(xen_version's stub at 0x[0-9a-f]+ reads( 0xcc){8}\); this message went through the shim's own stubs$/;

function symbol(name: string): string {
  const out = execFileSync("nm", [SYMBOLS], { encoding: "utf8" });
  const m = out.match(new RegExp(`^([0-9a-f]+) T ${name}$`, "m"));
  if (!m) throw new Error(`${SYMBOLS} has no symbol ${name}`);
  return "0x" + BigInt("0x" + m[1]).toString(16);
}

function reportLines(kind: Kind): RegExp[] {
  const f = FAULTS[kind];
  const cr2 = "cr2" in f ? f.cr2 : "0x[0-9a-f]+";
  const esc = (s: string) => s.replace(/[#.*+?^${}()|[\]\\]/g, "\\$&");
  return [
    new RegExp(`^pvboot: debug action 'shim-${kind}': a CPU fault in the shim$`),
    new RegExp(`^pvboot: shim fault: vector ${f.vector} ${esc(f.name)}, error ${f.error}, rip ${symbol(`debug_fault_${kind}`)}, cr2 ${cr2}$`),
    /^pvboot: fault regs: rax 0x[0-9a-f]+ /,
    /^pvboot: fault stack at rsp 0x[0-9a-f]+:( 0x[0-9a-f]+){8}$/,
    /^pvboot: crashing the domain \(SHUTDOWN_crash\)$/,
  ];
}

function toolOutput(g: GuestResult): { out: string; exit: number | null } {
  let out = "";
  const ts = new ToolStream((b) => (out += Buffer.from(b).toString("latin1")), () => {}, () => {});
  ts.push(Buffer.from(g.lines.map((l) => l.text + "\n").join(""), "latin1"));
  return { out, exit: ts.exitCode };
}

const MENU_LST = [
  "timeout 1", "default 0", "fallback 1",
  "title missing kernel", "  root (hd0,0)", "  kernel /boot/missing",
  "title power off", "  halt", "",
].join("\n");

let dir = "";
let run: GuestsRun;
const guest = (name: string) => run.guests.find((g) => g.name === name)!;
const texts = (name: string) => guest(name).lines.map((l) => l.text);

describe("pvboot-pvh.elf as a PVH domU of real Xen 4.17 (QEMU TCG)", () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "pvboot-pvh-"));
    const root = join(dir, "root");
    mkdirSync(join(root, "boot", "grub"), { recursive: true });
    writeFileSync(join(root, "hello.txt"), "hello from a PVH domain\n");
    writeFileSync(join(root, "boot", "grub", "menu.lst"), MENU_LST);
    makeDisk(join(dir, "disk.img"), 8, [{ fsType: "ext4", sizeMiB: 6, dir: root }]);
    writeFileSync(join(dir, "rd.bin"), RAMDISK);
    const proot = join(dir, "probe-root");
    mkdirSync(join(proot, "boot", "grub"), { recursive: true });
    copyFileSync(PROBE, join(proot, "boot", "probe"));
    writeFileSync(join(proot, "boot", "rd.bin"), RAMDISK);
    writeFileSync(join(proot, "boot", "grub", "menu.lst"),
      `timeout 0\ntitle probe (PVH)\n  root (hd0,0)\n  kernel /boot/probe ${PROBE_ARGS}\n  initrd /boot/rd.bin\n`);
    makeDisk(join(dir, "probe.img"), 8, [{ fsType: "ext4", sizeMiB: 6, dir: proot }]);
    const pvh = { type: "pvh" as const, hotplug: "block-quick" as const };
    const guests: GuestSpec[] = [
      { ...pvh, name: "menu", kernel: IMAGE_GZ, disk: join(dir, "disk.img"),
        expect: [BANNER, DISK_LINE, /missing kernel\s*\|.*\| power off/, /Booting 'missing kernel'/,
          /^Error: line 6: kernel: '\(hd0,0\)\/boot\/missing': file not found$/, /^Falling back to entry 1 \('power off'\)$/,
          /Booting 'power off'/, /^pvboot: powering off$/] },
      { ...pvh, name: "lister", kernel: IMAGE, disk: join(dir, "disk.img"), extra: "pvboot.tool=ls pvboot.path=/",
        expect: [BANNER, DISK_LINE, /^\x02pvboot-exit 0$/] },
      { ...pvh, name: "probe", kernel: PROBE, ramdisk: join(dir, "rd.bin"), extra: PROBE_ARGS, memoryMB: 64,
        expect: [/^probe: done$/] },
      { ...pvh, name: "probe-pvboot", kernel: IMAGE_GZ, disk: join(dir, "probe.img"), memoryMB: 64,
        expect: [/^probe: done$/] },
      { ...pvh, name: "contract", kernel: IMAGE_GZ, memoryMB: 64, extra: "pvboot.debug=contract",
        expect: [/^pvboot: contract: table ends$/] },
      ...KINDS.map((kind) => ({ ...pvh, name: kind, kernel: IMAGE_GZ, memoryMB: 64, extra: `pvboot.debug=shim-${kind}`,
        expect: reportLines(kind) })),
      ...OOB.map((action) => ({ ...pvh, name: action, kernel: IMAGE_GZ, memoryMB: 64, extra: `pvboot.debug=${action}`,
        expect: OOB_LINES })),
      { ...pvh, name: "hcpage", kernel: IMAGE_GZ, memoryMB: 64, extra: "pvboot.debug=shim-hcpage", expect: [HCPAGE] },
      { ...pvh, name: "panic", kernel: IMAGE_GZ, memoryMB: 64, extra: "pvboot.debug=shim-panic", expect: PANIC },
    ];
    run = await runGuests(guests, { timeoutMs: 400_000, waitForEnd: true, xenDmesg: 60, echo: !!process.env.PVBOOT_ECHO });
    if (!run.ok) console.error(run.xen.lines.slice(-60).join("\n"));
    const s = (ms: number) => (ms / 1000).toFixed(1);
    console.log(`PVH run: ${s(run.elapsedMs)} s; xl up at ${s(run.xlReadyMs)} s`);
  }, 450_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("every guest printed its lines and ended as it should", () => {
    expect(run.ok, run.reason).toBe(true);
    for (const g of run.guests) {
      expect(g.ok, `${g.name}: ${g.lines.map((l) => l.text).join(" | ")}`).toBe(true);
      expect(g.ended, g.name).toBe(["menu", "lister", "contract", "probe", "probe-pvboot"].includes(g.name) ? "poweroff" : "crash");
    }
    // Each crash was the shim's own, after its report: Xen killed nothing.
    expect(run.xen.lines.filter((l) => /Unhandled|Triple fault/.test(l))).toEqual([]);
  });

  it("shows the menu, says why the default entry failed and falls back", () => {
    const t = texts("menu");
    const at = (re: RegExp) => t.findIndex((x) => re.test(x));
    const order = [/Booting 'missing kernel'/, /file not found$/, /^Falling back/, /Booting 'power off'/, /^pvboot: powering off$/].map(at);
    expect(order.every((x, i) => x >= 0 && (i === 0 || x > order[i - 1])), order.join(",")).toBe(true);
  });

  it("lists the disk through real blkback as the emulator does", () => {
    const { out, exit } = toolOutput(guest("lister"));
    expect(exit).toBe(0);
    const emulated = execFileSync("npx", ["--no-install", "pvboot", "ls", join(dir, "disk.img"), "/"],
      { cwd: ROOT, encoding: "latin1", stdio: ["ignore", "pipe", "pipe"] });
    expect(out).toBe(emulated);
    expect(out).toMatch(/^-rw-r--r-- +24 hello\.txt$/m);
  });

  it("runs the contract table as guest kind 2: a memory map, no PV MMU", () => {
    const rows = new Map(texts("contract").flatMap((l) => {
      const m = l.match(/^pvboot: contract: (.+) = (.*)$/);
      return m ? [[m[1], m[2]] as [string, string]] : [];
    }));
    expect(rows.get("guest_kind ()")).toBe("2");
    expect(rows.get("memory_map one entry")).toBe("1");
    expect(rows.get("memory_map whole page")).toBe("1");
    expect(rows.get("memory_map 23 bytes")).toBe("-22");
    expect(rows.get("memory_map buf 0xfffff000")).toBe("-14");
    expect(rows.get("mmu_update machphys own frame")).toBe("-38");
    expect(rows.get("mfn_of = pfn_to_mfn(pfn_of)")).toBe("consistent");
    expect(rows.get("va_of = pfn_of << 12")).toBe("consistent");
    expect(rows.get("map_frame page's own frame rw")).toBe("0");
    expect(rows.get("map_frame no RAM (mfn 0xfffffff)")).toBe("-22");
  });

  it("hands a PVH kernel started by xl its command line, module, memory map and only Xen's ports", () => {
    const t = texts("probe");
    const field = (line: string, name: string) => line.match(new RegExp(`(?:^| )${name}=(\\S+)`))?.[1];
    const si = t.find((l) => l.startsWith("probe: start_info "))!;
    expect(si, t.join(" | ")).toBeDefined();
    expect(field(si, "magic")).toBe("xen-3.0-x86_64");
    expect(field(si, "mod_len")).toBe(String(RAMDISK.length));
    expect(field(si, "pt_base")).toBe("0x0");
    expect(t).toContain(`probe: cmdline ${PROBE_ARGS}`);
    const hex = (n: number) => "0x" + n.toString(16).padStart(8, "0");
    expect(t).toContain(`probe: initrd size=${RAMDISK.length} crc32=${hex(crc32(RAMDISK))}`);
    // the memory map: RAM entries whose pages are start_info's nr_pages
    const count = t.find((l) => l.startsWith("probe: memmap count="))!;
    expect(count, t.join(" | ")).toBeDefined();
    expect(Number(field(count, "count"))).toBeGreaterThan(0);
    expect(field(count, "ram_pages")).toBe(field(si, "nr_pages"));
    expect(t.some((l) => /^probe: memmap 0 addr=0x0 size=0x[0-9a-f]+ type=1$/.test(l)), t.join(" | ")).toBe(true);
    // open ports: exactly the console's and xenstore's
    const open = t.filter((l) => /^probe: evtchn port=\d+ status=(?!closed)/.test(l)).map((l) => field(l, "port")).sort();
    expect(open).toEqual([field(si, "console_evtchn"), field(si, "store_evtchn")].sort());
    // grants: v1, live only the toolstack's reserved entries (0: console, 1: xenstore, for dom0)
    const gnt = t.find((l) => l.startsWith("probe: gnttab version="))!;
    expect(field(gnt, "version")).toBe("1");
    expect(field(gnt, "live")).toBe("2");
    const grants = t.filter((l) => l.startsWith("probe: grant ref="));
    expect(grants.map((l) => [field(l, "ref"), field(l, "domid"), field(l, "frame")])).toEqual([
      ["0", "0", field(si, "console_mfn")], ["1", "0", field(si, "store_mfn")]]);
    expect(t.find((l) => l.startsWith("probe: xenstore watch="))).toMatch(/ foreign=0$/);
  });

  it("hands the probe, booted by pvboot from menu.lst, what xl handed it, except the module's place and the disk", () => {
    const direct = parseReport(texts("probe")), via = parseReport(texts("probe-pvboot"));
    const lines = texts("probe-pvboot");
    expect(via.done, lines.join(" | ")).toBe(true);
    const errors: string[] = [];
    const check = (field: string, got: unknown, want: unknown) => {
      if (String(got) !== String(want)) errors.push(`probe-pvboot: ${field}: expected ${String(want)}, got ${String(got)}`);
    };
    // start_info as the probe's shim builds it from hvm_start_info: every field xl's, but the
    // module's address, which is where pvboot says it left the initrd (its layout line).
    for (const [k, v] of Object.entries(direct.startInfo)) if (k !== "mod_start") check(`start_info.${k}`, via.startInfo[k], v);
    check("start_info fields", Object.keys(via.startInfo).sort().join(","), Object.keys(direct.startInfo).sort().join(","));
    const layout = lines.map((l) => l.match(/^ {2}layout \(PVH\): .* initrd at (0x[0-9a-f]+)-(0x[0-9a-f]+),/)).find((m) => m);
    expect(layout, "pvboot's layout line").toBeTruthy();
    check("start_info.mod_start (pvboot's initrd)", BigInt(via.startInfo.mod_start), BigInt(layout![1]));
    check("initrd end (pvboot's layout, inclusive)", BigInt(layout![2]) + 1n - BigInt(layout![1]), RAMDISK.length);
    check("start_info.mod_start page-aligned", BigInt(via.startInfo.mod_start) % 4096n, 0n);
    // The command line: the menu.lst kernel line's arguments, spaces kept, as xl's extra=.
    check("cmdline", via.cmdline, PROBE_ARGS);
    check("cmdline (direct)", direct.cmdline, PROBE_ARGS);
    check("initrd", JSON.stringify(via.initrd), JSON.stringify(direct.initrd));
    check("initrd.size", via.initrd?.size, RAMDISK.length);
    // The domain's memory map: the borrowed grant-table and shared_info frames left no trace.
    check("memmap", via.memmap.join(" | "), direct.memmap.join(" | "));
    // Ports: the same ones open, bound to dom0; all others closed. (remote_port is dom0's own
    // port for this domain, which dom0 allocates anew for each domain: it differs between any
    // two domains, so it is not compared.)
    for (let port = 0; port < 64; port++) {
      const a = direct.evtchn.get(port), b = via.evtchn.get(port);
      check(`evtchn ${port}`, b && `${b.status} ${b.remote_dom ?? "-"}`, a && `${a.status} ${a.remote_dom ?? "-"}`);
    }
    const store = via.startInfo.store_evtchn, cons = via.startInfo.console_evtchn;
    const pending = via.pending.ports === "-" ? [] : (via.pending.ports ?? "").split(",");
    check("pending ports outside xenstore/console", pending.filter((p) => p !== store && p !== cons).join(","), "");
    // Grants: v1, only the toolstack's two entries, as under xl. The table's size is the one
    // thing that stays: pvboot grew it to its NR_FRAMES (src/xen/gnttab.ts) and Xen has no call
    // that shrinks a domain's grant table, so the kernel finds that many frames, not xl's 1.
    check("gnttab", JSON.stringify({ ...via.gnttab, nr_frames: "-" }), JSON.stringify({ ...direct.gnttab, nr_frames: "-" }));
    check("gnttab.nr_frames (direct)", direct.gnttab.nr_frames, 1);
    check("gnttab.nr_frames (pvboot's NR_FRAMES)", via.gnttab.nr_frames, GRANT_FRAMES);
    check("grants", JSON.stringify(via.grants), JSON.stringify(direct.grants));
    // xenstore: the ring idle, the probe's watch sees its own event only (no watch of pvboot's left).
    check("xenstore ring req idle", via.ring.req_cons, via.ring.req_prod);
    check("xenstore ring rsp idle", via.ring.rsp_cons, via.ring.rsp_prod);
    check("xenstore watch", JSON.stringify(via.watch), JSON.stringify(direct.watch));
    // The disk: xl's probe had none; pvboot's frontend is back in Initialising (1), the backend
    // waiting for the next frontend (InitWait, 2) or Closed (6).
    check("vbds (direct)", direct.vbds.length, 0);
    check("vbds", via.vbds.length, 1);
    for (const v of via.vbds) {
      check(`vbd ${v.dev}.state`, v.state, 1);
      check(`vbd ${v.dev}.backend_state`, ["2", "6"].includes(v.backend_state), true);
    }
    check("other lines", via.other.join(" | "), direct.other.join(" | "));
    expect(errors).toEqual([]);
  });

  it("turns each access out of bounds into the wasm trap (guard pages), not a shim fault", () => {
    for (const action of OOB) {
      const t = texts(action);
      expect(t.filter((x) => /pvboot: shim fault/.test(x)), action).toEqual([]);
      const said = t.find((x) => /pvboot: debug: /.test(x));
      if (said) console.log(`pvh ${action}: ${said}`);
    }
  });

  it("reports each fault of the shim in order, then crashes the domain itself", () => {
    for (const kind of [...KINDS, "hcpage", "panic"]) {
      const g = guest(kind);
      const at = g.matched.map((m) => g.lines.findIndex((l) => l.text === m));
      expect(at.every((x, i) => x >= 0 && (i === 0 || x > at[i - 1])), `${kind}: ${at.join(",")}`).toBe(true);
    }
  });
});
