// pvboot's boot flow, start to finish. The shim (boot/) calls pvboot_main once the domain's
// RAM is behind the linear memory; every step below is a driver with its own file.

import * as abi from "./xen/abi";
import { startInfo } from "./xen/start_info";
import { events } from "./xen/events";
import { console } from "./xen/console";
import { shutdown } from "./xen/sched";
import { appendXenVersion } from "./xen/version";
import { Text } from "./lib/text";
import { cmdlineWords, option } from "./lib/cmdline";
import { runDebugAction } from "./debug";
import { xenstore, xsErrorName } from "./xen/xenstore";
import { gnttab } from "./xen/gnttab";
import { disks, describeDisk } from "./drivers/blkfront";
import { runTool, percentDecode } from "./tool";
import { VERSION } from "./version";
import { findConfig, loadConfigFile } from "./config/find";
import { runMenu } from "./ui/menu";
import { firstFilesystem } from "./fs/mounts";
import { openCommandLine, loadedOutcome, Outcome, OUT_LOADED, OUT_CONFIGFILE, OUT_REBOOT, OUT_HALT } from "./ui/shell";
import { checkLoaded, checkTitle } from "./check";
import { bootReport } from "./boot/report";
import { now } from "./xen/time";
import { handOver } from "./boot/handoff";
import { teardown } from "./boot/teardown";
import { reserveTrampolinePage } from "./loader/layout";
import { allowWrites } from "./boot/saved";
import "./lib/abort"; // AssemblyScript's abort, routed here by asconfig.json

const MAX_CONFIGFILES: i32 = 32; // configfile chains, as deep as this

export function pvboot_main(): void {
  startInfo.init();
  events.init();
  console.init();
  reserveTrampolinePage();

  printBanner();
  const words = cmdlineWords(startInfo.cmdLine, startInfo.cmdLineLength());
  const debug = option(words, "pvboot.debug");
  const tool = option(words, "pvboot.tool");

  startDisks();
  if (debug != null || tool != null) {
    // Debug actions and tool mode (the CLI's ls, cat, menu, check) do their one thing and
    // stop; a check whose entry loaded goes on to the jump, for the emulator to check.
    if (debug != null) runDebugAction(debug);
    if (tool != null) {
      const arg = option(words, "pvboot.path");
      runTool(tool, arg != null ? percentDecode(arg) : "");
      if (checkLoaded != null) { // `check` loaded an entry: on to the jump (src/check.ts)
        finish(loadedOutcome(checkTitle, checkLoaded!, ""));
        return;
      }
    }
    finish(new Outcome(OUT_HALT, "pvboot: nothing more to do, powering off"));
    return;
  }
  allowWrites(); // a real boot: saved defaults may be written (src/boot/saved.ts)
  finish(bootMenus(words));
}

// The configuration (grub.cfg, BLS or menu.lst, found as src/config/find.ts says) and its
// menu; without one, the grubdom>
// command line. `configfile` (from an entry, the command line or `password PW FILE`) replaces
// the menu with that file's, as GRUB did; bounded, since a file may name itself.
function bootMenus(words: string[]): Outcome {
  const t0 = now();
  let config = findConfig(words);
  if (config != null && config.error == null) bootReport.phase("config", config.path, 0, 0, now() - t0);
  if ((config == null || config.error != null) && firstFilesystem() == null) {
    // No menu, and no disk holds a filesystem: the command line could not load anything either.
    if (config != null) console.line(new Text().str("pvboot: ").str(config.error!));
    return new Outcome(OUT_HALT, "pvboot: nothing to boot (no configuration, no filesystem on any disk), powering off");
  }
  for (let depth = 0; depth < MAX_CONFIGFILES; depth++) {
    let o: Outcome;
    if (config == null || config.error != null) {
      if (config != null) console.line(new Text().str("pvboot: ").str(config.error!));
      console.say("pvboot: no menu; the command line is yours ('help' lists the commands)");
      // The root: the config's device, or (GRUB's boot device) the first filesystem.
      const first = firstFilesystem();
      o = commandLineOnly(config != null && config.root.length > 0 ? config.root : first != null ? first.device : "");
    } else {
      const cfg = config!;
      for (let i = 0; i < cfg.warnings.length; i++) console.line(new Text().str("pvboot: warning: ").str(cfg.warnings[i]));
      o = runMenu(cfg);
    }
    if (o.action != OUT_CONFIGFILE) return o;
    config = loadConfigFile(o.configfile!, config != null ? config.root : "");
  }
  return new Outcome(OUT_HALT, "pvboot: configfile nested more than " + MAX_CONFIGFILES.toString() + " deep, giving up");
}

function commandLineOnly(root: string): Outcome {
  for (let guard = 0; guard < 1000; guard++) {
    const o = openCommandLine(root, true, false);
    if (o != null) return o!;
  }
  return new Outcome(OUT_HALT, "pvboot: the command line gave up");
}

// Leave the domain as the outcome says: a loaded kernel is handed the domain
// (src/boot/handoff.ts), which returns only when it could not be.
function finish(o: Outcome): void {
  if (o.action == OUT_LOADED) {
    const why = handOver(o.title, o.loaded!);
    console.say(why);
    shutdown(abi.SHUTDOWN_crash);
    return;
  }
  const t = teardown();
  for (let i = 0; i < t.problems.length; i++) console.line(new Text().str("pvboot: ").str(t.problems[i]));
  if (o.action == OUT_REBOOT) {
    console.say("pvboot: rebooting");
    shutdown(abi.SHUTDOWN_reboot);
  } else {
    if (o.message.length > 0) console.say(o.message);
    shutdown(abi.SHUTDOWN_poweroff);
  }
}

// xenstore, the grant table and every disk the domain was given.
function startDisks(): void {
  if (startInfo.isInitialDomain) return; // dom0 has no xenstore of its own to find disks in
  const xs = xenstore.init();
  if (xs != 0) {
    console.line(new Text().str("pvboot: no xenstore: ").str(xsErrorName(xs)));
    return;
  }
  const gt = gnttab.init();
  if (gt != 0) {
    console.line(new Text().str("pvboot: grant table setup failed (").i(gt).str("): no disks"));
    return;
  }
  const t0 = now();
  const problems = disks.probe();
  let found = 0;
  for (let i = 0; i < disks.list.length; i++) {
    const d = disks.list[i];
    if (d.connected) console.line(new Text().str("pvboot: ").text(describeDisk(d)));
    if (d.connected) found++;
  }
  bootReport.phase("disks", "", 0, 0, now() - t0, found.toString() + (found == 1 ? " disk" : " disks"));
  for (let i = 0; i < problems.length; i++) console.line(new Text().str("pvboot: ").str(problems[i]));
  if (disks.list.length == 0 && problems.length == 0) console.say("pvboot: no disks (device/vbd is empty)");
}

// "pvboot 0.1.0 (xen-3.0-x86_64) on Xen 4.17.7, domU, 256 MiB"
function printBanner(): void {
  const t = new Text();
  t.str("pvboot ").str(VERSION).str(" (").cstr(startInfo.magic, 32).str(") on Xen ");
  appendXenVersion(t);
  t.str(startInfo.isInitialDomain ? ", dom0, " : ", domU, ");
  t.u(startInfo.nrPages >> 8).str(" MiB");
  console.line(t);
  const n = startInfo.cmdLineLength();
  if (n > 0) console.line(new Text().str("pvboot: command line: ").bytes(startInfo.cmdLine, n));
}
