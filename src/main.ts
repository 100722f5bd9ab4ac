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
import { VERSION } from "./version";
import "./lib/abort"; // AssemblyScript's abort, routed here by asconfig.json

export function pvboot_main(): void {
  startInfo.init();
  events.init();
  console.init();

  printBanner();
  const words = cmdlineWords(startInfo.cmdLine, startInfo.cmdLineLength());
  const debug = option(words, "pvboot.debug");
  if (debug != null) runDebugAction(debug);

  console.say("pvboot: nothing more to do yet, powering off");
  shutdown(abi.SHUTDOWN_poweroff);
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
