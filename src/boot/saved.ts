// Saved defaults: the only writes pvboot ever makes to a guest's disk (docs/config.md, "What
// pvboot writes"). Both rewrite bytes of a file that already exists, in the blocks it already
// has (FileSystem.writeInPlace: ext2/3/4 only, one contiguous run, checked before and after),
// never allocating and never changing its size:
//   - GRUB 0.97's `savedefault`: the `default` file beside menu.lst gets its first 10 bytes
//     replaced by the entry number in decimal, then newlines, as GRUB 0.97 wrote them; a file
//     shorter than 10 bytes is refused, as GRUB refused it.
//   - GRUB 2's `save_env`: the environment block (grubenv, normally 1024 bytes) rewritten
//     whole: the header, the variables with the named ones set or removed, '#' padding to the
//     same size. grub-mkconfig's script clears `next_entry` this way after grub-reboot.
// Writes happen only on a real boot: main.ts calls allowWrites(); tool mode (pvboot check,
// menu, ls, cat) and debug actions never write. Each write is followed by a flush of its
// disk in the teardown, before the handoff (src/boot/teardown.ts). Every outcome is one line
// on the console: what was written where, or why nothing was.

import { parseDevPath } from "../fs/devpath";
import { mountDevice } from "../fs/mounts";
import { disks } from "../drivers/blkfront";
import { console } from "../xen/console";

let allowed = false;

// A real boot: saved defaults may be written from now on.
export function allowWrites(): void {
  allowed = true;
}

export function writesAllowed(): bool {
  return allowed;
}

const DEFAULT_FILE_BYTES: u32 = 10; // what GRUB 0.97 read and rewrote of the default file
const ENV_HEADER = "# GRUB Environment Block\n";
const MAX_ENV_BYTES: u32 = 4096; // one write; grubenv is 1024 bytes

// Write `data` over the start of the file `full` ("(hd0,0)/boot/grub/default"): null, or why not.
function overwrite(full: string, data: Uint8Array): string | null {
  const dp = parseDevPath(full);
  if (dp.error != null) return dp.error;
  if (dp.disk < 0) return full + ": no device in the name";
  if (dp.disk < disks.list.length && disks.list[dp.disk].readonly) {
    const d = disks.list[dp.disk];
    return "hd" + dp.disk.toString() + " is a read-only vbd (" + (d.mode == "r" ? "mode \"r\"" : "VDISK_READONLY in info") + ")";
  }
  const m = mountDevice(dp.disk, dp.part);
  if (m.fs == null) return m.error != null ? m.error! : m.device + ": no filesystem";
  const fs = m.fs!;
  const l = fs.lookup(dp.path);
  if (l.error != null) return l.error;
  const buf = heap.alloc(<usize>data.length);
  for (let i = 0; i < data.length; i++) store<u8>(buf + <usize>i, data[i]);
  const e = fs.writeInPlace(l.ino, 0, <u32>data.length, buf);
  heap.free(buf);
  return e;
}

// The whole of a small file, or null and `lastError`.
let lastError: string = "";
function readSmall(full: string, max: u32): Uint8Array | null {
  const dp = parseDevPath(full);
  if (dp.error != null || dp.disk < 0) {
    lastError = dp.error != null ? dp.error! : full + ": no device in the name";
    return null;
  }
  const m = mountDevice(dp.disk, dp.part);
  if (m.fs == null) {
    lastError = m.error != null ? m.error! : m.device + ": no filesystem";
    return null;
  }
  const fs = m.fs!;
  const l = fs.lookup(dp.path);
  if (l.error != null) {
    lastError = l.error!;
    return null;
  }
  const st = fs.stat(l.ino);
  if (st.error != null) {
    lastError = st.error!;
    return null;
  }
  if (st.size > <u64>max) {
    lastError = full + ": " + st.size.toString() + " bytes, more than the " + max.toString() + " pvboot rewrites";
    return null;
  }
  const out = new Uint8Array(<i32>st.size);
  if (st.size > 0) {
    const e = fs.readRange(l.ino, 0, <u32>st.size, out.dataStart);
    if (e != null) {
      lastError = e;
      return null;
    }
  }
  return out;
}

// --- GRUB 0.97 ---

// The default file for a menu.lst: `default` in the same directory, as GRUB 0.97 named it.
export function defaultFileFor(configPath: string): string {
  return configPath.substring(0, configPath.lastIndexOf("/") + 1) + "default";
}

// `savedefault` (entry >= 0): the one console line saying what happened.
export function saveDefaultEntry(configPath: string, entry: i32): string {
  const where = defaultFileFor(configPath);
  const head = "savedefault: ";
  if (!allowed) return head + "not saved (pvboot writes only when it boots a guest, not in tool mode)";
  if (configPath.startsWith("(ramdisk)")) return head + "not saved: the menu came from the ramdisk, which has no default file";
  const old = readSmall(where, 1 << 20);
  if (old == null) return head + "not saved: " + lastError;
  if (<u32>old.length < DEFAULT_FILE_BYTES) {
    return head + "not saved: " + where + " is " + old.length.toString() + " bytes, shorter than the " + DEFAULT_FILE_BYTES.toString() + " GRUB 0.97 rewrites (make it with grub-set-default)";
  }
  const text = entry.toString();
  const data = new Uint8Array(<i32>DEFAULT_FILE_BYTES);
  for (let i = 0; i < data.length; i++) data[i] = i < text.length ? <u8>text.charCodeAt(i) : 0x0a;
  let same = true;
  for (let i = 0; i < data.length; i++) if (old[i] != data[i]) same = false;
  if (same) return head + "entry " + text + " is already the default in " + where;
  const e = overwrite(where, data);
  if (e != null) return head + "not saved: " + e;
  return head + "entry " + text + " saved in " + where;
}

// --- GRUB 2 ---

// grub-editenv's escaping: a backslash before a backslash or a newline.
function escapeEnv(v: string): string {
  const codes = new Array<i32>();
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c == 0x5c || c == 0x0a) codes.push(0x5c);
    codes.push(c);
  }
  return String.fromCharCodes(codes);
}

// The block's variable lines (each with its newline, escapes kept as stored) between the
// header and the '#' padding; null when the block is not one GRUB would write to.
function envLines(text: string): Array<string> | null {
  if (!text.startsWith(ENV_HEADER)) return null;
  const lines = new Array<string>();
  let i = ENV_HEADER.length;
  let start = i;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c == 0x5c) {
      i++; // the escaped character, newline included
      continue;
    }
    if (c == 0x0a) {
      lines.push(text.substring(start, i + 1));
      start = i + 1;
    }
  }
  // What follows the last line is the padding: '#' only.
  for (let k = start; k < text.length; k++) if (text.charCodeAt(k) != 0x23) return null;
  return lines;
}

// `save_env [-f FILE] NAME...` with the interpreter's values (null: unset, so removed): the
// one console line saying what happened, or "" when the block already held those values or
// in tool mode (pvboot menu and check read every grub.cfg: their output stays as it was).
export function saveEnv(full: string, names: Array<string>, values: Array<string | null>): string {
  const head = "save_env: ";
  if (!allowed) return "";
  const old = readSmall(full, MAX_ENV_BYTES);
  if (old == null) return head + "not saved: " + lastError;
  // Made whole, not a character at a time: each step copied the text so far, memory quadratic
  // in the block's size that is never given back (8 MiB for a 2 KiB block).
  const codes = new Array<i32>(old.length);
  for (let i = 0; i < old.length; i++) codes[i] = old[i];
  const text = String.fromCharCodes(codes);
  const lines = envLines(text);
  if (lines == null) return head + "not saved: " + full + " is not a GRUB environment block (header, NAME=VALUE lines, '#' padding)";
  for (let n = 0; n < names.length; n++) {
    const name = names[n];
    let at = -1;
    for (let i = 0; i < lines.length; i++) if (lines[i].startsWith(name + "=")) at = i;
    const v = values[n];
    if (v == null) {
      if (at >= 0) lines.splice(at, 1);
    } else {
      const line = name + "=" + escapeEnv(v!) + "\n";
      if (at >= 0) lines[at] = line;
      else lines.push(line);
    }
  }
  let body = ENV_HEADER + lines.join("");
  if (body.length > text.length) return head + "not saved: " + full + " is too small for the variables (" + body.length.toString() + " bytes, the block has " + text.length.toString() + ")";
  if (body.length < text.length) body += "#".repeat(text.length - body.length);
  if (body == text) return "";
  const data = new Uint8Array(body.length);
  for (let i = 0; i < body.length; i++) data[i] = <u8>body.charCodeAt(i);
  const e = overwrite(full, data);
  if (e != null) return head + "not saved: " + e;
  return head + names.join(", ") + " saved in " + full;
}

// Print a saved-default line (nothing for "").
export function sayLine(s: string): void {
  if (s.length > 0) console.say(s);
}
