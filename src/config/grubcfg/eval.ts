// GRUB 2's script, run: the evaluator behind reading a grub.cfg (reader.ts) and booting one of
// its entries (boot.ts). It does what GRUB's normal mode does with the commands grub-mkconfig
// writes (docs/config.md lists them):
//   - variables (set, unset, export; $var expanded when a command runs, unquoted values split
//     at blanks), positional $1.. in functions and entries, $? the last status;
//   - if/elif/else, while/until, for, function definitions and calls, `[ ... ]`/test,
//     true/false, return;
//   - menuentry and submenu (reading: they become entries; a submenu's body is read at once);
//   - search (--fs-uuid, --label, --file; --set; hints accepted), load_env/save_env (grubenv;
//     save_env writes it in place on a real boot, src/boot/saved.ts),
//     source/configfile, blscfg (Boot Loader Spec entries, src/config/bls/bls.ts);
//   - linux/linux16/linuxefi and initrd/initrd16/initrdefi (recorded, resolved to pvboot's
//     device names), multiboot and module (GNU Mach's, as Debian's 10_hurd writes them), boot;
//   - commands for graphics and firmware accepted, doing nothing (insmod, terminal_*, font...).
// Anything else is a warning naming the file and line; in an entry being booted it stops it.
// Bounds: MAX_STEPS commands per run, MAX_EXPANDED characters of expanded words per run,
// MAX_CALLS nested function calls or sourced files, loops included; the file sizes the readers
// accept.

import { Node, N_CMD, N_IF, N_WHILE, N_FOR, N_FUNCTION, N_ENTRY, Parsed, parseScript } from "./parser";
import { Token, PART_LIT, PART_VAR, PART_QVAR } from "./lexer";
import { MenuEntry, ConfigLine, ScriptContext, ENTRY_SCRIPT, ModuleSpec, PARSED_FILES_KEPT } from "../menu";
import { resolveGrubPath, grubDevice } from "./devices";
import { searchOrder, mountDevice, mountMemory } from "../../fs/mounts";
import { memoryTop } from "../../lib/attempt";
import { parseDevPath } from "../../fs/devpath";
import { console } from "../../xen/console";
import { saveEnv, sayLine } from "../../boot/saved";

// Commands one run may run. Each takes memory that is not given back (about 200 bytes in the
// simplest loop), so this and the memory bounds below are set together.
export const MAX_STEPS: i32 = 20000;
// Characters the words of one run may expand to, all commands together: a loop that keeps
// growing a variable (`x=1$x`) would otherwise take memory quadratic in its steps. The memory
// bounds below now mostly stop such a loop first.
export const MAX_EXPANDED: i64 = 4 << 20;
export const MAX_CALLS: i32 = 32;
// Bytes of files `source` (and `configfile` while reading) may parse for one config: its
// reading and every run of its entries (summaries, the boot) together, all calls counted
// (ScriptContext.sourced). Each call used to parse its file anew, so a file sourcing itself
// twice ran its 2^32 calls into the step bound, parsing all the while (memory ~40 times the
// text each time), and a bound per run still let each of many entries source that much in
// turn (both found by the grubcfg fuzzer). The last files' trees are now kept (Interp.parsed),
// but the bound still counts every call: it bounds the run's time as well. Real
// configurations source a few files of some KiB.
export const MAX_SOURCED: i64 = 1 << 20;
// Blocks run inside one another in one run: submenu, if, while, for and function bodies and
// sourced files, all together. Each kind has its own bound (the parser's MAX_DEPTH within a
// file, MAX_CALLS for calls and sources), but they multiply: a file of 31 nested submenus that
// sources itself at the innermost one was run 32 times 31 deep, past the runtime's call-depth
// limit, a trap (found by the grubcfg fuzzer). 64 leaves the call stack well inside that limit
// with the parser's own recursion on top; real configurations nest a few levels.
export const MAX_NESTING: i32 = 64;
// Memory the scripts may take: MAX_RUN_MEMORY in one run, MAX_SCRIPT_MEMORY in all the runs of
// one config together (ScriptContext.sourced). Memory outside a boot attempt is never given
// back, and the other bounds are per run: an entry looping to its step bound (then 200,000
// commands) took some 50 MiB, and a config of such entries, each summarised for the menu, took
// more than any domain has (found by the grubcfg fuzzer: a trap). Everything a run allocates
// counts, the files it reads included (a `load_env` or `blscfg` in a loop reads them again each
// time), except mounting a filesystem (src/fs/mounts.ts): that is done once per device,
// whoever asks first.
export const MAX_RUN_MEMORY: i64 = 8 << 20;
export const MAX_SCRIPT_MEMORY: i64 = 32 << 20;
// The bounds in force: the above, except in the grubcfg fuzz target (src/fuzz/grubcfg.ts),
// which lowers them: its inputs run loops to the bound, and the same paths (a loop stopped, a
// variable stopped growing) then cost a tenth of the time.
let stepLimit: i32 = MAX_STEPS;
let expandLimit: i64 = MAX_EXPANDED;
let sourceLimit: i64 = MAX_SOURCED;
let runMemoryLimit: i64 = MAX_RUN_MEMORY;
let scriptMemoryLimit: i64 = MAX_SCRIPT_MEMORY;
export function setEvalLimits(steps: i32, expanded: i64, sourced: i64, runMemory: i64, scriptMemory: i64): void {
  stepLimit = steps;
  expandLimit = expanded;
  sourceLimit = sourced;
  runMemoryLimit = runMemory;
  scriptMemoryLimit = scriptMemory;
}

export const MAX_ENTRIES: i32 = 256;
// Warnings one evaluation keeps (each once however often its line runs); past that one line
// says the rest were dropped. A loop warning with a new word each time (`$x` growing) made as
// many as it had steps, each looked for among all the others.
export const MAX_WARNINGS: i32 = 256;
export const MAX_ENV_FILE: u32 = 65536;

// Accepted and ignored: they only matter on real hardware or a graphical terminal.
const NOOPS = ["insmod", "rmmod", "terminal_input", "terminal_output", "terminal", "load_video",
  "gfxmode", "font", "loadfont", "background_image", "background_color", "serial", "play",
  "clear", "sleep", "videoinfo", "set_background_color", "lsfonts", "export", "tpm", "fwsetup",
  "smbios", "gettext", "pager", "setparams", "savedefault", "recordfail", "boot_once"];
// Known commands with an effect here.
const KNOWN = ["set", "unset", "export", "[", "test", "true", "false", "return", "break", "echo", "menuentry", "submenu", "search", "search.fs_uuid", "search.fs_label",
  "search.file", "load_env", "save_env", "source", ".", "configfile", "blscfg", "linux",
  "linux16", "linuxefi", "initrd", "initrd16", "initrdefi", "multiboot", "module", "boot", "keystatus", "cpuid", "hwmatch",
  "halt", "reboot", "shift", "chainloader", "probe"];

export function isKnownCommand(name: string): bool {
  return NOOPS.includes(name) || KNOWN.includes(name);
}

// Reads a file for `source`, `load_env`, `-f`/`-s` tests and blscfg: "(hd0,0)/boot/x" (pvboot's
// name). The readers give it (find.ts), so this file needs no filesystem code of its own.
export abstract class FileAccess {
  abstract read(full: string, max: u32): FileText; // the whole file as Latin-1 text
  abstract kind(full: string): i32; // 0 missing, 1 file, 2 directory
  abstract size(full: string): i64; // -1 missing
  abstract list(dir: string): Array<string> | null; // a folder's names, null when none
  // Boot Loader Spec entries in `dir` (pvboot's name) as menu entries, for blscfg.
  abstract bls(dir: string, warnings: Array<string>): Array<MenuEntry> | null;
}

export class FileText {
  text: string = "";
  error: string | null = null;
}

// What running an entry gathered: the kernel and its command line, the initrds, in pvboot's
// names; what went wrong.
export class RunResult {
  kernel: string | null = null;
  args: string = "";
  initrds: Array<string> = new Array<string>();
  // `module` lines after `multiboot`: the resolved file, and (GRUB 2's) the arguments after
  // the file name as the module's command line; decompressed unless --nounzip.
  modules: Array<ModuleSpec> = new Array<ModuleSpec>();
  boot: bool = false; // `boot` ran
  configfile: string | null = null;
  error: string | null = null; // what stops the entry: "grub.cfg:12: linux: ..."
  halt: bool = false;
  reboot: bool = false;
}

export class Interp {
  ctx: ScriptContext;
  positional: Array<string> = new Array<string>();
  warnings: Array<string> = new Array<string>();
  seen: Set<string> = new Set<string>(); // the warnings, to keep each once
  dropped: bool = false; // past MAX_WARNINGS
  status: i32 = 0;
  steps: i32 = 0;
  expanded: i64 = 0; // characters fields() produced in this run
  calls: i32 = 0;
  nesting: i32 = 0; // blocks being run, one inside the other (MAX_NESTING)
  returning: bool = false;
  breaking: i32 = 0;
  file: string = "grub.cfg"; // for messages
  lineMap: Array<i32> | null = null; // lines of the text being run -> lines of the file
  reading: bool = true; // reading the config (entries are collected) or running an entry
  dry: bool = false; // running for a summary: nothing is opened, nothing printed
  checking: bool = false; // `pvboot check` runs the entry: it loads, but save_env writes nothing
  entries: Array<MenuEntry> = new Array<MenuEntry>(); // where menuentry adds (reading)
  total: i32 = 0; // entries made, all levels
  run: RunResult = new RunResult();
  stopped: bool = false; // out of steps, or an entry's fatal error
  files: FileAccess;

  runMemory: i64 = 0; // memory this run's steps took, mounting apart
  lastTop: u64 = 0; // where the allocator was at the last step (set as a run starts: block)
  lastMounts: i64 = 0; // what mounting had taken then

  constructor(ctx: ScriptContext, files: FileAccess) {
    this.ctx = ctx;
    this.files = files;
  }

  line(n: i32): i32 {
    const m = this.lineMap;
    if (m != null && n >= 1 && n <= m.length) return m[n - 1];
    return n;
  }

  // `stops`: the warning says why the run stopped, listed even past MAX_WARNINGS.
  warn(line: i32, msg: string, stops: bool = false): void {
    this.note(this.file + ":" + this.line(line).toString() + ": " + msg, stops);
  }

  // A warning as it will be listed, kept once; the first MAX_WARNINGS, then one line more.
  note(w: string, stops: bool = false): void {
    if (this.seen.has(w)) return;
    if (this.seen.size >= MAX_WARNINGS && !stops) {
      if (!this.dropped) this.warnings.push("further warnings not shown"); // as a mount's list (src/fs/ext/warnings.ts)
      this.dropped = true;
      return;
    }
    this.seen.add(w);
    this.warnings.push(w);
  }

  // A command failed in a way that stops the entry being booted (warned when reading).
  fatal(line: i32, msg: string): void {
    if (this.reading) {
      this.warn(line, msg);
      return;
    }
    if (this.run.error == null) this.run.error = this.file + ":" + this.line(line).toString() + ": " + msg;
    this.stopped = true;
  }

  get(name: string): string {
    if (name == "?") return this.status.toString();
    if (name == "#") return this.positional.length.toString();
    if (name == "@" || name == "*") return this.positional.join(" ");
    if (name.length > 0 && name.charCodeAt(0) >= 0x30 && name.charCodeAt(0) <= 0x39) {
      const i = I32.parseInt(name);
      if (i >= 1 && i <= this.positional.length) return this.positional[i - 1];
      return "";
    }
    return this.ctx.env.has(name) ? this.ctx.env.get(name) : "";
  }

  set(name: string, value: string): void {
    this.ctx.env.set(name, value);
  }

  // A word's fields after expansion.
  expand(t: Token, out: Array<string>): void {
    let cur = "";
    let have = false;
    let onlyVars = true;
    for (let i = 0; i < t.parts.length; i++) {
      const p = t.parts[i];
      if (p.kind == PART_LIT) {
        cur += p.text;
        have = true;
        onlyVars = false;
      } else if (p.kind == PART_QVAR) {
        cur += this.get(p.text);
        have = true;
        onlyVars = false;
      } else {
        const v = this.get(p.text);
        // split at blanks: the first piece joins what came before, the last what follows
        let j = 0;
        for (let guard = 0; guard <= v.length; guard++) {
          let k = j;
          while (k < v.length && !blank(v.charCodeAt(k))) k++;
          const piece = v.substring(j, k);
          if (piece.length > 0) {
            cur += piece;
            have = true;
          }
          if (k >= v.length) break;
          if (have) out.push(cur);
          cur = "";
          have = false;
          while (k < v.length && blank(v.charCodeAt(k))) k++;
          j = k;
          if (j >= v.length) break;
        }
      }
    }
    if (have || (!onlyVars && t.parts.length == 0) || (!t.isPlain && !onlyVars)) out.push(cur);
    else if (!t.isPlain && t.parts.length == 0) out.push("");
  }

  fields(words: Array<Token>): Array<string> {
    const out = new Array<string>();
    for (let i = 0; i < words.length && this.expanded <= expandLimit; i++) this.expand(words[i], out);
    for (let i = 0; i < out.length; i++) this.expanded += out[i].length;
    return out;
  }

  // Past the expansion bound: stopped as a run out of steps is (nothing more runs).
  overExpanded(line: i32): bool {
    if (this.expanded <= expandLimit) return false;
    if (!this.stopped) {
      const msg = "words expanded to more than " + expandLimit.toString() + " characters (a variable that keeps growing?), stopped";
      if (this.reading) this.warn(line, msg, true);
      else this.fatal(line, msg);
    }
    this.stopped = true;
    return true;
  }

  block(nodes: Array<Node>): void {
    if (nodes.length == 0) return;
    if (this.nesting >= MAX_NESTING) {
      if (!this.stopped) {
        const msg = "blocks nested more than " + MAX_NESTING.toString() + " deep (submenus, functions and sourced files together), stopped";
        if (this.reading) this.warn(nodes[0].line, msg, true);
        else this.fatal(nodes[0].line, msg);
      }
      this.stopped = true;
      return;
    }
    // A run's memory is counted from its first statement: the parse of its text is the
    // reader's (a file's size bounds it), as are the menu's and the command line's between.
    if (this.nesting == 0) {
      this.lastTop = memoryTop();
      this.lastMounts = mountMemory();
    }
    this.nesting++;
    for (let i = 0; i < nodes.length; i++) {
      if (this.stopped || this.returning || this.breaking > 0) break;
      this.node(nodes[i]);
    }
    this.nesting--;
  }

  step(line: i32): bool {
    this.steps++;
    if (this.overExpanded(line) || this.overMemory(line)) return false;
    if (this.steps > stepLimit) {
      if (!this.stopped) {
        const msg = "more than " + stepLimit.toString() + " commands run (a loop that does not end?), stopped";
        if (this.reading) this.warn(line, msg, true);
        else this.fatal(line, msg);
      }
      this.stopped = true;
      return false;
    }
    return true;
  }

  // The memory taken since the last step, less what mounting took, counted against
  // the run's bound and the config's; past either the run stops (memory given back by a
  // failed boot attempt in between only moves the mark down).
  overMemory(line: i32): bool {
    const top = memoryTop();
    const mounts = mountMemory();
    let grew = top > this.lastTop ? <i64>(top - this.lastTop) - (mounts - this.lastMounts) : 0;
    if (grew < 0) grew = 0;
    this.lastTop = top;
    this.lastMounts = mounts;
    this.runMemory += grew;
    const b = this.ctx.sourced;
    b.memory += grew;
    const run = this.runMemory > runMemoryLimit;
    if (!run && b.memory <= scriptMemoryLimit) return false;
    if (!this.stopped) {
      const msg = run
        ? "the run took more than " + (runMemoryLimit >> 20).toString() + " MiB of memory (a loop that keeps allocating?), stopped"
        : "the config's scripts took more than " + (scriptMemoryLimit >> 20).toString() + " MiB of memory in all, stopped";
      if (this.reading) this.warn(line, msg, true);
      else this.fatal(line, msg);
    }
    this.stopped = true;
    return true;
  }

  node(n: Node): void {
    if (!this.step(n.line)) return;
    if (n.kind == N_CMD) this.command(n);
    else if (n.kind == N_IF) this.ifNode(n);
    else if (n.kind == N_WHILE) this.whileNode(n);
    else if (n.kind == N_FOR) this.forNode(n);
    else if (n.kind == N_FUNCTION) {
      this.ctx.funcs.set(n.name, n);
      this.status = 0;
    } else if (n.kind == N_ENTRY) this.entry(n);
  }

  ifNode(n: Node): void {
    for (let i = 0; i < n.conds.length; i++) {
      this.block(n.conds[i]);
      if (this.stopped || this.returning) return;
      if (this.status == 0) {
        if (i < n.bodies.length) this.block(n.bodies[i]);
        return;
      }
    }
    if (n.hasElse) this.block(n.bodies[n.bodies.length - 1]);
    else this.status = 0;
  }

  whileNode(n: Node): void {
    for (let guard = 0; guard < stepLimit; guard++) {
      if (!this.step(n.line)) return;
      this.block(n.conds[0]);
      if (this.stopped || this.returning) return;
      const go = n.until ? this.status != 0 : this.status == 0;
      if (!go) break;
      this.block(n.bodies[0]);
      if (this.breaking > 0) {
        this.breaking--;
        break;
      }
    }
    this.status = 0;
  }

  forNode(n: Node): void {
    const items = this.fields(n.words);
    for (let i = 0; i < items.length; i++) {
      if (!this.step(n.line)) return;
      this.set(n.name, items[i]);
      this.block(n.bodies[0]);
      if (this.breaking > 0) {
        this.breaking--;
        break;
      }
      if (this.stopped || this.returning) return;
    }
  }

  call(fn: Node, args: Array<string>, line: i32): void {
    if (this.calls >= MAX_CALLS) {
      this.fatal(line, "function '" + fn.name + "' nested more than " + MAX_CALLS.toString() + " deep, stopped");
      this.status = 1;
      return;
    }
    this.calls++;
    const saved = this.positional;
    this.positional = args;
    this.block(fn.bodies[0]);
    this.returning = false;
    this.positional = saved;
    this.calls--;
  }

  command(n: Node): void {
    const f = this.fields(n.words);
    if (f.length == 0) return;
    const name = f[0];
    const args = f.slice(1);
    if (this.ctx.funcs.has(name)) {
      this.call(this.ctx.funcs.get(name), args, n.line);
      return;
    }
    // `name=value` alone is an assignment, as in GRUB
    const eq = name.indexOf("=");
    if (eq > 0 && args.length == 0 && isName(name.substring(0, eq))) {
      this.set(name.substring(0, eq), name.substring(eq + 1));
      this.status = 0;
      return;
    }
    this.status = 0;
    if (name == "set") this.setCmd(args);
    else if (name == "unset") { for (let i = 0; i < args.length; i++) this.ctx.env.delete(args[i]); }
    else if (name == "[" || name == "test") this.status = this.test(name, args, n.line);
    else if (name == "true") this.status = 0;
    else if (name == "false") this.status = 1;
    else if (name == "return") {
      this.status = args.length > 0 ? I32.parseInt(args[0]) : this.status;
      this.returning = true;
    }
    else if (name == "break") this.breaking = args.length > 0 ? max(1, I32.parseInt(args[0])) : 1;
    else if (name == "shift") { if (this.positional.length > 0) this.positional.shift(); }
    else if (name == "echo") this.echo(args);
    else if (name.startsWith("search")) this.status = this.search(name, args, n.line);
    else if (name == "load_env") this.status = this.loadEnv(args, n.line);
    else if (name == "save_env") this.status = this.saveEnvCmd(args, n.line);
    else if (name == "source" || name == ".") this.status = this.source(args, n.line);
    else if (name == "configfile") this.configfile(args, n.line);
    else if (name == "blscfg") this.status = this.blscfg(n.line);
    else if (name == "linux" || name == "linux16" || name == "linuxefi") this.linux(name, args, n.line);
    else if (name == "initrd" || name == "initrd16" || name == "initrdefi") this.initrd(name, args, n.line);
    else if (name == "multiboot") this.linux(name, args, n.line);
    else if (name == "module") this.module(name, args, n.line);
    else if (name == "boot") { if (!this.reading) this.run.boot = true; }
    // no modifier key is held; GRUB's CPU tests and Ubuntu's graphics blacklist match nothing
    else if (name == "keystatus" || name == "cpuid" || name == "hwmatch") this.status = 1;
    else if (name == "halt") { if (!this.reading) { this.run.halt = true; this.stopped = true; } }
    else if (name == "reboot") { if (!this.reading) { this.run.reboot = true; this.stopped = true; } }
    else if (name == "chainloader") this.fatal(n.line, "chainloader: chainloading is not possible in a Xen PV guest");
    else if (name == "probe") this.probe(args, n.line);
    else if (NOOPS.includes(name)) this.status = 0;
    else {
      this.status = 1;
      this.fatal(n.line, "unknown command '" + name + "'");
    }
  }

  setCmd(args: Array<string>): void {
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      const eq = a.indexOf("=");
      if (eq > 0) this.set(a.substring(0, eq), a.substring(eq + 1));
    }
  }

  echo(args: Array<string>): void {
    let i = 0;
    while (i < args.length && (args[i] == "-n" || args[i] == "-e")) i++;
    if (this.reading || this.dry) return;
    console.say(args.slice(i).join(" "));
  }

  // `[ ... ]`: or of ands of (possibly negated) primaries.
  test(name: string, args: Array<string>, line: i32): i32 {
    let a = args;
    if (name == "[") {
      if (a.length == 0 || a[a.length - 1] != "]") {
        this.warn(line, "'[' without its ']'");
        return 1;
      }
      a = a.slice(0, a.length - 1);
    }
    const t = new TestParser(this, a, line);
    const v = t.or();
    if (t.pos < a.length) this.warn(line, "test: '" + a[t.pos] + "' not understood");
    return v ? 0 : 1;
  }

  fileKind(name: string): i32 {
    const p = resolveGrubPath(name, this.get("root"));
    if (p.error != null) return 0;
    return this.files.kind(p.full);
  }

  fileSize(name: string): i64 {
    const p = resolveGrubPath(name, this.get("root"));
    if (p.error != null) return -1;
    return this.files.size(p.full);
  }

  // search [--fs-uuid|-u|--label|-l|--file|-f] [--set[=VAR]|-s VAR] [--no-floppy] [--hint...] NAME
  search(cmd: string, args: Array<string>, line: i32): i32 {
    let by = "file";
    let setVar: string | null = null;
    let what: string | null = null;
    if (cmd == "search.fs_uuid") by = "uuid";
    else if (cmd == "search.fs_label") by = "label";
    else if (cmd == "search.file") by = "file";
    else if (cmd != "search") {
      this.fatal(line, "unknown command '" + cmd + "'");
      return 1;
    }
    if (cmd != "search") {
      if (args.length > 0) what = args[0];
      setVar = args.length > 1 ? args[1] : "root";
    } else {
      for (let i = 0; i < args.length; i++) {
        const a = args[i];
        if (a == "--fs-uuid" || a == "-u") by = "uuid";
        else if (a == "--label" || a == "-l") by = "label";
        else if (a == "--file" || a == "-f") by = "file";
        else if (a == "--set" || a == "-s") {
          // `--set VAR` when a name follows and more comes after it; else root
          if (i + 2 < args.length && isName(args[i + 1])) setVar = args[++i];
          else setVar = "root";
        } else if (a.startsWith("--set=")) setVar = a.substring(6);
        else if (a == "--no-floppy" || a == "-n" || a == "--efidisk-only" || a == "--no-cdrom") continue;
        else if (a.startsWith("--hint")) {
          if (a.indexOf("=") < 0 && i + 1 < args.length) i++; // `--hint VALUE`
        }
        else if (a.startsWith("-")) this.warn(line, "search: option '" + a + "' ignored");
        else what = a;
      }
    }
    if (what == null) {
      this.warn(line, "search: nothing to search for");
      return 1;
    }
    const devs = searchOrder();
    for (let i = 0; i < devs.length; i++) {
      const dp = parseDevPath(devs[i]);
      const m = mountDevice(dp.disk, dp.part);
      if (m.fs == null) continue;
      const fs = m.fs!;
      let hit = false;
      if (by == "uuid") hit = fs.uuid.toLowerCase() == what!.toLowerCase();
      else if (by == "label") hit = fs.label == what!;
      else hit = this.files.kind(devs[i] + what!) == 1;
      if (!hit) continue;
      if (setVar != null) this.set(setVar!, grubDevice(devs[i]));
      return 0;
    }
    // GRUB goes on after a failed search: $root stays as it was
    if (!this.dry && !this.reading) console.say("error: no such device: " + what! + ".");
    return 1;
  }

  // probe -u/--fs-uuid or -l/--label DEVICE --set VAR (what Fedora's grub.cfg may use)
  probe(args: Array<string>, line: i32): void {
    let what = "";
    let setVar: string | null = null;
    let dev = "";
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (a == "-u" || a == "--fs-uuid") what = "uuid";
      else if (a == "-l" || a == "--label") what = "label";
      else if ((a == "-s" || a == "--set") && i + 1 < args.length) setVar = args[++i];
      else if (a.startsWith("--set=")) setVar = a.substring(6);
      else dev = a;
    }
    const p = resolveGrubPath("(" + (dev.startsWith("(") ? dev.substring(1, dev.length - 1) : dev) + ")/", "");
    if (p.error != null || what.length == 0) {
      this.warn(line, "probe: " + (p.error != null ? p.error! : "only -u and -l are supported"));
      this.status = 1;
      return;
    }
    const dp = parseDevPath(p.full);
    const m = mountDevice(dp.disk, dp.part);
    if (m.fs == null) {
      this.status = 1;
      return;
    }
    const v = what == "uuid" ? m.fs!.uuid : m.fs!.label;
    if (setVar != null) this.set(setVar!, v);
    this.status = 0;
  }

  // load_env [-f FILE] [--skip-sig] [VAR...]: grubenv's name=value lines into the variables.
  loadEnv(args: Array<string>, line: i32): i32 {
    let file = this.get("prefix") + "/grubenv";
    const only = new Array<string>();
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if ((a == "-f" || a == "--file") && i + 1 < args.length) file = args[++i];
      else if (a.startsWith("--file=")) file = a.substring(7);
      else if (a == "--skip-sig" || a == "-s") continue;
      else only.push(a);
    }
    const p = resolveGrubPath(file, this.get("root"));
    if (p.error != null) {
      this.warn(line, "load_env: " + p.error!);
      return 1;
    }
    const t = this.files.read(p.full, MAX_ENV_FILE);
    if (t.error != null) {
      if (!this.dry) this.warn(line, "load_env: " + p.full + ": " + t.error!);
      return 1;
    }
    const env = parseGrubEnv(t.text);
    for (let i = 0; i < env.length; i += 2) {
      if (only.length > 0 && !only.includes(env[i])) continue;
      this.set(env[i], env[i + 1]);
    }
    return 0;
  }

  // save_env [-f FILE] VAR...: the variables' values (removed when unset) into the environment
  // block, in place (src/boot/saved.ts says when that is refused); one line on the console.
  // A dry run (pvboot menu's summaries) and a check (pvboot check) write nothing.
  saveEnvCmd(args: Array<string>, line: i32): i32 {
    if (this.dry) return 0;
    let file = this.get("prefix") + "/grubenv";
    const names = new Array<string>();
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if ((a == "-f" || a == "--file") && i + 1 < args.length) file = args[++i];
      else if (a.startsWith("--file=")) file = a.substring(7);
      else names.push(a);
    }
    if (names.length == 0) return 0;
    if (this.checking) {
      sayLine("save_env: not saved (pvboot check writes nothing)");
      return 0;
    }
    const p = resolveGrubPath(file, this.get("root"));
    if (p.error != null) {
      this.warn(line, "save_env: " + p.error!);
      return 1;
    }
    const values = new Array<string | null>();
    for (let i = 0; i < names.length; i++) values.push(this.ctx.env.has(names[i]) ? this.ctx.env.get(names[i]) : null);
    const said = saveEnv(p.full, names, values);
    sayLine(said);
    return said.length == 0 || said.indexOf(" saved in ") >= 0 ? 0 : 1;
  }

  // source FILE: its commands here, with these variables; its entries join this menu.
  source(args: Array<string>, line: i32): i32 {
    if (args.length == 0) {
      this.warn(line, "source: no file given");
      return 1;
    }
    if (this.calls >= MAX_CALLS) {
      this.fatal(line, "source: nested more than " + MAX_CALLS.toString() + " deep");
      return 1;
    }
    const p = resolveGrubPath(args[0], this.get("root"));
    if (p.error != null) {
      this.fatal(line, "source: " + p.error!);
      return 1;
    }
    const t = this.files.read(p.full, 1 << 20);
    if (t.error != null) {
      this.fatal(line, "source: " + p.full + ": " + t.error!);
      return 1;
    }
    this.ctx.sourced.used += t.text.length; // the config's, across its entries' runs
    if (this.ctx.sourced.used > sourceLimit) {
      const msg = "source: more than " + sourceLimit.toString() + " bytes of sourced files (a file that sources itself?), stopped";
      if (this.reading) this.warn(line, msg, true);
      else this.fatal(line, msg);
      this.stopped = true;
      return 1;
    }
    const parsed = this.parsed(p.full, t.text);
    const savedFile = this.file;
    const savedMap = this.lineMap;
    this.file = baseName(p.full);
    this.lineMap = null;
    if (parsed.error != null) this.warn(parsed.errorLine, "syntax error: " + parsed.error!.substring(parsed.error!.indexOf(":") + 2));
    this.calls++;
    this.block(parsed.nodes);
    this.calls--;
    this.file = savedFile;
    this.lineMap = savedMap;
    return 0;
  }

  // The tree of a sourced file: the one parsed before when the file still has that text.
  parsed(full: string, text: string): Parsed {
    const b = this.ctx.sourced;
    for (let i = 0; i < b.paths.length; i++) if (b.paths[i] == full && b.texts[i] == text) return b.trees[i];
    const tree = parseScript(text);
    if (b.paths.length >= PARSED_FILES_KEPT) {
      b.paths.shift();
      b.texts.shift();
      b.trees.shift();
    }
    b.paths.push(full);
    b.texts.push(text);
    b.trees.push(tree);
    return tree;
  }

  // configfile FILE: booting an entry, that file's menu replaces this one (the caller shows
  // it); reading, it is read here like `source` (its entries become this menu's).
  configfile(args: Array<string>, line: i32): void {
    if (args.length == 0) {
      this.fatal(line, "configfile: no file given");
      return;
    }
    if (this.reading) {
      this.status = this.source(args, line);
      return;
    }
    const p = resolveGrubPath(args[0], this.get("root"));
    if (p.error != null) {
      this.fatal(line, "configfile: " + p.error!);
      return;
    }
    this.run.configfile = p.full;
    this.stopped = true;
  }

  blscfg(line: i32): i32 {
    if (!this.reading) return 0;
    let dir = this.get("blsdir");
    const candidates = dir.length > 0 ? [dir] : ["/loader/entries", "/boot/loader/entries"];
    for (let i = 0; i < candidates.length; i++) {
      const p = resolveGrubPath(candidates[i], this.get("root"));
      if (p.error != null) {
        this.warn(line, "blscfg: " + p.error!);
        return 1;
      }
      if (this.files.kind(p.full) != 2) continue;
      const found = new Array<string>();
      const got = this.files.bls(p.full, found);
      for (let k = 0; k < found.length; k++) this.note(found[k]);
      if (got == null) continue;
      for (let k = 0; k < got!.length; k++) this.addEntry(got![k], line);
      return 0;
    }
    this.warn(line, "blscfg: no loader/entries folder on $root (" + this.get("root") + ")");
    return 1;
  }

  addEntry(e: MenuEntry, line: i32): void {
    if (this.total >= MAX_ENTRIES) {
      this.warn(line, "more than " + MAX_ENTRIES.toString() + " entries, the rest ignored");
      return;
    }
    this.total++;
    this.entries.push(e);
  }

  linux(name: string, args: Array<string>, line: i32): void {
    if (args.length == 0) {
      this.fatal(line, name + ": no file given");
      return;
    }
    const p = resolveGrubPath(args[0], this.get("root"));
    if (p.error != null) {
      this.fatal(line, name + ": " + p.error!);
      return;
    }
    this.run.kernel = p.full;
    this.run.args = args.slice(1).join(" ");
    this.run.initrds = new Array<string>(); // a new kernel forgets the initrds before it
    this.run.modules = new Array<ModuleSpec>(); // and the modules
    if (!this.reading && !this.dry) {
      const k = this.files.kind(p.full);
      if (k != 1) this.fatal(line, name + ": '" + p.full + "': " + (k == 2 ? "is a directory" : "file not found"));
    }
  }

  initrd(name: string, args: Array<string>, line: i32): void {
    if (this.run.kernel == null) {
      this.fatal(line, name + ": load the kernel first (linux FILE)");
      return;
    }
    if (args.length == 0) {
      this.fatal(line, name + ": no file given");
      return;
    }
    const list = new Array<string>();
    for (let i = 0; i < args.length; i++) {
      if (args[i].startsWith("--")) continue; // --newc-name and the like
      const p = resolveGrubPath(args[i], this.get("root"));
      if (p.error != null) {
        this.fatal(line, name + ": " + p.error!);
        return;
      }
      if (!this.reading && !this.dry) {
        const k = this.files.kind(p.full);
        if (k != 1) {
          this.fatal(line, name + ": '" + p.full + "': " + (k == 2 ? "is a directory" : "file not found"));
          return;
        }
      }
      list.push(p.full);
    }
    this.run.initrds = list;
  }

  // module [--nounzip] FILE [ARGS...]: GRUB 2 gives the module ARGS as its command line (the
  // file name is not part of it: Debian's 10_hurd names each task first, `ext2fs ...`).
  module(name: string, args: Array<string>, line: i32): void {
    if (this.run.kernel == null) {
      this.fatal(line, name + ": load the kernel first (multiboot FILE)");
      return;
    }
    let nounzip = false;
    let i = 0;
    for (; i < args.length && args[i].startsWith("--"); i++) {
      if (args[i] == "--nounzip") nounzip = true;
    }
    if (i >= args.length) {
      this.fatal(line, name + ": no file given");
      return;
    }
    const p = resolveGrubPath(args[i], this.get("root"));
    if (p.error != null) {
      this.fatal(line, name + ": " + p.error!);
      return;
    }
    if (!this.reading && !this.dry) {
      const k = this.files.kind(p.full);
      if (k != 1) {
        this.fatal(line, name + ": '" + p.full + "': " + (k == 2 ? "is a directory" : "file not found"));
        return;
      }
    }
    this.run.modules.push(new ModuleSpec(p.full, args.slice(i + 1).join(" "), nounzip));
  }

  // menuentry/submenu [--class C] [--id ID] [--users U] [--unrestricted] [--hotkey K] TITLE [ARG...] { body }
  entry(n: Node): void {
    if (!this.reading) return; // an entry's body defining entries: nothing to show them in
    const f = this.fields(n.words);
    let title: string | null = null;
    let id: string | null = null;
    const rest = new Array<string>();
    for (let i = 0; i < f.length; i++) {
      const a = f[i];
      if (a == "--class" || a == "--users" || a == "--hotkey" || a == "--source") { i++; continue; }
      if (a.startsWith("--class=") || a.startsWith("--users=") || a.startsWith("--hotkey=")) continue;
      if (a == "--unrestricted") continue;
      if (a == "--id" && i + 1 < f.length) { id = f[++i]; continue; }
      if (a.startsWith("--id=")) { id = a.substring(5); continue; }
      if (a.startsWith("--") && title == null) {
        this.warn(n.line, n.name + ": option '" + a + "' ignored");
        continue;
      }
      if (title == null) title = a;
      else rest.push(a);
    }
    if (title == null) {
      this.warn(n.line, n.name + " without a title, ignored");
      return;
    }
    const e = new MenuEntry(title!, this.line(n.line));
    e.kind = ENTRY_SCRIPT;
    e.id = id;
    e.file = this.file;
    e.positional = rest;
    e.lines = bodyLines(n.source, n.bodyLine, this.lineMap);
    if (n.name == "submenu") {
      const saved = this.entries;
      const savedEnv = this.ctx.clone();
      this.entries = new Array<MenuEntry>();
      const savedPos = this.positional;
      this.positional = rest;
      this.block(n.bodies[0]);
      this.positional = savedPos;
      e.children = this.entries;
      this.entries = saved;
      this.ctx.env = savedEnv.env;
    } else {
      this.checkBody(n.bodies[0], title!);
    }
    this.addEntry(e, n.line);
  }

  // Warn about the commands an entry would stop at, when the config is read.
  checkBody(nodes: Array<Node>, title: string): void {
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i];
      if (n.kind == N_CMD && n.words.length > 0 && n.words[0].isPlain) {
        const name = n.words[0].plain;
        if (!isKnownCommand(name) && !this.ctx.funcs.has(name) && name.indexOf("=") < 0) {
          this.warn(n.line, "unknown command '" + name + "' in '" + title + "'; the entry fails if it runs it");
        }
      }
      for (let j = 0; j < n.conds.length; j++) this.checkBody(n.conds[j], title);
      for (let j = 0; j < n.bodies.length; j++) if (n.kind != N_FUNCTION && n.kind != N_ENTRY) this.checkBody(n.bodies[j], title);
    }
  }
}

class TestParser {
  pos: i32 = 0;
  constructor(public it: Interp, public a: Array<string>, public line: i32) {}

  or(): bool {
    let v = this.and();
    for (let g = 0; g < 1024 && this.pos < this.a.length && this.a[this.pos] == "-o"; g++) {
      this.pos++;
      const w = this.and();
      v = v || w;
    }
    return v;
  }

  and(): bool {
    let v = this.not();
    for (let g = 0; g < 1024 && this.pos < this.a.length && this.a[this.pos] == "-a"; g++) {
      this.pos++;
      const w = this.not();
      v = v && w;
    }
    return v;
  }

  not(): bool {
    let neg = false;
    for (let g = 0; g < 1024 && this.pos < this.a.length && this.a[this.pos] == "!"; g++) {
      neg = !neg;
      this.pos++;
    }
    const v = this.primary();
    return neg ? !v : v;
  }

  primary(): bool {
    const a = this.a;
    if (this.pos >= a.length) return false;
    if (a[this.pos] == "(") {
      this.pos++;
      const v = this.or();
      if (this.pos < a.length && a[this.pos] == ")") this.pos++;
      return v;
    }
    // binary: X op Y
    if (this.pos + 3 <= a.length && isBinary(a[this.pos + 1])) {
      const x = a[this.pos];
      const op = a[this.pos + 1];
      const y = a[this.pos + 2];
      this.pos += 3;
      return binary(x, op, y);
    }
    const w = a[this.pos];
    if ((w == "-n" || w == "-z" || w == "-f" || w == "-e" || w == "-s" || w == "-d") && this.pos + 1 < a.length) {
      const x = a[this.pos + 1];
      this.pos += 2;
      if (w == "-n") return x.length > 0;
      if (w == "-z") return x.length == 0;
      if (w == "-d") return this.it.fileKind(x) == 2;
      if (w == "-f") return this.it.fileKind(x) == 1;
      if (w == "-e") return this.it.fileKind(x) != 0;
      return this.it.fileSize(x) > 0; // -s
    }
    this.pos++;
    return w.length > 0;
  }
}

function isBinary(op: string): bool {
  return op == "=" || op == "==" || op == "!=" || op == "<" || op == ">" || op == "<=" || op == ">=" ||
    op == "-eq" || op == "-ne" || op == "-lt" || op == "-le" || op == "-gt" || op == "-ge";
}

function num(s: string): i64 {
  let v: i64 = 0;
  let neg = false;
  let i = 0;
  if (s.startsWith("-")) { neg = true; i = 1; }
  for (; i < s.length && i < 18; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) break;
    v = v * 10 + <i64>(c - 0x30);
  }
  return neg ? -v : v;
}

function binary(x: string, op: string, y: string): bool {
  if (op == "=" || op == "==") return x == y;
  if (op == "!=") return x != y;
  if (op == "<") return x < y;
  if (op == ">") return x > y;
  if (op == "<=") return x <= y;
  if (op == ">=") return x >= y;
  const a = num(x);
  const b = num(y);
  if (op == "-eq") return a == b;
  if (op == "-ne") return a != b;
  if (op == "-lt") return a < b;
  if (op == "-le") return a <= b;
  if (op == "-gt") return a > b;
  return a >= b;
}

function blank(c: i32): bool {
  return c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d;
}

export function isName(s: string): bool {
  if (s.length == 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x5f || (i > 0 && c >= 0x30 && c <= 0x39);
    if (!ok) return false;
  }
  return true;
}

export function baseName(p: string): string {
  const s = p.lastIndexOf("/");
  return s >= 0 ? p.substring(s + 1) : p;
}

// An entry's body as the editor shows it: one line each, leading blanks gone, empty lines
// dropped; each keeps the line of the file it came from.
export function bodyLines(src: string, firstLine: i32, map: Array<i32> | null): Array<ConfigLine> {
  const out = new Array<ConfigLine>();
  const ls = src.split("\n");
  for (let i = 0; i < ls.length; i++) {
    let s = ls[i];
    let a = 0;
    while (a < s.length && blank(s.charCodeAt(a))) a++;
    let b = s.length;
    while (b > a && blank(s.charCodeAt(b - 1))) b--;
    s = s.substring(a, b);
    if (s.length == 0) continue;
    let lineNo = firstLine + i;
    if (map != null && lineNo >= 1 && lineNo <= map!.length) lineNo = map![lineNo - 1];
    let sp = 0;
    while (sp < s.length && !blank(s.charCodeAt(sp))) sp++;
    let r = sp;
    while (r < s.length && blank(s.charCodeAt(r))) r++;
    out.push(new ConfigLine(lineNo, s.substring(0, sp), s.substring(r)));
  }
  return out;
}

// grubenv: "# GRUB Environment Block", then NAME=VALUE lines (a backslash escapes the next
// character, as grub-editenv writes newlines and backslashes), '#' padding to 1 KiB.
// Returns name, value, name, value, ...
export function parseGrubEnv(text: string): Array<string> {
  const out = new Array<string>();
  const ls = text.split("\n");
  for (let i = 0; i < ls.length && i < 4096; i++) {
    const l = ls[i];
    if (l.length == 0 || l.charCodeAt(0) == 0x23) continue;
    const eq = l.indexOf("=");
    if (eq <= 0) continue;
    const codes = new Array<i32>(); // the value unescaped, made whole at the end
    const raw = l.substring(eq + 1);
    for (let k = 0; k < raw.length; k++) {
      const c = raw.charCodeAt(k);
      if (c == 0x5c && k + 1 < raw.length) {
        const d = raw.charCodeAt(++k);
        codes.push(d == 0x6e ? 0x0a : d);
      } else codes.push(c);
    }
    out.push(l.substring(0, eq));
    out.push(String.fromCharCodes(codes));
  }
  return out;
}

