// Integrity checks the decompressors verify: CRC-32 (gzip members, xz headers/blocks/index)
// and CRC-64 (xz blocks). The tables live in static memory, not on the heap: a decompressor
// allocating anything while it writes would stop the output buffer (the newest heap block)
// from growing in place. CRC-32 runs eight bytes a step (eight tables, each byte's
// contribution after 0..7 further zero bytes); CRC-64 a byte a step.

const CRC32_TABLES: usize = memory.data(8 * 256 * 4, 16);
const CRC64_TABLE: usize = memory.data(256 * 8, 16);
let crc32Ready = false;
let crc64Ready = false;

function crc32Init(): void {
  for (let n: u32 = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    store<u32>(CRC32_TABLES + (<usize>n << 2), c);
  }
  for (let t: usize = 1; t < 8; t++) {
    for (let n: usize = 0; n < 256; n++) {
      const prev = load<u32>(CRC32_TABLES + ((t - 1) << 10) + (n << 2));
      store<u32>(CRC32_TABLES + (t << 10) + (n << 2), load<u32>(CRC32_TABLES + ((<usize>prev & 0xff) << 2)) ^ (prev >>> 8));
    }
  }
  crc32Ready = true;
}

// CRC-32 (IEEE, reflected, as gzip and xz use it) of len bytes at p, continuing from `crc`
// (0 to start).
export function crc32Update(crc: u32, p: usize, len: usize): u32 {
  if (!crc32Ready) crc32Init();
  const T = CRC32_TABLES;
  let c = ~crc;
  const end = p + len;
  while (p < end && (p & 7) != 0) {
    c = load<u32>(T + (<usize>((c ^ load<u8>(p)) & 0xff) << 2)) ^ (c >>> 8);
    p++;
  }
  while (end - p >= 8) {
    const a = c ^ load<u32>(p);
    const b = load<u32>(p, 4);
    c = load<u32>(T + 7 * 1024 + (<usize>(a & 0xff) << 2)) ^
      load<u32>(T + 6 * 1024 + (<usize>((a >>> 8) & 0xff) << 2)) ^
      load<u32>(T + 5 * 1024 + (<usize>((a >>> 16) & 0xff) << 2)) ^
      load<u32>(T + 4 * 1024 + (<usize>(a >>> 24) << 2)) ^
      load<u32>(T + 3 * 1024 + (<usize>(b & 0xff) << 2)) ^
      load<u32>(T + 2 * 1024 + (<usize>((b >>> 8) & 0xff) << 2)) ^
      load<u32>(T + 1 * 1024 + (<usize>((b >>> 16) & 0xff) << 2)) ^
      load<u32>(T + (<usize>(b >>> 24) << 2));
    p += 8;
  }
  while (p < end) {
    c = load<u32>(T + (<usize>((c ^ load<u8>(p)) & 0xff) << 2)) ^ (c >>> 8);
    p++;
  }
  return ~c;
}

function crc64Init(): void {
  for (let n: u64 = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xc96c5795d7870f42 ^ (c >>> 1) : c >>> 1;
    store<u64>(CRC64_TABLE + (<usize>n << 3), c);
  }
  crc64Ready = true;
}

// CRC-64 (ECMA-182 polynomial, reflected, as xz uses it), continuing from `crc`.
export function crc64Update(crc: u64, p: usize, len: usize): u64 {
  if (!crc64Ready) crc64Init();
  let c = ~crc;
  const end = p + len;
  while (p < end) {
    c = load<u64>(CRC64_TABLE + (<usize>((<u32>c ^ load<u8>(p)) & 0xff) << 3)) ^ (c >>> 8);
    p++;
  }
  return ~c;
}

// SHA-256 (FIPS 180-4), for xz blocks with check type 10: the digest of len bytes at p is
// written to the 32 bytes at digest.
const SHA_K: usize = memory.data<u32>([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const SHA_H0: usize = memory.data<u32>([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
const shaW: usize = memory.data(64 * 4, 16);
const shaTail: usize = memory.data(128, 16);

function shaBlock(h: usize, p: usize): void {
  for (let i: usize = 0; i < 16; i++) store<u32>(shaW + (i << 2), bswap<u32>(load<u32>(p + (i << 2))));
  for (let i: usize = 16; i < 64; i++) {
    const a = load<u32>(shaW + ((i - 15) << 2));
    const b = load<u32>(shaW + ((i - 2) << 2));
    const s0 = rotr<u32>(a, 7) ^ rotr<u32>(a, 18) ^ (a >>> 3);
    const s1 = rotr<u32>(b, 17) ^ rotr<u32>(b, 19) ^ (b >>> 10);
    store<u32>(shaW + (i << 2), load<u32>(shaW + ((i - 16) << 2)) + s0 + load<u32>(shaW + ((i - 7) << 2)) + s1);
  }
  let a = load<u32>(h), b = load<u32>(h, 4), c = load<u32>(h, 8), d = load<u32>(h, 12);
  let e = load<u32>(h, 16), f = load<u32>(h, 20), g = load<u32>(h, 24), k = load<u32>(h, 28);
  for (let i: usize = 0; i < 64; i++) {
    const t1 = k + (rotr<u32>(e, 6) ^ rotr<u32>(e, 11) ^ rotr<u32>(e, 25)) + ((e & f) ^ (~e & g)) +
      load<u32>(SHA_K + (i << 2)) + load<u32>(shaW + (i << 2));
    const t2 = (rotr<u32>(a, 2) ^ rotr<u32>(a, 13) ^ rotr<u32>(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    k = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  store<u32>(h, load<u32>(h) + a);
  store<u32>(h, load<u32>(h, 4) + b, 4);
  store<u32>(h, load<u32>(h, 8) + c, 8);
  store<u32>(h, load<u32>(h, 12) + d, 12);
  store<u32>(h, load<u32>(h, 16) + e, 16);
  store<u32>(h, load<u32>(h, 20) + f, 20);
  store<u32>(h, load<u32>(h, 24) + g, 24);
  store<u32>(h, load<u32>(h, 28) + k, 28);
}

export function sha256(p: usize, len: usize, digest: usize): void {
  memory.copy(digest, SHA_H0, 32);
  let n = len;
  while (n >= 64) {
    shaBlock(digest, p);
    p += 64;
    n -= 64;
  }
  // The tail, 0x80, zeros, and the length in bits (big endian) in one or two blocks.
  memory.fill(shaTail, 0, 128);
  memory.copy(shaTail, p, n);
  store<u8>(shaTail + n, 0x80);
  const blocks: usize = n < 56 ? 1 : 2;
  store<u64>(shaTail + blocks * 64 - 8, bswap<u64>(<u64>len << 3));
  shaBlock(digest, shaTail);
  if (blocks == 2) shaBlock(digest, shaTail + 64);
  for (let i: usize = 0; i < 8; i++) store<u32>(digest + (i << 2), bswap<u32>(load<u32>(digest + (i << 2))));
}
