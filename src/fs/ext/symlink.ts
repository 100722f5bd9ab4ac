// Symlink targets: "fast" ones (shorter than 60 bytes) live in i_block, inline_data ones in
// i_block and system.data, the rest in a data block like file contents.

import { Volume } from "./volume";
import { Inode } from "./inode";
import { readData } from "./file";
import { I_BLOCK_SIZE, SYMLINK_MAX, FL_ENCRYPT } from "./layout";

// The target's bytes into vol.linkBuf; their count, or -1 and vol.error.
export function readLinkBytes(vol: Volume, node: Inode): i32 {
  const size = node.size;
  if (!node.isSymlink) {
    vol.fail("inode " + node.ino.toString() + " is not a symlink");
    return -1;
  }
  if ((node.flags & FL_ENCRYPT) != 0) {
    vol.fail("symlink inode " + node.ino.toString() + " is encrypted (encrypt feature)");
    return -1;
  }
  if (size == 0 || size >= <u64>SYMLINK_MAX) {
    vol.fail("inode " + node.ino.toString() + ": symlink target of " + size.toString() + " bytes (1 to " + (SYMLINK_MAX - 1).toString() + ")");
    return -1;
  }
  const n = <u32>size;
  if (!node.hasInlineData && n < I_BLOCK_SIZE) {
    memory.copy(vol.linkBuf, node.iblock, n);
  } else {
    const err = readData(vol, node, 0, n, vol.linkBuf);
    if (err != null) {
      vol.error = err;
      return -1;
    }
  }
  // A target ends at its first NUL, as the C string it is.
  let len: u32 = 0;
  while (len < n && load<u8>(vol.linkBuf + len) != 0) len++;
  if (len == 0) {
    vol.fail("inode " + node.ino.toString() + ": empty symlink target");
    return -1;
  }
  return <i32>len;
}
