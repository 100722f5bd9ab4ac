// MD5 (RFC 1321), integer-only: what GRUB's `password --md5` crypt strings are built on
// (src/ui/password.ts). Incremental, so md5-crypt can feed it piece by piece.

// The per-round shift amounts and the sines table T[i] = floor(2^32 * |sin(i + 1)|).
const S: StaticArray<u8> = [7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
  5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
  4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
  6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21];

const T: StaticArray<u32> = [
  0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
  0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
  0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
  0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
  0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
  0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
  0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
  0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391];

export class Md5 {
  private a: u32 = 0x67452301;
  private b: u32 = 0xefcdab89;
  private c: u32 = 0x98badcfe;
  private d: u32 = 0x10325476;
  private block: StaticArray<u8> = new StaticArray<u8>(64);
  private used: i32 = 0; // bytes waiting in `block`
  private total: u64 = 0; // bytes fed so far

  updateByte(v: u8): Md5 {
    unchecked((this.block[this.used] = v));
    this.used++;
    this.total++;
    if (this.used == 64) {
      this.compress();
      this.used = 0;
    }
    return this;
  }

  update(bytes: Uint8Array): Md5 {
    for (let i = 0; i < bytes.length; i++) this.updateByte(bytes[i]);
    return this;
  }

  // The string's characters as bytes (ASCII; a password or a salt).
  updateStr(s: string): Md5 {
    for (let i = 0; i < s.length; i++) this.updateByte(<u8>s.charCodeAt(i));
    return this;
  }

  // The 16-byte digest; the object must not be fed afterwards.
  digest(): Uint8Array {
    const bits = this.total << 3;
    this.updateByte(0x80);
    while (this.used != 56) this.updateByte(0);
    for (let i = 0; i < 8; i++) this.updateByte(<u8>(bits >> (<u64>i * 8)));
    const out = new Uint8Array(16);
    const words: StaticArray<u32> = [this.a, this.b, this.c, this.d];
    for (let i = 0; i < 16; i++) out[i] = <u8>(words[i >> 2] >> (<u32>(i & 3) * 8));
    return out;
  }

  private compress(): void {
    const x = new StaticArray<u32>(16);
    for (let i = 0; i < 16; i++) {
      const p = i * 4;
      x[i] = <u32>this.block[p] | (<u32>this.block[p + 1] << 8) | (<u32>this.block[p + 2] << 16) | (<u32>this.block[p + 3] << 24);
    }
    let a = this.a, b = this.b, c = this.c, d = this.d;
    for (let i = 0; i < 64; i++) {
      let f: u32;
      let g: i32;
      if (i < 16) {
        f = (b & c) | (~b & d);
        g = i;
      } else if (i < 32) {
        f = (d & b) | (~d & c);
        g = (5 * i + 1) & 15;
      } else if (i < 48) {
        f = b ^ c ^ d;
        g = (3 * i + 5) & 15;
      } else {
        f = c ^ (b | ~d);
        g = (7 * i) & 15;
      }
      const t = d;
      d = c;
      c = b;
      b = b + rotl<u32>(a + f + T[i] + x[g], <u32>S[i]);
      a = t;
    }
    this.a += a;
    this.b += b;
    this.c += c;
    this.d += d;
  }
}

export function md5(bytes: Uint8Array): Uint8Array {
  return new Md5().update(bytes).digest();
}

export function md5Hex(bytes: Uint8Array): string {
  const d = md5(bytes);
  let s = "";
  for (let i = 0; i < 16; i++) {
    const v = <i32>d[i];
    s += String.fromCharCode(hexDigit(v >> 4)) + String.fromCharCode(hexDigit(v & 15));
  }
  return s;
}

function hexDigit(v: i32): i32 {
  return v < 10 ? 0x30 + v : 0x57 + v;
}
