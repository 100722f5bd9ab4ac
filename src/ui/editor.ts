// The menu's entry editor ('e'), with GRUB 0.97's keys: the entry's lines in the box, one per
// row, the selected one in reverse video, and
//   Up/Down (Ctrl-P/Ctrl-N, '^'/'v')   select a line
//   'e' or Enter                        edit it on the "grubdom edit>" line: Enter keeps the
//                                       edit, Esc drops it
//   'o' / 'O'                           open a new line below / above and edit it
//   'd'                                 delete the line
//   'b'                                 boot the edited entry (a copy: menu.lst's stays as it was)
//   'c'                                 the command line; Esc there comes back here
//   Esc                                 back to the menu, the edits dropped

import { console, KEY_TIMEOUT, KEY_ENTER, KEY_ESC, KEY_UP, KEY_DOWN, KEY_PGUP, KEY_PGDN, KEY_HOME,
  KEY_END } from "../xen/console";
import { ConfigLine, MenuEntry } from "../config/menu";
import { parseLine, BootState } from "../boot/script";
import { ENTRY_SCRIPT } from "../config/menu";
import { LineEditor } from "./lineedit";
import { screen, ListBox, BOX_ROWS, HELP_ROW } from "./screen";
import { openCommandLine, Outcome } from "./shell";
import { GrubCompleter } from "./grubdom";

export const EDIT_BACK: i32 = 0; // Esc: back to the menu
export const EDIT_BOOT: i32 = 1; // 'b': boot `entry`, the edited copy
export const EDIT_OUTCOME: i32 = 2; // the command line ended it all: `outcome`

export class EditResult {
  entry: MenuEntry | null = null;
  outcome: Outcome | null = null;
  constructor(public action: i32) {}
}

const CTRL_N: i32 = 0x0e;
const CTRL_P: i32 = 0x10;
const MAX_LINES: i32 = 1000; // an entry is a handful of lines; 'o' stops growing it here

class Editor {
  box: ListBox = new ListBox();
  lineNos: Array<i32> = new Array<i32>(); // each line's place in menu.lst (0: typed here)
  ed: LineEditor = new LineEditor();

  constructor(public entry: MenuEntry, public root: string, public authenticated: bool) {
    for (let i = 0; i < entry.lines.length; i++) {
      this.box.items.push(entry.lines[i].toString());
      this.lineNos.push(entry.lines[i].lineNo);
    }
  }

  draw(): void {
    screen.clear().cursor(false);
    screen.at(1, 4).str("Editing '").str(this.entry.title).str("'");
    this.box.draw();
    screen.at(HELP_ROW, 6).str("Use the ^ and v keys to select which entry is highlighted.");
    screen.at(HELP_ROW + 1, 6).str("Press 'b' to boot, 'e' to edit the selected command in the");
    screen.at(HELP_ROW + 2, 6).str("boot sequence, 'c' for a command-line, 'o' to open a new line");
    screen.at(HELP_ROW + 3, 6).str("after ('O' for before) the selected line, 'd' to remove the");
    screen.at(HELP_ROW + 4, 6).str("selected line, or escape to go back to the main menu.");
    screen.flush();
  }

  run(): EditResult {
    this.draw();
    for (let guard = 0; guard < (1 << 30); guard++) {
      screen.flush();
      const k = console.readKey(0);
      if (k == KEY_TIMEOUT || k == KEY_ESC) return new EditResult(EDIT_BACK); // no input at all: back too
      const sel = this.box.selected;
      const n = this.box.items.length;
      if (k == KEY_UP || k == CTRL_P || k == 0x5e) this.box.moveTo(sel - 1);
      else if (k == KEY_DOWN || k == CTRL_N || k == 0x76) this.box.moveTo(sel + 1);
      else if (k == KEY_PGUP) this.box.moveTo(sel - BOX_ROWS);
      else if (k == KEY_PGDN) this.box.moveTo(sel + BOX_ROWS);
      else if (k == KEY_HOME) this.box.moveTo(0);
      else if (k == KEY_END) this.box.moveTo(n - 1);
      else if ((k == 0x65 || k == KEY_ENTER) && n > 0) this.editLine(sel, false); // 'e'
      else if (k == 0x6f && n < MAX_LINES) this.editLine(n == 0 ? 0 : sel + 1, true); // 'o'
      else if (k == 0x4f && n < MAX_LINES) this.editLine(sel, true); // 'O'
      else if (k == 0x64 && n > 0) { // 'd'
        this.box.items.splice(sel, 1);
        this.lineNos.splice(sel, 1);
        if (this.box.selected >= this.box.items.length) this.box.selected = this.box.items.length - 1;
        if (this.box.selected < 0) this.box.selected = 0;
        this.draw();
      } else if (k == 0x62) { // 'b'
        const r = new EditResult(EDIT_BOOT);
        r.entry = this.edited();
        return r;
      } else if (k == 0x63 && this.authenticated) { // 'c'
        screen.clear().cursor(true).flush();
        const o = openCommandLine(this.root, this.authenticated, true);
        if (o != null) {
          const r = new EditResult(EDIT_OUTCOME);
          r.outcome = o;
          return r;
        }
        this.draw();
      }
    }
    return new EditResult(EDIT_BACK);
  }

  // Edit line `at` on a clean screen, as GRUB did; `fresh`: a new, empty line inserted there
  // (dropped again when the edit is cancelled).
  private editLine(at: i32, fresh: bool): void {
    screen.clear().cursor(true);
    screen.at(1, 2).str("[ Minimal BASH-like line editing is supported.  ESC at any time cancels.");
    screen.at(2, 2).str("  ENTER at any time accepts your changes. ]");
    screen.at(4, 0).flush();
    const initial = fresh ? "" : this.box.items[at];
    // Tab completes commands, devices and paths as at grubdom>, on the menu's root.
    const s = this.ed.read("grubdom edit> ", initial, null, new GrubCompleter(new BootState(this.root)));
    if (s != null) {
      if (fresh) {
        insertAt<string>(this.box.items, at, s!);
        insertAt<i32>(this.lineNos, at, 0);
      } else {
        this.box.items[at] = s!;
      }
      this.box.selected = at;
    }
    this.draw();
  }

  // The entry as edited: a new MenuEntry, blank lines left out (GRUB skipped them too).
  private edited(): MenuEntry {
    const e = new MenuEntry(this.entry.title, this.entry.lineNo);
    e.kind = this.entry.kind;
    e.id = this.entry.id;
    e.file = this.entry.file;
    e.positional = this.entry.positional;
    for (let i = 0; i < this.box.items.length; i++) {
      // GRUB 2 script lines split at the first blank only ('=' belongs to the words there)
      const line: ConfigLine = e.kind == ENTRY_SCRIPT ? scriptLine(this.box.items[i], this.lineNos[i]) : parseLine(this.box.items[i], this.lineNos[i]);
      if (line.name.length > 0) e.lines.push(line);
    }
    return e;
  }
}

function scriptLine(s: string, lineNo: i32): ConfigLine {
  const t = s.trim();
  let i = 0;
  while (i < t.length && t.charCodeAt(i) != 0x20 && t.charCodeAt(i) != 0x09) i++;
  return new ConfigLine(lineNo, t.substring(0, i), t.substring(i).trim());
}

// AssemblyScript's splice cannot insert.
function insertAt<T>(a: Array<T>, at: i32, v: T): void {
  a.push(v);
  for (let i = a.length - 1; i > at; i--) a[i] = a[i - 1];
  a[at] = v;
}

// Edit `entry` (left untouched); root and authentication are the menu's, for 'c'.
export function editEntry(entry: MenuEntry, root: string, authenticated: bool): EditResult {
  return new Editor(entry, root, authenticated).run();
}
