// The loader's console in the emulator: the banner through the PV console ring (console_io
// only as dom0), with a slow and a stuck backend; every wasm trap ending in a clear message
// and a crashed domain, never a hang; and the linear memory growing to what the domain owns.

import { describe, expect, it } from "vitest";
import { runLoader } from "./harness/run";

const BANNER = /^pvboot 0\.1\.0 \(xen-3\.0-x86_64\) on Xen 4\.17\.7-emulated, domU, 256 MiB\r\n/;

describe("console", () => {
  it("prints the banner through the console ring and powers off", () => {
    const r = runLoader();
    expect(r.console).toMatch(BANNER);
    expect(r.console).toContain("powering off");
    expect(r.shutdown).toBe("poweroff");
    expect(r.trap).toBeUndefined();
    expect(r.stats.calls.console_io_write).toBeUndefined();
    expect(r.domain.evtchn.sends).toBeGreaterThan(0);
  });

  it("finds the ring by machine frame whatever the P2M shuffle", () => {
    for (const seed of [1, 2, 3]) {
      const r = runLoader({ seed });
      expect(r.console).toMatch(BANNER);
      expect(r.domain.p2m[r.domain.layout.consolePfn]).not.toBe(r.domain.layout.consolePfn);
    }
  });

  it("reports the domain's memory and echoes its command line", () => {
    const r = runLoader({ memoryMB: 1024, cmdline: "(hd0,0)/boot/grub/menu.lst quiet" });
    expect(r.console).toContain(", domU, 1024 MiB\r\n");
    expect(r.console).toContain("pvboot: command line: (hd0,0)/boot/grub/menu.lst quiet\r\n");
  });

  it("uses console_io as dom0, where there is no ring", () => {
    const r = runLoader({ dom0: true });
    expect(r.console).toMatch(/^pvboot 0\.1\.0 \(xen-3\.0-x86_64\) on Xen [^,]+, dom0, 256 MiB\r\n/);
    expect(r.stats.calls.console_io_write).toBeGreaterThan(0);
    expect(r.domain.console.text).toBe("");
  });

  it("waits for a slow backend to make room, and loses nothing", () => {
    const stale = "x".repeat(2040); // a ring nearly full of output the backend has not read yet
    const r = runLoader({ consoleFaults: { delayMs: 300 }, preloadConsole: stale });
    expect(r.console.startsWith(stale)).toBe(true);
    expect(r.console.slice(stale.length)).toMatch(BANNER);
    expect(r.console).toContain("powering off");
    expect(r.domain.clock.now).toBeGreaterThan(300_000_000n);
  });

  it("does not hang on a backend that never reads: output is dropped, boot goes on", () => {
    const r = runLoader({ consoleFaults: { stuck: true }, preloadConsole: "z".repeat(2048) });
    expect(r.shutdown).toBe("poweroff");
    expect(r.console).toBe("");
    // it gave up once after its 2 s limit, and did not wait again for later lines
    expect(r.domain.clock.now).toBeGreaterThan(2_000_000_000n);
    expect(r.domain.clock.now).toBeLessThan(4_000_000_000n);
  });
});

describe("wasm traps", () => {
  const cases: [string, string, RegExp?][] = [
    ["trap", "unreachable executed"],
    ["oob", "out of bounds memory access"],
    ["oob-end", "out of bounds memory access", /pvboot: debug: the memory is \d+ bytes; a 4-byte load at \d+\r\n/],
    ["oob-far", "out of bounds memory access", /pvboot: debug: a store at 0xffffffff \+ offset 0x7fffffff\r\n/],
    ["oob-wrap", "out of bounds memory access", /pvboot: debug: a load at 0xfffffff0 \+ offset 0x20\r\n/],
    ["recurse", "call stack exhausted"],
    ["abort", "unreachable executed", /pvboot: abort: debug abort requested at src\/debug\.ts:\d+:\d+\r\n/],
  ];
  for (const [action, kind, before] of cases) {
    it(`pvboot.debug=${action} ends in "${kind}" and a crashed domain`, () => {
      const r = runLoader({ cmdline: `pvboot.debug=${action}` });
      expect(r.shutdown).toBe("crash");
      expect(r.trap).toBe(kind);
      expect(r.console.endsWith(`pvboot: wasm trap: ${kind}\r\n`)).toBe(true);
      if (before) expect(r.console).toMatch(before);
    });
  }

  it("says that pvboot.debug=shim-* is the native shim's, and powers off", () => {
    const r = runLoader({ cmdline: "pvboot.debug=shim-pf" });
    expect(r.console).toContain("pvboot: debug action 'shim-pf'\r\npvboot: this is the native shim's CPU fault, made before the core starts; the emulator has no CPU to fault\r\n");
    expect(r.shutdown).toBe("poweroff");
  });

  it("reports a trap as dom0 through console_io", () => {
    const r = runLoader({ dom0: true, cmdline: "pvboot.debug=trap" });
    expect(r.console.endsWith("pvboot: wasm trap: unreachable executed\r\n")).toBe(true);
  });
});

describe("memory", () => {
  it("grows the linear memory to what the domain owns, all of it usable", () => {
    const r = runLoader({ memoryMB: 64, cmdline: "pvboot.debug=memtest" });
    const m = r.console.match(/memtest: linear memory grew from (\d+) to (\d+) KiB, (\d+) frames ok/);
    expect(m, r.console).not.toBeNull();
    const L = r.domain.layout;
    expect(Number(m![2])).toBe(L.maxLinearPages * 64);
    // what is left is the start-of-day area, the page-table reserve and less than one wasm page
    const rest = r.domain.nrPages - (L.firstFreePfn + L.maxLinearPages * 16 + L.ptReservePages);
    expect(rest).toBeGreaterThanOrEqual(0);
    expect(rest).toBeLessThan(16);
  });
});
