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
