// Linux's bzImage (x86 boot protocol 2.08 and later): a real-mode setup part, then the
// protected-mode part, which carries the compressed kernel ("payload") that a PV domain
// builder unpacks instead of running the decompressor stub.

import { hex, inside } from "./elf";

export class BzImage {
  protocol: u16 = 0; // 0x020f for boot protocol 2.15
  setupSects: u32 = 0;
  payloadOffset: u64 = 0; // in the file
  payloadLength: u64 = 0;
  initSize: u32 = 0; // the memory the kernel needs while it unpacks (protocol 2.10+)
  error: string | null = null;
}

export function isBzImage(p: usize, len: u64): bool {
  return len >= 0x250 && load<u32>(p + 0x202) == 0x53726448; // "HdrS"
}

export function parseBzImage(p: usize, len: u64): BzImage {
  const b = new BzImage();
  if (!isBzImage(p, len)) {
    b.error = "no Linux setup header (\"HdrS\" at 0x202)";
    return b;
  }
  b.protocol = load<u16>(p + 0x206);
  if (b.protocol < 0x208) {
    b.error = "Linux boot protocol " + (b.protocol >> 8).toString() + "." + (b.protocol & 0xff).toString() +
      " is older than 2.08: its kernel has no payload a PV loader can find";
    return b;
  }
  b.setupSects = load<u8>(p + 0x1f1);
  if (b.setupSects == 0) b.setupSects = 4;
  const pm = <u64>(b.setupSects + 1) * 512; // start of the protected-mode code
  b.payloadOffset = pm + <u64>load<u32>(p + 0x248);
  b.payloadLength = load<u32>(p + 0x24c);
  if (b.protocol >= 0x20a) b.initSize = load<u32>(p + 0x260);
  if (b.payloadLength == 0 || !inside(b.payloadOffset, b.payloadLength, len)) {
    b.error = "payload " + hex(b.payloadOffset) + " + " + hex(b.payloadLength) + " lies outside the " + len.toString() + "-byte file";
  }
  return b;
}
