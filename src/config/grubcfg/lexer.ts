// GRUB 2's script language, lexed (grub.cfg as grub-mkconfig writes it; GRUB's manual, "Shell-like
// scripting"). The text is split into words and separators; a word keeps its pieces apart
// (literal text, and variables unquoted or quoted) so that the evaluator expands them when the
// command runs, as GRUB does:
//   - blanks (space, tab, CR) separate words; a newline or ';' ends a command;
//   - '#' at the start of a word comments to the end of the line;
//   - '...' is literal; in "..." a backslash escapes $, ", \ and the newline, and $var expands;
//     outside quotes a backslash takes the next character literally (and joins lines);
//   - $name, ${name}, $1..$9, $?, $#, $@, $*: variables; a lone '$' is literal;
//   - an unquoted word that is exactly '{' or '}' is a brace (function, menuentry, submenu).
// Bounded by the text: each step consumes at least one character.

export const PART_LIT: i32 = 0; // literal text
export const PART_VAR: i32 = 1; // $var outside quotes: expanded, then split at blanks
export const PART_QVAR: i32 = 2; // "$var": expanded, one field

export class Part {
  constructor(public kind: i32, public text: string) {}
}

export const TOK_WORD: i32 = 0;
export const TOK_NL: i32 = 1; // newline or ';'
export const TOK_LBRACE: i32 = 2;
export const TOK_RBRACE: i32 = 3;
export const TOK_EOF: i32 = 4;

export class Token {
  parts: Array<Part> = new Array<Part>();
  plain: string = ""; // the word's text when it has no quotes, escapes or variables (a keyword)
  isPlain: bool = true;
  constructor(public kind: i32, public line: i32, public start: i32, public end: i32) {}
}

function isBlank(c: i32): bool {
  return c == 0x20 || c == 0x09 || c == 0x0d;
}

function isNameStart(c: i32): bool {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x5f;
}

function isDigit(c: i32): bool {
  return c >= 0x30 && c <= 0x39;
}

function isNameChar(c: i32): bool {
  return isNameStart(c) || isDigit(c);
}

export class LexOut {
  tokens: Array<Token> = new Array<Token>();
  error: string | null = null; // "12: unterminated '...'" (the caller adds the file)
  errorLine: i32 = 0;
}

// A word's literal text is gathered as runs of the source (`ch`) and pieces (`str`), joined
// once per part: appending a character at a time would copy the text so far each time, and a
// long word would cost its length squared in time and, where nothing is freed until the
// config is dropped (the fuzz build's allocator), in memory.
class WordBuilder {
  parts: Array<Part> = new Array<Part>();
  pieces: Array<string> = new Array<string>();
  runStart: i32 = 0;
  runEnd: i32 = 0; // runStart == runEnd: no run
  plain: bool = true;
  any: bool = false; // something (even "") was written: '' is an empty word

  constructor(public src: string) {}

  // The source's character at i, literally.
  ch(i: i32): void {
    if (this.runEnd == i && this.runEnd > this.runStart) {
      this.runEnd = i + 1;
      return;
    }
    this.endRun();
    this.runStart = i;
    this.runEnd = i + 1;
  }

  str(t: string): void {
    this.endRun();
    if (t.length > 0) this.pieces.push(t);
  }

  private endRun(): void {
    if (this.runEnd > this.runStart) this.pieces.push(this.src.substring(this.runStart, this.runEnd));
    this.runStart = this.runEnd = 0;
  }

  flush(): void {
    this.endRun();
    if (this.pieces.length == 0) return;
    const lit = this.pieces.length == 1 ? this.pieces[0] : this.pieces.join("");
    this.pieces = new Array<string>();
    if (lit.length > 0) this.parts.push(new Part(PART_LIT, lit));
  }
}

export function lexScript(s: string): LexOut {
  const out = new LexOut();
  let i = 0;
  let line = 1;
  const n = s.length;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (isBlank(c)) { i++; continue; }
    if (c == 0x0a || c == 0x3b) {
      out.tokens.push(new Token(TOK_NL, line, i, i + 1));
      if (c == 0x0a) line++;
      i++;
      continue;
    }
    if (c == 0x5c && i + 1 < n && s.charCodeAt(i + 1) == 0x0a) { // a joined line between words
      line++;
      i += 2;
      continue;
    }
    if (c == 0x23) { // a comment
      while (i < n && s.charCodeAt(i) != 0x0a) i++;
      continue;
    }
    // a word
    const startLine = line;
    const start = i;
    const w = new WordBuilder(s);
    while (i < n) {
      const d = s.charCodeAt(i);
      if (isBlank(d) || d == 0x0a || d == 0x3b) break;
      if (d == 0x5c) {
        w.plain = false;
        w.any = true;
        if (i + 1 >= n) { i++; break; }
        const e = s.charCodeAt(i + 1);
        if (e == 0x0a) line++;
        else w.ch(i + 1);
        i += 2;
        continue;
      }
      if (d == 0x27) { // '...'
        w.plain = false;
        w.any = true;
        const close = s.indexOf("'", i + 1);
        if (close < 0) {
          out.error = startLine.toString() + ": unterminated '";
          out.errorLine = startLine;
          return out;
        }
        const body = s.substring(i + 1, close);
        for (let k = 0; k < body.length; k++) if (body.charCodeAt(k) == 0x0a) line++;
        w.str(body);
        i = close + 1;
        continue;
      }
      if (d == 0x22) { // "..."
        w.plain = false;
        w.any = true;
        i++;
        let closed = false;
        while (i < n) {
          const e = s.charCodeAt(i);
          if (e == 0x22) { closed = true; i++; break; }
          if (e == 0x5c && i + 1 < n) {
            const f = s.charCodeAt(i + 1);
            if (f == 0x0a) { line++; i += 2; continue; }
            if (f == 0x24 || f == 0x22 || f == 0x5c) { w.ch(i + 1); i += 2; continue; }
            w.ch(i); // the backslash stays
            i++;
            continue;
          }
          if (e == 0x24) {
            const v = readVar(s, i);
            if (v.end > i + 1) {
              w.flush();
              w.parts.push(new Part(PART_QVAR, v.name));
              i = v.end;
              continue;
            }
          }
          if (e == 0x0a) line++;
          w.ch(i);
          i++;
        }
        if (!closed) {
          out.error = startLine.toString() + ": unterminated \"";
          out.errorLine = startLine;
          return out;
        }
        continue;
      }
      if (d == 0x24) {
        const v = readVar(s, i);
        if (v.end > i + 1) {
          w.plain = false;
          w.any = true;
          w.flush();
          w.parts.push(new Part(PART_VAR, v.name));
          i = v.end;
          continue;
        }
      }
      w.ch(i);
      w.any = true;
      i++;
    }
    w.flush();
    let kind = TOK_WORD;
    let text = "";
    if (w.plain) {
      for (let k = 0; k < w.parts.length; k++) text += w.parts[k].text;
      if (text == "{") kind = TOK_LBRACE;
      else if (text == "}") kind = TOK_RBRACE;
    }
    const t = new Token(kind, startLine, start, i);
    t.parts = w.parts;
    t.isPlain = w.plain;
    t.plain = text;
    out.tokens.push(t);
  }
  out.tokens.push(new Token(TOK_EOF, line, n, n));
  return out;
}

class VarRef {
  name: string = "";
  end: i32 = 0; // the index after the reference; start + 1 or less: not a reference
}

// "$name", "${name}", "$1", "$?" at s[i] (a '$').
function readVar(s: string, i: i32): VarRef {
  const v = new VarRef();
  v.end = i;
  const n = s.length;
  if (i + 1 >= n) return v;
  const c = s.charCodeAt(i + 1);
  if (c == 0x7b) {
    const close = s.indexOf("}", i + 2);
    if (close < 0 || close - i > 256) return v;
    v.name = s.substring(i + 2, close);
    v.end = close + 1;
    return v;
  }
  if (c == 0x3f || c == 0x23 || c == 0x40 || c == 0x2a) {
    v.name = String.fromCharCode(c);
    v.end = i + 2;
    return v;
  }
  if (isDigit(c)) {
    let j = i + 1;
    while (j < n && isDigit(s.charCodeAt(j))) j++;
    v.name = s.substring(i + 1, j);
    v.end = j;
    return v;
  }
  if (!isNameStart(c)) return v;
  let j = i + 1;
  while (j < n && isNameChar(s.charCodeAt(j))) j++;
  v.name = s.substring(i + 1, j);
  v.end = j;
  return v;
}
