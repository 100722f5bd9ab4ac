// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), table-driven (slice-by-8), integer only.
//
// Two forms, because formats disagree on the pre- and post-inversion:
//   crc32c(p, n)               the standard checksum (init ~0, final ~): "123456789" -> 0xE3069283
//   crc32cUpdate(crc, p, n)    the raw register update, no inversion: what ext4's metadata
//                              checksums chain (they start from ~0 or a seed and store the
//                              register as is).

const POLY: u32 = 0x82f63b78;

// Eight tables of 256 entries, built on first use: table 0 is the byte-at-a-time table; table k gives a byte's effect k bytes further
// on, so the update takes 8 bytes a step ("slice-by-8"), several times faster than one a step
// on the bulk of btrfs data checksums.
// The tables live at a fixed address (static data), so each lookup's table offset is the
// load's constant offset rather than an add.
const TABLES: usize = memory.data(8 * 256 * 4, 16);
let built = false;

function crcTable(): usize {
  if (built) return TABLES;
  const t = TABLES;
  for (let i: u32 = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = (c & 1) != 0 ? (c >>> 1) ^ POLY : c >>> 1;
    store<u32>(t + (<usize>i << 2), c);
  }
  for (let k: usize = 1; k < 8; k++) {
    for (let i: usize = 0; i < 256; i++) {
      const prev = load<u32>(t + ((k - 1) << 10) + (i << 2));
      store<u32>(t + (k << 10) + (i << 2), (prev >>> 8) ^ load<u32>(t + (<usize>(prev & 0xff) << 2)));
    }
  }
  built = true;
  return t;
}

// Run the register over n bytes at p: 8 bytes a step (one little-endian u64), then the
// rest one at a time.
export function crc32cUpdate(crc: u32, p: usize, n: usize): u32 {
  const t = crcTable();
  let c = crc;
  let i: usize = 0;
  for (; i + 8 <= n; i += 8) {
    const w = load<u64>(p + i);
    const lo = <u32>w ^ c;
    const hi = <u32>(w >>> 32);
    c = load<u32>(<usize>(lo & 0xff) << 2, TABLES + (7 << 10)) ^
      load<u32>(<usize>((lo >>> 8) & 0xff) << 2, TABLES + (6 << 10)) ^
      load<u32>(<usize>((lo >>> 16) & 0xff) << 2, TABLES + (5 << 10)) ^
      load<u32>(<usize>(lo >>> 24) << 2, TABLES + (4 << 10)) ^
      load<u32>(<usize>(hi & 0xff) << 2, TABLES + (3 << 10)) ^
      load<u32>(<usize>((hi >>> 8) & 0xff) << 2, TABLES + (2 << 10)) ^
      load<u32>(<usize>((hi >>> 16) & 0xff) << 2, TABLES + (1 << 10)) ^
      load<u32>(<usize>(hi >>> 24) << 2, TABLES);
  }
  for (; i < n; i++) {
    c = load<u32>(t + (<usize>((c ^ <u32>load<u8>(p + i)) & 0xff) << 2)) ^ (c >>> 8);
  }
  return c;
}

// The register over the 4 little-endian bytes of v (ext4 salts checksums with inode and
// group numbers this way).
export function crc32cU32(crc: u32, v: u32): u32 {
  const t = crcTable();
  let c = crc;
  for (let i: u32 = 0; i < 4; i++) {
    c = load<u32>(t + (<usize>((c ^ (v >>> (i * 8))) & 0xff) << 2)) ^ (c >>> 8);
  }
  return c;
}

// The standard CRC-32C of n bytes at p.
export function crc32c(p: usize, n: usize): u32 {
  return ~crc32cUpdate(0xffffffff, p, n);
}
