// Test entry for the kernel-format readers (src/loader/elf.ts, xen_notes.ts, bzimage.ts):
// the host copies a file into memory and gets back a JSON description. Built by
// test/loader/wasm.ts to build/loader-test.wasm; abort reaches the host, then traps.

import { parseElf, hex } from "../../src/loader/elf";
import { xenParams } from "../../src/loader/xen_notes";
import { parseBzImage } from "../../src/loader/bzimage";
import { unpackKernel } from "../../src/loader/kernel";

@external("env", "hostAbort")
declare function hostAbort(msg: usize, file: usize, line: u32, col: u32): void;

export function testAbort(msg: string | null, file: string | null, line: u32, col: u32): void {
  hostAbort(changetype<usize>(msg), changetype<usize>(file), line, col);
  unreachable();
}

export function alloc(n: usize): usize {
  return heap.alloc(n);
}

function q(s: string | null): string {
  if (s == null) return "null";
  let out = "\"";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x22 || c == 0x5c) out += "\\" + String.fromCharCode(c);
    else if (c < 0x20) out += "\\u00" + (c < 16 ? "0" : "") + c.toString(16);
    else out += String.fromCharCode(c);
  }
  return out + "\"";
}

// {"elf": {...}, "xen": {...}} for an ELF kernel, for a domain of width 64 or 32.
export function elf(p: usize, len: u64, width: u32): string {
  const e = parseElf(p, len);
  let s = "{\"error\":" + q(e.error);
  if (e.error == null) {
    s += ",\"class\":" + (e.is64 ? "64" : "32") + ",\"machine\":" + e.machine.toString() + ",\"entry\":" + q(hex(e.entry)) +
      ",\"pstart\":" + q(hex(e.pstart)) + ",\"pend\":" + q(hex(e.pend)) + ",\"loads\":[";
    for (let i = 0; i < e.loads.length; i++) {
      const l = e.loads[i];
      s += (i > 0 ? "," : "") + "{\"offset\":" + q(hex(l.offset)) + ",\"vaddr\":" + q(hex(l.vaddr)) + ",\"paddr\":" + q(hex(l.paddr)) +
        ",\"filesz\":" + q(hex(l.fileSize)) + ",\"memsz\":" + q(hex(l.memSize)) + ",\"flags\":" + l.flags.toString() + "}";
    }
    s += "],\"noteSegments\":" + e.noteSegments.length.toString() + ",\"noteSections\":" + e.noteSections.length.toString() +
      ",\"xenGuest\":" + (e.xenGuest != null ? "true" : "false");
    const x = xenParams(e, width == 64);
    s += ",\"xen\":{\"error\":" + q(x.error) + ",\"source\":" + q(x.source) + ",\"guestOs\":" + q(x.guestOs) +
      ",\"xenVersion\":" + q(x.xenVersion) + ",\"loader\":" + q(x.loader) + ",\"paeMode\":" + q(x.paeMode) +
      ",\"features\":" + q(x.features) + ",\"featuresRequired\":" + x.featuresRequired.toString() +
      ",\"virtBase\":" + q(hex(x.virtBase)) + ",\"paddrOffset\":" + q(hex(x.paddrOffset)) + ",\"entry\":" + q(hex(x.entry)) +
      ",\"hypercallPage\":" + (x.hasHypercallPage() ? q(hex(x.hypercallPage)) : "null") +
      ",\"initP2m\":" + (x.hasInitP2m() ? q(hex(x.initP2m)) : "null") + ",\"modStartPfn\":" + (x.modStartPfn ? "true" : "false") +
      ",\"virtKstart\":" + q(hex(x.virtKstart)) + ",\"virtKend\":" + q(hex(x.virtKend)) + "}";
  }
  return s + "}";
}

export function bzimage(p: usize, len: u64): string {
  const b = parseBzImage(p, len);
  return "{\"error\":" + q(b.error) + ",\"protocol\":" + b.protocol.toString() + ",\"setupSects\":" + b.setupSects.toString() +
    ",\"payloadOffset\":" + b.payloadOffset.toString() + ",\"payloadLength\":" + b.payloadLength.toString() +
    ",\"initSize\":" + b.initSize.toString() + "}";
}

// A kernel file as `boot` reads it, unpacked (src/loader/kernel.ts) for a domain of width 64/32.
export function kernel(p: usize, len: u64, width: u32): string {
  const k = unpackKernel(p, len, 1 << 30, width == 64);
  let s = "{\"error\":" + q(k.error) + ",\"container\":" + q(k.container) + ",\"compression\":" + q(k.compression) +
    ",\"elfSize\":" + k.elfSize.toString() + ",\"describe\":" + q(k.describe());
  if (k.xen != null) s += ",\"entry\":" + q(hex(k.xen!.entry)) + ",\"virtBase\":" + q(hex(k.xen!.virtBase)) + ",\"guestOs\":" + q(k.xen!.guestOs);
  return s + "}";
}
