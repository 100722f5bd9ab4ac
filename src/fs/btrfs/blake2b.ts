// BLAKE2b (RFC 7693) with a 32-byte digest and no key: btrfs's "blake2" checksum (the
// superblock's csum_type 3) is BLAKE2b-256 of the checksummed bytes. Integer only.

const IV: StaticArray<u64> = [
  0x6a09e667f3bcc908, 0xbb67ae8584caa73b, 0x3c6ef372fe94f82b, 0xa54ff53a5f1d36f1,
  0x510e527fade682d1, 0x9b05688c2b3e6c1f, 0x1f83d9abfb41bd6b, 0x5be0cd19137e2179,
];

// The message schedule of the 12 rounds (rounds 10 and 11 repeat 0 and 1).
const SIGMA: StaticArray<u8> = [
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
  14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3,
  11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4,
  7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8,
  9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13,
  2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9,
  12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11,
  13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10,
  6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5,
  10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0,
];

const h = new StaticArray<u64>(8);
const v = new StaticArray<u64>(16);
const m = new StaticArray<u64>(16);
let tail: usize = 0;

// @ts-ignore: decorator
@inline function g(a: i32, b: i32, c: i32, d: i32, x: u64, y: u64): void {
  let va = unchecked(v[a]), vb = unchecked(v[b]), vc = unchecked(v[c]), vd = unchecked(v[d]);
  va = va + vb + x;
  vd = rotr<u64>(vd ^ va, 32);
  vc = vc + vd;
  vb = rotr<u64>(vb ^ vc, 24);
  va = va + vb + y;
  vd = rotr<u64>(vd ^ va, 16);
  vc = vc + vd;
  vb = rotr<u64>(vb ^ vc, 63);
  unchecked(v[a] = va);
  unchecked(v[b] = vb);
  unchecked(v[c] = vc);
  unchecked(v[d] = vd);
}

function compress(block: usize, t: u64, last: bool): void {
  for (let i = 0; i < 16; i++) unchecked(m[i] = load<u64>(block + (<usize>i << 3)));
  for (let i = 0; i < 8; i++) {
    unchecked(v[i] = h[i]);
    unchecked(v[i + 8] = IV[i]);
  }
  unchecked(v[12] ^= t); // the byte counter's high half is 0 for anything this small
  if (last) unchecked(v[14] = ~v[14]);
  for (let r = 0; r < 12; r++) {
    const s = (r % 10) * 16;
    g(0, 4, 8, 12, unchecked(m[SIGMA[s + 0]]), unchecked(m[SIGMA[s + 1]]));
    g(1, 5, 9, 13, unchecked(m[SIGMA[s + 2]]), unchecked(m[SIGMA[s + 3]]));
    g(2, 6, 10, 14, unchecked(m[SIGMA[s + 4]]), unchecked(m[SIGMA[s + 5]]));
    g(3, 7, 11, 15, unchecked(m[SIGMA[s + 6]]), unchecked(m[SIGMA[s + 7]]));
    g(0, 5, 10, 15, unchecked(m[SIGMA[s + 8]]), unchecked(m[SIGMA[s + 9]]));
    g(1, 6, 11, 12, unchecked(m[SIGMA[s + 10]]), unchecked(m[SIGMA[s + 11]]));
    g(2, 7, 8, 13, unchecked(m[SIGMA[s + 12]]), unchecked(m[SIGMA[s + 13]]));
    g(3, 4, 9, 14, unchecked(m[SIGMA[s + 14]]), unchecked(m[SIGMA[s + 15]]));
  }
  for (let i = 0; i < 8; i++) unchecked(h[i] ^= v[i] ^ v[i + 8]);
}

// BLAKE2b-256 of n bytes at p into the 32 bytes at digest.
export function blake2b256(p: usize, n: usize, digest: usize): void {
  if (tail == 0) tail = heap.alloc(128);
  for (let i = 0; i < 8; i++) unchecked(h[i] = IV[i]);
  unchecked(h[0] ^= 0x01010000 ^ 32);
  let done: u64 = 0;
  while (n > 128) {
    done += 128;
    compress(p, done, false);
    p += 128;
    n -= 128;
  }
  memory.fill(tail, 0, 128);
  memory.copy(tail, p, n);
  compress(tail, done + <u64>n, true);
  for (let i = 0; i < 4; i++) store<u64>(digest + (<usize>i << 3), unchecked(h[i]));
}
