// A small VT100/ANSI terminal, fed the console's output bytes, for tests that check what a
// person would see: the menu's box, which entry is in reverse video, the editor's lines.
// It keeps a grid of cells (character + attributes) and a cursor, and understands what the
// loader sends: printable ASCII, CR, LF, BS, TAB, and the CSI sequences CUP/HVP, CUU/CUD/CUF/CUB,
// CHA, ED, EL and SGR (0 reset, 1 bold, 7 reverse, 22, 27). Anything else in a CSI (private
// modes such as ?25l) is consumed and ignored. Writing past the last column wraps; a line
// feed on the last row scrolls the screen up.

export interface Attr { reverse: boolean; bold: boolean }

interface Cell { ch: string; reverse: boolean; bold: boolean }

export class Screen {
  readonly rows: number;
  readonly cols: number;
  private grid: Cell[][];
  cursorRow = 0;
  cursorCol = 0;
  private reverse = false;
  private bold = false;
  private state: "text" | "esc" | "csi" = "text";
  private params = "";
  scrolled = 0; // lines that went off the top

  constructor(rows = 25, cols = 80) {
    this.rows = rows;
    this.cols = cols;
    this.grid = Array.from({ length: rows }, () => this.blankLine());
  }

  private blankLine(): Cell[] {
    return Array.from({ length: this.cols }, () => ({ ch: " ", reverse: false, bold: false }));
  }

  feed(data: Uint8Array | string): this {
    const bytes = typeof data === "string" ? Buffer.from(data, "latin1") : data;
    for (const b of bytes) this.byte(b);
    return this;
  }

  private byte(b: number): void {
    if (this.state === "esc") {
      if (b === 0x5b) {
        this.state = "csi";
        this.params = "";
      } else {
        this.state = "text"; // ESC c, ESC 7 ...: not used by the loader, ignored
      }
      return;
    }
    if (this.state === "csi") {
      if (b >= 0x40 && b <= 0x7e) {
        this.state = "text";
        this.csi(String.fromCharCode(b), this.params);
      } else {
        this.params += String.fromCharCode(b);
      }
      return;
    }
    switch (b) {
      case 0x1b:
        this.state = "esc";
        return;
      case 0x0d:
        this.cursorCol = 0;
        return;
      case 0x0a:
        this.lineFeed();
        return;
      case 0x08:
        if (this.cursorCol > 0) this.cursorCol--;
        return;
      case 0x09:
        this.cursorCol = Math.min(this.cols - 1, (Math.floor(this.cursorCol / 8) + 1) * 8);
        return;
      case 0x07:
        return; // bell
    }
    if (b < 0x20) return;
    this.put(b === 0x7f ? " " : String.fromCharCode(b));
  }

  private put(ch: string): void {
    if (this.cursorCol >= this.cols) {
      this.cursorCol = 0;
      this.lineFeed();
    }
    this.grid[this.cursorRow][this.cursorCol] = { ch, reverse: this.reverse, bold: this.bold };
    this.cursorCol++;
  }

  private lineFeed(): void {
    if (this.cursorRow < this.rows - 1) {
      this.cursorRow++;
      return;
    }
    this.grid.shift();
    this.grid.push(this.blankLine());
    this.scrolled++;
  }

  private csi(final: string, params: string): void {
    if (params.startsWith("?") || params.startsWith(">")) return; // private modes
    const nums = params.length ? params.split(";").map((p) => (p === "" ? NaN : Number(p))) : [];
    const n = (i: number, dflt: number) => (Number.isFinite(nums[i]) && nums[i] > 0 ? nums[i] : dflt);
    const clampRow = (r: number) => Math.max(0, Math.min(this.rows - 1, r));
    const clampCol = (c: number) => Math.max(0, Math.min(this.cols - 1, c));
    switch (final) {
      case "H":
      case "f":
        this.cursorRow = clampRow(n(0, 1) - 1);
        this.cursorCol = clampCol(n(1, 1) - 1);
        return;
      case "A":
        this.cursorRow = clampRow(this.cursorRow - n(0, 1));
        return;
      case "B":
        this.cursorRow = clampRow(this.cursorRow + n(0, 1));
        return;
      case "C":
        this.cursorCol = clampCol(this.cursorCol + n(0, 1));
        return;
      case "D":
        this.cursorCol = clampCol(Math.min(this.cursorCol, this.cols - 1) - n(0, 1));
        return;
      case "G":
        this.cursorCol = clampCol(n(0, 1) - 1);
        return;
      case "J":
        this.eraseDisplay(Number.isFinite(nums[0]) ? nums[0] : 0);
        return;
      case "K":
        this.eraseLine(Number.isFinite(nums[0]) ? nums[0] : 0);
        return;
      case "m":
        for (const p of nums.length ? nums : [0]) {
          const v = Number.isFinite(p) ? p : 0;
          if (v === 0) this.reverse = this.bold = false;
          else if (v === 1) this.bold = true;
          else if (v === 7) this.reverse = true;
          else if (v === 22) this.bold = false;
          else if (v === 27) this.reverse = false;
        }
        return;
      default:
        return; // unknown: ignored, like a terminal would
    }
  }

  private blank(): Cell {
    return { ch: " ", reverse: false, bold: false };
  }

  private eraseLine(mode: number): void {
    const line = this.grid[this.cursorRow];
    const c = Math.min(this.cursorCol, this.cols - 1);
    const [from, to] = mode === 1 ? [0, c] : mode === 2 ? [0, this.cols - 1] : [c, this.cols - 1];
    for (let i = from; i <= to; i++) line[i] = this.blank();
  }

  private eraseDisplay(mode: number): void {
    if (mode === 2 || mode === 3) {
      this.grid = Array.from({ length: this.rows }, () => this.blankLine());
      return;
    }
    this.eraseLine(mode === 1 ? 1 : 0);
    const rows = mode === 1 ? [...Array(this.cursorRow).keys()] : [...Array(this.rows - this.cursorRow - 1).keys()].map((i) => i + this.cursorRow + 1);
    for (const r of rows) this.grid[r] = this.blankLine();
  }

  // Row n (0-based) as text, trailing blanks removed.
  row(n: number): string {
    return this.grid[n].map((c) => c.ch).join("").replace(/ +$/, "");
  }

  // The whole screen, one line per row, trailing blanks and trailing empty rows removed.
  text(): string {
    const lines = this.grid.map((_, i) => this.row(i));
    while (lines.length && lines[lines.length - 1] === "") lines.pop();
    return lines.join("\n");
  }

  attr(row: number, col: number): Attr {
    const c = this.grid[row][col];
    return { reverse: c.reverse, bold: c.bold };
  }

  // The rows holding at least one reverse-video cell, with their text.
  reversedRows(): { row: number; text: string }[] {
    const out: { row: number; text: string }[] = [];
    this.grid.forEach((line, i) => {
      if (line.some((c) => c.reverse)) out.push({ row: i, text: this.row(i) });
    });
    return out;
  }

  // The text of the reverse-video cells of a row (the highlight), trimmed.
  reversedText(row: number): string {
    return this.grid[row].filter((c) => c.reverse).map((c) => c.ch).join("").trim();
  }

  // The first row whose text contains s, or -1.
  find(s: string): number {
    for (let i = 0; i < this.rows; i++) if (this.row(i).includes(s)) return i;
    return -1;
  }
}

// Replay output into a fresh screen; `until` stops at the first occurrence of a marker in the
// byte stream (its end), for looking at the screen as it was at some moment.
export function screenOf(output: string, until?: string, rows = 25, cols = 80): Screen {
  const s = new Screen(rows, cols);
  if (until === undefined) return s.feed(output);
  const at = output.indexOf(until);
  return s.feed(at < 0 ? output : output.slice(0, at + until.length));
}
