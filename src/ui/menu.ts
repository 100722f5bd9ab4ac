// The boot menu on the PV console, as GRUB 0.97 drew and drove it: the titles in a box, the
// highlighted one in reverse video, a countdown that any key stops, then
//   Up/Down, Ctrl-P/Ctrl-N, '^'/'v'   move     PgUp/PgDn, Home/End   move further
//   a digit N                          highlight entry N
//   Enter (or Right)                   boot it: its lines, then `boot` (src/boot/script.ts)
//   'e'                                the entry editor (src/ui/editor.ts)
//   'c'                                the grubdom> command line (Esc comes back here)
//   'p'                                the password, when menu.lst sets one: until it is given
//                                      'e' and 'c' are refused and `lock`ed entries ask for it
// `hiddenmenu` draws nothing: "Press `ESC' to enter the menu..." counts down, and only Esc
// shows the menu. An entry that fails prints its error; the `fallback` entries are tried in
// order (without waiting, as GRUB did), and once every one has failed, "Press any key to
// continue..." leads back to the menu.
// grub.cfg and BLS menus are driven the same way: their entries run as GRUB 2 script
// (src/config/grubcfg/boot.ts), 'e' edits the entry's script lines, and a submenu entry opens
// its own menu of the same kind (Enter), which Esc leaves; 'c' opens GRUB 2's grub> command
// line (src/ui/grubsh.ts). When the countdown ends, the default is booted through its
// submenus ("1>2").

import { pvh } from "../xen/arch";
import { console, KEY_TIMEOUT, KEY_ENTER, KEY_ESC, KEY_UP, KEY_DOWN, KEY_RIGHT, KEY_HOME, KEY_END,
  KEY_PGUP, KEY_PGDN } from "../xen/console";
import { deadlineAfterMs, now, NS_PER_MS } from "../xen/time";
import { startInfo } from "../xen/start_info";
import { Text } from "../lib/text";
import { MenuConfig, MenuEntry, ENTRY_SCRIPT, TIMEOUT_NONE } from "../config/menu";
import { bootScript } from "../config/grubcfg/boot";
import { grubCommandLine } from "./grubsh";
import { diskFiles } from "../config/find";
import { runEntry, MenuPosition, ACTION_REBOOT, ACTION_HALT, ACTION_COMMANDLINE } from "../boot/script";
import { setMenuColors } from "./colors";
import { describeLoaded } from "../boot/load";
import { screen, ListBox, BOX_ROWS, HELP_ROW, STATUS_ROW } from "./screen";
import { checkPassword, readPassword } from "./password";
import { editEntry, EDIT_BOOT, EDIT_OUTCOME } from "./editor";
import { openCommandLine, loadedOutcome, Outcome, OUT_LOADED, OUT_CONFIGFILE, OUT_HALT, OUT_REBOOT } from "./shell";
import { VERSION } from "../version";

const OUT_BACK: i32 = 100; // Esc in a submenu: back to the menu above (never leaves this file)
const CTRL_N: i32 = 0x0e;
const CTRL_P: i32 = 0x10;
const SECOND_NS: u64 = 1000 * NS_PER_MS;

export class Menu {
  box: ListBox = new ListBox();
  authenticated: bool;
  root: string;
  private countdown: i32; // seconds left, -1 once stopped
  private noInput: bool = false; // the console can give no keys (no ring)
  private backToMenu: bool = false; // an entry's `commandline` was left with Esc
  isSubmenu: bool = false;

  constructor(public config: MenuConfig) {
    this.authenticated = config.password == null;
    this.root = config.root;
    for (let i = 0; i < config.entries.length; i++) this.box.items.push(config.entries[i].title);
    let d = config.defaultEntry;
    if (d < 0 || d >= config.entries.length) d = 0;
    this.box.selected = d;
    this.countdown = config.timeout;
    if (config.color != null) setMenuColors(config.color!); // checked when the file was read
  }

  // Show the menu until something leaves it: a loaded entry, configfile, reboot or halt.
  run(): Outcome {
    if (this.config.entries.length == 0) return this.commandLineOnly();
    if (this.config.hiddenmenu && this.countdown != 0) {
      if (this.hiddenCountdown()) {
        const o = this.bootDefault();
        if (o != null) return o!;
      }
    } else if (this.countdown == 0) {
      const o = this.bootDefault();
      if (o != null) return o!;
    }
    // Bounded: each pass is a key; 1 << 30 keys is more than anyone types.
    for (let guard = 0; guard < (1 << 30); guard++) {
      this.draw();
      const o = this.interact();
      if (o != null) return o!;
    }
    return new Outcome(OUT_HALT, "pvboot: the menu gave up");
  }

  // hiddenmenu: count down on one line; Esc shows the menu (false), the end boots (true).
  private hiddenCountdown(): bool {
    let left = this.countdown;
    this.countdown = -1; // the menu, if it is shown, does not count down again
    let tick = deadlineAfterMs(1000);
    // Without a timeout GRUB printed nothing and waited for Esc.
    if (left > 0) console.print(new Text().str("\rPress `ESC' to enter the menu... ").i(left).str("   "));
    for (let guard = 0; guard < (1 << 30); guard++) {
      const k = console.readKey(left >= 0 ? tick : 0);
      if (k == KEY_ESC) {
        console.print(new Text().str("\r\n"));
        return false;
      }
      if (k != KEY_TIMEOUT) continue; // GRUB ignored every other key here
      if (left < 0) {
        this.noInput = true; // waiting for good returned: no console input at all
        console.print(new Text().str("\r\n"));
        return true;
      }
      left--;
      tick += SECOND_NS;
      if (left <= 0) {
        console.print(new Text().str("\r\n"));
        return true;
      }
      console.print(new Text().str("\rPress `ESC' to enter the menu... ").i(left).str("   "));
    }
    return true;
  }

  draw(): void {
    screen.clear().cursor(false);
    screen.at(1, 4).str("pvboot  version ").str(VERSION).str(pvh() ? "  (Xen PVH, " : "  (Xen PV, ")
      .str((startInfo.nrPages >> 8).toString()).str(" MiB)");
    this.box.draw();
    this.drawHelp();
    this.drawCountdown();
    screen.flush();
  }

  private drawHelp(): void {
    screen.at(HELP_ROW, 0).eraseBelow();
    screen.at(HELP_ROW, 6).str("Use the ^ and v keys to select which entry is highlighted.");
    if (!this.authenticated) {
      screen.at(HELP_ROW + 1, 6).str("Press enter to boot the selected OS or 'p' to enter a");
      screen.at(HELP_ROW + 2, 6).str("password to unlock the next set of features.");
    } else {
      screen.at(HELP_ROW + 1, 6).str("Press enter to boot the selected OS, 'e' to edit the");
      screen.at(HELP_ROW + 2, 6).str("commands before booting, or 'c' for a command-line.");
    }
  }

  private drawCountdown(): void {
    screen.at(STATUS_ROW, 0).eraseLine();
    if (this.countdown > 0) {
      screen.at(STATUS_ROW, 3).str("The highlighted entry will be booted automatically in ");
      screen.t.u(<u64>this.countdown);
      screen.str(this.countdown == 1 ? " second." : " seconds.");
    }
  }

  // Keys until one leaves the drawn menu: an Outcome, or null to draw it again.
  private interact(): Outcome | null {
    let tick = now() + SECOND_NS;
    for (let guard = 0; guard < (1 << 30); guard++) {
      screen.flush(); // what the last key changed
      const k = console.readKey(this.countdown > 0 ? tick : 0);
      if (k == KEY_TIMEOUT) {
        if (this.countdown <= 0) {
          // Waiting for good came back empty: there is no console input. Boot, once.
          if (this.noInput) return new Outcome(OUT_HALT, "pvboot: no console input, and the menu's entries failed");
          this.noInput = true;
          return this.bootDefault();
        }
        this.countdown--;
        tick += SECOND_NS;
        if (this.countdown == 0) {
          this.countdown = -1;
          return this.bootDefault();
        }
        this.drawCountdown();
        continue;
      }
      if (k == 0) continue; // a NUL is line noise (a serial break, a terminal's filler), not a key
      if (this.countdown > 0) {
        this.countdown = -1; // any key stops it, then does what it does
        this.drawCountdown();
      }
      const sel = this.box.selected;
      if (k == KEY_UP || k == CTRL_P || k == 0x5e) this.box.moveTo(sel - 1);
      else if (k == KEY_DOWN || k == CTRL_N || k == 0x76) this.box.moveTo(sel + 1);
      else if (k == KEY_PGUP) this.box.moveTo(sel - BOX_ROWS);
      else if (k == KEY_PGDN) this.box.moveTo(sel + BOX_ROWS);
      else if (k == KEY_HOME) this.box.moveTo(0);
      else if (k == KEY_END) this.box.moveTo(this.config.entries.length - 1);
      else if (k >= 0x30 && k <= 0x39) {
        if (k - 0x30 < this.config.entries.length) this.box.moveTo(k - 0x30);
      } else if (k == KEY_ENTER || k == KEY_RIGHT) {
        if (this.config.entries[sel].children != null) {
          const o = this.openSubmenu(sel);
          if (o != null) return o;
          return null;
        }
        return this.bootWithFallback(sel);
      }
      else if (k == KEY_ESC && this.isSubmenu) return new Outcome(OUT_BACK);
      else if (k == 0x70 && !this.authenticated) return this.askPassword(); // 'p'
      else if (k == 0x65 && this.authenticated) return this.edit(sel); // 'e'
      else if (k == 0x63 && this.authenticated) return this.commandLine(); // 'c'
    }
    return null;
  }

  // 'p': GRUB's " Password: " under the box. Right: unlocked (or, for `password PW FILE`,
  // that file's menu). Wrong: "Failed!" and a key.
  private askPassword(): Outcome | null {
    screen.at(HELP_ROW, 0).eraseBelow().at(HELP_ROW, 1).cursor(true).flush();
    const pw = readPassword("Password: ");
    if (pw == null) return null;
    if (checkPassword(pw!, this.config.password!, this.config.passwordMd5)) {
      this.authenticated = true;
      if (this.config.passwordConfig != null) return new Outcome(OUT_CONFIGFILE, "", this.config.passwordConfig);
      return null;
    }
    console.print(new Text().str("Failed!  Press any key to continue..."));
    this.anyKey();
    return null;
  }

  // 'e': the editor works on a copy; 'b' there boots the copy (no fallback), Esc comes back.
  private edit(index: i32): Outcome | null {
    const r = editEntry(this.config.entries[index], this.root, this.authenticated);
    if (r.action == EDIT_BOOT) return this.bootOne(r.entry!, -1, index); // GRUB 0.97 saved the edited entry's number
    if (r.action == EDIT_OUTCOME) return r.outcome;
    return null;
  }

  private commandLine(): Outcome | null {
    screen.clear().cursor(true).flush();
    if (this.config.format != "menu.lst") return grubCommandLine(this.config);
    return openCommandLine(this.root, this.authenticated, true);
  }

  // No entries at all (an empty menu.lst): GRUB went to the command line.
  private commandLineOnly(): Outcome {
    for (let guard = 0; guard < (1 << 20); guard++) {
      const o = openCommandLine(this.root, this.authenticated, false);
      if (o != null) return o!;
    }
    return new Outcome(OUT_HALT, "pvboot: the command line gave up");
  }

  // A submenu: its entries in a menu of their own, from this config's variables; Esc comes
  // back (null), anything else that leaves it is the outcome.
  private openSubmenu(index: i32): Outcome | null {
    const c = new MenuConfig();
    c.format = this.config.format;
    c.path = this.config.path;
    c.root = this.config.root;
    c.script = this.config.script;
    c.timeout = TIMEOUT_NONE;
    c.entries = this.config.entries[index].children!;
    const m = new Menu(c);
    m.isSubmenu = true;
    m.authenticated = this.authenticated;
    const o = m.run();
    if (o.action == OUT_BACK) return null;
    return o;
  }

  // The countdown ended: the default, through its submenus when it is in one.
  private bootDefault(): Outcome | null {
    const p = this.config.defaultPath;
    if (p.length <= 1 || this.isSubmenu) {
      if (this.config.entries[this.box.selected].children != null) return this.openSubmenu(this.box.selected);
      return this.bootWithFallback(this.box.selected);
    }
    let level = this.config.entries;
    let e: MenuEntry | null = null;
    for (let i = 0; i < p.length; i++) {
      if (p[i] < 0 || p[i] >= level.length) break;
      e = level[p[i]];
      if (e!.children == null) break;
      level = e!.children!;
    }
    if (e == null || e!.children != null) return this.bootWithFallback(this.box.selected);
    return this.bootOne(e!, -1);
  }

  // Boot entry `index`; when it fails, the fallback entries in order (each tried once).
  // null: every one failed and a key was pressed, back to the menu.
  bootWithFallback(index: i32): Outcome | null {
    const tried = new Array<i32>();
    let next = index;
    for (let guard = 0; guard <= this.config.entries.length; guard++) {
      tried.push(next);
      this.backToMenu = false;
      const o = this.bootOne(this.config.entries[next], this.fallbackAfter(tried), next);
      if (o != null) return o;
      if (this.backToMenu) return null;
      next = this.fallbackAfter(tried);
      if (next < 0) return null;
    }
    return null;
  }

  // The first fallback entry that exists and was not tried yet, or -1.
  private fallbackAfter(tried: Array<i32>): i32 {
    const fb = this.config.fallback;
    for (let i = 0; i < fb.length; i++) {
      const e = fb[i];
      if (e >= 0 && e < this.config.entries.length && !tried.includes(e)) return e;
    }
    return -1;
  }

  // One boot attempt. On failure the error is shown; with a fallback to come (`then` >= 0)
  // it goes on at once, otherwise after a key. null when it failed. `index`: the entry's
  // number in this menu, for savedefault (-1: grub.cfg's default reached through submenus).
  private bootOne(entry: MenuEntry, then: i32, index: i32 = -1): Outcome | null {
    screen.clear().cursor(true).flush();
    if (!this.authenticated && isLocked(entry)) {
      const pw = readPassword("This entry is locked. Password: ");
      if (pw == null || !checkPassword(pw!, this.config.password!, this.config.passwordMd5)) {
        console.say("");
        console.say("Error: '" + entry.title + "' is locked and the password was not given");
        return this.failed(then);
      }
      this.authenticated = true;
    }
    const st = entry.kind == ENTRY_SCRIPT ? bootScript(entry, this.config, diskFiles) : runEntry(entry, this.root, this.authenticated, false, new MenuPosition(this.config.path, index, this.config.fallback));
    if (st.action == ACTION_REBOOT) return new Outcome(OUT_REBOOT);
    if (st.action == ACTION_HALT) return new Outcome(OUT_HALT, "pvboot: powering off");
    if (st.action == ACTION_COMMANDLINE) {
      const o = openCommandLine(this.root, this.authenticated, true);
      if (o == null) this.backToMenu = true; // Esc: the menu, as GRUB did, not the fallback
      return o;
    }
    if (st.loaded != null) return loadedOutcome(st.title, st.loaded!, describeLoaded(st.title, st.loaded!));
    if (st.configfile != null) return new Outcome(OUT_CONFIGFILE, "", st.configfile);
    console.say("");
    console.say("Error: " + (st.error != null ? st.error! : "the entry did not boot"));
    return this.failed(then);
  }

  private failed(then: i32): Outcome | null {
    if (then >= 0) {
      console.say("Falling back to entry " + then.toString() + " ('" + this.config.entries[then].title + "')");
      return null;
    }
    console.print(new Text().str("Press any key to continue..."));
    this.anyKey();
    return null;
  }

  private anyKey(): void {
    if (console.readKey(0) == KEY_TIMEOUT) this.noInput = true;
  }
}

// Does the entry have a `lock` line (it needs the password before it runs)?
export function isLocked(entry: MenuEntry): bool {
  for (let i = 0; i < entry.lines.length; i++) if (entry.lines[i].name == "lock") return true;
  return false;
}

export function runMenu(config: MenuConfig): Outcome {
  return new Menu(config).run();
}
