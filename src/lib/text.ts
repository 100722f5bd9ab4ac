// A byte buffer for building console lines: ASCII text and integers, no floats.

export class Text {
  buf: usize;
  len: u32 = 0;
  cap: u32;

  constructor(cap: u32 = 256) {
    this.cap = cap;
    this.buf = heap.alloc(cap);
  }

  ch(c: u32): Text {
    if (this.len == this.cap) this.grow();
    store<u8>(this.buf + this.len, <u8>c);
    this.len++;
    return this;
  }

  // Characters outside ASCII are written as '?': the console is a byte stream.
  str(s: string): Text {
    for (let i = 0; i < s.length; i++) {
      const c = <u32>s.charCodeAt(i);
      this.ch(c < 0x80 ? c : 0x3f);
    }
    return this;
  }

  bytes(p: usize, n: u32): Text {
    for (let i: u32 = 0; i < n; i++) this.ch(load<u8>(p + i));
    return this;
  }

  text(t: Text): Text {
    return this.bytes(t.buf, t.len);
  }

  // NUL-terminated string of at most `max` bytes.
  cstr(p: usize, max: u32): Text {
    for (let i: u32 = 0; i < max; i++) {
      const c = load<u8>(p + i);
      if (c == 0) break;
      this.ch(c);
    }
    return this;
  }

  u(n: u64): Text {
    if (n >= 10) this.u(n / 10);
    return this.ch(<u32>(n % 10) + 0x30);
  }

  i(n: i64): Text {
    if (n < 0) {
      this.ch(0x2d);
      return this.u(<u64>(-n));
    }
    return this.u(<u64>n);
  }

  // "0x" and at least `digits` hex digits.
  hex(n: u64, digits: u32 = 1): Text {
    this.str("0x");
    let width: u32 = 1;
    while (width < 16 && (n >> (<u64>width * 4)) != 0) width++;
    if (width < digits) width = digits;
    for (let d = <i32>width - 1; d >= 0; d--) {
      const v = <u32>((n >> (<u64>d * 4)) & 0xf);
      this.ch(v < 10 ? v + 0x30 : v + 0x57);
    }
    return this;
  }

  clear(): Text {
    this.len = 0;
    return this;
  }

  private grow(): void {
    const bigger = heap.alloc(this.cap * 2);
    memory.copy(bigger, this.buf, this.len);
    this.buf = bigger;
    this.cap *= 2;
  }
}
