// GRUB 2's `grub>` command line, for menus read from a grub.cfg or BLS entries ('c' in the
// menu): each typed line is GRUB 2 script, run at once on a copy of the config's variables and
// functions (src/config/grubcfg/eval.ts), which the session keeps: `set root=...`, `search`,
// `linux FILE ARGS`, `initrd FILES`, `echo`, then `boot` loads what they named
// (src/config/grubcfg/boot.ts). A line is one command or several joined by ';' (an `if` or a
// function must fit on it). Errors print "error: ..." and the prompt comes back. Esc returns
// to the menu; `configfile`, `reboot` and `halt` leave it as in the menu.

import { console, KEY_ESC, KEY_TIMEOUT } from "../xen/console";
import { LineEditor, History } from "./lineedit";
import { MenuConfig, ScriptContext } from "../config/menu";
import { parseScript } from "../config/grubcfg/parser";
import { Interp, RunResult } from "../config/grubcfg/eval";
import { loadRun } from "../config/grubcfg/boot";
import { diskFiles } from "../config/find";
import { BootState } from "../boot/script";
import { Outcome, loadedOutcome, OUT_CONFIGFILE, OUT_REBOOT, OUT_HALT } from "./shell";

const history = new History(32);

// null: Esc, back to the menu.
export function grubCommandLine(cfg: MenuConfig): Outcome | null {
  console.say("");
  console.say(" Minimal BASH-like line editing is supported. GRUB 2 script: 'linux', 'initrd',");
  console.say(" 'set', 'search', 'echo', then 'boot'. ESC at any time exits.");
  console.say("");
  const ctx = cfg.script != null ? cfg.script!.clone() : new ScriptContext();
  const it = new Interp(ctx, diskFiles);
  it.reading = false;
  it.file = "grub>";
  const ed = new LineEditor();
  for (let guard = 0; guard < (1 << 30); guard++) {
    const typed = ed.read("grub> ", "", history, null, 0);
    if (typed == null) {
      if (ed.endKey == KEY_ESC) return null;
      if (ed.endKey == KEY_TIMEOUT) return new Outcome(OUT_HALT, "pvboot: no console input; nothing to boot");
      continue;
    }
    history.add(typed!);
    const p = parseScript(typed!);
    if (p.error != null) {
      console.say("error: syntax error: " + p.error!.substring(p.error!.indexOf(":") + 2) + ".");
      continue;
    }
    it.steps = 0;
    it.runMemory = 0;
    it.stopped = false;
    it.run.error = null;
    it.run.boot = false;
    it.block(p.nodes);
    const r = it.run;
    if (r.error != null) {
      console.say("error: " + r.error!.substring(r.error!.indexOf(": ") + 2) + ".");
      continue;
    }
    if (r.halt) return new Outcome(OUT_HALT, "pvboot: powering off");
    if (r.reboot) return new Outcome(OUT_REBOOT);
    if (r.configfile != null) return new Outcome(OUT_CONFIGFILE, "", r.configfile);
    if (!r.boot) continue;
    if (r.kernel == null) {
      console.say("error: you need to load the kernel first.");
      continue;
    }
    const st = loadRun(new BootState(cfg.root), r);
    if (st.loaded != null) return loadedOutcome("", st.loaded!, "");
    console.say("error: " + st.error! + ".");
    it.run = new RunResult();
  }
  return new Outcome(OUT_HALT, "pvboot: the command line gave up");
}
