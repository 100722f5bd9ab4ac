// Small formatting helpers for messages: integers only, no floats.

// "0x" and at least `digits` lowercase hex digits.
export function hex(n: u64, digits: i32 = 1): string {
  let s = "";
  let v = n;
  do {
    const d = <u32>(v & 0xf);
    s = String.fromCharCode(d < 10 ? 0x30 + d : 0x57 + d) + s;
    v >>= 4;
  } while (v != 0);
  while (s.length < digits) s = "0" + s;
  return "0x" + s;
}

// Bytes as text for messages: printable ASCII kept, anything else as \xNN.
export function printable(p: usize, n: u32): string {
  let s = "";
  for (let i: u32 = 0; i < n; i++) {
    const c = <u32>load<u8>(p + i);
    if (c >= 0x20 && c < 0x7f && c != 0x5c) s += String.fromCharCode(c);
    else s += "\\x" + hex(c, 2).substr(2);
  }
  return s;
}

// A byte string from disk as an AssemblyScript string: UTF-8 decoded (the decoder never
// traps; invalid sequences come out as some other character, never read past n).
export function nameString(p: usize, n: u32): string {
  return String.UTF8.decodeUnsafe(p, n, false);
}
