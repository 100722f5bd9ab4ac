// Metadata checksums: the superblock and every tree node start with a 32-byte checksum of
// the rest of the block (from byte 0x20 on), of the type the superblock's csum_type names:
// crc32c (4 bytes, little-endian), xxhash64 (8 bytes, seed 0), sha256 or blake2b-256 (32).

import { crc32c } from "../../lib/crc32c";
import { xxh64 } from "../../loader/decompress/zstd";
import { sha256 } from "../../loader/decompress/checks";
import { blake2b256 } from "./blake2b";
import { CSUM_CRC32C, CSUM_XXHASH, CSUM_SHA256, CSUM_BLAKE2 } from "./layout";

const digest: usize = memory.data(32, 8);

export function csumName(type: u16): string {
  if (type == CSUM_CRC32C) return "crc32c";
  if (type == CSUM_XXHASH) return "xxhash64";
  if (type == CSUM_SHA256) return "sha256";
  if (type == CSUM_BLAKE2) return "blake2b";
  return "unknown (" + type.toString() + ")";
}

export function csumKnown(type: u16): bool {
  return type <= CSUM_BLAKE2;
}

// Bytes of the digest that are stored.
export function csumSize(type: u16): u32 {
  if (type == CSUM_CRC32C) return 4;
  if (type == CSUM_XXHASH) return 8;
  return 32;
}

// The checksum of n bytes at p (into a static 32-byte buffer, which is returned).
export function computeCsum(type: u16, p: usize, n: usize): usize {
  memory.fill(digest, 0, 32);
  if (type == CSUM_CRC32C) store<u32>(digest, crc32c(p, n));
  else if (type == CSUM_XXHASH) store<u64>(digest, xxh64(p, n));
  else if (type == CSUM_SHA256) sha256(p, n, digest);
  else blake2b256(p, n, digest);
  return digest;
}

// Does the block of n bytes at p (checksum first) check out?
export function blockCsumOk(type: u16, p: usize, n: usize): bool {
  const d = computeCsum(type, p + 0x20, n - 0x20);
  return memory.compare(d, p, csumSize(type)) == 0;
}

// For messages: the first bytes of a checksum as hex.
export function csumHex(type: u16, p: usize): string {
  const k = csumSize(type) < 8 ? csumSize(type) : 8;
  let s = "";
  for (let i: u32 = 0; i < k; i++) {
    const b = <u32>load<u8>(p + i);
    s += (b < 16 ? "0" : "") + b.toString(16);
  }
  return s + (csumSize(type) > 8 ? "..." : "");
}
