// Where a decompressor writes: one buffer that grows as the output does, up to a limit (what
// the domain can hold). The stub allocator extends its newest block in place, so growing the
// buffer while nothing else is allocated costs no copy.

export class OutBuf {
  ptr: usize = 0;
  len: usize = 0;
  cap: usize = 0;
  limit: usize;

  constructor(initial: usize, limit: usize) {
    this.limit = limit;
    const n: usize = initial < 4096 ? 4096 : initial;
    this.cap = n < limit ? n : limit;
    this.ptr = heap.alloc(this.cap);
  }

  // Room for n more bytes; false when the output would pass the limit.
  reserve(n: usize): bool {
    if (this.len + n <= this.cap) return true;
    if (n > this.limit - this.len) return false;
    let want = this.cap;
    while (want < this.len + n) want = want > (this.limit >> 1) ? this.limit : want << 1;
    this.ptr = heap.realloc(this.ptr, want);
    this.cap = want;
    return true;
  }

  byte(b: u32): bool {
    if (this.len == this.cap && !this.reserve(1)) return false;
    store<u8>(this.ptr + this.len, <u8>b);
    this.len++;
    return true;
  }

  append(p: usize, n: usize): bool {
    if (!this.reserve(n)) return false;
    memory.copy(this.ptr + this.len, p, n);
    this.len += n;
    return true;
  }

  // An LZ77 back-reference: n bytes from `dist` bytes back, overlapping allowed (dist 1
  // repeats the last byte). False when dist reaches before the start or the limit is hit.
  match(dist: usize, n: usize): bool {
    if (dist == 0 || dist > this.len) return false;
    if (!this.reserve(n)) return false;
    let d = this.ptr + this.len;
    let s = d - dist;
    if (dist >= n) {
      memory.copy(d, s, n);
    } else {
      for (let i: usize = 0; i < n; i++) store<u8>(d + i, load<u8>(s + i));
    }
    this.len += n;
    return true;
  }
}

// A decompressor's result: the bytes, or what was wrong and where ("xz: block 2 at byte
// 81234: bad LZMA2 chunk header").
export class Decompressed {
  ptr: usize = 0;
  len: usize = 0;
  error: string | null = null;
}
