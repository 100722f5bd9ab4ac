// The real thing: build/pvboot-x86_64.elf booted as dom0 of Debian's Xen 4.17 under QEMU
// (TCG). As dom0 its console is console_io, which Xen copies to the serial line we read.
// A few seconds each: the banner and a clean poweroff, wasm traps out of bounds (guard pages on
// x86_64) turned into a message and a crashed domain, and the shim growing the linear memory
// over all of dom0's RAM.

import { beforeAll, describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import { ensureXen } from "../../scripts/xen-host/fetch";
import { runXen, type XenResult } from "../../scripts/xen-host/qemu";

const IMAGE = fileURLToPath(new URL("../../build/pvboot-x86_64.elf", import.meta.url));
let xen = "";

async function boot(cmdline: string, expectLines: RegExp[], failOn?: RegExp[], dom0MemMB = 64): Promise<XenResult> {
  const r = await runXen({ xen, dom0: IMAGE, dom0Cmdline: cmdline, dom0MemMB, memoryMB: dom0MemMB + 512,
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
  // still inside Xen's start-of-day mapping; oob-far: 6 GiB past the memory's base.
  for (const action of ["oob", "oob-end", "oob-far"]) {
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
