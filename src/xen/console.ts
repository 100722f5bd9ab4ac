// The PV console: the ring page named in start_info (the only output a domU has on a
// release Xen), or HYPERVISOR_console_io when this is dom0 and there is no ring.

import * as abi from "./abi";
import { console_io_write, map_frame, mb } from "./hypercall";
import { allocPages } from "../lib/pages";
import { Text } from "../lib/text";
import { startInfo } from "./start_info";
import { events } from "./events";
import { deadlineAfterMs, expired, FOREVER } from "./time";

// Keys as readKey returns them: bytes as typed, these for the sequences a terminal sends.
export const KEY_TIMEOUT: i32 = -1;
export const KEY_CTRL_C: i32 = 0x03;
export const KEY_BACKSPACE: i32 = 0x08;
export const KEY_TAB: i32 = 0x09;
export const KEY_ENTER: i32 = 0x0d;
export const KEY_ESC: i32 = 0x1b;
export const KEY_UP: i32 = 0x101;
export const KEY_DOWN: i32 = 0x102;
export const KEY_RIGHT: i32 = 0x103;
export const KEY_LEFT: i32 = 0x104;
export const KEY_HOME: i32 = 0x105;
export const KEY_END: i32 = 0x106;
export const KEY_DELETE: i32 = 0x107;
export const KEY_PGUP: i32 = 0x108;
export const KEY_PGDN: i32 = 0x109;

// How long the rest of an escape sequence may take before ESC counts as the Esc key.
const ESCAPE_WAIT_MS: u64 = 50;

// How long a full ring may stay full before output is dropped (never hang on a stuck backend).
const FULL_RING_WAIT_MS: u64 = 2000;
// How long the last lines may take to leave before the domain is left (then they are given up).
const DRAIN_MS: u64 = 2000;

export class Console {
  ring: usize = 0; // 0: no ring, use console_io
  port: u32 = 0;
  stalled: bool = false;

  init(): void {
    if (startInfo.isInitialDomain) return; // dom0: console.domU is not valid
    const page = allocPages(1);
    if (map_frame(page, startInfo.consoleMfn, 0) < 0) return;
    this.ring = page;
    this.port = startInfo.consoleEvtchn;
  }

  write(p: usize, n: u32): void {
    if (this.ring == 0) {
      console_io_write(p, n);
      return;
    }
    let done: u32 = 0;
    while (done < n) {
      const room = this.roomLeft();
      let prod = load<u32>(this.ring + abi.CONS_OUT_PROD);
      if (room == 0) {
        if (!this.waitForRoom()) return;
        continue;
      }
      let chunk = n - done;
      if (chunk > room) chunk = room;
      for (let i: u32 = 0; i < chunk; i++) {
        store<u8>(this.ring + abi.CONS_OUT + (prod & (abi.CONS_OUT_SIZE - 1)), load<u8>(p + done + i));
        prod++;
      }
      mb(); // the bytes before the index that publishes them
      store<u32>(this.ring + abi.CONS_OUT_PROD, prod);
      events.send(this.port);
      done += chunk;
    }
  }

  private roomLeft(): u32 {
    const used = load<u32>(this.ring + abi.CONS_OUT_PROD) - load<u32>(this.ring + abi.CONS_OUT_CONS);
    return used >= abi.CONS_OUT_SIZE ? 0 : abi.CONS_OUT_SIZE - used;
  }

  // A full ring: kick the backend and wait for it to consume. Once it has failed to
  // drain within the limit, stop waiting on later writes too (output is lost, boot goes on).
  private waitForRoom(): bool {
    if (this.stalled) return false;
    const deadline = deadlineAfterMs(FULL_RING_WAIT_MS);
    events.send(this.port);
    while (this.roomLeft() == 0) {
      if (expired(deadline) || !events.wait(this.port, deadline)) {
        this.stalled = this.roomLeft() == 0;
        return !this.stalled;
      }
      events.send(this.port);
    }
    return true;
  }

  // Wait (up to DRAIN_MS) for the backend to take everything written: the last lines must be
  // out before the next kernel owns the ring (src/boot/handoff.ts), or before the domain is gone
  // (src/xen/sched.ts). A backend already found stalled is not waited for again.
  drain(): bool {
    if (this.ring == 0) return true;
    if (this.stalled) return false;
    const deadline = deadlineAfterMs(DRAIN_MS);
    while (load<u32>(this.ring + abi.CONS_OUT_CONS) != load<u32>(this.ring + abi.CONS_OUT_PROD)) {
      if (expired(deadline)) {
        this.stalled = true;
        return false;
      }
      events.send(this.port);
      events.wait(this.port, deadline);
    }
    return true;
  }

  private pushedBack: i32 = -1; // a byte read while looking for an escape sequence
  private consumed: bool = false; // input taken since the backend was last told

  // One byte from the in ring, or -1 when there is none now.
  private inByte(): i32 {
    if (this.pushedBack >= 0) {
      const c = this.pushedBack;
      this.pushedBack = -1;
      return c;
    }
    if (this.ring == 0) return -1;
    const cons = load<u32>(this.ring + abi.CONS_IN_CONS);
    const prod = load<u32>(this.ring + abi.CONS_IN_PROD);
    if (cons == prod || prod - cons > abi.CONS_IN_SIZE) return -1;
    const c = <i32>load<u8>(this.ring + abi.CONS_IN + (cons & (abi.CONS_IN_SIZE - 1)));
    mb(); // read the byte before giving its room back
    store<u32>(this.ring + abi.CONS_IN_CONS, cons + 1);
    this.consumed = true;
    return c;
  }

  private byteBefore(deadline: u64): i32 {
    for (;;) {
      const c = this.inByte();
      if (c >= 0) return c;
      if (this.ring == 0 || expired(deadline)) return -1;
      // We made room: the backend may have more for us. Only then: a kick with nothing
      // consumed could be answered by a notify, and that by a kick, for ever.
      if (this.consumed) {
        this.consumed = false;
        events.send(this.port);
      }
      if (!events.wait(this.port, deadline)) return this.inByte();
    }
    return -1;
  }

  // The next key, or KEY_TIMEOUT at the deadline (Xen system time; 0 waits for good).
  readKey(deadline: u64): i32 {
    const c = this.byteBefore(deadline == 0 ? FOREVER : deadline);
    if (c == 0x7f || c == 0x08) return KEY_BACKSPACE;
    if (c == 0x0a) return KEY_ENTER;
    if (c != 0x1b) return c;
    const soon = deadlineAfterMs(ESCAPE_WAIT_MS);
    const c1 = this.byteBefore(soon);
    if (c1 != 0x5b && c1 != 0x4f) {
      this.pushedBack = c1; // a lone Esc; the byte after it is a key of its own
      return KEY_ESC;
    }
    const c2 = this.byteBefore(soon);
    if (c2 == 0x41) return KEY_UP;
    if (c2 == 0x42) return KEY_DOWN;
    if (c2 == 0x43) return KEY_RIGHT;
    if (c2 == 0x44) return KEY_LEFT;
    if (c2 == 0x48) return KEY_HOME;
    if (c2 == 0x46) return KEY_END;
    if (c2 >= 0x31 && c2 <= 0x36) {
      const c3 = this.byteBefore(soon);
      if (c3 != 0x7e) return KEY_ESC;
      if (c2 == 0x31) return KEY_HOME;
      if (c2 == 0x33) return KEY_DELETE;
      if (c2 == 0x34) return KEY_END;
      if (c2 == 0x35) return KEY_PGUP;
      if (c2 == 0x36) return KEY_PGDN;
    }
    return KEY_ESC;
  }

  print(t: Text): void {
    this.write(t.buf, t.len);
  }

  line(t: Text): void {
    t.ch(0x0d).ch(0x0a);
    this.write(t.buf, t.len);
  }

  say(s: string): void {
    this.line(new Text().str(s));
  }
}

export const console = new Console();
