// The console backend (xenconsoled's part): drains the guest's out ring when notified and
// feeds the in ring from a script of keys (or a terminal), notifying the guest each time.

import { CONS } from "./abi";
import type { MachineMemory } from "./frames";
import type { Clock } from "./clock";

// How the backend misbehaves, for fault injection: drain only after a delay, or never.
export interface ConsoleFaults {
  delayMs?: number;
  stuck?: boolean;
  brokenIndexes?: boolean; // out_cons set to nonsense before the guest starts
}

export class ConsoleBackend {
  private out: Uint8Array[] = [];
  private keys: number[] = [];
  onOutput: ((bytes: Uint8Array) => void) | null = null;
  port = 0;
  notifyGuest: () => void = () => {};

  faults: ConsoleFaults = {};
  errors: string[] = [];
  private drainScheduled = false;

  constructor(private mem: MachineMemory, readonly mfn: number, private clock: Clock) {}

  // The guest notified.
  notified(): void {
    if (this.faults.stuck) return;
    if (!this.faults.delayMs) return this.drain();
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    this.clock.after(BigInt(this.faults.delayMs) * 1_000_000n, () => {
      this.drainScheduled = false;
      this.drain();
    });
  }

  // Take everything the guest produced, then top up its input, then tell it.
  drain(): void {
    const v = this.mem.view(this.mfn);
    const b = this.mem.bytes(this.mfn);
    const cons = v.getUint32(CONS.out_cons, true);
    const prod = v.getUint32(CONS.out_prod, true);
    if (((prod - cons) >>> 0) > CONS.out_size) {
      // as xenconsoled does with a broken ring: say so in its log and leave the ring alone
      this.errors.push(`out ring indexes broken (cons ${cons} prod ${prod})`);
      return;
    }
    const n = (prod - cons) >>> 0;
    if (n > 0) {
      // at most two pieces: up to the end of the ring, then from its start
      const at = cons & (CONS.out_size - 1);
      const first = Math.min(n, CONS.out_size - at);
      const chunk = new Uint8Array(n);
      chunk.set(b.subarray(CONS.out + at, CONS.out + at + first));
      chunk.set(b.subarray(CONS.out, CONS.out + n - first), first);
      v.setUint32(CONS.out_cons, prod, true);
      this.out.push(chunk);
      this.onOutput?.(chunk);
    }
    this.pushKeys();
    this.notifyGuest();
  }

  // Queue keys for the guest; they enter the in ring as it has room.
  type(keys: Uint8Array | string): void {
    const bytes = typeof keys === "string" ? new TextEncoder().encode(keys) : keys;
    this.keys.push(...bytes);
    if (this.pushKeys()) this.notifyGuest();
  }

  private pushKeys(): boolean {
    const v = this.mem.view(this.mfn);
    const b = this.mem.bytes(this.mfn);
    const cons = v.getUint32(CONS.in_cons, true);
    let prod = v.getUint32(CONS.in_prod, true);
    let moved = false;
    while (this.keys.length && ((prod - cons) >>> 0) < CONS.in_size) {
      b[CONS.in + (prod & (CONS.in_size - 1))] = this.keys.shift()!;
      prod = (prod + 1) >>> 0;
      moved = true;
    }
    v.setUint32(CONS.in_prod, prod, true);
    return moved;
  }

  breakIndexes(): void {
    this.mem.view(this.mfn).setUint32(CONS.out_cons, 0x8badf00d, true);
  }

  // Leave `n` bytes of output behind in the ring, as a previous stage whose output the
  // backend has not read yet would.
  preload(text: string): void {
    const v = this.mem.view(this.mfn);
    const b = this.mem.bytes(this.mfn);
    let prod = v.getUint32(CONS.out_prod, true);
    for (const c of new TextEncoder().encode(text)) {
      b[CONS.out + (prod & (CONS.out_size - 1))] = c;
      prod = (prod + 1) >>> 0;
    }
    v.setUint32(CONS.out_prod, prod, true);
  }

  get text(): string {
    return Buffer.concat(this.out).toString("latin1");
  }
}
