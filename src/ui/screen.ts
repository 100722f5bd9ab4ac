// Full-screen output on the PV console: a VT100/ANSI terminal (what `xl console` and a serial
// line give), assumed 80x25 as GRUB assumed for its serial terminal. Output is gathered in a
// Text and written in one go (flush), so a redraw is one notification of the console backend.

import { console } from "../xen/console";
import { Text } from "../lib/text";
import { menuColors } from "./colors";

export const ROWS: i32 = 25;
export const COLS: i32 = 80;

export class Screen {
  t: Text = new Text(2048);

  clear(): Screen {
    this.t.str("\x1b[0m\x1b[2J\x1b[H");
    return this;
  }

  // Row and column from 0, as the rest of the UI counts them.
  at(row: i32, col: i32): Screen {
    this.t.str("\x1b[").u(<u64>(row + 1)).ch(0x3b).u(<u64>(col + 1)).ch(0x48);
    return this;
  }

  eraseLine(): Screen {
    this.t.str("\x1b[K");
    return this;
  }

  // Erase from the cursor to the end of the screen.
  eraseBelow(): Screen {
    this.t.str("\x1b[J");
    return this;
  }

  reverse(on: bool): Screen {
    this.t.str(on ? "\x1b[7m" : "\x1b[0m");
    return this;
  }

  cursor(visible: bool): Screen {
    this.t.str(visible ? "\x1b[?25h" : "\x1b[?25l");
    return this;
  }

  str(s: string): Screen {
    this.t.str(s);
    return this;
  }

  ch(c: u32): Screen {
    this.t.ch(c);
    return this;
  }

  // s cut or padded with blanks to exactly `width` columns; control characters as '?'.
  field(s: string, width: i32): Screen {
    for (let i = 0; i < width; i++) {
      const c = i < s.length ? <u32>s.charCodeAt(i) : 0x20;
      this.t.ch(c < 0x20 || c >= 0x7f ? 0x3f : c);
    }
    return this;
  }

  newline(): Screen {
    this.t.str("\r\n");
    return this;
  }

  flush(): void {
    if (this.t.len > 0) console.write(this.t.buf, this.t.len);
    this.t.clear();
  }
}

export const screen = new Screen();

// GRUB 0.97's box: a frame from column 1 to 78 under the heading, `BOX_ROWS` items inside,
// the highlighted one in reverse video, '^' and 'v' on the frame when items are scrolled off.
export const BOX_TOP: i32 = 2; // the frame's top row
export const BOX_ROWS: i32 = ROWS - 12; // items shown at once (13 on 25 rows)
export const BOX_BOTTOM: i32 = BOX_TOP + BOX_ROWS + 1; // the frame's bottom row
export const HELP_ROW: i32 = BOX_BOTTOM + 2; // the help text below the box
export const STATUS_ROW: i32 = ROWS - 3; // the countdown line
const BOX_LEFT: i32 = 1;
const BOX_WIDTH: i32 = 76; // inside the frame

export class ListBox {
  items: Array<string> = new Array<string>();
  selected: i32 = 0;
  first: i32 = 0; // the item on the box's first row

  // Everything: the frame and every row.
  draw(): void {
    this.scrollTo();
    screen.at(BOX_TOP, BOX_LEFT).ch(0x2b);
    for (let i = 0; i < BOX_WIDTH; i++) screen.ch(0x2d);
    screen.ch(0x2b);
    for (let r = 0; r < BOX_ROWS; r++) this.drawRow(r);
    screen.at(BOX_BOTTOM, BOX_LEFT).ch(0x2b);
    for (let i = 0; i < BOX_WIDTH; i++) screen.ch(0x2d);
    screen.ch(0x2b);
  }

  // Highlight item `to` (clamped), redrawing only the rows that change unless it scrolls.
  moveTo(to: i32): void {
    if (to >= this.items.length) to = this.items.length - 1;
    if (to < 0) to = 0;
    const old = this.selected;
    const oldFirst = this.first;
    this.selected = to;
    this.scrollTo();
    if (this.first != oldFirst) {
      for (let r = 0; r < BOX_ROWS; r++) this.drawRow(r);
      return;
    }
    this.drawRow(old - this.first);
    this.drawRow(to - this.first);
  }

  private scrollTo(): void {
    if (this.selected < this.first) this.first = this.selected;
    if (this.selected >= this.first + BOX_ROWS) this.first = this.selected - BOX_ROWS + 1;
    if (this.first < 0) this.first = 0;
  }

  private drawRow(r: i32): void {
    if (r < 0 || r >= BOX_ROWS) return;
    const i = this.first + r;
    screen.at(BOX_TOP + 1 + r, BOX_LEFT).ch(0x7c);
    const hl = i == this.selected && i < this.items.length;
    // `color` (src/ui/colors.ts) paints every row; without it, reverse video marks the entry.
    if (menuColors.normalAttr >= 0) screen.str(hl ? menuColors.highlight : menuColors.normal);
    else if (hl) screen.reverse(true);
    // No string building here: the runtime never frees, and this runs for every key.
    screen.ch(0x20).field(i < this.items.length ? this.items[i] : "", BOX_WIDTH - 1);
    if (i == this.selected || menuColors.normalAttr >= 0) screen.reverse(false);
    let edge: u32 = 0x7c;
    if (r == 0 && this.first > 0) edge = 0x5e; // '^': more above
    if (r == BOX_ROWS - 1 && this.first + BOX_ROWS < this.items.length) edge = 0x76; // 'v': more below
    screen.ch(edge);
  }
}
