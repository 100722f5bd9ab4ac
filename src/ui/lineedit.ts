// A one-line editor on the PV console (a VT100/ANSI terminal at the other end), with the
// keys of GRUB 0.97's command line: the grubdom> prompt and the menu's entry editor share it.
//
//   printable      insert at the cursor          Tab          the completer (below)
//   Left/Right     move (also Ctrl-B/Ctrl-F)      Up/Down      history (also Ctrl-P/Ctrl-N)
//   Home/End       Ctrl-A/Ctrl-E                  Backspace    delete before the cursor
//   Delete/Ctrl-D  delete under the cursor        Ctrl-K/U     kill to the end / the start
//   Enter          the line                       Esc          cancel (null)
//   Ctrl-C         cancel too (null), told apart from Esc by `endKey` (grubdom drops the line)
//
// A line longer than the screen scrolls horizontally (as GRUB 0.97 did): the 80 columns show
// the prompt and the window of the line around the cursor.

import { console, KEY_TIMEOUT, KEY_CTRL_C, KEY_BACKSPACE, KEY_TAB, KEY_ENTER, KEY_ESC, KEY_UP, KEY_DOWN,
  KEY_RIGHT, KEY_LEFT, KEY_HOME, KEY_END, KEY_DELETE } from "../xen/console";
import { Text } from "../lib/text";

export const LINE_MAX: i32 = 1024; // characters in one line; more typing rings the bell
export const SCREEN_COLS: i32 = 80;

const CTRL_A: i32 = 0x01;
const CTRL_B: i32 = 0x02;
const CTRL_D: i32 = 0x04;
const CTRL_E: i32 = 0x05;
const CTRL_F: i32 = 0x06;
const CTRL_K: i32 = 0x0b;
const CTRL_L: i32 = 0x0c;
const CTRL_N: i32 = 0x0e;
const CTRL_P: i32 = 0x10;
const CTRL_U: i32 = 0x15;

// The last `max` lines entered, oldest first. Empty lines and a repeat of the last are not kept.
export class History {
  lines: Array<string> = new Array<string>();
  constructor(public max: i32 = 32) {}

  add(line: string): void {
    if (line.length == 0) return;
    if (this.lines.length > 0 && this.lines[this.lines.length - 1] == line) return;
    if (this.lines.length >= this.max) this.lines.shift();
    this.lines.push(line);
  }
}

// What Tab offers: the word at [start, cursor) is replaced by one of `words`; `names` is how
// each is listed (a file name without its directory, say). A word that is complete carries
// its own ending (a command "kernel ", a directory "boot/", a device "(hd0,0)").
export class Completion {
  start: i32 = 0;
  words: Array<string> = new Array<string>();
  names: Array<string> = new Array<string>();
  title: string = "Possible completions are:";
  error: string | null = null; // shown under the line instead of a list ("(hd5): no such disk")

  add(word: string, name: string): void {
    this.words.push(word);
    this.names.push(name);
  }
}

// Extend this (AssemblyScript has no closures over locals): given the line and the cursor,
// the candidates. The base offers nothing.
export class Completer {
  complete(line: string, cursor: i32): Completion {
    const c = new Completion();
    c.start = cursor;
    return c;
  }
}

export class LineEditor {
  // Why the last read ended: KEY_ENTER, KEY_ESC, KEY_CTRL_C or KEY_TIMEOUT (the deadline).
  endKey: i32 = 0;
  private buf: usize = heap.alloc(<usize>LINE_MAX);
  private len: i32 = 0;
  private cur: i32 = 0;
  private scroll: i32 = 0; // index of the first character shown
  private prompt: string = "";
  private out: Text = new Text(256); // reused for every redraw: the runtime never frees

  // Edit a line starting from `initial` (cursor at its end). Returns it on Enter, or null on
  // Esc, Ctrl-C or the deadline (Xen system time; 0: none), with endKey saying which.
  read(prompt: string, initial: string, history: History | null, completer: Completer | null, deadline: u64 = 0): string | null {
    this.prompt = prompt;
    this.len = 0;
    this.setLine(initial);
    this.scroll = 0;
    this.redraw();
    let hIndex = history != null ? history.lines.length : 0;
    let scratch = ""; // the line being typed, kept while browsing the history
    for (;;) {
      const k = console.readKey(deadline);
      if (k == KEY_TIMEOUT || k == KEY_ESC || k == KEY_CTRL_C) {
        this.endKey = k;
        this.endLine();
        return null;
      }
      if (k == KEY_ENTER) {
        this.endKey = k;
        this.endLine();
        return this.line();
      }
      if (k >= 0x20 && k < 0x7f) this.insert(k);
      else if (k == KEY_LEFT || k == CTRL_B) this.moveTo(this.cur - 1);
      else if (k == KEY_RIGHT || k == CTRL_F) this.moveTo(this.cur + 1);
      else if (k == KEY_HOME || k == CTRL_A) this.moveTo(0);
      else if (k == KEY_END || k == CTRL_E) this.moveTo(this.len);
      else if (k == KEY_BACKSPACE) this.backspace();
      else if (k == KEY_DELETE || k == CTRL_D) this.deleteAt(this.cur, 1);
      else if (k == CTRL_K) this.deleteAt(this.cur, this.len - this.cur);
      else if (k == CTRL_U) {
        const n = this.cur;
        this.cur = 0;
        this.deleteAt(0, n);
      } else if (k == CTRL_L) this.redraw();
      else if ((k == KEY_UP || k == CTRL_P) && history != null) {
        if (hIndex > 0) {
          if (hIndex == history.lines.length) scratch = this.line();
          hIndex--;
          this.setLine(history.lines[hIndex]);
          this.redraw();
        }
      } else if ((k == KEY_DOWN || k == CTRL_N) && history != null) {
        if (hIndex < history.lines.length) {
          hIndex++;
          this.setLine(hIndex == history.lines.length ? scratch : history.lines[hIndex]);
          this.redraw();
        }
      } else if (k == KEY_TAB && completer != null) this.complete(completer);
      else this.bell();
    }
    return null;
  }

  // The line as it stands (bytes 0x20..0x7e only, so one char per byte).
  line(): string {
    return String.UTF8.decodeUnsafe(this.buf, <usize>this.len);
  }

  private setLine(s: string): void {
    let n = s.length;
    if (n > LINE_MAX) n = LINE_MAX;
    let j = 0;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c >= 0x7f) continue;
      store<u8>(this.buf + <usize>j, <u8>c);
      j++;
    }
    this.len = j;
    this.cur = j;
  }

  private insert(c: i32): void {
    if (this.len >= LINE_MAX) {
      this.bell();
      return;
    }
    const at = this.buf + <usize>this.cur;
    memory.copy(at + 1, at, <usize>(this.len - this.cur));
    store<u8>(at, <u8>c);
    this.len++;
    this.cur++;
    // Typing at the end of a line that fits: just echo (keeps the output readable).
    if (this.cur == this.len && this.cur - this.scroll < this.width()) console.print(this.out.clear().ch(<u32>c));
    else this.redraw();
  }

  private backspace(): void {
    if (this.cur == 0) return;
    this.cur--;
    this.deleteAt(this.cur, 1);
  }

  private deleteAt(at: i32, n: i32): void {
    if (n <= 0 || at >= this.len) {
      this.redraw(); // the cursor may have moved (backspace, Ctrl-U)
      return;
    }
    if (at + n > this.len) n = this.len - at;
    memory.copy(this.buf + <usize>at, this.buf + <usize>(at + n), <usize>(this.len - at - n));
    this.len -= n;
    this.redraw();
  }

  private moveTo(at: i32): void {
    if (at < 0 || at > this.len) return;
    this.cur = at;
    this.redraw();
  }

  // Columns for the line after the prompt; the last column stays free for the cursor.
  private width(): i32 {
    const w = SCREEN_COLS - 1 - this.prompt.length;
    return w < 16 ? 16 : w;
  }

  // Rewrite the whole line: "\r", prompt, the visible window, clear to the end, cursor back.
  private redraw(): void {
    const w = this.width();
    if (this.cur < this.scroll) this.scroll = this.cur - w / 2;
    if (this.cur >= this.scroll + w) this.scroll = this.cur - w / 2;
    if (this.scroll < 0) this.scroll = 0;
    let end = this.scroll + w;
    if (end > this.len) end = this.len;
    const t = this.out.clear();
    t.ch(0x0d).str(this.prompt).bytes(this.buf + <usize>this.scroll, <u32>(end - this.scroll)).str("\x1b[K\r");
    const col = this.prompt.length + this.cur - this.scroll;
    if (col > 0) t.str("\x1b[").u(<u64>col).str("C");
    console.print(t);
  }

  private endLine(): void {
    this.cur = this.len;
    this.redraw();
    console.print(this.out.clear().str("\r\n"));
  }

  private bell(): void {
    console.print(this.out.clear().ch(7));
  }

  // GRUB's Tab: one candidate completes the word; several complete their common prefix and
  // are listed under the line, then the prompt comes back.
  private complete(completer: Completer): void {
    const line = this.line();
    const c = completer.complete(line, this.cur);
    if (c.error != null) {
      this.endLine();
      console.line(new Text().str(" ").str(c.error!));
      this.redraw();
      return;
    }
    if (c.words.length == 0 || c.start < 0 || c.start > this.cur) {
      this.bell();
      return;
    }
    let common = c.words[0];
    for (let i = 1; i < c.words.length; i++) {
      const w = c.words[i];
      let n = 0;
      while (n < common.length && n < w.length && common.charCodeAt(n) == w.charCodeAt(n)) n++;
      common = common.substring(0, n);
    }
    const before = line.substring(0, c.start);
    const after = line.substring(this.cur);
    if (common.length > this.cur - c.start) {
      const merged = before + common + after;
      if (merged.length <= LINE_MAX) {
        this.setLine(merged);
        this.cur = before.length + common.length;
      }
    }
    if (c.words.length > 1) {
      // Move to the line's end so the list goes under it, whatever the cursor column.
      const keep = this.cur;
      this.endLine();
      this.cur = keep;
      const t = new Text(1024).str(" ").str(c.title).str("\r\n");
      let col = 0;
      for (let i = 0; i < c.names.length; i++) {
        const name = c.names[i];
        if (col > 0 && col + 1 + name.length >= SCREEN_COLS) {
          t.str("\r\n");
          col = 0;
        }
        t.str(" ").str(name);
        col += 1 + name.length;
      }
      console.line(t);
    }
    this.redraw();
  }
}
