// A parsed menu (menu.lst, grub.cfg or Boot Loader Spec entries): what the menu
// (src/ui/menu.ts), the command line (src/ui/grubdom.ts), the boot script runners
// (src/boot/script.ts for menu.lst, src/config/grubcfg/boot.ts for the others) and `pvboot menu`
// share. src/config/menulst.ts, src/config/grubcfg/reader.ts and src/config/bls/bls.ts make
// these from the files' bytes; nothing here reads a disk.

import { Node, Parsed } from "./grubcfg/parser";

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
    public args: string, // its command line: menu.lst, the whole argument, file name included (GRUB 0.97);
    // grub.cfg, the arguments after the file name (GRUB 2)
    public nounzip: bool = false,
  ) {}
}

export const ENTRY_MENULST: i32 = 0; // GRUB 0.97 commands, run by src/boot/script.ts
export const ENTRY_SCRIPT: i32 = 1; // GRUB 2 script (grub.cfg, BLS), run by src/config/grubcfg/boot.ts

// A title and the commands under it, in file order. Booting a menu.lst entry runs them as a
// script (src/boot/script.ts), exactly as typed at the command line, then `boot`. A grub.cfg
// or BLS entry's lines are its body's lines of GRUB 2 script, parsed and run when it boots.
export class MenuEntry {
  title: string;
  lineNo: i32; // line of the `title` command (`menuentry`, or the BLS file's first line)
  lines: Array<ConfigLine> = new Array<ConfigLine>();
  kind: i32 = ENTRY_MENULST;
  id: string | null = null; // GRUB 2's --id, or the BLS file name without .conf
  children: Array<MenuEntry> | null = null; // a submenu's entries
  positional: Array<string> = new Array<string>(); // menuentry's extra arguments: $1, $2, ...
  file: string = ""; // the file it came from, for messages: "grub.cfg", "entries/x.conf"

  constructor(title: string, lineNo: i32) {
    this.title = title;
    this.lineNo = lineNo;
  }
}

export const TIMEOUT_NONE: i32 = -1; // no `timeout` line: wait for a key forever

// Bytes of files `source` has run for one config: reading it, every entry's summary and run
// (src/config/grubcfg/eval.ts bounds the total, so that a config whose entries each source
// large files cannot take the time by running them one after another). And the trees of the
// last files it parsed, so that a file sourced again (by each entry, or in a loop) is not
// lexed and parsed again: the nodes are only read once made.
export class SourceBudget {
  used: i64 = 0;
  memory: i64 = 0; // what the config's runs took (eval.ts, MAX_SCRIPT_MEMORY)
  paths: Array<string> = new Array<string>();
  texts: Array<string> = new Array<string>();
  trees: Array<Parsed> = new Array<Parsed>();
}
// Files whose trees SourceBudget keeps; the oldest goes first.
export const PARSED_FILES_KEPT: i32 = 8;

// A grub.cfg's state once read: its variables and functions, which every entry starts from.
export class ScriptContext {
  env: Map<string, string> = new Map<string, string>();
  funcs: Map<string, Node> = new Map<string, Node>();
  sourced: SourceBudget = new SourceBudget(); // shared by every clone

  clone(): ScriptContext {
    const c = new ScriptContext();
    c.sourced = this.sourced;
    const keys = this.env.keys();
    for (let i = 0; i < keys.length; i++) c.env.set(keys[i], this.env.get(keys[i]));
    const fk = this.funcs.keys();
    for (let i = 0; i < fk.length; i++) c.funcs.set(fk[i], this.funcs.get(fk[i]));
    return c;
  }
}

export class MenuConfig {
  format: string = "menu.lst"; // "menu.lst", "grub.cfg", "bls", or "chain" (a pvboot image to start)
  path: string = ""; // where it was read: "(hd0,0)/boot/grub/menu.lst", "(ramdisk)"; bls: the entries folder
  root: string = ""; // the device it was read from, "(hd0,0)": each entry's root until it sets one
  defaultEntry: i32 = 0; // 0-based, after `default saved` has been resolved
  defaultSaved: bool = false; // `default saved`: the number came from the `default` file
  defaultPath: Array<i32> = new Array<i32>(); // grub.cfg: the default through submenus ("1>2": [1, 2])
  script: ScriptContext | null = null; // grub.cfg and bls: what entries run with
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
  initrds: Array<string> = new Array<string>(); // every initrd (grub.cfg and bls: several, resolved)
  modules: Array<ModuleSpec> = new Array<ModuleSpec>();
  configfile: string | null = null; // an entry that loads another config file
  chainloader: string | null = null;
}
