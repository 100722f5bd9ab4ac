// What the menu, the entry editor and the boot flow get back when they hand over, and the
// grubdom> command line (src/ui/grubdom.ts) seen from them: its result as an Outcome.

import { BootState } from "../boot/script";
import { Loaded } from "../boot/load";
import { commandLine, CLI_LOADED, CLI_CONFIGFILE, CLI_MENU, CLI_REBOOT, CLI_HALT } from "./grubdom";

// What the boot flow (src/main.ts) does once the menu or the command line returns.
export const OUT_LOADED: i32 = 1; // the kernel and the rest are read and laid out: hand over
export const OUT_CONFIGFILE: i32 = 2; // show the menu of `configfile`
export const OUT_REBOOT: i32 = 3;
export const OUT_HALT: i32 = 4;

export class Outcome {
  loaded: Loaded | null = null; // OUT_LOADED: what to hand over to
  title: string = "";
  constructor(public action: i32, public message: string = "", public configfile: string | null = null) {}
}

export function loadedOutcome(title: string, l: Loaded, message: string): Outcome {
  const o = new Outcome(OUT_LOADED, message);
  o.loaded = l;
  o.title = title;
  return o;
}

// The command line with `root` as its root device. From the menu (or the editor) Esc comes back:
// null. Without a menu, it only ends in an Outcome.
export function openCommandLine(root: string, authenticated: bool, fromMenu: bool): Outcome | null {
  const state = new BootState(root);
  state.authenticated = authenticated;
  const r = commandLine(state, fromMenu);
  if (r.action == CLI_MENU) return fromMenu ? null : new Outcome(OUT_HALT, "pvboot: the command line ended");
  if (r.action == CLI_LOADED) return loadedOutcome(state.title, state.loaded!, "");
  if (r.action == CLI_CONFIGFILE) return new Outcome(OUT_CONFIGFILE, "", r.configfile);
  if (r.action == CLI_REBOOT) return new Outcome(OUT_REBOOT);
  if (r.action == CLI_HALT) return new Outcome(OUT_HALT, "pvboot: powering off");
  return new Outcome(OUT_HALT, "pvboot: no console input; nothing to boot");
}
