// The 32-bit PAE handoff in the emulator (arch x86_32, what pvboot-x86_32.elf runs): Debian's
// i386 GNU Mach, gzip-compressed as Debian ships it, with two modules that are real i386
// static programs (busybox-static:i386) and the Hurd's $(...) arguments, booted from an ext2
// disk's menu.lst; the harness then checks the new domain by Xen's PAE rules (3-level tables
// from the pinned L3, the L2 of slot 3, nothing in the hypervisor's hole), the compat
// start_info, a P2M of u32 entries against the M2P, the multiboot package byte for byte, and
// the teardown. Kernels of the other width are refused by name, and the menu falls back.

import { beforeAll, afterAll, describe, expect, it } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { runLoader, type RunResult } from "./harness/run";
import { Mmu } from "./harness/mmu";
import { makeDisk } from "../scripts/images/make-disk";
import { busybox32, gnuMach32 } from "../scripts/kernels/fetch";
import { pvElf, pvElf32, pvElf32Legacy } from "./loader/pv-elf";

const work = mkdtempSync(join(tmpdir(), "pvboot-handoff32-"));
const disk = join(work, "disk.img");
let mach: Buffer; // the unpacked ELF, as the harness compares segments against it
let busybox: Buffer;

// The Hurd's usual entry: ext2fs and exec as multiboot modules, with GNU Mach's $(...) and
// ${...} substitutions left for GNU Mach to make.
const EXT2FS = "/boot/busybox ext2fs --multiboot-command-line=${kernel-command-line} --host-priv-port=${host-port} " +
  "--device-master-port=${device-port} --exec-server-task=${exec-task} -T typed ${root} $(task-create) $(task-resume)";
const EXEC = "/boot/busybox exec /hurd/exec $(exec-task=task-create)";
const HURD = `title GNU/Hurd\nroot (hd0,0)\nkernel /boot/gnumach.gz root=part:1:device:hd0 console=hvc0\nmodule ${EXT2FS}\nmodule ${EXEC}\n`;

function menu(name: string, body: string): void {
  writeFileSync(join(work, "root", "boot", "grub", `${name}.lst`), `timeout 0\n${body}`);
}

beforeAll(() => {
  const root = join(work, "root");
  mkdirSync(join(root, "boot", "grub"), { recursive: true });
  const gz = execFileSync("gzip", ["-c", "-n", "-9", gnuMach32()]);
  writeFileSync(join(root, "boot", "gnumach.gz"), gz);
  mach = gunzipSync(gz);
  busybox = readFileSync(busybox32());
  writeFileSync(join(root, "boot", "busybox"), busybox);
  writeFileSync(join(root, "boot", "pv64.elf"), pvElf(0x40));
  writeFileSync(join(root, "boot", "pv32.elf"), pvElf32(0x80));
  menu("hurd", HURD);
  // Each width's kernel first, the other width's as the fallback.
  menu("hurd-then-64", `fallback 1\n${HURD}title Linux 64\nroot (hd0,0)\nkernel /boot/pv64.elf sixty-four\n`);
  menu("64-then-hurd", `fallback 1\ntitle Linux 64\nroot (hd0,0)\nkernel /boot/pv64.elf sixty-four\n${HURD}`);
  menu("pv32", "title Minimal 32\nroot (hd0,0)\nkernel /boot/pv32.elf thirty-two\n");
  // Old-style kernels: PAE=yes (libelf's XEN_PAE_YES), with and without pae_pgdir_above_4gb.
  const legacy = "GUEST_OS=linux,XEN_VER=xen-3.0,VIRT_BASE=0xC0000000,ELF_PADDR_OFFSET=0xC0000000,LOADER=generic,PAE=yes";
  writeFileSync(join(root, "boot", "legacy.elf"), pvElf32Legacy(legacy));
  writeFileSync(join(root, "boot", "legacy-above.elf"), pvElf32Legacy(legacy + ",FEATURES=pae_pgdir_above_4gb"));
  menu("legacy", "title Legacy PAE\nroot (hd0,0)\nkernel /boot/legacy.elf old\n");
  menu("legacy-above", "title Legacy PAE above\nroot (hd0,0)\nkernel /boot/legacy-above.elf old\n");
  // GRUB 2's form, as Debian's 10_hurd writes it: multiboot, then each module with its
  // command line after the file name (the module gzip-compressed, unpacked as GRUB 2 does).
  writeFileSync(join(root, "boot", "busybox.gz"), execFileSync("gzip", ["-c", "-n", "-9", join(root, "boot", "busybox")], { maxBuffer: 64 << 20 }));
  writeFileSync(join(root, "boot", "grub", "hurd.cfg"), "set timeout=0\nmenuentry 'GNU/Hurd' {\n  set root='hd0,msdos1'\n" +
    "  multiboot /boot/gnumach.gz root=part:1:device:hd0 console=hvc0\n" +
    `  module /boot/busybox.gz ${EXT2FS.replace("/boot/busybox ", "").replace(/\$/g, "\\$")}\n` +
    `  module --nounzip /boot/busybox ${EXEC.replace("/boot/busybox ", "").replace(/\$/g, "\\$")}\n}\n`);
  makeDisk(disk, 40, [{ fsType: "ext2", sizeMiB: 38, dir: root }]);
}, 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

function boot(name: string, arch: "x86_64" | "x86_32", expectModules = true, memoryMB = 128): RunResult {
  return runLoader({
    arch, memoryMB, disks: [disk], cmdline: `(hd0,0)/boot/grub/${name}.lst`,
    expect: expectModules
      ? { elf: mach, cmdline: "root=part:1:device:hd0 console=hvc0", modules: [EXT2FS, EXEC].map((line) => ({ bytes: busybox, cmdline: line })) }
      : {},
  });
}

function expectAllOk(r: RunResult): void {
  expect(r.trap, r.console).toBeUndefined();
  expect(r.shutdown, r.console.slice(-2000)).toBe("jumped");
  for (const [k, v] of Object.entries(r.handoff!.checks)) expect(`${k}: ${v}`).toBe(`${k}: ok`);
}

describe("the x86_32 PAE handoff in the emulator", () => {
  it("Debian's i386 GNU Mach with two i386 static modules: every check passes in the 32-bit layouts", () => {
    const r = boot("hurd", "x86_32");
    expectAllOk(r);
    expect(r.console).toMatch(/^pvboot \S+ \(xen-3\.0-x86_32p\) on Xen/m);
    expect(r.console).toContain("image: gzip -> ELF32 i386");
    const si = r.handoff!.startInfo!;
    expect(si.magic).toBe("xen-3.0-x86_32p");
    expect(si.flags & 4n).toBe(4n); // SIF_MULTIBOOT_MOD
    expect(si.pt_base >= 0xc0000000n && si.pt_base < 0xf5800000n).toBe(true);
    expect(r.handoff!.modules).toEqual([EXT2FS, EXEC].map((cmdline) => ({ size: busybox.length, cmdline })));
    expect(r.handoff!.json.kernel).toMatchObject({ compression: "gzip", virt_base: "0xc0000000" });
    // The new top-level table is a PAE L3 (pinned as one): its four slots, slot 3 present.
    const dom = r.domain;
    expect(dom.mmu.level(Number(r.handoff!.record.l4Mfn))).toBe(3);
    const l3 = dom.mem.view(Number(r.handoff!.record.l4Mfn));
    // (the core writes 0x001, libxenguest's PDPTE; pinning added RW and USER, as Xen does)
    for (let i = 0; i < 4; i++) expect(l3.getBigUint64(i * 8, true) & 0xfffn).toBe(i === 0 || i === 3 ? 7n : 0n);
    // The disk was read over a ring in the x86_32 layout, as the frontend's protocol node said
    // (a frontend writing x86_64 offsets into it would have read garbage).
    expect(dom.blkbacks[0].stats.protocol).toBe("x86_32-abi");
    // both request kinds went through it: direct ones and indirect ones (the 2 MiB modules)
    expect(dom.blkbacks[0].stats.indirectRequests).toBeGreaterThan(0);
    expect(dom.blkbacks[0].stats.requests).toBeGreaterThan(dom.blkbacks[0].stats.indirectRequests);
  }, 120_000);

  it("GNU Mach from a grub.cfg (multiboot, module): GRUB 2's module lines, without the file name", () => {
    const lines = [EXT2FS, EXEC].map((l) => l.replace("/boot/busybox ", ""));
    const r = runLoader({
      arch: "x86_32", memoryMB: 128, disks: [disk], cmdline: "(hd0,0)/boot/grub/hurd.cfg",
      expect: { elf: mach, cmdline: "root=part:1:device:hd0 console=hvc0", modules: lines.map((line) => ({ bytes: busybox, cmdline: line })) },
    });
    expectAllOk(r);
    expect(r.handoff!.modules).toEqual(lines.map((cmdline) => ({ size: busybox.length, cmdline })));
  }, 120_000);

  it("a minimal 32-bit PAE kernel with PT_NOTE notes (4-byte numbers): every check passes", () => {
    const r = boot("pv32", "x86_32", false, 64);
    expectAllOk(r);
    expect(r.handoff!.startInfo!.cmd_line).toBe("thirty-two");
    expect(r.handoff!.record.entry).toBe(0xc0100080n);
  }, 60_000);

  it("a kernel with __xen_guest PAE=yes gets its L3 below 4 GiB, whatever frames the domain has", () => {
    // Half the emulated domain's frames lie above 4 GiB: over several shuffles, an L3 taken
    // at random would land there; the harness check fails then (pagetables).
    const above: number[] = [];
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const r = runLoader({ arch: "x86_32", memoryMB: 64, seed, disks: [disk], cmdline: "(hd0,0)/boot/grub/legacy.lst" });
      expectAllOk(r);
      expect(Number(r.handoff!.record.l4Mfn)).toBeLessThan(0x100000);
      const free = runLoader({ arch: "x86_32", memoryMB: 64, seed, disks: [disk], cmdline: "(hd0,0)/boot/grub/legacy-above.lst" });
      expectAllOk(free);
      above.push(Number(free.handoff!.record.l4Mfn));
    }
    // The same kernel declaring pae_pgdir_above_4gb takes the first page that comes.
    expect(above.some((m) => m >= 0x100000)).toBe(true);
  }, 120_000);

  it("the 32-bit image refuses a 64-bit kernel by name, width and the image to use, and falls back to GNU Mach", () => {
    const r = boot("64-then-hurd", "x86_32");
    // Found at the kernel line already (an ELF says its width in its header).
    expect(r.console).toContain("Error: line 5: kernel: '(hd0,0)/boot/pv64.elf': a 64-bit (x86_64) kernel: this is pvboot-x86_32.elf, " +
      "which boots 32-bit PV domains, and a PV domain keeps the width it started with; boot this kernel with pvboot-x86_64.elf " +
      "(kernel = \"pvboot-x86_64.elf\" in the domain's config)");
    expect(r.console).toContain("pvboot: starting 'GNU/Hurd'");
    expectAllOk(r);
  }, 120_000);

  it("the 64-bit image refuses the i386 GNU Mach the same way, and falls back to the 64-bit kernel", () => {
    const r = boot("hurd-then-64", "x86_64", false, 64);
    // Found at boot (a gzip file says its width only once unpacked).
    expect(r.console).toContain("Error: boot: '(hd0,0)/boot/gnumach.gz': a 32-bit (x86_32) kernel: this is pvboot-x86_64.elf, " +
      "which boots 64-bit PV domains, and a PV domain keeps the width it started with; boot this kernel with pvboot-x86_32.elf " +
      "(kernel = \"pvboot-x86_32.elf\" in the domain's config)");
    expect(r.console).toContain("pvboot: starting 'Linux 64'");
    expectAllOk(r);
    expect(r.handoff!.startInfo!.magic).toBe("xen-3.0-x86_64");
  }, 120_000);
});

describe("Xen's PAE rules in the emulated MMU", () => {
  // A tiny domain of frames 1..8: the L3 at 1, L2s at 2 and 3, an L1 at 4, data at 5.
  const make = () => {
    const frames = new Map<number, Uint8Array>();
    for (let m = 1; m <= 8; m++) frames.set(m, new Uint8Array(4096));
    const mmu = new Mmu((m) => frames.get(m)!, {
      writableAt: () => null, platformTable: () => false, owns: (m) => frames.has(m), shared: () => false,
    });
    const set = (m: number, slot: number, v: bigint) => new DataView(frames.get(m)!.buffer).setBigUint64(slot * 8, v, true);
    const get = (m: number, slot: number) => new DataView(frames.get(m)!.buffer).getBigUint64(slot * 8, true);
    set(1, 0, (2n << 12n) | 1n);
    set(1, 3, (3n << 12n) | 1n);
    set(2, 0, (4n << 12n) | 0x67n);
    set(4, 0, (5n << 12n) | 0x63n);
    return { mmu, set, get };
  };

  it("pins a well-formed L3, adding RW and USER to its entries as Xen does", () => {
    const { mmu, get } = make();
    expect(mmu.pinL3(1), mmu.lastError).toBe(0);
    expect(mmu.level(3)).toBe(2);
    expect(get(1, 0) & 0xfffn).toBe(0x7n);
    expect(get(1, 3) & 0xfffn).toBe(0x7n);
    expect(mmu.modified()).toEqual([]);
  });

  it("refuses an L3 without slot 3, with a cache or superpage flag, with a fifth entry, or sharing slot 3's L2", () => {
    let t = make();
    t.set(1, 3, 0n);
    expect(t.mmu.pinL3(1)).toBe(-22);
    expect(t.mmu.lastError).toMatch(/slot 3 is empty/);
    t = make();
    t.set(1, 0, (2n << 12n) | 0x9n); // PWT
    expect(t.mmu.pinL3(1)).toBe(-22);
    expect(t.mmu.lastError).toMatch(/has flags 0x8, which Xen refuses/);
    t = make();
    t.set(1, 4, (6n << 12n) | 1n);
    expect(t.mmu.pinL3(1)).toBe(-22);
    expect(t.mmu.lastError).toMatch(/a PAE L3 has 4 entries/);
    t = make();
    t.set(1, 0, (3n << 12n) | 1n);
    expect(t.mmu.pinL3(1)).toBe(-22);
    expect(t.mmu.lastError).toMatch(/Xen's compat L2/);
  });

  it("refuses a mapping in the hypervisor's hole", () => {
    const t = make();
    t.set(3, 428, (6n << 12n) | 0x67n); // va 0xF5800000
    expect(t.mmu.pinL3(1)).toBe(-22);
    expect(t.mmu.lastError).toMatch(/hypervisor's hole/);
  });
});

describe("pvboot run --arch x86_32", () => {
  const PVBOOT = fileURLToPath(new URL("../scripts/pvboot.mjs", import.meta.url));
  it("ends with the one-line report, every check ok", () => {
    const r = spawnSync("node", [PVBOOT, "run", disk, "--arch", "x86_32", "--json", "--memory", "128", "--extra", "(hd0,0)/boot/grub/hurd.lst"],
      { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    expect(r.status, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout.trimEnd().split("\n").pop()!);
    expect(json.start_info.magic).toBe("xen-3.0-x86_32p");
    expect(json.modules).toEqual([EXT2FS, EXEC].map((cmdline) => ({ size: busybox.length, cmdline })));
    for (const [k, v] of Object.entries(json.checks)) expect(`${k}: ${v}`).toBe(`${k}: ok`);
    expect(r.stderr).toMatch(/the emulator checked the new domain: all 17 checks ok/);
  }, 120_000);

  it("refuses an arch it does not know", () => {
    const r = spawnSync("node", [PVBOOT, "run", disk, "--arch", "arm64"], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("--arch is x86_64 or x86_32, not 'arm64'");
  });
});
