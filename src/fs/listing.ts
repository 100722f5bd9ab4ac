// One line of a directory listing, as `pvboot ls` and grubdom's `ls` print it:
// "drwxr-xr-x         4096 boot/", symlinks with " -> TARGET".

import { Text } from "../lib/text";
import { FileSystem, FileType, FsStat } from "./fs";

function modeString(st: FsStat): string {
  const types = "?-dcbpsl";
  let s = types.charAt(<i32>st.type <= 7 ? <i32>st.type : 0);
  const rwx = "rwx";
  for (let bit = 8; bit >= 0; bit--) s += (<u32>st.mode & (<u32>1 << <u32>bit)) != 0 ? rwx.charAt(2 - bit % 3) : "-";
  return s;
}

// `indent` before the line, `eol` after it ("\n" for tool mode, "\r\n" on the console).
export function lsLine(t: Text, fs: FileSystem, st: FsStat, name: string, indent: string, eol: string): void {
  t.str(indent).str(modeString(st)).str(" ");
  const size = st.size.toString();
  for (let i = size.length; i < 12; i++) t.ch(0x20);
  t.str(size).str(" ").str(name);
  if (st.type == FileType.Dir) t.str("/");
  if (st.type == FileType.Symlink) {
    const l = fs.readLink(st.ino);
    t.str(" -> ").str(l.error == null ? l.target : "?");
  }
  t.str(eol);
}
