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
import { firstFilesystem } from "./fs/mounts";
import { VERSION } from "./version";
import { BootState } from "./boot/script";
import { commandLine, CLI_LOADED, CLI_REBOOT, CLI_CONFIGFILE } from "./ui/grubdom";
import "./lib/abort"; // AssemblyScript's abort, routed here by asconfig.json

export function pvboot_main(): void {
  startInfo.init();
  events.init();
  console.init();

  printBanner();
  const words = cmdlineWords(startInfo.cmdLine, startInfo.cmdLineLength());
  const debug = option(words, "pvboot.debug");

  startDisks();
  if (debug != null) runDebugAction(debug);
  const tool = option(words, "pvboot.tool");
  if (tool != null) {
    const arg = option(words, "pvboot.path");
    runTool(tool, arg != null ? percentDecode(arg) : "");
  } else if (debug == null && firstFilesystem() != null) {
    // TODO(lead): the menu flow (config discovery, the menu) comes first at the merge.
    const r = commandLine(new BootState(firstFilesystem()!.device), false);
    if (r.action == CLI_CONFIGFILE) console.say("pvboot: showing '" + r.configfile! + "' comes with the menu (not in this branch)");
    teardown();
    if (r.action == CLI_REBOOT) shutdown(abi.SHUTDOWN_reboot);
    if (r.action != CLI_LOADED) console.say("pvboot: powering off");
    shutdown(abi.SHUTDOWN_poweroff);
  }

  teardown();
  console.say("pvboot: nothing more to do yet, powering off");
  shutdown(abi.SHUTDOWN_poweroff);
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
  const problems = disks.probe();
  for (let i = 0; i < disks.list.length; i++) {
    const d = disks.list[i];
    if (d.connected) console.line(new Text().str("pvboot: ").text(describeDisk(d)));
  }
  for (let i = 0; i < problems.length; i++) console.line(new Text().str("pvboot: ").str(problems[i]));
  if (disks.list.length == 0 && problems.length == 0) console.say("pvboot: no disks (device/vbd is empty)");
}

// What the next kernel must not inherit: the disks' connections and our watches.
function teardown(): void {
  const problems = disks.shutdown();
  for (let i = 0; i < problems.length; i++) console.line(new Text().str("pvboot: ").str(problems[i]));
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
