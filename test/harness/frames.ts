// Machine memory as Xen sees it: 4 KiB frames, each owned by a domain (or Xen), each living
// either in a buffer of its own or in a page of the guest's wasm linear memory.
//
// The wasm memory is one JS ArrayBuffer, which cannot alias pages. So when the guest maps a
// frame at a linear page, the frame's bytes move into that page (its "home") and the RAM frame
// that was there moves out into a buffer of its own; unmapping moves both back. Everything
// the emulated Xen and its backends touch goes through bytes(mfn), so they always see the
// frame's current contents, wherever it lives.

import { PAGE } from "./abi";

export const DOMID_XEN = 0x7ff2;

interface Frame {
  owner: number;
  own: Uint8Array | null; // the bytes, when not homed in linear memory
  linearPage: number; // the linear page holding the bytes, or -1
}

export class MachineMemory {
  private frames = new Map<number, Frame>();
  private linearHome = new Map<number, number>(); // linear page -> mfn living there
  memory: WebAssembly.Memory | null = null;

  add(mfn: number, owner: number, linearPage = -1): void {
    if (this.frames.has(mfn)) throw new Error(`frame ${mfn} exists already`);
    const f: Frame = { owner, own: linearPage < 0 ? new Uint8Array(PAGE) : null, linearPage };
    this.frames.set(mfn, f);
    if (linearPage >= 0) this.linearHome.set(linearPage, mfn);
  }

  has(mfn: number): boolean {
    return this.frames.has(mfn);
  }

  owner(mfn: number): number | undefined {
    return this.frames.get(mfn)?.owner;
  }

  // A live view of the frame's bytes; valid until the next map, unmap or memory.grow.
  bytes(mfn: number): Uint8Array {
    const f = this.frames.get(mfn);
    if (!f) throw new Error(`no machine frame ${mfn}`);
    if (f.own) return f.own;
    const mem = this.memory!.buffer;
    if ((f.linearPage + 1) * PAGE > mem.byteLength) {
      throw new Error(`frame ${mfn} lives at linear page ${f.linearPage}, beyond the memory grown so far`);
    }
    return new Uint8Array(mem, f.linearPage * PAGE, PAGE);
  }

  view(mfn: number): DataView {
    const b = this.bytes(mfn);
    return new DataView(b.buffer, b.byteOffset, PAGE);
  }

  // The mfn whose bytes are in linear page `page` now.
  atLinear(page: number): number | undefined {
    return this.linearHome.get(page);
  }

  // Move frame `mfn` into linear page `page`, moving out whatever lives there.
  moveIntoLinear(mfn: number, page: number): void {
    const f = this.frames.get(mfn)!;
    if (f.linearPage === page) return;
    if (f.linearPage >= 0) {
      throw new Error(`harness limit: frame ${mfn} is already mapped at linear page ${f.linearPage}; ` +
        `it cannot live at page ${page} too`);
    }
    const lin = new Uint8Array(this.memory!.buffer, page * PAGE, PAGE);
    const previous = this.linearHome.get(page);
    if (previous !== undefined) {
      const p = this.frames.get(previous)!;
      p.own = lin.slice();
      p.linearPage = -1;
    }
    lin.set(f.own!);
    f.own = null;
    f.linearPage = page;
    this.linearHome.set(page, mfn);
  }

  // Move frame `mfn` out of the linear memory into a buffer of its own.
  moveOut(mfn: number): void {
    const f = this.frames.get(mfn)!;
    if (f.linearPage < 0) return;
    f.own = new Uint8Array(this.memory!.buffer, f.linearPage * PAGE, PAGE).slice();
    this.linearHome.delete(f.linearPage);
    f.linearPage = -1;
  }
}
