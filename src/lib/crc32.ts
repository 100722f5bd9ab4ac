// CRC-32 (IEEE 802.3, reflected, poly 0xEDB88320): GPT headers and entry arrays.

let table: usize = 0;

function makeTable(): usize {
  const t = heap.alloc(256 * 4);
  for (let n: u32 = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    store<u32>(t + n * 4, c);
  }
  return t;
}

export function crc32(p: usize, len: u32, seed: u32 = 0): u32 {
  if (table == 0) table = makeTable();
  let c = ~seed;
  for (let i: u32 = 0; i < len; i++) c = load<u32>(table + ((c ^ load<u8>(p + i)) & 0xff) * 4) ^ (c >>> 8);
  return ~c;
}
