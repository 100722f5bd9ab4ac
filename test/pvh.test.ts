// PVH in the emulator (docs/contract.md "PVH", docs/loader.md "PVH"): the real core, in an
// emulated PVH domain (test/harness/pvh.ts), boots Debian 12's kernel from a real disk by its
// PHYS32 entry: every PT_LOAD segment checked at its physical address against the vmlinux
// unpacked here by xz (not by pvboot), hvm_start_info, the initrd as module 0, the memory map,
// the teardown and the borrowed frames. Kernels a PVH domain cannot start are refused with
// the reason and the menu falls back; the checks are shown to fail when the domain is wrong.

import { beforeAll, afterAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runLoader, type RunResult } from "./harness/run";
import { physRead, physWrite, PVH_CHECK_NAMES } from "./harness/pvh";
import { Domain } from "./harness/domain";
import { makeImports } from "./harness/imports";
import { makeDisk } from "../scripts/images/make-disk";
import { debianKernel, gnuMach } from "../scripts/kernels/fetch";
import { crossedPvhElf, pvhElf, retypeXenNote } from "./loader/pvh-elf";
import { readElf, PT_LOAD } from "./elf";

const work = mkdtempSync(join(tmpdir(), "pvboot-pvh-"));
const disk = join(work, "disk.img");
let vmlinux: Buffer;
let initrd: Buffer;
const tiny = pvhElf(0x40);

const run = promisify(execFile);
async function tool(cmd: string, args: string[], opts: { input?: Buffer } = {}): Promise<Buffer> {
  if (opts.input) {
    const p = join(work, "input");
    writeFileSync(p, opts.input);
    args = [...args, p];
  }
  return (await run(cmd, args, { encoding: "buffer", maxBuffer: 256 << 20 })).stdout;
}

function menu(name: string, body: string): void {
  writeFileSync(join(work, "root", "boot", "grub", `${name}.lst`), `timeout 0\n${body}`);
}

const DEBIAN = "title Debian\nroot (hd0,0)\nkernel /boot/vmlinuz root=/dev/xvda1 ro quiet\ninitrd /boot/initrd.gz\n";

beforeAll(async () => {
  const root = join(work, "root");
  mkdirSync(join(root, "boot", "grub"), { recursive: true });
  const bz = readFileSync(debianKernel());
  copyFileSync(debianKernel(), join(root, "boot", "vmlinuz"));
  const setup = ((bz[0x1f1] || 4) + 1) * 512;
  const off = setup + bz.readUInt32LE(0x248);
  writeFileSync(join(work, "payload.xz"), bz.subarray(off, off + bz.readUInt32LE(0x24c)));
  vmlinux = await tool("xz", ["-dc", "--single-stream", join(work, "payload.xz")]);
  // The same vmlinux without its PHYS32 note (renamed to a type nobody reads), gzip'd.
  const stripped = Buffer.from(vmlinux);
  if (retypeXenNote(stripped, 18, 0x7f) !== 1) throw new Error("Debian's vmlinux should carry one PHYS32_ENTRY note");
  writeFileSync(join(root, "boot", "vmlinux-nopvh.gz"), await tool("gzip", ["-1", "-c", "-n"], { input: stripped }));
  writeFileSync(join(root, "boot", "vmlinux"), vmlinux); // uncompressed: its file lies where it loads
  let x = 0x2545f491;
  const noise = Buffer.alloc(300_000);
  for (let i = 0; i < noise.length; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    noise[i] = x & 0xff;
  }
  initrd = await tool("gzip", ["-c", "-n"], { input: noise });
  writeFileSync(join(root, "boot", "initrd.gz"), initrd);
  writeFileSync(join(root, "boot", "tiny.elf"), tiny);
  writeFileSync(join(root, "boot", "crossed.elf"), crossedPvhElf());
  writeFileSync(join(root, "boot", "gnumach"), readFileSync(gnuMach()));
  writeFileSync(join(root, "boot", "m1.bin"), Buffer.alloc(5000, 7));
  menu("debian", DEBIAN);
  menu("nonote", "fallback 1\ntitle No PVH note\nroot (hd0,0)\nkernel /boot/vmlinux-nopvh.gz ro\n" + DEBIAN);
  menu("mach", "fallback 1\ntitle GNU Mach\nroot (hd0,0)\nkernel /boot/gnumach console=hvc0\nmodule /boot/m1.bin --a\n" + DEBIAN);
  menu("raw", "fallback 1\ntitle Raw\nroot (hd0,0)\nkernel /boot/vmlinux ro raw\ninitrd /boot/initrd.gz\n" +
    "title Tiny\nroot (hd0,0)\nkernel /boot/tiny.elf tiny one\ninitrd /boot/initrd.gz\n");
  menu("crossed", "fallback 1\ntitle Crossed\nroot (hd0,0)\nkernel /boot/crossed.elf\n" +
    "title Tiny\nroot (hd0,0)\nkernel /boot/tiny.elf tiny one\ninitrd /boot/initrd.gz\n");
  menu("tiny", "title Tiny\nroot (hd0,0)\nkernel /boot/tiny.elf tiny one\ninitrd /boot/initrd.gz\n");
  makeDisk(disk, 240, [{ fsType: "ext4", sizeMiB: 238, dir: root }]);
}, 300_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

function boot(name: string, opts: { memoryMB?: number; elf?: Buffer; initrd?: Buffer; cmdline?: string;
  afterCopies?: (dom: Domain) => void } = {}): RunResult {
  return runLoader({
    mode: "pvh", memoryMB: opts.memoryMB ?? 256, disks: [disk], cmdline: `(hd0,0)/boot/grub/${name}.lst`,
    expect: { elf: opts.elf, initrd: opts.initrd, cmdline: opts.cmdline },
    onDomain: opts.afterCopies ? (dom) => { dom.afterCopies = opts.afterCopies!; } : undefined,
  });
}

function expectAllOk(r: RunResult): void {
  expect(r.trap, r.console).toBeUndefined();
  expect(r.shutdown, r.console.slice(-2000)).toBe("jumped");
  const checks = r.pvh!.checks;
  for (const [k, v] of Object.entries(checks)) expect(`${k}: ${v}`).toBe(`${k}: ok`);
  expect(Object.keys(checks)).toEqual([...PVH_CHECK_NAMES]);
}

// The PHYS32 entry as the note in Debian's vmlinux says (read here, not by pvboot).
function phys32(elf: Buffer): number {
  const e = readElf(elf);
  const notes = e.segments.filter((s) => s.type === 4);
  for (const s of notes) {
    for (let at = s.offset; at + 12 <= s.offset + s.filesz;) {
      const namesz = elf.readUInt32LE(at), descsz = elf.readUInt32LE(at + 4), type = elf.readUInt32LE(at + 8);
      if (type === 18 && elf.toString("latin1", at + 12, at + 15) === "Xen") return elf.readUInt32LE(at + 12 + ((namesz + 3) & ~3));
      at += 12 + ((namesz + 3) & ~3) + ((descsz + 3) & ~3);
    }
  }
  throw new Error("no PHYS32 note");
}

describe("PVH in the emulator", () => {
  it("`pvboot run --mode pvh --json` boots Debian 12's kernel with every check ok", async () => {
    const { stdout, stderr } = await run("node", ["scripts/pvboot.mjs", "run", disk, "--mode", "pvh", "--json", "--keys", "",
      "--extra", "(hd0,0)/boot/grub/debian.lst"], { maxBuffer: 64 << 20 });
    expect(stderr).toMatch(/the emulator checked the new domain: all 18 checks ok/);
    const json = JSON.parse(stdout.trim().split("\n").pop()!);
    expect(json.mode).toBe("pvh");
    expect(Object.values(json.checks)).toEqual(PVH_CHECK_NAMES.map(() => "ok"));
    expect(json.kernel).toEqual({ format: "bzImage", compression: "xz", entry: "0x" + phys32(vmlinux).toString(16) });
    expect(json.hvm_start_info).toMatchObject({ magic: "0x336ec578", version: 1, nr_modules: 1, memmap_entries: 2, cmdline: "root=/dev/xvda1 ro quiet" });
    expect(json.modules).toEqual([{ paddr: expect.stringMatching(/^0x/), size: initrd.length }]);
  }, 120_000);

  it("`pvboot check --mode pvh` checks each entry as a PVH domain would boot it", async () => {
    const check = (lst: string, ...more: string[]) => run("node", ["scripts/pvboot.mjs", "check", disk, "--mode", "pvh",
      "--extra", `(hd0,0)/boot/grub/${lst}.lst`, ...more], { maxBuffer: 64 << 20 }).then((r) => ({ ...r, code: 0 }), (e) => ({ ...e, code: e.code }));
    const ok = await check("debian", "--json");
    expect(ok.code, ok.stderr).toBe(0);
    const json = JSON.parse(ok.stdout);
    expect(json).toMatchObject({ mode: "pvh", default_ok: true, exit: 0 });
    expect(json.entries[0]).toMatchObject({ title: "Debian", ok: true, outcome: "loaded" });
    expect(json.entries[0].checks).toEqual(Object.fromEntries(PVH_CHECK_NAMES.map((n) => [n, "ok"])));
    expect(json.min_memory_mb).toBeGreaterThanOrEqual(json.entries[0].used_mb);
    expect(json.min_memory_mb).toBeLessThanOrEqual(256);
    // A kernel without the PHYS32 note is refused as the menu would refuse it.
    const bad = await check("nonote");
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^ {2}0 \* No PVH note: \(hd0,0\)\/boot\/grub\/nonote\.lst:\d+: .*no PVH entry: the kernel has no XEN_ELFNOTE_PHYS32_ENTRY note/m);
    expect(bad.stdout).toMatch(/^ {2}1 {3}Debian: ok$/m);
    const usage = await run("node", ["scripts/pvboot.mjs", "check", disk, "--mode", "pvh", "--arch", "x86_32"]).catch((e) => e);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--arch x86_32 has no PVH/);
  }, 240_000);

  it("every segment, the initrd and the command line match what xz and the disk hold", () => {
    const r = boot("debian", { elf: vmlinux, initrd, cmdline: "root=/dev/xvda1 ro quiet" });
    expectAllOk(r);
    expect(r.console).toMatch(/pvboot: starting 'Debian' at 0x1[0-9a-f]+ \(PVH, hvm_start_info 0x[0-9a-f]+, 256 MiB\)/);
    expect(r.console).toMatch(/layout \(PVH\): kernel at 0x1000000-0x[0-9a-f]+ \(\d+ copies\), initrd at 0x[0-9a-f]+-0x[0-9a-f]+, hvm_start_info at 0x[0-9a-f]+ \(2 memory map entries\)/);
    expect(r.pvh!.record.entry).toBe(BigInt(phys32(vmlinux)));
    // what the new domain holds at the kernel's physical addresses, compared here too
    const dom = r.domain;
    const loads = readElf(vmlinux).segments.filter((s) => s.type === PT_LOAD && s.filesz > 0);
    for (const s of loads) expect(Buffer.compare(physRead(dom, s.paddr, s.filesz), vmlinux.subarray(s.offset, s.offset + s.filesz))).toBe(0);
    // borrowed frames: shared_info and the grant frames are out of the physmap again
    expect(dom.pvhJump!.removed.map((x) => x.what)).toEqual(["shared_info", ...dom.gnttab.frames.map((_, i) => `grant frame ${i}`)]);
    expect(dom.physmap.size).toBe(0);
    expect(r.stats.calls.memory_map).toBeGreaterThan(0);
    expect(r.stats.calls.mmu_update ?? 0).toBe(0);
    expect(r.stats.calls.mmuext_op ?? 0).toBe(0);
  }, 120_000);

  it("a kernel without the PHYS32 note is refused with the reason, gives its memory back, and the fallback boots", () => {
    // 128 MiB hold one unpacked 63 MiB vmlinux with its file, not two: the fallback boots only
    // because the refused attempt gave its memory back
    const r = boot("nonote", { memoryMB: 128, elf: vmlinux, initrd, cmdline: "root=/dev/xvda1 ro quiet" });
    expect(r.console).toContain("'(hd0,0)/boot/vmlinux-nopvh.gz': no PVH entry: the kernel has no XEN_ELFNOTE_PHYS32_ENTRY note");
    expect(r.console).toContain("pvboot: starting 'Debian'");
    expectAllOk(r);
  }, 120_000);

  it("GNU Mach with modules is refused clearly in PVH, and the fallback boots", () => {
    const r = boot("mach", { elf: vmlinux, initrd, cmdline: "root=/dev/xvda1 ro quiet" });
    expect(r.console).toContain("'(hd0,0)/boot/gnumach': multiboot modules (GNU Mach's way to boot): a PVH domain boots only kernels with a PVH entry note");
    expect(r.console).toContain("pvboot: starting 'Debian'");
    expectAllOk(r);
  }, 120_000);

  it("a minimal PVH kernel: its segment, bss, entry and initrd, in a 64 MiB domain", () => {
    const r = boot("tiny", { memoryMB: 64, elf: tiny, initrd, cmdline: "tiny one" });
    expectAllOk(r);
    expect(r.pvh!.record.entry).toBe(0x1000040n);
    expect(r.pvh!.record.pvh!.nrCopies).toBe(2); // the bytes, then the bss
  }, 60_000);

  it("an uncompressed vmlinux whose file lies where it loads, in a domain too small to read the initrd above it, is refused and the fallback boots", () => {
    const r = boot("raw", { memoryMB: 76, elf: tiny, initrd, cmdline: "tiny one" });
    expect(r.console).toMatch(/'\(hd0,0\)\/boot\/vmlinux': the kernel loads at 0x1000000-0x[0-9a-f]+, where the core's memory is; the initrd and hvm_start_info must go above 0x[0-9a-f]+, and the \d+ MiB left hold the \d+ MiB skipped to get there but not the \d+ MiB needed above it: give the domain more memory/);
    expect(r.console).toContain("pvboot: starting 'Tiny'");
    expectAllOk(r);
  }, 120_000);

  it("a kernel whose copies cannot be ordered (each would overwrite the other's source) is refused, and the fallback boots", () => {
    const r = boot("crossed", { memoryMB: 64, elf: tiny, initrd, cmdline: "tiny one" });
    expect(r.console).toMatch(/'\(hd0,0\)\/boot\/crossed\.elf': no order of the copies keeps every source: segment \d \(0x200000-0xbfffff\) would overwrite where segment \d \(0x200000-0xbfffff\) is read from in the core's memory, and back/);
    expect(r.console).toContain("Falling back to entry 1 ('Tiny')");
    expectAllOk(r);
  }, 60_000);

  it("the same vmlinux with memory to spare: the initrd is read above the kernel and every check passes", () => {
    const r = boot("raw", { memoryMB: 256, elf: vmlinux, initrd, cmdline: "ro raw" });
    expectAllOk(r);
    const start = r.pvh!.startInfo!;
    expect(r.pvh!.modules[0].paddr).toBeGreaterThanOrEqual(0x1000000n + BigInt(readElf(vmlinux).segments.filter((s) => s.type === PT_LOAD).reduce((m, s) => Math.max(m, Number(s.paddr) + s.memsz - 0x1000000), 0)));
    expect(start.cmdline).toBe("ro raw");
  }, 120_000);

  // The checks can fail: the domain made wrong after the copies, through the harness's hook.
  it("a byte flipped in a placed segment fails the segments check, naming where", () => {
    const r = boot("tiny", { memoryMB: 64, elf: tiny, initrd, afterCopies: (dom) => {
      const b = physRead(dom, 0x1000100n, 1);
      physWrite(dom, 0x1000100n, Uint8Array.of(b[0] ^ 0xff));
    } });
    expect(r.shutdown).toBe("jumped");
    expect(r.pvh!.checks.segments).toMatch(/^segment 0 \(paddr 0x1000000\) differs from the ELF at byte 0x100 \(physical 0x1000100/);
    expect(r.pvh!.checks.bss).toBe("ok");
  }, 60_000);

  it("a byte in the bss, the initrd or the memory map fails its check", () => {
    const r = boot("tiny", { memoryMB: 64, elf: tiny, initrd, afterCopies: (dom) => {
      physWrite(dom, 0x1004010n, Uint8Array.of(1)); // bss: 0x1003000..0x1008000
      const j = dom.pvhJump!;
      const si = physRead(dom, j.record.startInfo, 56);
      const v = new DataView(si.buffer);
      const mod = new DataView(physRead(dom, v.getBigUint64(16, true), 32).buffer).getBigUint64(0, true);
      physWrite(dom, mod + 5n, Uint8Array.of(physRead(dom, mod + 5n, 1)[0] ^ 1));
      physWrite(dom, v.getBigUint64(40, true) + 16n, Uint8Array.of(7)); // entry 0's type
    } });
    expect(r.pvh!.checks.bss).toBe("segment 0's bss is not zero at physical 0x1004010 (0x1)");
    expect(r.pvh!.checks.modules).toMatch(/^module 0 at 0x[0-9a-f]+ changed during the copies/);
    expect(r.pvh!.checks.memmap).toMatch(/^memory map entry 0 is 0x0\+0x4000000 type 7, the domain's is 0x0\+0x4000000 type 1/);
    expect(r.pvh!.checks.segments).toBe("ok");
  }, 60_000);
});

describe("the emulated PVH platform's imports", () => {
  const platform = (mode: "pv" | "pvh") => {
    const dom = new Domain({ memoryMB: 64, mode });
    const memory = new WebAssembly.Memory({ initial: 1 });
    return { dom, memory, xen: makeImports(dom, memory, { calls: {} }).xen };
  };

  it("memory_map: -ENOSYS in PV whatever the arguments; in PVH the E820 map, -EINVAL under 24 bytes, -EFAULT out of range", () => {
    const pv = platform("pv");
    expect([pv.xen.memory_map(0, 4096), pv.xen.memory_map(0, 0), pv.xen.memory_map(65530, 24)]).toEqual([-38, -38, -38]);
    const { xen, memory } = platform("pvh");
    expect(xen.memory_map(0, 24)).toBe(1);
    expect(xen.memory_map(0, 4096)).toBe(2);
    const v = new DataView(memory.buffer);
    expect([v.getBigUint64(0, true), v.getBigUint64(8, true), v.getUint32(16, true)]).toEqual([0n, 64n << 20n, 1]);
    expect([v.getBigUint64(24, true), v.getBigUint64(32, true), v.getUint32(40, true)]).toEqual([0xfeff8000n, 0x8000n, 2]);
    expect(xen.memory_map(0, 23)).toBe(-22);
    expect(xen.memory_map(65530, 24)).toBe(-14);
  });

  it("frames are gfns: kind 2, identity pfn_to_mfn inside RAM, grant frames placed in the hole, no PV MMU", () => {
    const { dom, xen, memory } = platform("pvh");
    expect(xen.guest_kind()).toBe(2);
    expect(xen.pfn_to_mfn(5n)).toBe(5n);
    expect(xen.pfn_to_mfn(BigInt(dom.nrPages))).toBe(-1n);
    expect(xen.mfn_of(0)).toBe(BigInt(dom.layout.firstFreePfn));
    expect(xen.gnttab_setup_table(2, 0)).toBe(0);
    const v = new DataView(memory.buffer);
    expect([v.getBigUint64(0, true), v.getBigUint64(8, true)]).toEqual([BigInt(dom.holeGfn + 1), BigInt(dom.holeGfn + 2)]);
    expect(xen.map_frame(4096, BigInt(dom.holeGfn + 1), 0)).toBe(0); // the grant frame, by its gfn
    expect(xen.map_frame(8192, BigInt(dom.holeGfn + 9), 0)).toBe(-1); // nothing there: -EPERM
    expect([...dom.physmap.keys()]).toEqual([dom.holeGfn, dom.holeGfn + 1, dom.holeGfn + 2]);
    expect(xen.mmu_update(0, 1)).toBe(-38);
    expect(xen.mmuext_op(0, 1)).toBe(-38);
  });

  it("the contract table (pvboot.debug=contract) in a PVH domain: kind 2, memory_map's answers, no PV MMU", () => {
    const r = runLoader({ mode: "pvh", memoryMB: 256, cmdline: "pvboot.debug=contract" });
    const rows = new Map(r.console.split(/\r?\n/).filter((l) => l.startsWith("pvboot: contract: ") && l.includes(" = "))
      .map((l) => {
        const row = l.slice("pvboot: contract: ".length);
        const at = row.lastIndexOf(" = ");
        return [row.slice(0, at), row.slice(at + 3)] as [string, string];
      }));
    expect(rows.get("guest_kind ()")).toBe("2");
    expect(["one entry", "whole page", "23 bytes", "buf 0xfffff000"].map((c) => rows.get(`memory_map ${c}`))).toEqual(["1", "1", "-22", "-14"]);
    expect(rows.get("mmu_update machphys own frame")).toBe("-38");
    expect(rows.get("mmuext_op pin empty table")).toBe("-38");
    expect(rows.get("mfn_of = pfn_to_mfn(pfn_of)")).toBe("consistent");
    expect(r.console).toContain("pvboot: contract: table ends");
  }, 60_000);

  it("pvboot run refuses --mode values and combinations it has no domain for", async () => {
    const fails = async (args: string[]) => {
      try {
        await run("node", ["scripts/pvboot.mjs", "run", disk, ...args]);
        return "";
      } catch (e) {
        return String((e as { stderr: Buffer | string }).stderr);
      }
    };
    expect(await fails(["--mode", "hvm"])).toContain("run: --mode is pv or pvh, not 'hvm'");
    expect(await fails(["--mode", "pvh", "--arch", "x86_32"])).toContain("run: a PVH domain runs the core as x86_64");
  }, 60_000);
});
