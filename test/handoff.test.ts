// The handoff end to end in the emulator: the real core boots real kernels from a real disk
// (menu.lst picked with extra=), lays the new domain out, tears down and jumps; the harness
// then checks the new domain as the next kernel would find it (test/harness/handoff.ts):
// page tables walked from the new base, every PT_LOAD byte against the real vmlinux (from
// xz -dc, not from pvboot), start_info, P2M and M2P, modules, and the teardown list.

import { beforeAll, afterAll, describe, expect, it } from "vitest";
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runLoader, type RunResult } from "./harness/run";
import { makeDisk } from "../scripts/images/make-disk";
import { debianKernel, gnuMach } from "../scripts/kernels/fetch";
import { pvElf } from "./loader/pv-elf";
import { KERNEL_PACKERS } from "./loader/packers";

const work = mkdtempSync(join(tmpdir(), "pvboot-handoff-"));
const disk = join(work, "disk.img");
let vmlinux: Buffer;
let initrd: Buffer;
let mach: Buffer;
const modules: { name: string; data: Buffer; line: string }[] = [];

const PACKERS = KERNEL_PACKERS; // bare compressed images of the vmlinux

// The tools run asynchronously: a worker blocked for a minute loses vitest's heartbeat.
const run = promisify(execFile);
async function tool(cmd: string, args: string[]): Promise<Buffer> {
  return (await run(cmd, args, { encoding: "buffer", maxBuffer: 256 << 20 })).stdout;
}

function menu(name: string, body: string): void {
  writeFileSync(join(work, "root", "boot", "grub", `${name}.lst`), `timeout 0\n${body}`);
}

beforeAll(async () => {
  const root = join(work, "root");
  mkdirSync(join(root, "boot", "grub"), { recursive: true });
  const bz = readFileSync(debianKernel());
  copyFileSync(debianKernel(), join(root, "boot", "vmlinuz"));
  const setup = ((bz[0x1f1] || 4) + 1) * 512;
  const off = setup + bz.readUInt32LE(0x248);
  writeFileSync(join(work, "payload.xz"), bz.subarray(off, off + bz.readUInt32LE(0x24c)));
  vmlinux = await tool("xz", ["-dc", "--single-stream", join(work, "payload.xz")]);
  writeFileSync(join(work, "vmlinux"), vmlinux);
  for (const [fmt, cmd, args] of PACKERS) {
    writeFileSync(join(root, "boot", `vmlinux.${fmt}`), await tool(cmd, [...args, join(work, "vmlinux")]));
    menu(fmt, `title Debian (${fmt})\nroot (hd0,0)\nkernel /boot/vmlinux.${fmt} root=/dev/xvda1 ro\ninitrd /boot/initrd.gz\n`);
  }
  // A gzip-compressed initrd: passed on as it is (the kernel unpacks it).
  let x = 0x2545f491;
  const noise = Buffer.alloc(300_000);
  for (let i = 0; i < noise.length; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    noise[i] = x & 0xff;
  }
  initrd = execFileSync("gzip", ["-c", "-n"], { input: noise });
  writeFileSync(join(root, "boot", "initrd.gz"), initrd);
  menu("debian", "title Debian\nroot (hd0,0)\nkernel /boot/vmlinuz root=/dev/xvda1 ro quiet\ninitrd /boot/initrd.gz\n");
  menu("long", `title Long\nroot (hd0,0)\nkernel /boot/vmlinuz ${"x".repeat(1100)}\n`);
  menu("small", "fallback 1\ntitle Too big\nroot (hd0,0)\nkernel /boot/vmlinuz ro\ninitrd /boot/initrd.gz\n" +
    "title Small\nroot (hd0,0)\nkernel /boot/pv.elf small\n");
  // GNU Mach with three modules, as menu.lst hands them to it.
  mach = readFileSync(gnuMach());
  writeFileSync(join(root, "boot", "gnumach"), mach);
  const sizes = [123457, 5000, 4096];
  sizes.forEach((n, i) => {
    const data = Buffer.from(Array.from({ length: n }, (_, j) => (j * (i + 3) + i) & 0xff));
    const name = `m${i + 1}.bin`;
    writeFileSync(join(root, "boot", name), data);
    modules.push({ name, data, line: `/boot/${name}${i === 0 ? " --alpha" : i === 1 ? " beta gamma" : ""}` });
  });
  menu("mach", `title GNU Mach\nroot (hd0,0)\nkernel /boot/gnumach console=hvc0\n${modules.map((m) => `module ${m.line}`).join("\n")}\n`);
  // The minimal PV kernel (test/loader/pv-elf.ts): no INIT_P2M, no MOD_START_PFN.
  writeFileSync(join(root, "boot", "pv.elf"), pvElf(0x40));
  menu("pv", "title Minimal\nroot (hd0,0)\nkernel /boot/pv.elf one two\ninitrd /boot/initrd.gz\n");
  makeDisk(disk, 200, [{ fsType: "ext4", sizeMiB: 198, dir: root }]);
}, 300_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

function boot(name: string, opts: { memoryMB?: number; elf?: Buffer; initrd?: Buffer; cmdline?: string;
  modules?: { bytes: Buffer; cmdline: string }[] } = {}): RunResult {
  return runLoader({
    memoryMB: opts.memoryMB ?? 256, disks: [disk], cmdline: `(hd0,0)/boot/grub/${name}.lst`,
    expect: { elf: opts.elf, initrd: opts.initrd, cmdline: opts.cmdline, modules: opts.modules },
  });
}

function expectAllOk(r: RunResult): void {
  expect(r.trap, r.console).toBeUndefined();
  expect(r.shutdown, r.console.slice(-2000)).toBe("jumped");
  const checks = r.handoff!.checks;
  for (const [k, v] of Object.entries(checks)) expect(`${k}: ${v}`).toBe(`${k}: ok`);
  expect(Object.keys(checks)).toEqual(expect.arrayContaining(["pagetables", "segments", "bss", "start_info", "p2m",
    "layout", "hypercall_page", "modules", "evtchn", "grants", "xenstore", "blkback", "timer", "console", "trampoline"]));
}

describe("the handoff in the emulator, checked from the new page tables", () => {
  it("Debian 12's bzImage (xz) with a gzip initrd: every check passes against the real vmlinux", () => {
    const r = boot("debian", { elf: vmlinux, initrd, cmdline: "root=/dev/xvda1 ro quiet" });
    expectAllOk(r);
    expect(r.console).toContain(`initrd at pfn 0x4c00 (unmapped, ${Math.ceil(initrd.length / 4096)} pages)`);
    expect(r.console).toMatch(/pvboot: starting 'Debian' at 0xffffffff[0-9a-f]+ \(start_info 0xffffffff[0-9a-f]+, 256 MiB\)/);
    const si = r.handoff!.startInfo;
    expect(si!.mod_len).toBe(BigInt(initrd.length));
    expect(si!.cmd_line).toBe("root=/dev/xvda1 ro quiet");
    expect(r.handoff!.json.kernel).toMatchObject({ format: "bzImage", compression: "xz", virt_base: "0xffffffff80000000" });
  }, 180_000);

  for (const [fmt] of PACKERS) {
    it(`the same kernel as a bare ${fmt} image boots with every check passing`, () => {
      const r = boot(fmt, { elf: vmlinux, initrd, cmdline: "root=/dev/xvda1 ro" });
      expectAllOk(r);
      expect(r.handoff!.json.kernel).toMatchObject({ format: fmt, compression: fmt });
    }, 240_000);
  }

  it("GNU Mach with three modules: the multiboot package, mod_end one past the end, each line in its page", () => {
    const r = boot("mach", { memoryMB: 128, elf: mach, cmdline: "console=hvc0",
      modules: modules.map((m) => ({ bytes: m.data, cmdline: m.line })) });
    expectAllOk(r);
    expect(r.handoff!.modules).toEqual(modules.map((m) => ({ size: m.data.length, cmdline: m.line })));
    expect(r.handoff!.startInfo!.flags & 4n).toBe(4n); // SIF_MULTIBOOT_MOD
  }, 120_000);

  it("a kernel without INIT_P2M or MOD_START_PFN: P2M and initrd mapped after the kernel", () => {
    const r = boot("pv", { memoryMB: 64, initrd, cmdline: "one two" });
    expectAllOk(r);
    expect(r.console).toMatch(new RegExp(`layout: kernel at pfn 0x1000 \\(\\d+ pages\\), initrd at pfn 0x[0-9a-f]+ \\(${Math.ceil(initrd.length / 4096)} pages\\)`));
  }, 60_000);

  it("a command line longer than start_info holds is cut at 1023 bytes, with a warning", () => {
    const r = boot("long", { elf: vmlinux });
    expectAllOk(r);
    expect(r.console).toContain("warning: the kernel's command line has 1100 bytes; start_info holds 1023: cut");
    expect(r.handoff!.startInfo!.cmd_line).toBe("x".repeat(1023));
  }, 180_000);

  it("Debian 12's kernel in an 88 MiB domain: the bzImage's and the ELF's spare pages become the zero padding", () => {
    // The layout reaches 78 MiB; the files (8 MiB bzImage, 63 MiB ELF) fit beside it only
    // because the padding is made of their pages. The record then carries no ELF.
    const r = boot("debian", { memoryMB: 88, elf: vmlinux, initrd, cmdline: "root=/dev/xvda1 ro quiet" });
    expectAllOk(r);
    expect(r.console).toContain("(76 MiB of 88)");
    expect(r.handoff!.record.elfLen).toBe(0);
  }, 180_000);

  it("with memory to spare the ELF stays whole: only the bzImage's pages are reused", () => {
    const r = boot("debian", { memoryMB: 160, elf: vmlinux, initrd, cmdline: "root=/dev/xvda1 ro quiet" });
    expectAllOk(r);
    expect(r.handoff!.record.elfLen).toBe(vmlinux.length);
  }, 180_000);

  it("a domain too small for the kernel fails the entry, names the sizes, and the fallback boots", () => {
    const r = boot("small", { memoryMB: 48, cmdline: "small" });
    // Refused from the size the bzImage states, before any decompressing, with what to change.
    expect(r.console).toMatch(new RegExp(`Error: boot: '\\(hd0,0\\)/boot/vmlinuz': the bzImage's xz payload unpacks to ${vmlinux.length} bytes ` +
      `\\(63 MiB\\), more than the \\d+ MiB of memory left for it \\(the domain has 48 MiB: give it more with memory = in its config\\)`));
    expect(r.console).toContain("pvboot: starting 'Small'");
    expectAllOk(r);
  }, 120_000);
});
