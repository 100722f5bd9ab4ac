// Extended attributes stored in the inode body (after i_extra_isize). The reader needs only
// one: "system.data", the part of an inline_data file or directory beyond i_block.
//
// Layout: a 4-byte magic, then entries (16 bytes + name, rounded up to 4) ending with 4 zero
// bytes; each entry's value sits at e_value_offs counted from the first entry.

import { Volume } from "./volume";
import { Inode } from "./inode";
import { XATTR_MAGIC, XATTR_ENTRY_SIZE } from "./layout";

export class XattrValue {
  ptr: usize = 0; // inside the inode's private copy
  len: u32 = 0;
  found: bool = false;
}

// Find attribute (index, name: nameLen bytes at namePtr; `label` for messages) in the inode
// body. false and vol.error if the attribute area is damaged; true with out.found false if
// it is simply not there.
export function findInodeXattr(vol: Volume, node: Inode, index: u8, namePtr: usize, nameLen: u32, label: string, out: XattrValue): bool {
  out.found = false;
  out.ptr = 0;
  out.len = 0;
  if (node.xattrStart == 0) return true;
  const inodeSize = vol.sb.inodeSize;
  const base = node.raw;
  if (load<u32>(base + node.xattrStart) != XATTR_MAGIC) return true;
  const first: u32 = node.xattrStart + 4; // entries and values are counted from here
  const areaLen: u32 = inodeSize - first;
  let off: u32 = 0;
  // Each entry takes at least 16 bytes of a bounded area: the walk ends.
  while (off + 4 <= areaLen) {
    const e = base + first + off;
    if (load<u32>(e) == 0) return true; // the end marker
    if (off + XATTR_ENTRY_SIZE > areaLen) return vol.failed("inode " + node.ino.toString() + ": in-inode extended attribute entry at " + (first + off).toString() + " runs past the inode");
    const eNameLen = <u32>load<u8>(e);
    const eIndex = load<u8>(e + 1);
    const valueOffs = <u32>load<u16>(e + 2);
    const valueInum = load<u32>(e + 4);
    const valueSize = load<u32>(e + 8);
    const entryLen = (XATTR_ENTRY_SIZE + eNameLen + 3) & ~3;
    if (off + entryLen > areaLen) return vol.failed("inode " + node.ino.toString() + ": in-inode extended attribute name at " + (first + off).toString() + " runs past the inode");
    if (eIndex == index && eNameLen == nameLen && memory.compare(e + XATTR_ENTRY_SIZE, namePtr, nameLen) == 0) {
      if (valueInum != 0) return vol.failed("inode " + node.ino.toString() + ": extended attribute " + label + " is stored in inode " + valueInum.toString() + " (not supported for this attribute)");
      if (valueSize > areaLen || valueOffs > areaLen - valueSize) {
        return vol.failed("inode " + node.ino.toString() + ": extended attribute " + label + " value (" + valueSize.toString() + " bytes at " + valueOffs.toString() + ") runs past the inode");
      }
      out.ptr = base + first + valueOffs;
      out.len = valueSize;
      out.found = true;
      return true;
    }
    off += entryLen;
  }
  return true;
}
