// The shim's own faults on real Xen 4.17 (issue 19, part 2): `pvboot.debug=shim-KIND` makes the
// shim fault on purpose once its trap table, console and shared_info are set up (boot/traps.c,
// boot/<arch>/traps.c), and each report must name the vector, the error code, the instruction
// pointer (the image's debug_fault_KIND symbol, read with nm from the unstripped link) and, for the
// page fault, cr2 (the bad pointer), then end the domain with SHUTDOWN_crash, not with Xen's own
// "Unhandled" kill. `shim-hcpage` wipes a stub of the hypercall page before the check that Xen
// filled it, which must say so; `shim-panic` makes a hypercall Xen refuses, whose panic must name
// the call, its arguments and Xen's rc.
//
// As dom0 (a few seconds a boot: the console is console_io, and Xen's "Hardware Dom0 crashed"
// is the shutdown reason): every kind for both images, x86_64 on Debian's hypervisor, x86_32
// on the one built with CONFIG_PV32. As domUs (one Xen boot on the PV32 hypervisor, which runs
// both widths, about 2 minutes under TCG): every CPU fault for both images, whose reports go
// through the console ring (found before the core rewrites the M2P) and whose end is xl's
// shutdown reason, "crash"; and, for both, a page fault at the jump, after the core rewrote
// the M2P (pvboot.shim-fault=jump), whose report must reach the console ring all the same.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { makeDisk } from "../../scripts/images/make-disk";
import { ensureXen } from "../../scripts/xen-host/fetch";
import { ensureXenPv32 } from "../../scripts/xen-host/xen-pv32";
import { runXen } from "../../scripts/xen-host/qemu";
import { runGuests } from "../../scripts/xen-host/guests";

const IMAGES = {
  x86_64: fileURLToPath(new URL("../../build/pvboot-x86_64.elf", import.meta.url)),
  x86_32: fileURLToPath(new URL("../../build/pvboot-x86_32.elf", import.meta.url)),
};
// The same images before `make` stripped them: their symbols, at the same addresses.
const SYMBOLS = {
  x86_64: fileURLToPath(new URL("../../build/x86_64/pvboot.elf", import.meta.url)),
  x86_32: fileURLToPath(new URL("../../build/x86_32/pvboot.elf", import.meta.url)),
};
// A kernel to load for the fault at the jump (it never runs): the probe of the same width.
const PROBES = {
  x86_64: fileURLToPath(new URL("../../build/probe-x86_64.elf", import.meta.url)),
  x86_32: fileURLToPath(new URL("../../build/probe-x86_32.elf", import.meta.url)),
};
type Arch = keyof typeof IMAGES;

// What each fault must report: its vector and name, its error code (a regex), and for the page
// fault the address written (BAD_VA in boot/<arch>/traps.c).
const FAULTS = {
  pf: { vector: 14, name: "#PF page fault", error: { x86_64: "0x2", x86_32: "0x2" }, cr2: { x86_64: "0x7ead00000000", x86_32: "0xf5400000" } },
  ud: { vector: 6, name: "#UD invalid opcode", error: { x86_64: "0x0", x86_32: "0x0" } },
  de: { vector: 0, name: "#DE divide error", error: { x86_64: "0x0", x86_32: "0x0" } },
  // x86_64: a non-canonical load, #GP(0). x86_32: `int $0x41`, whose #GP carries an IDT
  // selector (bits 0-1 = 2); 0x412 (0x82 << 3 | 2) is what this Xen under TCG was seen to give.
  gp: { vector: 13, name: "#GP general protection", error: { x86_64: "0x0", x86_32: "0x[0-9a-f]*[26ae]" } },
} as const;
type Kind = keyof typeof FAULTS;
const KINDS = Object.keys(FAULTS) as Kind[];

// The fault's address in the image: the global label at the faulting instruction.
function symbol(arch: Arch, name: string): string {
  const out = execFileSync("nm", [SYMBOLS[arch]], { encoding: "utf8" });
  const m = out.match(new RegExp(`^([0-9a-f]+) T ${name}$`, "m"));
  if (!m) throw new Error(`${SYMBOLS[arch]} has no symbol ${name}`);
  return "0x" + BigInt("0x" + m[1]).toString(16);
}

// The lines a fault's report must hold, as regexes in the order printed.
function reportLines(arch: Arch, kind: Kind): RegExp[] {
  const f = FAULTS[kind];
  const ip = arch === "x86_64" ? "rip" : "eip";
  const sp = arch === "x86_64" ? "rsp" : "esp";
  const cr2 = "cr2" in f ? f.cr2[arch] : "0x[0-9a-f]+";
  const esc = (s: string) => s.replace(/[#.*+?^${}()|[\]\\]/g, "\\$&");
  return [
    new RegExp(`^pvboot: debug action 'shim-${kind}': a CPU fault in the shim$`),
    new RegExp(`^pvboot: shim fault: vector ${f.vector} ${esc(f.name)}, error ${f.error[arch]}, ${ip} ${symbol(arch, `debug_fault_${kind}`)}, cr2 ${cr2}$`),
    new RegExp(`^pvboot: fault regs: ${arch === "x86_64" ? "rax" : "eax"} 0x[0-9a-f]+ `),
    new RegExp(`^pvboot: fault stack at ${sp} 0x[0-9a-f]+:( 0x[0-9a-f]+){8}$`),
    /^pvboot: crashing the domain \(SHUTDOWN_crash\)$/,
  ];
}

const PANIC = /^pvboot: shim panic: update_va_mapping\(va 0x[0-9a-f]+, mfn 0x(ffffffffff|ffffffff)\): rc -\d+$/;
const HCPAGE = /^pvboot: shim panic: Xen did not fill the hypercall page at 0x[0-9a-f]+ \(xen_version's stub at 0x[0-9a-f]+ reads( 0xcc){8}\); this message went through the shim's own stubs$/;

describe("the shim's fault reports on real Xen 4.17 (QEMU TCG)", () => {
  const hypervisor = { x86_64: "", x86_32: "" };
  beforeAll(async () => {
    hypervisor.x86_64 = await ensureXen();
    hypervisor.x86_32 = await ensureXenPv32();
  }, 600_000);

  for (const arch of ["x86_64", "x86_32"] as Arch[]) {
    for (const kind of [...KINDS, "hcpage", "panic"] as const) {
      it(`${arch} as dom0: pvboot.debug=shim-${kind} is reported and crashes the domain`, async () => {
        const lines = kind === "hcpage" ? [HCPAGE] : kind === "panic" ? [/^pvboot: debug action 'shim-panic': a hypercall Xen refuses$/, PANIC] : reportLines(arch, kind);
        const r = await runXen({ xen: hypervisor[arch], dom0: IMAGES[arch], dom0Cmdline: `pvboot.debug=shim-${kind}`,
          dom0MemMB: 64, memoryMB: 576, expect: [...lines, /Hardware Dom0 crashed/],
          // Xen's own kill of a domain whose fault found no handler, a clean end, the core started
          failOn: [/Unhandled: vec/, /crashed on cpu#/, /Hardware Dom0 halted/, /^pvboot \d+\.\d+/, /Panic on CPU/],
          timeoutMs: 120_000, echo: !!process.env.PVBOOT_ECHO, prefix: "xen| " });
        if (!r.ok) console.error(r.lines.slice(-30).join("\n"));
        expect(r.ok, r.reason).toBe(true);
        // in that order, the crash last
        const at = r.matched.map((m) => r.lines.indexOf(m));
        expect(at.every((x, i) => x >= 0 && (i === 0 || x > at[i - 1])), at.join(",")).toBe(true);
      }, 150_000);
    }
  }

  let dir = "";
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  // Besides each fault at the shim's start: pvboot.shim-fault=jump, a page fault in
  // xen.start_kernel once the core has loaded a kernel from the disk's menu.lst, rewritten the
  // M2P and torn down its drivers. Its report must still reach the console ring.
  it("as domUs (x86_64 and x86_32, one Xen boot): each fault on the console ring, xl's reason crash", async () => {
    dir = mkdtempSync(join(tmpdir(), "pvboot-faults-"));
    const disks = { x86_64: "", x86_32: "" };
    for (const arch of ["x86_64", "x86_32"] as Arch[]) {
      const root = join(dir, arch);
      mkdirSync(join(root, "boot", "grub"), { recursive: true });
      copyFileSync(PROBES[arch], join(root, "boot", "probe"));
      writeFileSync(join(root, "boot", "grub", "menu.lst"), "timeout 0\ntitle probe\n  root (hd0,0)\n  kernel /boot/probe\n");
      disks[arch] = join(dir, `${arch}.img`);
      makeDisk(disks[arch], 8, [{ fsType: "ext2", sizeMiB: 6, dir: root }]);
    }
    const guests = (["x86_64", "x86_32"] as Arch[]).flatMap((arch) => [
      ...KINDS.map((kind) => ({
        name: `${kind}-${arch === "x86_64" ? "64" : "32"}`, kernel: IMAGES[arch], extra: `pvboot.debug=shim-${kind}`,
        memoryMB: 64, expect: reportLines(arch, kind),
      })),
      {
        name: `jump-${arch === "x86_64" ? "64" : "32"}`, kernel: IMAGES[arch], extra: "pvboot.shim-fault=jump",
        disk: disks[arch], hotplug: "block-quick" as const, memoryMB: 128,
        expect: [/^pvboot: starting 'probe' at 0x[0-9a-f]+/, /^pvboot: debug: a page fault at the jump, after the core rewrote the M2P$/,
          ...reportLines(arch, "pf").slice(1)],
      },
    ]);
    const run = await runGuests(guests, { timeoutMs: 400_000, waitForEnd: true, hypervisor: "pv32", echo: !!process.env.PVBOOT_ECHO });
    if (!run.ok) console.error(run.xen.lines.slice(-40).join("\n"));
    console.log(`faults as domUs: ${(run.elapsedMs / 1000).toFixed(1)} s; xl up at ${(run.xlReadyMs / 1000).toFixed(1)} s`);
    expect(run.ok, run.reason).toBe(true);
    for (const g of run.guests) {
      expect(g.ok, `${g.name}: ${g.lines.map((l) => l.text).join(" | ")}`).toBe(true);
      expect(g.ended, g.name).toBe("crash");
    }
    expect(run.xen.lines.filter((l) => /Unhandled: vec/.test(l))).toEqual([]);
  }, 450_000);
});
