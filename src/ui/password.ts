// menu.lst's `password` check: the plain password, or `password --md5 $1$salt$hash`, the
// FreeBSD md5-crypt GRUB 0.97 used (grub-md5-crypt, `openssl passwd -1`); and the prompt,
// which echoes '*' for each character as GRUB's did.

import { Md5 } from "../lib/md5";
import { console, KEY_BACKSPACE, KEY_ENTER, KEY_ESC, KEY_CTRL_C, KEY_TIMEOUT } from "../xen/console";
import { Text } from "../lib/text";

const MAGIC = "$1$";
const ITOA64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const PASSWORD_MAX: i32 = 256; // more typing is ignored

function to64(out: string, v: u32, n: i32): string {
  for (let i = 0; i < n; i++) {
    out += ITOA64.charAt(<i32>(v & 0x3f));
    v >>= 6;
  }
  return out;
}

// The salt of a crypt string: what follows "$1$", up to 8 characters, up to the next '$'.
export function cryptSalt(crypted: string): string {
  const start = crypted.startsWith(MAGIC) ? MAGIC.length : 0;
  let end = start;
  while (end < crypted.length && end < start + 8 && crypted.charAt(end) != "$") end++;
  return crypted.substring(start, end);
}

// md5-crypt of `pw` with `salt` (at most 8 characters used): "$1$salt$22 characters".
export function md5Crypt(pw: string, salt: string): string {
  salt = cryptSalt(MAGIC + salt);
  const ctx = new Md5().updateStr(pw).updateStr(MAGIC).updateStr(salt);
  const alt = new Md5().updateStr(pw).updateStr(salt).updateStr(pw).digest();
  for (let left = pw.length; left > 0; left -= 16) {
    const n = left > 16 ? 16 : left;
    for (let i = 0; i < n; i++) ctx.updateByte(alt[i]);
  }
  // The original's quirk: a zero byte for each 1 bit of the length, the first character for a 0.
  for (let i = pw.length; i != 0; i >>= 1) ctx.updateByte((i & 1) != 0 ? 0 : <u8>pw.charCodeAt(0));
  let fin = ctx.digest();
  // 1000 rounds to make guessing slow.
  for (let r = 0; r < 1000; r++) {
    const c = new Md5();
    if ((r & 1) != 0) c.updateStr(pw);
    else c.update(fin);
    if (r % 3 != 0) c.updateStr(salt);
    if (r % 7 != 0) c.updateStr(pw);
    if ((r & 1) != 0) c.update(fin);
    else c.updateStr(pw);
    fin = c.digest();
  }
  let out = MAGIC + salt + "$";
  out = to64(out, (<u32>fin[0] << 16) | (<u32>fin[6] << 8) | <u32>fin[12], 4);
  out = to64(out, (<u32>fin[1] << 16) | (<u32>fin[7] << 8) | <u32>fin[13], 4);
  out = to64(out, (<u32>fin[2] << 16) | (<u32>fin[8] << 8) | <u32>fin[14], 4);
  out = to64(out, (<u32>fin[3] << 16) | (<u32>fin[9] << 8) | <u32>fin[15], 4);
  out = to64(out, (<u32>fin[4] << 16) | (<u32>fin[10] << 8) | <u32>fin[5], 4);
  out = to64(out, <u32>fin[11], 2);
  return out;
}

// Does `entered` match menu.lst's password (plain, or an md5-crypt string when md5)?
export function checkPassword(entered: string, password: string, md5: bool): bool {
  if (!md5) return entered == password;
  if (!password.startsWith(MAGIC)) return false;
  return md5Crypt(entered, cryptSalt(password)) == password;
}

// Read a password at the cursor, echoing '*' (Backspace erases one). Enter gives it; Esc or
// Ctrl-C give null, as does the deadline (0: none).
export function readPassword(prompt: string, deadline: u64 = 0): string | null {
  console.print(new Text().str(prompt));
  const buf = new Array<i32>();
  for (;;) {
    const k = console.readKey(deadline);
    if (k == KEY_ENTER) {
      console.print(new Text().str("\r\n"));
      let s = "";
      for (let i = 0; i < buf.length; i++) s += String.fromCharCode(buf[i]);
      return s;
    }
    if (k == KEY_ESC || k == KEY_CTRL_C || k == KEY_TIMEOUT) {
      console.print(new Text().str("\r\n"));
      return null;
    }
    if (k == KEY_BACKSPACE) {
      if (buf.length > 0) {
        buf.pop();
        console.print(new Text().str("\x08 \x08"));
      }
      continue;
    }
    if (k >= 0x20 && k < 0x7f && buf.length < PASSWORD_MAX) {
      buf.push(k);
      console.print(new Text().ch(0x2a));
    }
  }
  return null;
}
