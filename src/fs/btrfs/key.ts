// btrfs keys (struct btrfs_disk_key: objectid u64, type u8, offset u64, little-endian, 17
// bytes) and their order: by objectid, then type, then offset.

export function keyCmp(p: usize, oid: u64, type: u8, off: u64): i32 {
  const a = load<u64>(p);
  if (a != oid) return a < oid ? -1 : 1;
  const t = load<u8>(p + 8);
  if (t != type) return t < type ? -1 : 1;
  const o = load<u64>(p + 9);
  if (o != off) return o < off ? -1 : 1;
  return 0;
}

export function keyCmpAt(p: usize, q: usize): i32 {
  return keyCmp(p, load<u64>(q), load<u8>(q + 8), load<u64>(q + 9));
}

export function keyString(oid: u64, type: u8, off: u64): string {
  return "(" + oid.toString() + " " + type.toString() + " " + off.toString() + ")";
}
