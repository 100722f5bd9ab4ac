// The grubdom> command line, as PV-GRUB had it: GRUB 0.97's commands typed one at a time
// (src/boot/script.ts runs them, as it runs a menu entry's lines), plus `ls`, pvboot's own. Tab completes command names, devices and paths; Up/Down walk the history.
// Errors are printed as "Error: " and a sentence naming the command and the file or device.

import { console, KEY_ESC, KEY_TIMEOUT } from "../xen/console";
import { Text } from "../lib/text";
import { LineEditor, History, Completer, Completion } from "./lineedit";
import { BootState, runCommand, parseLine, splitWord, ACTION_REBOOT, ACTION_HALT } from "../boot/script";
import { COMMANDS } from "../boot/commands";
import { resolvePath, searchOrder, mountDevice } from "../fs/mounts";
import { parseDevPath } from "../fs/devpath";
import { FileSystem, FileType, FsStat } from "../fs/fs";
import { lsLine } from "../fs/listing";
import { VERSION } from "../version";

// What the caller does once the command line returns.
export const CLI_LOADED: i32 = 1; // `boot` read the kernel and the rest and laid them out: hand over
export const CLI_CONFIGFILE: i32 = 2; // show the menu of CliResult.configfile
export const CLI_MENU: i32 = 3; // Esc, called from the menu: back to it
export const CLI_REBOOT: i32 = 4;
export const CLI_HALT: i32 = 5;
export const CLI_NO_INPUT: i32 = 6; // the console can give no more keys (only in the emulator)

export class CliResult {
  constructor(public action: i32, public configfile: string | null = null) {}
}

const MAX_CANDIDATES = 512; // Tab lists at most this many names

// Tab: command names as the first word; "(hd" a device; anything with a '/' or a ')' a path.
export class GrubCompleter extends Completer {
  constructor(public state: BootState) {
    super();
  }

  complete(line: string, cursor: i32): Completion {
    const c = new Completion();
    let start = cursor;
    while (start > 0 && line.charCodeAt(start - 1) != 0x20) start--;
    c.start = start;
    const word = line.substring(start, cursor);
    let first = true;
    for (let i = 0; i < start; i++) if (line.charCodeAt(i) != 0x20) first = false;
    if (first) {
      c.title = "Possible commands are:";
      for (let i = 0; i < COMMANDS.length; i++) {
        if (COMMANDS[i].name.startsWith(word)) c.add(COMMANDS[i].name + " ", COMMANDS[i].name);
      }
      return c;
    }
    if (word.startsWith("(") && word.indexOf(")") < 0) {
      c.title = "Possible disks and partitions are:";
      const devs = searchOrder();
      for (let i = 0; i < devs.length; i++) if (devs[i].startsWith(word)) c.add(devs[i], devs[i]);
      return c;
    }
    let w = word;
    const eq = w.indexOf("="); // --type=... and the like are not paths
    if (w.startsWith("-") && eq >= 0) return c;
    if (w.endsWith(")")) w += "/";
    if (!w.startsWith("/") && !w.startsWith("(")) return c;
    const slash = w.lastIndexOf("/");
    const dir = w.substring(0, slash + 1);
    const prefix = w.substring(slash + 1);
    const m = resolvePath(dir, this.state.root);
    if (m.fs == null) {
      c.error = m.error != null ? m.error! : "'" + dir + "': no filesystem";
      return c;
    }
    const fs = m.fs!;
    const l = fs.lookup(m.path);
    if (l.error != null) {
      c.error = "'" + dir + "': " + l.error!;
      return c;
    }
    const d = fs.list(l.ino);
    if (d.error != null) {
      c.error = "'" + dir + "': " + d.error!;
      return c;
    }
    c.title = "Possible files are:";
    const names = new Array<string>();
    for (let i = 0; i < d.entries.length && names.length < MAX_CANDIDATES; i++) {
      const e = d.entries[i];
      if (e.name == "." || e.name == ".." || !e.name.startsWith(prefix)) continue;
      names.push(e.type == FileType.Dir ? e.name + "/" : e.name);
    }
    names.sort();
    for (let i = 0; i < names.length; i++) {
      const n = names[i];
      c.add(n.endsWith("/") ? dir + n : dir + n + " ", n);
    }
    return c;
  }
}

function error(msg: string): void {
  console.say("Error: " + msg);
}

const LS_MAX = 4096; // entries listed at most

function ls(state: BootState, args: string): void {
  let path = splitWord(args).first;
  if (path.length == 0) {
    if (state.root.length == 0) return error("ls: no root device set; give a device or path, like ls (hd0,0)/boot");
    path = state.root;
  }
  if (path.endsWith(")")) path += "/";
  const m = resolvePath(path, state.root);
  if (m.fs == null) return error("ls: " + (m.error != null ? m.error! : "'" + path + "': no filesystem"));
  const fs = m.fs!;
  const full = m.device + m.path;
  const l = fs.lookup(m.path);
  if (l.error != null) {
    return error("ls: '" + full + "': " + (l.error!.indexOf("not found in directory") >= 0 ? "no such file or directory" : l.error!));
  }
  const st = fs.stat(l.ino);
  if (st.error != null) return error("ls: '" + full + "': " + st.error!);
  const t = new Text(4096);
  if (st.type != FileType.Dir) {
    lsLine(t, fs, st, m.path.substring(m.path.lastIndexOf("/") + 1), " ", "\r\n");
    console.print(t);
    return;
  }
  const d = fs.list(l.ino);
  if (d.error != null) return error("ls: '" + full + "': " + d.error!);
  const names = new Array<string>();
  const inos = new Map<string, u64>();
  for (let i = 0; i < d.entries.length && names.length < LS_MAX; i++) {
    const n = d.entries[i].name;
    if (n == "." || n == "..") continue;
    names.push(n);
    inos.set(n, d.entries[i].ino);
  }
  names.sort();
  for (let i = 0; i < names.length; i++) {
    const est = fs.stat(inos.get(names[i]));
    if (est.error != null) t.str(" ? ").str(names[i]).str(": ").str(est.error!).str("\r\n");
    else lsLine(t, fs, est, names[i], " ", "\r\n");
  }
  if (d.entries.length - 2 > names.length) t.str(" [... more entries not listed]\r\n");
  console.print(t);
}

function banner(fromMenu: bool): void {
  console.say("");
  console.say("    pvboot " + VERSION + " command line (GRUB legacy commands; 'help' lists them)");
  console.say("");
  console.say(" [ Minimal BASH-like line editing is supported.  For the first word, TAB");
  console.say("   lists possible command completions.  Anywhere else TAB lists the possible");
  console.say(fromMenu ? "   completions of a device/filename.  ESC at any time exits. ]"
    : "   completions of a device/filename. ]");
  console.say("");
}

const history = new History(32); // kept across visits to the command line

// The grubdom> prompt until something leaves it: a boot that loaded, a configfile, Esc back to
// the menu (fromMenu), reboot or halt. The state (root, kernel, ...) carries over visits.
export function commandLine(state: BootState, fromMenu: bool): CliResult {
  banner(fromMenu);
  const ed = new LineEditor();
  const completer = new GrubCompleter(state);
  for (;;) {
    const typed = ed.read("grubdom> ", "", history, completer, 0);
    if (typed == null) {
      if (ed.endKey == KEY_ESC && fromMenu) return new CliResult(CLI_MENU);
      if (ed.endKey == KEY_TIMEOUT) return new CliResult(CLI_NO_INPUT); // no deadline was set
      continue; // Esc without a menu, Ctrl-C: a fresh prompt
    }
    const s = typed!;
    history.add(s);
    const line = parseLine(s);
    const name = line.name;
    if (name.length == 0) continue;
    if (name == "ls") ls(state, line.args);
    else {
      state.configfile = null;
      const e = runCommand(state, line, true);
      if (e != null) error(e);
      else if (state.action == ACTION_REBOOT) return new CliResult(CLI_REBOOT);
      else if (state.action == ACTION_HALT) return new CliResult(CLI_HALT);
      else if (state.loaded != null) return new CliResult(CLI_LOADED);
      else if (state.configfile != null) return new CliResult(CLI_CONFIGFILE, state.configfile);
    }
  }
  return new CliResult(CLI_HALT);
}
