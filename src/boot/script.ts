// GRUB 0.97's commands as a boot script runs them: the grubdom> command line types them one at
// a time, and booting a menu entry runs the entry's lines in order, then `boot` (GRUB does
// exactly this). Every command returns its error (a sentence naming the file or device) or
// null; what it found goes to the console as GRUB printed it.

import { console } from "../xen/console";
import { Text } from "../lib/text";
import { ConfigLine, ModuleSpec, MenuEntry } from "../config/menu";
import { parseDevPath } from "../fs/devpath";
import { mountDevice, searchOrder, deviceName } from "../fs/mounts";
import { partitionTable } from "../disk/volumes";
import { openFile, peekKernel, loadFiles, describeLoaded, prepareDomain, Loaded } from "./load";
import * as more from "./commands";
import { saveDefaultEntry } from "./saved";
import { readPassword, checkPassword } from "../ui/password";

export const ACTION_NONE: i32 = 0;
export const ACTION_REBOOT: i32 = 1; // `reboot` ran: the caller reboots the domain
export const ACTION_HALT: i32 = 2; // `halt` ran: the caller powers it off
export const ACTION_COMMANDLINE: i32 = 3; // `commandline` in an entry: the caller opens grubdom>
import { beginAttempt, endAttempt } from "../lib/attempt";

// Where a menu.lst entry sits in its menu, for `savedefault`: the config's full name (the
// default file is beside it), the entry's number, and the menu's fallback entries.
export class MenuPosition {
  constructor(public configPath: string, public entryNo: i32, public fallback: Array<i32>) {}
}

export class BootState {
  position: MenuPosition | null = null; // booted from a menu; null at grubdom>
  root: string = ""; // "(hd0,0)"; "" until `root`/`rootnoverify`/`uuid` (or the caller) sets it
  kernel: string | null = null; // resolved: "(hd0,0)/boot/vmlinuz"
  kernelArgs: string = ""; // the kernel's command line (after the file name)
  kernelType: string = "linux"; // --type=; pvboot loads Linux-style and multiboot kernels
  noMemOption: bool = false; // --no-mem-option (accepted; a PV kernel gets no mem= anyway)
  initrd: string | null = null; // resolved path
  modules: Array<ModuleSpec> = new Array<ModuleSpec>(); // paths resolved, args as written
  quiet: bool = false; // `quiet`: no "Filesystem type is ..." and load summaries
  authenticated: bool = true; // the menu clears it when a password is set and not given
  title: string = ""; // the entry being booted, for messages
  configfile: string | null = null; // `configfile FILE` ran: the caller shows that menu
  loaded: Loaded | null = null; // `boot` read everything and laid it out: the caller hands over
  error: string | null = null; // what stopped runEntry ("line 4: kernel: '(hd0,0)/x': file not found")
  action: i32 = ACTION_NONE; // reboot or halt ran
  checking: bool = false; // `pvboot check`: nothing waits for a key or asks for a password

  constructor(root: string = "") {
    this.root = root;
  }
}

function say(state: BootState, s: string): void {
  if (!state.quiet) console.say(s);
}

// The first word of s, and the rest with leading blanks gone.
export class Words {
  first: string = "";
  rest: string = "";
}

export function splitWord(s: string): Words {
  const w = new Words();
  let i = 0;
  while (i < s.length && s.charCodeAt(i) == 0x20) i++;
  const start = i;
  while (i < s.length && s.charCodeAt(i) != 0x20) i++;
  w.first = s.substring(start, i);
  while (i < s.length && s.charCodeAt(i) == 0x20) i++;
  w.rest = s.substring(i);
  return w;
}

// Split a typed line the way menu.lst lines are: the command, then one or more blanks or '='.
export function parseLine(s: string, lineNo: i32 = 0): ConfigLine {
  let i = 0;
  while (i < s.length && (s.charCodeAt(i) == 0x20 || s.charCodeAt(i) == 0x09)) i++;
  const start = i;
  while (i < s.length && s.charCodeAt(i) != 0x20 && s.charCodeAt(i) != 0x09 && s.charCodeAt(i) != 0x3d) i++;
  const name = s.substring(start, i);
  while (i < s.length && (s.charCodeAt(i) == 0x20 || s.charCodeAt(i) == 0x09 || s.charCodeAt(i) == 0x3d)) {
    const eq = s.charCodeAt(i) == 0x3d;
    i++;
    if (eq) break; // "default=0": one '=' is the separator, whatever follows is the argument
  }
  let end = s.length;
  while (end > i && (s.charCodeAt(end - 1) == 0x20 || s.charCodeAt(end - 1) == 0x09)) end--;
  return new ConfigLine(lineNo, name, s.substring(i, end));
}

// Run one command (GRUB 0.97's, src/boot/commands.ts has the table). Returns the error, or
// null. `reboot`, `halt` and `commandline` set state.action for the caller.
export function runCommand(state: BootState, line: ConfigLine, interactive: bool): string | null {
  const name = line.name;
  const args = line.args;
  if (name == "root" || name == "rootnoverify") return root(state, name, args, name == "root");
  if (name == "kernel") return kernel(state, args);
  if (name == "initrd") return initrd(state, args);
  if (name == "module" || name == "modulenounzip") return module(state, name, args);
  if (name == "uuid") return uuid(state, args);
  if (name == "boot") return boot(state);
  if (name == "configfile") return configfile(state, args);
  if (name == "savedefault") {
    console.say(" " + savedefault(state, args));
    return null;
  }
  if (name == "lock") {
    if (!state.authenticated) return "lock: this entry needs the password (press 'p' in the menu first)";
    return null;
  }
  if (name == "password") return password(state, args);
  if (name == "quiet") {
    state.quiet = true;
    return null;
  }
  if (name == "reboot" || name == "halt") {
    state.action = name == "reboot" ? ACTION_REBOOT : ACTION_HALT;
    return null;
  }
  if (name == "commandline") {
    if (!interactive) state.action = ACTION_COMMANDLINE; // at grubdom> already: nothing to do
    return null;
  }
  if (name == "chainloader") {
    return "chainloader: chainloading is not possible in a Xen PV guest (there is no BIOS to run a boot sector); boot a kernel with 'kernel'";
  }
  if (name == "cat") return more.cat(args, state.root);
  if (name == "find") return more.find(args);
  if (name == "help") return more.help(args);
  if (name == "cmp") return more.cmp(args, state.root);
  if (name == "testload") return more.testload(args, state.root);
  if (name == "displaymem") return more.displaymem();
  if (name == "geometry") return more.geometry(args);
  if (name == "color") return more.color(args);
  if (name == "echo") {
    console.say(args);
    return null;
  }
  if (name == "pause") return more.pause(args, !state.checking);
  if (name == "md5crypt") {
    if (state.checking) return null;
    return more.md5crypt();
  }
  const why = more.ignoredReason(name);
  if (why != null) {
    say(state, " " + name + ": ignored (" + why! + ")");
    return null;
  }
  if (name.length == 0) return null;
  return "unknown command '" + name + "'";
}

// password [--md5] PASSWD [FILE] in an entry: GRUB asked for it before going on.
function password(state: BootState, args: string): string | null {
  let w = splitWord(args);
  let md5 = false;
  if (w.first == "--md5") {
    md5 = true;
    w = splitWord(w.rest);
  }
  if (w.first.length == 0) return "password: no password given (password [--md5] PASSWD)";
  if (state.checking) return null;
  const typed = readPassword("Password: ");
  if (typed == null || !checkPassword(typed!, w.first, md5)) return "password: wrong password, the entry stops here";
  return null;
}

// root DEVICE / rootnoverify DEVICE: "(hd0,0)", "(hd0)"; root also mounts it.
function root(state: BootState, name: string, args: string, verify: bool): string | null {
  const w = splitWord(args);
  if (w.first.length == 0) {
    if (state.root.length == 0) return name + ": no root device set; give one, like " + name + " (hd0,0)";
    say(state, " root is " + state.root);
    return null;
  }
  if (!w.first.startsWith("(")) return name + ": '" + w.first + "' is not a device like (hd0,0)";
  const dp = parseDevPath(w.first);
  if (dp.error != null) return name + ": " + dp.error!;
  if (dp.disk < 0 || dp.path != "/") return name + ": '" + w.first + "' is not a device like (hd0,0)";
  const dev = deviceName(dp.disk, dp.part);
  if (verify) {
    const m = mountDevice(dp.disk, dp.part);
    if (m.fs == null) return name + ": " + m.error!;
    say(state, " Filesystem type is " + fsType(m.fs!.flavor) + ", " + partitionKind(dp.disk, dp.part));
  }
  state.root = dev;
  return null;
}

// GRUB 0.97 said "ext2fs" for ext2, ext3 and ext4 alike; the flavor follows in parentheses.
function fsType(flavor: string): string {
  return flavor == "ext2" ? "ext2fs" : "ext2fs (" + flavor + ")";
}

function partitionKind(disk: i32, part: i32): string {
  if (part < 0) return "using whole disk";
  const t = partitionTable(<u32>disk);
  const p = t != null ? t!.find(<u32>part) : null;
  if (p == null) return "partition type unknown";
  return "partition type " + p.kind;
}

// kernel [--type=TYPE] [--no-mem-option] FILE [ARGS...]
function kernel(state: BootState, args: string): string | null {
  let rest = args;
  let type = "linux";
  let noMem = false;
  for (let i = 0; i < 8; i++) { // options come first; a handful at most
    const w = splitWord(rest);
    if (w.first.startsWith("--type=")) type = w.first.substring(7);
    else if (w.first == "--no-mem-option") noMem = true;
    else if (w.first.startsWith("--")) return "kernel: unknown option '" + w.first + "'";
    else break;
    rest = w.rest;
  }
  if (type != "linux" && type != "biglinux" && type != "multiboot") {
    return "kernel: --type=" + type + ": pvboot boots Linux-style (linux, biglinux) and multiboot kernels";
  }
  const w = splitWord(rest);
  if (w.first.length == 0) return "kernel: no file given (kernel FILE [ARGS...])";
  // A new kernel forgets the previous one's initrd and modules, as GRUB did.
  state.kernel = null;
  state.initrd = null;
  state.modules = new Array<ModuleSpec>();
  const f = openFile(w.first, state.root);
  if (f.error != null) return "kernel: " + f.error!;
  const k = peekKernel(f);
  if (k.error != null) return "kernel: " + k.error!;
  say(state, "   " + k.summary);
  state.kernel = f.full;
  state.kernelArgs = w.rest;
  state.kernelType = type;
  state.noMemOption = noMem;
  return null;
}

function initrd(state: BootState, args: string): string | null {
  if (state.kernel == null) return "initrd: load a kernel first (kernel FILE)";
  const w = splitWord(args);
  if (w.first.length == 0) return "initrd: no file given (initrd FILE)";
  const f = openFile(w.first, state.root);
  if (f.error != null) return "initrd: " + f.error!;
  say(state, "   [Linux-initrd, size=0x" + f.size.toString(16) + "]");
  state.initrd = f.full;
  return null;
}

// module FILE [ARGS]: the module's command line is the whole argument, file name included.
function module(state: BootState, name: string, args: string): string | null {
  if (state.kernel == null) return name + ": load a kernel first (kernel FILE)";
  const w = splitWord(args);
  if (w.first.length == 0) return name + ": no file given (" + name + " FILE [ARGS...])";
  const f = openFile(w.first, state.root);
  if (f.error != null) return name + ": " + f.error!;
  say(state, "   [Multiboot-module, size=0x" + f.size.toString(16) + "]");
  state.modules.push(new ModuleSpec(f.full, args, name == "modulenounzip"));
  return null;
}

// uuid UUID: make the filesystem with that UUID the root. uuid alone: list every one.
function uuid(state: BootState, args: string): string | null {
  const want = splitWord(args).first.toLowerCase();
  const devs = searchOrder();
  let found = 0;
  for (let i = 0; i < devs.length; i++) {
    const dp = parseDevPath(devs[i]);
    const m = mountDevice(dp.disk, dp.part);
    if (m.fs == null) continue;
    const fs = m.fs!;
    if (want.length == 0) {
      console.line(new Text().str(" ").str(m.device).str(": ").str(fs.flavor).str(" UUID ").str(fs.uuid)
        .str(fs.label.length > 0 ? ", label \"" + fs.label + "\"" : ""));
      found++;
    } else if (fs.uuid.toLowerCase() == want) {
      state.root = m.device;
      say(state, " (" + m.device.substring(1, m.device.length - 1) + "): Filesystem type is " + fsType(fs.flavor) + ", " + partitionKind(dp.disk, dp.part));
      return null;
    }
  }
  if (want.length == 0) {
    if (found == 0) return "uuid: no filesystem found on any disk (" + devs.length.toString() + " devices searched)";
    return null;
  }
  return "uuid: no filesystem has UUID " + want + " (" + devs.length.toString() + " devices searched)";
}

// configfile FILE: checked here; the caller reads it and shows its menu (state.configfile:
// the menu and grubdom> return it as OUT_CONFIGFILE, and src/main.ts loads it with
// loadConfigFile).
function configfile(state: BootState, args: string): string | null {
  const w = splitWord(args);
  if (w.first.length == 0) return "configfile: no file given (configfile FILE)";
  const f = openFile(w.first, state.root);
  if (f.error != null) return "configfile: " + f.error!;
  state.configfile = f.full;
  return null;
}

// `savedefault [NUM | fallback]` (GRUB 0.97): the entry's own number, NUM, or the fallback
// entry that follows this one in the `fallback` list (the first one when this entry is not in
// it), written to the default file beside the menu (src/boot/saved.ts). The line to print.
// A refusal never stops the entry: the boot goes on, as the "no write, one line" asks.
function savedefault(state: BootState, args: string): string {
  if (state.checking) return "savedefault: not saved (pvboot check writes nothing)";
  if (state.position == null) return "savedefault: not saved: only an entry booted from a menu has a number to save";
  const pos = state.position!;
  const arg = splitWord(args).first;
  let entry = pos.entryNo;
  if (arg == "fallback") {
    let index = 0;
    for (let i = 0; i < pos.fallback.length; i++) if (pos.fallback[i] == pos.entryNo) index = i + 1;
    if (index >= pos.fallback.length) return "savedefault: not saved: no fallback entry follows entry " + pos.entryNo.toString();
    entry = pos.fallback[index];
  } else if (arg.length > 0) {
    const n = I32.parseInt(arg);
    if (n.toString() != arg || n < 0) return "savedefault: not saved: '" + arg + "' is not an entry number";
    entry = n;
  }
  if (entry < 0) return "savedefault: not saved: this entry has no number in the menu";
  return saveDefaultEntry(pos.configPath, entry);
}

// One boot attempt: its buffers are the attempt's memory (src/lib/attempt.ts), given back
// when it fails, so that the next entry (a fallback, an edit, a command) has all of it again.
function boot(state: BootState): string | null {
  if (state.kernel == null) return "boot: no kernel loaded (use 'kernel FILE' first)";
  if (!beginAttempt()) return "boot: another boot attempt is still open";
  const e = loadAndLayOut(state);
  endAttempt(e != null);
  if (e != null) return "boot: " + e!;
  console.say(describeLoaded(state.title, state.loaded!));
  return null;
}

// What `boot` does inside its attempt: state.loaded on success, else the error.
function loadAndLayOut(state: BootState): string | null {
  const paths = new Array<string>();
  const unzip = new Array<bool>();
  for (let i = 0; i < state.modules.length; i++) {
    paths.push(state.modules[i].path);
    unzip.push(!state.modules[i].nounzip);
  }
  const l = loadFiles(state.kernel!, state.initrd, paths, state.quiet, unzip);
  if (l.error != null) return l.error;
  const lines = new Array<string>();
  for (let i = 0; i < state.modules.length; i++) lines.push(state.modules[i].args);
  const e = prepareDomain(l, state.kernelArgs, lines, state.quiet);
  if (e != null) return e;
  state.loaded = l;
  return null;
}

// Boot a menu entry: its lines in order (each echoed, as GRUB did, but `pause`), then `boot`
// unless the entry said it. The state tells what happened: `loaded` (the caller hands over),
// `configfile` (show that menu), `action` (reboot, halt or commandline ran), or `error`, what stopped it
// (the menu tries the fallback). `authenticated`: the menu's password was given (or there is
// none); `lock` stops otherwise. `checking` (pvboot check): pause, password and md5crypt do
// not wait for keys, and savedefault writes nothing. `position`: where the entry sits in its
// menu, for savedefault (null: not booted from a menu).
export function runEntry(entry: MenuEntry, root: string, authenticated: bool = true, checking: bool = false, position: MenuPosition | null = null): BootState {
  const state = new BootState(root);
  state.position = position;
  state.title = entry.title;
  state.authenticated = authenticated;
  state.checking = checking;
  console.say(" Booting '" + entry.title + "'");
  console.say("");
  for (let i = 0; i < entry.lines.length; i++) {
    const line = entry.lines[i];
    if (!state.quiet && line.name != "pause") console.say(line.toString()); // GRUB did not echo pause
    const e = runCommand(state, line, false);
    if (e != null) {
      state.error = "line " + line.lineNo.toString() + ": " + e;
      return state;
    }
    if (state.configfile != null || state.loaded != null || state.action != ACTION_NONE) return state;
  }
  if (!state.quiet) console.say("boot");
  state.error = runCommand(state, new ConfigLine(0, "boot", ""), false);
  return state;
}

// runEntry for callers that only need the error: "" when nothing failed (loaded, or a
// configfile to show: check runEntry's state for those).
export function bootEntry(entry: MenuEntry, root: string, authenticated: bool = true): string {
  const state = runEntry(entry, root, authenticated);
  return state.error != null ? state.error! : "";
}
