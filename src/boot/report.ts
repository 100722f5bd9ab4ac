// The boot report: how long each phase of a boot took and how much it moved, one console line
// per phase, in a fixed form that `pvboot run --json` reads back (scripts/cli/main.ts):
//   pvboot: report: disks: 1 disk in 12.034 ms
//   pvboot: report: config (hd0,0)/boot/grub/menu.lst: in 3.201 ms
//   pvboot: report: read (hd0,0)/boot/vmlinuz: 8123456 bytes (7.7 MiB) in 210.500 ms, 36.8 MiB/s
//   pvboot: report: unpack xz: 8123456 -> 65906612 bytes (7.7 -> 62.8 MiB) in 1234.000 ms
//   pvboot: report: layout: 80609280 bytes (76.8 MiB) in 4.120 ms
//   pvboot: report: teardown: in 1.002 ms
// Times are Xen's system time, to the microsecond (the emulator's clock is virtual: it moves
// little while the core computes). Integer arithmetic only: the core
// has no floating point. While a file over 8 MiB is read or unpacked, a progress line is
// rewritten in place with plain '\r' (the PV console promises no cursor addressing), at most
// four times a second, and blanked before the phase's line.

import { console } from "../xen/console";
import { Text } from "../lib/text";
import { now, NS_PER_MS } from "../xen/time";

export const PROGRESS_MIN: u64 = 8 << 20; // files and outputs above this get a progress line
const PROGRESS_EVERY_NS: u64 = 250 * NS_PER_MS;

// "7.7": bytes in MiB with one decimal, truncated.
function mib1(t: Text, bytes: u64): Text {
  const tenths = (bytes * 10) >> 20;
  return t.u(tenths / 10).ch(0x2e).u(tenths % 10);
}

export class BootReport {
  quiet: bool = false; // `quiet` in the entry: no report lines

  // One phase's line. `what` names the file or the format ("" for none); `bytesOut` > 0 for an
  // unpacking (in -> out).
  // `count`: a number of things ("1 disk"), when the phase moved no bytes.
  phase(name: string, what: string, bytes: u64, bytesOut: u64, ns: u64, count: string = ""): void {
    if (this.quiet) return;
    const t = new Text(256).str("pvboot: report: ").str(name);
    if (what.length > 0) t.ch(0x20).str(what);
    t.str(": ");
    if (count.length > 0) t.str(count).ch(0x20);
    if (bytesOut > 0) {
      t.u(bytes).str(" -> ").u(bytesOut).str(" bytes (");
      mib1(t, bytes).str(" -> ");
      mib1(t, bytesOut).str(" MiB) ");
    } else if (bytes > 0) {
      t.u(bytes).str(" bytes (");
      mib1(t, bytes).str(" MiB) ");
    }
    const us = ns / 1000;
    t.str("in ").u(us / 1000).ch(0x2e);
    const frac = us % 1000;
    if (frac < 100) t.ch(0x30);
    if (frac < 10) t.ch(0x30);
    t.u(frac).str(" ms");
    if (name == "read" && bytes > 0 && ns > 0) {
      // MiB/s with one decimal: bytes * 10 / 2^20 per second, as integers (fits u64 to 1 EiB/s).
      const rate = (bytes * 10 * 1000000000 / ns) >> 20;
      t.str(", ").u(rate / 10).ch(0x2e).u(rate % 10).str(" MiB/s");
    }
    console.line(t);
  }
}

export const bootReport = new BootReport();

// A '\r' progress line for one long read or unpacking.
export class Progress {
  private label: string;
  private total: u64;
  private last: u64 = 0;
  private shown: i32 = 0; // columns of the last line printed, to blank it at the end
  private active: bool;

  constructor(label: string, total: u64) {
    this.label = label;
    this.total = total;
    this.active = total > PROGRESS_MIN && !bootReport.quiet;
    this.last = now();
  }

  update(done: u64): void {
    if (!this.active) return;
    const t0 = now();
    if (t0 - this.last < PROGRESS_EVERY_NS) return;
    this.last = t0;
    const t = new Text(160).str("\r  ").str(this.label).str(": ");
    mib1(t, done).str(" of ");
    mib1(t, this.total).str(" MiB");
    if (this.total > 0) t.str(" (").u(done * 100 / this.total).str("%)");
    this.shown = <i32>t.len;
    console.print(t);
  }

  // Blank the line (spaces over it, back to its start): the phase's line comes next.
  end(): void {
    if (this.shown == 0) return;
    const t = new Text(<u32>this.shown + 4).ch(0x0d);
    for (let i = 1; i < this.shown; i++) t.ch(0x20);
    t.ch(0x0d);
    console.print(t);
    this.shown = 0;
  }
}
