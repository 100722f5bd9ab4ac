// A person's keys for the emulated console. The guest runs synchronously on this thread, so
// the terminal is read here, without the event loop: Node leaves a TTY's fd 0 non-blocking
// once stdin is in raw mode, and reads are retried with short naps until keys come or the
// guest's deadline passes. Ctrl-] detaches, as with `xl console`.

import { readSync } from "node:fs";

export const DETACH = 0x1d;
const NAP_MS = 10;

export class TerminalInput {
  private buf = Buffer.alloc(256);
  private nap = new Int32Array(new SharedArrayBuffer(4));
  detached = false;

  constructor() {
    process.stdin.setRawMode(true);
  }

  // Wait up to `ns` (null: until something comes) for keys; return what there is.
  take(ns: bigint | null): Uint8Array {
    const until = ns === null ? Infinity : Date.now() + Number(ns / 1_000_000n);
    for (;;) {
      const n = this.read();
      if (n < 0 || this.detached) return new Uint8Array();
      if (n > 0) {
        const bytes = this.buf.subarray(0, n);
        const at = bytes.indexOf(DETACH);
        if (at >= 0) this.detached = true;
        return Uint8Array.from(at >= 0 ? bytes.subarray(0, at) : bytes);
      }
      const left = until - Date.now();
      if (left <= 0) return new Uint8Array();
      Atomics.wait(this.nap, 0, 0, Math.min(NAP_MS, left));
    }
  }

  // Bytes read, 0 when none are waiting, -1 at the end of input (which detaches).
  private read(): number {
    try {
      const n = readSync(0, this.buf, 0, this.buf.length, null);
      if (n === 0) this.detached = true;
      return n === 0 ? -1 : n;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EAGAIN") return 0;
      throw e;
    }
  }

  close(): void {
    process.stdin.setRawMode(false);
    process.stdin.destroy();
  }
}
