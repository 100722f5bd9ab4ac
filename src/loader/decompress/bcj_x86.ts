// The x86 BCJ filter's decoder (xz filter 0x04): compressors turn the 32-bit relative
// targets of CALL (E8) and JMP (E9) into absolute ones, which repeat more and so compress
// better; this turns them back. It runs over a whole block's output at once (the block is
// in memory), which gives the same result as the streaming decoders' piecewise calls.
//
// What counts as a converted instruction follows the filter's definition: an E8/E9 byte
// whose operand's top byte is 00 or FF, judged together with the E8/E9 bytes seen in the
// three bytes before it (a bit mask of them), because those could be operand bytes of an
// earlier instruction rather than opcodes.

// For each mask of recent E8/E9 positions: whether an instruction may still follow, and
// which operand byte (counting from the top) must then be checked.
const ALLOWED: usize = memory.data<u8>([1, 1, 1, 0, 1, 0, 0, 0]);
const BYTE_OF: usize = memory.data<u8>([0, 1, 2, 2, 3, 3, 3, 3]);

// @ts-ignore: decorator
@inline function edge(b: u32): bool {
  return b == 0 || b == 0xff;
}

// Decode n bytes at buf in place; `start` is the filter's start offset (the position the
// first byte had in the encoder's view, 0 unless the filter properties say otherwise).
export function bcjX86Decode(buf: usize, n: usize, start: u32): void {
  if (n < 5) return;
  const lim = n - 4;
  let mask: u32 = 0;
  let prev: usize = 0; // position of the last E8/E9 seen
  let seen = false;
  for (let i: usize = 0; i < lim; i++) {
    // To the next E8/E9 byte, eight bytes a step while all eight lie below lim (nothing of the
    // state changes in between): a byte of x is zero where the byte is E8 or E9, and the lowest
    // set bit of z marks the first such byte (the bits above it may be wrong, that one is not).
    while (i + 8 <= lim) {
      const x = (load<u64>(buf + i) ^ 0xe8e8e8e8e8e8e8e8) & 0xfefefefefefefefe;
      const z = (x - 0x0101010101010101) & ~x & 0x8080808080808080;
      if (z != 0) {
        i += <usize>(ctz(z) >> 3);
        break;
      }
      i += 8;
    }
    if ((<u32>load<u8>(buf + i) & 0xfe) != 0xe8) continue;
    const d = seen ? i - prev : 4;
    seen = true;
    if (d > 3) {
      mask = 0;
    } else {
      mask = (mask << <u32>(d - 1)) & 7;
      if (mask != 0) {
        const t = <u32>load<u8>(buf + i + 4 - <usize>load<u8>(BYTE_OF + mask));
        if (load<u8>(ALLOWED + mask) == 0 || edge(t)) {
          prev = i;
          mask = (mask << 1) | 1;
          continue;
        }
      }
    }
    prev = i;
    if (edge(<u32>load<u8>(buf + i + 4))) {
      let v = load<u32>(buf + i + 1);
      let dest: u32 = 0;
      for (let k = 0; k < 8; k++) {
        dest = v - (start + <u32>i + 5);
        if (mask == 0) break;
        const j = <u32>load<u8>(BYTE_OF + mask) << 3;
        if (!edge((dest >>> (24 - j)) & 0xff)) break;
        v = dest ^ ((<u32>1 << (32 - j)) - 1);
      }
      dest &= 0x01ffffff;
      dest |= 0 - (dest & 0x01000000);
      store<u32>(buf + i + 1, dest);
      i += 4;
    } else {
      mask = (mask << 1) | 1;
    }
  }
}
