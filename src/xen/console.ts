// The PV console: the ring page named in start_info (the only output a domU has on a
// release Xen), or HYPERVISOR_console_io when this is dom0 and there is no ring.

import * as abi from "./abi";
import { console_io_write, map_frame, mb } from "./hypercall";
import { allocPages } from "../lib/pages";
import { Text } from "../lib/text";
import { startInfo } from "./start_info";
import { events } from "./events";
import { deadlineAfterMs, expired } from "./time";

// How long a full ring may stay full before output is dropped (never hang on a stuck backend).
const FULL_RING_WAIT_MS: u64 = 2000;

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
