// CRC-16 (the reflected polynomial 0xA001, as in "CRC-16/ARC"), integer only: the
// checksum of group descriptors on filesystems with uninit_bg (gdt_csum) but not
// metadata_csum. Raw register update; callers start from 0xffff.

let table: usize = 0;

function crc16Table(): usize {
  if (table != 0) return table;
  const t = heap.alloc(256 * 2);
  for (let i: u32 = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = (c & 1) != 0 ? (c >>> 1) ^ 0xa001 : c >>> 1;
    store<u16>(t + (<usize>i << 1), <u16>c);
  }
  table = t;
  return t;
}

export function crc16Update(crc: u32, p: usize, n: usize): u32 {
  const t = crc16Table();
  let c = crc & 0xffff;
  for (let i: usize = 0; i < n; i++) {
    c = <u32>load<u16>(t + (<usize>((c ^ <u32>load<u8>(p + i)) & 0xff) << 1)) ^ (c >>> 8);
  }
  return c;
}

export function crc16U32(crc: u32, v: u32): u32 {
  const t = crc16Table();
  let c = crc & 0xffff;
  for (let i: u32 = 0; i < 4; i++) {
    c = <u32>load<u16>(t + (<usize>((c ^ (v >>> (i * 8))) & 0xff) << 1)) ^ (c >>> 8);
  }
  return c;
}
