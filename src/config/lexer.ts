// menu.lst bytes -> command lines, the way GRUB 0.97 read its config file one byte at a time
// (stage2's get_line_from_config):
//   - CR is dropped everywhere, a tab is a space;
//   - a backslash followed by a newline (CR between is dropped first) becomes one space, which
//     joins the lines; any other backslash stays in the line as it is. A backslash right after
//     another one still joins ("\\" at the end of a line joins too), and a comment ending in a
//     backslash goes on on the next line: both as GRUB did;
//   - blanks and empty lines before a command are skipped; '#' there starts a comment that
//     runs to the end of the line ('#' anywhere else is an ordinary byte);
// then (find_command / skip_to) the command name ends at a space or '=', and the separator,
// any run of spaces and '=', is skipped. Trailing blanks are removed from the arguments.
//
// Bytes become string characters one to one (Latin-1), so nothing is lost on the way to the
// kernel's command line; src/config/json.ts decides how they are shown.
//
// Limits (the file may be hostile): MAX_FILE bytes in all, MAX_LINE bytes per command after
// joining (longer is an error: truncating a kernel command line would boot something else),
// and no NUL or other control bytes but tab, LF and CR (binary data is an error).

export const MAX_FILE: u32 = 1 << 20;
export const MAX_LINE: u32 = 4096;

export class LexLine {
  constructor(public lineNo: i32, public name: string, public args: string) {}
}

export class LexResult {
  lines: Array<LexLine> = new Array<LexLine>();
  error: string | null = null; // "12: ..." (the caller prefixes the file name)
  errorLine: i32 = 0;
}

function isBlank(c: u32): bool {
  return c == 0x20;
}

function isControl(c: u32): bool {
  if (c == 0x09 || c == 0x0a || c == 0x0d) return false;
  return c < 0x20 || c == 0x7f;
}

function hex2(c: u32): string {
  const d = "0123456789abcdef";
  return "0x" + d.charAt(<i32>(c >> 4)) + d.charAt(<i32>(c & 15));
}

export function lex(p: usize, n: u32): LexResult {
  const r = new LexResult();
  if (n > MAX_FILE) {
    r.error = n.toString() + " bytes, more than the " + (MAX_FILE >> 10).toString() + " KiB a config file may have";
    return r;
  }
  const buf = heap.alloc(MAX_LINE + 1);
  let pos: u32 = 0; // bytes of the current command in buf
  let lineNo: i32 = 1; // physical line being read
  let startLine: i32 = 1; // physical line where the current command started
  let literal = false; // the previous byte was a backslash
  let comment = false;
  for (let i: u32 = 0; i <= n; i++) {
    // i == n: the end of the file ends the last line (no joining there)
    const atEnd = i == n;
    let c: u32 = atEnd ? 0x0a : <u32>load<u8>(p + i);
    const physicalNewline = !atEnd && c == 0x0a;
    if (!atEnd && isControl(c)) {
      r.error = lineNo.toString() + ": binary data (byte " + hex2(c) + "), not a text file";
      r.errorLine = lineNo;
      return r;
    }
    if (physicalNewline) lineNo++;
    if (c == 0x0d) continue;
    if (c == 0x09) c = 0x20;
    if (literal) {
      if (c == 0x0a && !atEnd) {
        c = 0x20; // the backslash and the newline become one space
        if (pos > 0) pos--;
      }
      literal = false;
    }
    if (c == 0x5c && !literal) literal = true; // kept in the line unless a newline follows
    if (comment) {
      if (c == 0x0a) comment = false;
      continue;
    }
    if (pos == 0) {
      if (c == 0x23) comment = true;
      else if (c != 0x20 && c != 0x0a) {
        startLine = lineNo;
        store<u8>(buf, <u8>c);
        pos = 1;
      }
      continue;
    }
    if (c == 0x0a) {
      r.lines.push(split(buf, pos, startLine));
      pos = 0;
      continue;
    }
    if (pos >= MAX_LINE) {
      r.error = startLine.toString() + ": command longer than " + MAX_LINE.toString() + " bytes";
      r.errorLine = startLine;
      return r;
    }
    store<u8>(buf + pos, <u8>c);
    pos++;
  }
  return r;
}

function latin1(p: usize, n: u32): string {
  const codes = new Array<i32>(<i32>n);
  for (let i: u32 = 0; i < n; i++) codes[i] = <i32>load<u8>(p + i);
  return String.fromCharCodes(codes);
}

// "kernel= /vmlinuz ro " -> ("kernel", "/vmlinuz ro")
function split(buf: usize, n: u32, lineNo: i32): LexLine {
  let e: u32 = 0;
  while (e < n && !isBlank(load<u8>(buf + e)) && load<u8>(buf + e) != 0x3d) e++;
  let a = e;
  while (a < n && (isBlank(load<u8>(buf + a)) || load<u8>(buf + a) == 0x3d)) a++;
  let end = n;
  while (end > a && isBlank(load<u8>(buf + end - 1))) end--;
  return new LexLine(lineNo, latin1(buf, e), latin1(buf + a, end - a));
}
