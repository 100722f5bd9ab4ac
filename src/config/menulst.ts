// menu.lst bytes -> MenuConfig, with GRUB 0.97's rules (docs/config.md):
// before the first `title`, the menu's own commands (default, fallback, timeout, hiddenmenu,
// password, color) take effect and the display ones (splashimage, ...) are accepted and
// ignored; any other known command there is ignored, as GRUB did. After a title, every known
// command is kept as a line of the entry, in order, for the runner. Unknown commands are
// skipped with a warning. A title without commands is dropped (GRUB reused its slot).

import { lex, LexLine } from "./lexer";
import { ConfigLine, MenuConfig, MenuEntry, ModuleSpec, EntrySummary } from "./menu";
import { parseDevPath } from "../fs/devpath";
import { checkColors } from "../ui/colors";

export const MAX_ENTRIES: i32 = 256;
export const MAX_FALLBACK: i32 = 8; // GRUB 0.97's MAX_FALLBACK_ENTRIES

// The menu's own commands: run while reading the global section.
const GLOBAL = ["default", "fallback", "timeout", "hiddenmenu", "password"];
// Display and terminal settings: accepted before the first title, no effect here.
const GLOBAL_IGNORED = ["color", "splashimage", "foreground", "background", "serial", "terminal",
  "terminfo", "pager", "debug", "setkey", "gfxmenu", "viewport", "shade"];
// Everything else GRUB 0.97 (with Debian's additions) knew: kept in entries for the runner.
const ENTRY = ["root", "rootnoverify", "kernel", "initrd", "module", "modulenounzip", "uuid",
  "savedefault", "lock", "configfile", "quiet", "boot", "makeactive", "map", "hide", "unhide",
  "chainloader", "find", "pause", "reboot", "halt", "displaymem", "geometry", "parttype",
  "partnew", "cat", "cmp", "blocklist", "read", "testload", "uppermem", "md5crypt", "ioprobe",
  "impsprobe", "displayapm", "setup", "install", "embed", "fstest", "help", "device",
  "tftpserver", "bootp", "dhcp", "rarp", "ifconfig", "testvbe", "vbeprobe", "echo", "commandline"];

function known(list: string[], name: string): bool {
  for (let i = 0; i < list.length; i++) if (list[i] == name) return true;
  return false;
}

// "menu.lst" for "(hd0,0)/boot/grub/menu.lst": how warnings name the file.
export function baseName(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash >= 0 ? path.substring(slash + 1) : path;
}

// A decimal number of at most 9 digits, or -1.
export function parseNumber(s: string): i32 {
  if (s.length == 0 || s.length > 9) return -1;
  let v: i32 = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    v = v * 10 + (c - 0x30);
  }
  return v;
}

// The first word of s and the rest after the blanks that follow it.
export function firstWord(s: string): string {
  const sp = s.indexOf(" ");
  return sp < 0 ? s : s.substring(0, sp);
}

export function afterFirstWord(s: string): string {
  const sp = s.indexOf(" ");
  if (sp < 0) return "";
  let i = sp;
  while (i < s.length && s.charCodeAt(i) == 0x20) i++;
  return s.substring(i);
}

class Parser {
  cfg: MenuConfig = new MenuConfig();
  file: string = "";
  entry: MenuEntry | null = null;
  entriesFull: bool = false;

  constructor(path: string) {
    this.cfg.path = path;
    this.file = baseName(path);
  }

  warn(lineNo: i32, msg: string): void {
    this.cfg.warnings.push(this.file + ":" + lineNo.toString() + ": " + msg);
  }

  finishEntry(): void {
    const e = this.entry;
    if (e == null) return;
    this.entry = null;
    if (e.lines.length == 0) {
      this.warn(e.lineNo, "title '" + e.title + "' has no commands, dropped");
      return;
    }
    if (this.cfg.entries.length >= MAX_ENTRIES) {
      if (!this.entriesFull) this.warn(e.lineNo, "more than " + MAX_ENTRIES.toString() + " entries, the rest ignored");
      this.entriesFull = true;
      return;
    }
    this.cfg.entries.push(e);
  }

  line(l: LexLine): void {
    const name = l.name;
    if (name == "title") {
      this.finishEntry();
      this.entry = new MenuEntry(l.args, l.lineNo);
      return;
    }
    const isGlobal = known(GLOBAL, name);
    const isIgnored = known(GLOBAL_IGNORED, name);
    const isEntry = known(ENTRY, name);
    if (!isGlobal && !isIgnored && !isEntry) {
      this.warn(l.lineNo, "unknown command '" + name + "', skipped");
      return;
    }
    if (this.entry != null) {
      this.checkEntryLine(l);
      this.entry!.lines.push(new ConfigLine(l.lineNo, name, l.args));
      return;
    }
    if (name == "color") {
      this.setColor(l);
      return;
    }
    if (isIgnored) return;
    if (!isGlobal) {
      this.warn(l.lineNo, "'" + name + "' before the first title has no effect, ignored");
      return;
    }
    if (name == "default") this.setDefault(l);
    else if (name == "fallback") this.setFallback(l);
    else if (name == "timeout") this.setTimeout(l);
    else if (name == "hiddenmenu") this.cfg.hiddenmenu = true;
    else if (name == "password") this.setPassword(l);
  }

  setDefault(l: LexLine): void {
    const w = firstWord(l.args);
    if (w == "saved") {
      // 0 until the `default` file is read (src/config/find.ts): an earlier `default N` is
      // replaced, as GRUB 0.97's was, and never left naming no entry.
      this.cfg.defaultSaved = true;
      this.cfg.defaultEntry = 0;
      return;
    }
    const v = parseNumber(w);
    if (v < 0) {
      this.warn(l.lineNo, "default '" + l.args + "' is not an entry number, 0 used");
      return;
    }
    this.cfg.defaultSaved = false;
    this.cfg.defaultEntry = v;
  }

  setFallback(l: LexLine): void {
    const out = new Array<i32>();
    const words = l.args.split(" ");
    for (let i = 0; i < words.length; i++) {
      if (words[i].length == 0) continue;
      const v = parseNumber(words[i]);
      if (v < 0) {
        this.warn(l.lineNo, "fallback '" + words[i] + "' is not an entry number, ignored");
        continue;
      }
      if (out.length >= MAX_FALLBACK) {
        this.warn(l.lineNo, "more than " + MAX_FALLBACK.toString() + " fallback entries, the rest ignored");
        break;
      }
      out.push(v);
    }
    this.cfg.fallback = out;
  }

  setTimeout(l: LexLine): void {
    const v = parseNumber(firstWord(l.args));
    if (v < 0) {
      this.warn(l.lineNo, "timeout '" + l.args + "' is not a number of seconds, ignored");
      return;
    }
    this.cfg.timeout = v;
  }

  // color NORMAL [HIGHLIGHT]: the menu's colours; a bad one keeps the plain menu.
  setColor(l: LexLine): void {
    const e = checkColors(l.args);
    if (e != null) this.warn(l.lineNo, "color: " + e! + ", ignored");
    else this.cfg.color = l.args;
  }

  // password [--md5] PASSWD [FILE]
  setPassword(l: LexLine): void {
    let rest = l.args;
    let md5 = false;
    if (firstWord(rest) == "--md5") {
      md5 = true;
      rest = afterFirstWord(rest);
    }
    const pw = firstWord(rest);
    if (pw.length == 0) {
      this.warn(l.lineNo, "password without a password, ignored");
      return;
    }
    if (md5 && !pw.startsWith("$1$")) this.warn(l.lineNo, "password --md5 '" + pw + "' is not an MD5 crypt ($1$...)");
    this.cfg.password = pw;
    this.cfg.passwordMd5 = md5;
    const file = firstWord(afterFirstWord(rest));
    this.cfg.passwordConfig = file.length > 0 ? file : null;
  }

  // Device names are checked here so that a BSD letter shows up when the menu is read, not
  // only when the entry boots.
  checkEntryLine(l: LexLine): void {
    const n = l.name;
    let target = "";
    if (n == "root" || n == "rootnoverify") target = firstWord(l.args);
    else if (n == "kernel") {
      const k = kernelParts(l.args);
      if (k.badType != null) this.warn(l.lineNo, "kernel --type=" + k.badType! + ": not a type GRUB knew (netbsd, freebsd, openbsd, linux, biglinux, multiboot)");
      target = k.kernel;
    }
    else if (n == "initrd" || n == "module" || n == "modulenounzip" || n == "configfile" || n == "chainloader") target = firstWord(l.args);
    else return;
    if (target.length == 0 && (n == "root" || n == "rootnoverify")) return; // prints the root, as GRUB did
    if (target.length == 0) {
      this.warn(l.lineNo, "'" + n + "' without a file or device");
      return;
    }
    if ((n == "root" || n == "rootnoverify") && !target.startsWith("(")) {
      this.warn(l.lineNo, "'" + target + "' is not a device like (hd0,0)");
      return;
    }
    if (n == "chainloader" && target.startsWith("+")) return; // a block list: "+1"
    const dp = parseDevPath(target);
    if (dp.error != null) this.warn(l.lineNo, dp.error!);
  }
}

// kernel [--type=TYPE] [--no-mem-option] FILE ARGS...
class KernelParts {
  kernel: string = "";
  type: string | null = null;
  args: string = "";
  badType: string | null = null;
}

const KERNEL_TYPES = ["netbsd", "freebsd", "openbsd", "linux", "biglinux", "multiboot"];

export function kernelParts(args: string): KernelParts {
  const k = new KernelParts();
  let rest = args;
  for (let i = 0; i < 16; i++) { // the options come first; GRUB looped over them the same way
    const w = firstWord(rest);
    if (w.startsWith("--type=")) {
      const t = w.substring(7);
      if (known(KERNEL_TYPES, t)) k.type = t;
      else k.badType = t;
    } else if (w != "--no-mem-option") {
      break;
    }
    rest = afterFirstWord(rest);
  }
  k.kernel = firstWord(rest);
  k.args = afterFirstWord(rest);
  return k;
}

// Parse a config file's bytes. `path` names it in messages. Errors (binary data, an over-long
// line, too big) leave no entries and set cfg.error, naming the file and the line.
export function parseMenuLst(p: usize, n: u32, path: string): MenuConfig {
  const r = lex(p, n);
  const parser = new Parser(path);
  if (r.error != null) {
    parser.cfg.error = path + ":" + r.error!;
    return parser.cfg;
  }
  for (let i = 0; i < r.lines.length; i++) parser.line(r.lines[i]);
  parser.finishEntry();
  const cfg = parser.cfg;
  const kept = new Array<i32>();
  for (let i = 0; i < cfg.fallback.length; i++) {
    if (cfg.fallback[i] < cfg.entries.length) kept.push(cfg.fallback[i]);
    else cfg.warnings.push(parser.file + ": fallback entry " + cfg.fallback[i].toString() + " does not exist, ignored");
  }
  cfg.fallback = kept;
  if (!cfg.defaultSaved) checkDefault(cfg);
  if (cfg.entries.length == 0) cfg.warnings.push(parser.file + ": no entries");
  return cfg;
}

// A default naming no entry: GRUB 0.97 took the first fallback entry instead (the others
// stay fallbacks), or entry 0.
export function checkDefault(cfg: MenuConfig): void {
  if (cfg.defaultEntry < cfg.entries.length || cfg.entries.length == 0) return;
  const was = cfg.defaultEntry;
  // The first fallback that names an entry; those before it name none either (bounded by
  // MAX_FALLBACK).
  while (cfg.fallback.length > 0) {
    const f = cfg.fallback.shift();
    if (f < cfg.entries.length) {
      cfg.defaultEntry = f;
      cfg.warnings.push(baseName(cfg.path) + ": default entry " + was.toString() + " does not exist, fallback " + f.toString() + " used");
      return;
    }
  }
  cfg.defaultEntry = 0;
  cfg.warnings.push(baseName(cfg.path) + ": default entry " + was.toString() + " does not exist, 0 used");
}

// `default saved`: GRUB 0.97's `default` file holds the entry number as text at its start
// (GRUB read its first 9 bytes; "0\n#\n#..." as grub-set-default wrote it).
export function applySavedDefault(cfg: MenuConfig, text: string, where: string): void {
  const i = 0;
  let j = i;
  while (j < text.length && j - i < 9 && text.charCodeAt(j) >= 0x30 && text.charCodeAt(j) <= 0x39) j++;
  if (j == i) {
    cfg.warnings.push(where + ": no entry number at the start, 0 used");
    cfg.defaultEntry = 0;
  } else {
    cfg.defaultEntry = parseNumber(text.substring(i, j));
  }
  checkDefault(cfg);
}

// Finds the device whose filesystem has a UUID (src/config/find.ts gives one that mounts).
export abstract class UuidResolver {
  abstract resolve(uuid: string): string | null;
}

// What an entry boots, from its lines alone: the root in effect at the last `kernel` (the
// entry's own root/rootnoverify/uuid lines before it, else `inheritedRoot`, the device the config came from: GRUB 0.97
// ran every entry from the state the menu was read in), the kernel, its command line (the
// arguments without the file name and the --type/--no-mem-option options), the initrd, and the
// modules with their whole argument as their command line.
export function entrySummary(entry: MenuEntry, inheritedRoot: string, resolver: UuidResolver | null = null): EntrySummary {
  const s = new EntrySummary();
  let root = inheritedRoot; // as the lines run
  let kernelRoot = ""; // the root when the (last) kernel line ran
  let sawKernel = false;
  for (let i = 0; i < entry.lines.length; i++) {
    const l = entry.lines[i];
    const n = l.name;
    if ((n == "root" || n == "rootnoverify") && l.args.length > 0) {
      root = firstWord(l.args);
    } else if (n == "uuid") {
      s.uuid = firstWord(l.args);
      if (resolver != null) {
        const dev = resolver.resolve(s.uuid!);
        if (dev != null) root = dev;
      }
    } else if (n == "kernel") {
      const k = kernelParts(l.args);
      s.kernel = k.kernel;
      s.kernelType = k.type;
      s.args = k.args;
      s.modules = new Array<ModuleSpec>(); // GRUB: a new kernel forgets the modules before it
      s.initrd = null;
      s.initrds = new Array<string>();
      sawKernel = true;
      kernelRoot = root;
    } else if (n == "initrd") {
      s.initrd = firstWord(l.args);
      s.initrds = [s.initrd!]; // GRUB 0.97 loaded one initrd: the last line's
    } else if (n == "module" || n == "modulenounzip") {
      s.modules.push(new ModuleSpec(firstWord(l.args), l.args, n == "modulenounzip"));
    } else if (n == "configfile") {
      s.configfile = firstWord(l.args);
    } else if (n == "chainloader") {
      s.chainloader = firstWord(l.args);
    }
  }
  s.root = sawKernel ? kernelRoot : root;
  return s;
}
