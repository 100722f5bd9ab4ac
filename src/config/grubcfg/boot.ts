// Running a grub.cfg or BLS entry: its lines (as the editor left them) parsed as GRUB 2 script
// and run from the config's variables and functions (each run on its own copy, as GRUB runs
// an entry in a fresh context), with $1.. its menuentry arguments. `dry` (for `pvboot menu`)
// opens no file and prints nothing: it resolves `search` and `set root` to say which kernel
// and initrds the entry would load. Booting then reads them (several initrds are concatenated
// as GRUB does, src/boot/load.ts) and lays the new domain out.

import { MenuConfig, MenuEntry, ScriptContext, EntrySummary } from "../menu";
import { parseScript } from "./parser";
import { Interp, RunResult, FileAccess } from "./eval";
import { BootState, ACTION_HALT, ACTION_REBOOT } from "../../boot/script";
import { loadFiles, prepareDomain, describeLoaded, Loaded } from "../../boot/load";
import { console } from "../../xen/console";
import { beginAttempt, endAttempt } from "../../lib/attempt";

export function runScript(entry: MenuEntry, cfg: MenuConfig, files: FileAccess, dry: bool, checking: bool = false): RunResult {
  const ctx = cfg.script != null ? cfg.script!.clone() : new ScriptContext();
  // GRUB sets `chosen` to the entry being run (its --id, else its title); 00_header's
  // savedefault function saves it with save_env. Inside a submenu GRUB prefixes the
  // submenu's id and '>'; pvboot gives the entry's own only.
  ctx.env.set("chosen", entry.id != null ? entry.id! : entry.title);
  const it = new Interp(ctx, files);
  it.reading = false;
  it.dry = dry;
  it.checking = checking;
  it.file = entry.file.length > 0 ? entry.file : "grub.cfg";
  it.positional = entry.positional.slice(0);
  let text = "";
  const map = new Array<i32>();
  for (let i = 0; i < entry.lines.length; i++) {
    text += entry.lines[i].toString() + "\n";
    map.push(entry.lines[i].lineNo);
  }
  it.lineMap = map;
  const parsed = parseScript(text);
  if (parsed.error != null) {
    it.run.error = it.file + ":" + it.line(parsed.errorLine).toString() + ": syntax error: " + parsed.error!.substring(parsed.error!.indexOf(":") + 2);
    return it.run;
  }
  it.block(parsed.nodes);
  return it.run;
}

export function summarizeScript(entry: MenuEntry, cfg: MenuConfig, files: FileAccess): EntrySummary {
  const r = runScript(entry, cfg, files, true);
  const s = new EntrySummary();
  if (r.kernel != null) {
    s.kernel = r.kernel;
    s.root = r.kernel!.substring(0, r.kernel!.indexOf(")") + 1);
  }
  s.args = r.args;
  s.initrds = r.initrds;
  if (r.initrds.length > 0) s.initrd = r.initrds[0];
  s.modules = r.modules;
  s.configfile = r.configfile;
  return s;
}

// Boot the entry: what src/ui/menu.ts gets back for a menu.lst entry from runEntry.
// `checking` (pvboot check, src/check.ts): everything as on a boot, but save_env writes nothing.
export function bootScript(entry: MenuEntry, cfg: MenuConfig, files: FileAccess, checking: bool = false): BootState {
  const state = new BootState(cfg.root);
  state.title = entry.title;
  state.checking = checking;
  console.say(" Booting '" + entry.title + "'");
  console.say("");
  const r = runScript(entry, cfg, files, false, checking);
  if (r.halt || r.reboot) { // the entry ran `halt` or `reboot`: the menu does it
    state.action = r.halt ? ACTION_HALT : ACTION_REBOOT;
    return state;
  }
  if (r.configfile != null) {
    state.configfile = r.configfile;
    return state;
  }
  if (r.error != null) {
    state.error = r.error;
    return state;
  }
  if (r.kernel == null) {
    state.error = "the entry loaded no kernel (no 'linux' or 'multiboot' line ran)";
    return state;
  }
  return loadRun(state, r);
}

// Read what a run gathered (the kernel, its initrds or modules) and lay the new domain out:
// state.loaded, or state.error. The grub> command line's `boot` ends here too. One boot
// attempt (src/lib/attempt.ts): a failure gives its memory back for the next entry.
export function loadRun(state: BootState, r: RunResult): BootState {
  if (!beginAttempt()) {
    state.error = "boot: another boot attempt is still open";
    return state;
  }
  const e = loadAndLayOut(r);
  endAttempt(e != null);
  if (e != null) {
    state.error = "boot: " + e!;
    return state;
  }
  const l = loaded!;
  loaded = null;
  state.kernel = r.kernel;
  state.kernelArgs = r.args;
  state.loaded = l;
  console.say(describeLoaded(state.title, l));
  return state;
}

let loaded: Loaded | null = null; // what loadAndLayOut gives loadRun

// Inside loadRun's attempt: null and `loaded`, or the error.
function loadAndLayOut(r: RunResult): string | null {
  const more = r.initrds.length > 1 ? r.initrds.slice(1) : new Array<string>();
  const paths = new Array<string>();
  const unzip = new Array<bool>();
  const lines = new Array<string>();
  for (let i = 0; i < r.modules.length; i++) {
    paths.push(r.modules[i].path);
    unzip.push(!r.modules[i].nounzip);
    lines.push(r.modules[i].args);
  }
  const l = loadFiles(r.kernel!, r.initrds.length > 0 ? r.initrds[0] : null, paths, false, unzip, more);
  if (l.error != null) return l.error;
  const e = prepareDomain(l, r.args, lines, false);
  if (e != null) return e;
  loaded = l;
  return null;
}
