// A test core for the boot script runner (src/boot/script.ts runEntry): the same drivers as
// the loader's (console, xenstore, grant table, blkfront), then one menu entry taken from the
// domain's command line and run as the menu will run it, then a line saying how it ended.
//   command line: "TITLE|ROOT|LINE|LINE|..."   (ROOT may be empty; '|' separates; a TITLE
//   starting with '!' runs the entry as if the menu's password had not been given)
// Built by test/script.test.ts to build/script-test.wasm and run with runLoader({ wasm }).

import * as abi from "../../src/xen/abi";
import { startInfo } from "../../src/xen/start_info";
import { events } from "../../src/xen/events";
import { console } from "../../src/xen/console";
import { shutdown } from "../../src/xen/sched";
import { xenstore } from "../../src/xen/xenstore";
import { gnttab } from "../../src/xen/gnttab";
import { disks } from "../../src/drivers/blkfront";
import { MenuEntry } from "../../src/config/menu";
import { runEntry, parseLine } from "../../src/boot/script";
import "../../src/lib/abort";

export function pvboot_main(): void {
  startInfo.init();
  events.init();
  console.init();
  if (xenstore.init() != 0 || gnttab.init() != 0) {
    console.say("test: no xenstore or grant table");
    shutdown(abi.SHUTDOWN_crash);
  }
  disks.probe();
  const parts = String.UTF8.decodeUnsafe(startInfo.cmdLine, startInfo.cmdLineLength()).split("|");
  const entry = new MenuEntry(parts[0], 1);
  for (let i = 2; i < parts.length; i++) entry.lines.push(parseLine(parts[i], i));
  const st = runEntry(entry, parts.length > 1 ? parts[1] : "", !parts[0].startsWith("!"));
  console.say("test: error=" + (st.error != null ? st.error! : "none") +
    " loaded=" + (st.loaded != null ? "yes" : "no") +
    " configfile=" + (st.configfile != null ? st.configfile! : "none") + " root=" + st.root +
    " kernel=" + (st.kernel != null ? st.kernel! + " [" + st.kernelArgs + "]" : "none") +
    " modules=" + st.modules.length.toString() + (st.modules.length > 0 ? " [" + st.modules[0].args + "]" : ""));
  disks.shutdown();
  shutdown(abi.SHUTDOWN_poweroff);
}
