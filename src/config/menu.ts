// A parsed menu.lst (GRUB 0.97's format): what the menu (src/ui/menu.ts), the command line
// (src/ui/grubdom.ts), the boot script runner (src/boot/script.ts) and `pvboot menu` share.
// src/config/menulst.ts makes these from the file's bytes; nothing here reads a disk.

// One command line of the file after GRUB 0.97's lexing: CR dropped, tabs as spaces,
// backslash-newline joined, leading blanks gone. `name` is the command ("kernel"), `args`
// everything after the separator (one or more spaces or an '=') with trailing blanks removed.
export class ConfigLine {
  constructor(
    public lineNo: i32, // 1-based line of the file where the command starts
    public name: string,
    public args: string,
  ) {}

  // The line as the entry editor shows it and as the command line would take it.
  toString(): string {
    return this.args.length > 0 ? this.name + " " + this.args : this.name;
  }
}

// A `module` (or `modulenounzip`) line: the file and its command line. GNU Mach expects the
// command line to start with the file name, as PV-GRUB passed it.
export class ModuleSpec {
  constructor(
    public path: string, // as written, device included when given: "(hd0,0)/hurd/ext2fs.static"
    public args: string, // the whole argument of the line, file name included
    public nounzip: bool = false,
  ) {}
}

// A title and the commands under it, in file order. Booting the entry runs them as a script
// (src/boot/script.ts), exactly as typed at the command line, then `boot`.
export class MenuEntry {
  title: string;
  lineNo: i32; // line of the `title` command
  lines: Array<ConfigLine> = new Array<ConfigLine>();

  constructor(title: string, lineNo: i32) {
    this.title = title;
    this.lineNo = lineNo;
  }
}

export const TIMEOUT_NONE: i32 = -1; // no `timeout` line: wait for a key forever

export class MenuConfig {
  path: string = ""; // where it was read: "(hd0,0)/boot/grub/menu.lst", or "(ramdisk)"
  root: string = ""; // the device it was read from, "(hd0,0)": each entry's root until it sets one
  defaultEntry: i32 = 0; // 0-based, after `default saved` has been resolved
  defaultSaved: bool = false; // `default saved`: the number came from the `default` file
  timeout: i32 = TIMEOUT_NONE; // seconds
  fallback: Array<i32> = new Array<i32>(); // 0-based entries tried, in order, when one fails
  hiddenmenu: bool = false;
  password: string | null = null; // the password (plain) or the crypt string (md5)
  passwordMd5: bool = false;
  passwordConfig: string | null = null; // `password PW FILE`: the config file it unlocks
  color: string | null = null; // `color NORMAL [HIGHLIGHT]` before the first title (src/ui/colors.ts)
  entries: Array<MenuEntry> = new Array<MenuEntry>();
  warnings: Array<string> = new Array<string>(); // "menu.lst:12: unknown command 'foo', skipped"
  error: string | null = null; // set when the file could not be used at all
}

// What an entry boots, read statically from its lines (src/config/menulst.ts entrySummary):
// `pvboot menu` shows it; the runner still executes the lines themselves.
export class EntrySummary {
  root: string = ""; // the root in effect at `kernel` ("" when none is known)
  uuid: string | null = null; // the `uuid` line's argument, when the entry has one
  kernel: string | null = null;
  kernelType: string | null = null; // --type=... when given
  args: string = ""; // the kernel's command line: its arguments without the file name
  initrd: string | null = null;
  modules: Array<ModuleSpec> = new Array<ModuleSpec>();
  configfile: string | null = null; // an entry that loads another config file
  chainloader: string | null = null;
}
