// Xen system time for the emulated domain. Virtual by default: it moves only when the guest
// reads it (a little, so that busy loops end) or waits in SCHEDOP_poll (straight to the next
// timer or the deadline), so every run is repeatable and a wait of seconds costs no real time.
// Real time when a person is at the terminal: waits then block on their keys.

export const NS_PER_MS = 1_000_000n;

// The guest waits, with nothing scheduled, for longer than Clock.idleLimitNs of virtual time:
// a loader at a prompt whose scripted keys have run out (it would wait for a person forever).
// runLoader ends the run there with shutdown "idle" and the console as it stands.
export class GuestIdle extends Error {}

interface Timer { at: bigint; seq: number; fire: () => void }

export class Clock {
  now = 1_000_000_000n; // Xen has been up for a second when the guest starts
  readonly tickPerRead = 1_000n;
  idleLimitNs = 3600n * 1_000_000_000n; // an hour of virtual time with nothing to do: idle
  private timers: Timer[] = [];
  private seq = 0;
  // Real-time mode: `idle` blocks until input arrives or `ns` pass (null: until input).
  private real: { t0: bigint; base: bigint; idle: (ns: bigint | null) => void } | null = null;

  useRealTime(idle: (ns: bigint | null) => void): void {
    this.real = { t0: process.hrtime.bigint(), base: this.now, idle };
  }

  read(): bigint {
    if (this.real) this.syncReal();
    else this.now += this.tickPerRead;
    return this.now;
  }

  private syncReal(): void {
    const t = this.real!.base + (process.hrtime.bigint() - this.real!.t0);
    if (t > this.now) this.now = t;
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
    if (this.real) return this.runUntilReal(deadline, done);
    while (!done()) {
      const next = this.timers[0];
      if (!next || (deadline !== 0n && next.at > deadline)) {
        if (deadline === 0n) return false;
        if (deadline - this.now > this.idleLimitNs) throw new GuestIdle(`the guest waits for input with nothing else to do`);
        if (this.now < deadline) this.now = deadline;
        return true;
      }
      this.timers.shift();
      if (next.at > this.now) this.now = next.at;
      next.fire();
    }
    return true;
  }

  // Fire every timer left, in order (the backends finishing after the guest is gone).
  finish(): void {
    for (let t = this.timers.shift(); t; t = this.timers.shift()) {
      if (t.at > this.now) this.now = t.at;
      t.fire();
    }
  }

  private runUntilReal(deadline: bigint, done: () => boolean): boolean {
    while (!done()) {
      this.syncReal();
      const next = this.timers[0];
      if (next && next.at <= this.now) {
        this.timers.shift();
        next.fire();
        continue;
      }
      if (deadline !== 0n && this.now >= deadline) return true;
      const wake = [next?.at, deadline || undefined].filter((t): t is bigint => t !== undefined);
      const until = wake.length ? wake.reduce((a, b) => (a < b ? a : b)) : null;
      this.real!.idle(until === null ? null : until - this.now);
    }
    return true;
  }
}
