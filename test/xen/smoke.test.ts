// The real thing: build/pvboot-x86_64.elf booted as dom0 of Debian's Xen 4.17 under QEMU
// (TCG), and build/pvboot-x86_32.elf as dom0 of the same Xen built with CONFIG_PV32
// (scripts/xen-host/xen-pv32.ts). As dom0 its console is console_io, which Xen copies to the
// serial line we read. A few seconds each: the banner and a clean poweroff, wasm traps out of
// bounds (guard pages on x86_64, the %gs segment and its hole on x86_32) turned into a message
// and a crashed domain, and the shim growing the linear memory over all of dom0's RAM.

import { beforeAll, describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import { ensureXen } from "../../scripts/xen-host/fetch";
import { ensureXenPv32 } from "../../scripts/xen-host/xen-pv32";
import { runXen, type XenResult } from "../../scripts/xen-host/qemu";

const IMAGE = fileURLToPath(new URL("../../build/pvboot-x86_64.elf", import.meta.url));
const IMAGE_X86_32 = fileURLToPath(new URL("../../build/pvboot-x86_32.elf", import.meta.url));
let xen = "";

async function boot(cmdline: string, expectLines: RegExp[], failOn?: RegExp[], dom0MemMB = 64,
  image = IMAGE, hypervisor = xen): Promise<XenResult> {
  const r = await runXen({ xen: hypervisor, dom0: image, dom0Cmdline: cmdline, dom0MemMB, memoryMB: dom0MemMB + 512,
    expect: expectLines, failOn,
    timeoutMs: 120_000, echo: !!process.env.PVBOOT_ECHO, prefix: "xen| " });
  if (!r.ok) console.error(r.lines.slice(-30).join("\n"));
  return r;
}

describe("pvboot on real Xen 4.17 (QEMU TCG), as dom0", () => {
  beforeAll(async () => {
    xen = await ensureXen();
  });

  it("prints its banner through console_io and shuts down cleanly", async () => {
    const r = await boot("smoke", [
      /^pvboot 0\.1\.0 \(xen-3\.0-x86_64p?\) on Xen 4\.17\.\d+.*, dom0, 64 MiB$/,
      /^pvboot: command line: smoke$/,
      /Hardware Dom0 halted: halting machine/,
    ]);
    expect(r.ok, r.reason).toBe(true);
    console.log(`smoke: ${r.matched[0]} (${(r.elapsedMs / 1000).toFixed(1)} s from QEMU start)`);
  }, 150_000);

  // The x86_64 image has guard pages instead of wasm2c's bounds checks: each access out of
  // bounds is a page fault that the shim reports as the wasm trap, never as a shim fault.
  // oob: 256 MiB past the memory's end; oob-end: a load across the end, while the memory is
  // still inside Xen's start-of-day mapping; oob-far: 6 GiB past the memory's base; oob-wrap:
  // 4 GiB + 16 past it.
  for (const action of ["oob", "oob-end", "oob-far", "oob-wrap"]) {
    it(`turns a wasm trap into a message and a crashed domain (pvboot.debug=${action})`, async () => {
      const r = await boot(`pvboot.debug=${action}`, [
        /^pvboot: wasm trap: out of bounds memory access$/,
        /Hardware Dom0 crashed/,
      ], [/Panic on CPU/, /Unhandled: vec/, /Hardware Dom0 halted/, /pvboot: shim fault/]);
      expect(r.ok, r.reason).toBe(true);
      const said = r.lines.find((l) => /pvboot: debug: /.test(l));
      if (said) console.log(`smoke ${action}: ${said}`);
    }, 150_000);
  }

  it("sets up and uses its grant table natively", async () => {
    const r = await boot("pvboot.debug=gnttab", [
      /^pvboot: gnttab: \d+ entries, ref 8 flags 0x1 frame 0x[0-9a-f]+, ended, ok, live 0$/,
      /Hardware Dom0 halted/,
    ]);
    expect(r.ok, r.reason).toBe(true);
  }, 150_000);

  // 1500 MiB: past the first GiB, so the shim makes L2 tables as well as L1s.
  it("maps all of dom0's RAM behind the linear memory as it grows", async () => {
    const r = await boot("pvboot.debug=memtest", [
      /^pvboot: memtest: linear memory grew from \d+ to (\d+) KiB, \d+ frames ok$/,
      /Hardware Dom0 halted/,
    ], undefined, 1500);
    expect(r.ok, r.reason).toBe(true);
    const kib = Number(r.matched[0].match(/to (\d+) KiB/)![1]);
    expect(kib).toBeGreaterThan(1500 * 1024 - 8192); // less the image, start-of-day area and tables
  }, 150_000);
});

// The x86_32 image's core reaches its memory through %gs (boot/x86_32/segment.c): an access past
// the segment's limit is a #GP on hardware. QEMU's TCG checks no limit, so here the pages past
// the memory's end (unmapped, as with guard pages) make oob and oob-end page-fault instead; the
// shim must report either as the wasm trap. oob-far's offset is checked explicitly
// (scripts/wasm2c-segment.mjs), and oob-wrap's 32-bit address wraps into the unmapped hole
// below the core's data. memtest grows the memory, and with it the segment, whose limit the
// shim checks with lsl after each growth, over 1500 MiB.
describe("pvboot-x86_32 on real Xen 4.17 with CONFIG_PV32 (QEMU TCG), as dom0", () => {
  let xen32 = "";
  beforeAll(async () => {
    xen32 = await ensureXenPv32();
  }, 600_000);

  it("prints its banner through console_io and shuts down cleanly", async () => {
    const r = await boot("smoke", [
      /^pvboot 0\.1\.0 \(xen-3\.0-x86_32p\) on Xen 4\.17\.\d+.*, dom0, 64 MiB$/,
      /Hardware Dom0 halted: halting machine/,
    ], undefined, 64, IMAGE_X86_32, xen32);
    expect(r.ok, r.reason).toBe(true);
  }, 150_000);

  for (const action of ["oob", "oob-end", "oob-far", "oob-wrap"]) {
    it(`turns pvboot.debug=${action} into the wasm trap and a crashed domain`, async () => {
      const r = await boot(`pvboot.debug=${action}`, [
        /^pvboot: wasm trap: out of bounds memory access$/,
        /Hardware Dom0 crashed/,
      ], [/Panic on CPU/, /Unhandled: vec/, /Hardware Dom0 halted/, /pvboot: shim fault/, /pvboot: shim panic/],
      64, IMAGE_X86_32, xen32);
      expect(r.ok, r.reason).toBe(true);
    }, 150_000);
  }

  it("grows the linear memory and its segment over all of dom0's RAM", async () => {
    const r = await boot("pvboot.debug=memtest", [
      /^pvboot: memtest: linear memory grew from \d+ to (\d+) KiB, \d+ frames ok$/,
      /Hardware Dom0 halted/,
    ], [/Panic on CPU/, /pvboot: shim panic/, /pvboot: shim fault/], 1500, IMAGE_X86_32, xen32);
    expect(r.ok, r.reason).toBe(true);
    const kib = Number(r.matched[0].match(/to (\d+) KiB/)![1]);
    expect(kib).toBeGreaterThan(1500 * 1024 - 8192);
  }, 150_000);
});
