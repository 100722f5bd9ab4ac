// Virtual Xen system time. It moves only when the guest reads it (a little, so that busy
// loops end) or waits in SCHEDOP_poll (straight to the next timer or the deadline), so every
// run is repeatable and a wait of seconds costs no real time.

export const NS_PER_MS = 1_000_000n;

interface Timer { at: bigint; seq: number; fire: () => void }

export class Clock {
  now = 1_000_000_000n; // Xen has been up for a second when the guest starts
  readonly tickPerRead = 1_000n;
  private timers: Timer[] = [];
  private seq = 0;

  read(): bigint {
    this.now += this.tickPerRead;
    return this.now;
  }

  after(ns: bigint, fire: () => void): void {
    this.timers.push({ at: this.now + ns, seq: this.seq++, fire });
    this.timers.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.seq - b.seq));
  }

  get pendingTimers(): number {
    return this.timers.length;
  }

  // Run timers due before `deadline` (0n: no deadline) until `done()` holds.
  // Returns false when nothing can make `done()` hold any more.
  runUntil(deadline: bigint, done: () => boolean): boolean {
    while (!done()) {
      const next = this.timers[0];
      if (!next || (deadline !== 0n && next.at > deadline)) {
        if (deadline === 0n) return false;
        if (this.now < deadline) this.now = deadline;
        return true;
      }
      this.timers.shift();
      if (next.at > this.now) this.now = next.at;
      next.fire();
    }
    return true;
  }
}
