// Tool mode's `check` (the CLI's `pvboot check`, scripts/cli/check.ts): the config found as the
// boot finds it, and one menu entry run as the menu runs it, everything short of the jump.
//   pvboot.tool=check                  {"filesystems": [...], "menu": MENU-JSON or null}
//   pvboot.tool=check pvboot.path=N    {"entry": N, "ok": BOOL, "outcome": ..., "error": ...}
//   pvboot.path=N/nojump               the same, and no handoff after a loaded entry
// A loaded entry is then handed the domain (checkHandover), so that the emulator checks the
// new domain as the kernel would find it. The entry's lines run with BootState.checking:
// nothing waits for a key or asks for a password.

import { Text } from "./lib/text";
import { startInfo } from "./xen/start_info";
import { cmdlineWords } from "./lib/cmdline";
import { findConfig, loadConfigFile, diskFiles } from "./config/find";
import { menuJson, jsonString } from "./config/json";
import { MenuConfig, ENTRY_SCRIPT } from "./config/menu";
import { runEntry, ACTION_REBOOT, ACTION_HALT, ACTION_COMMANDLINE } from "./boot/script";
import { bootScript } from "./config/grubcfg/boot";
import { searchOrder, mountDevice } from "./fs/mounts";
import { parseDevPath } from "./fs/devpath";
import { Loaded } from "./boot/load";
import { PvhDomain } from "./loader/pvh/layout";

// Set by a check whose entry loaded (and may jump): what main.ts hands the domain to.
export let checkLoaded: Loaded | null = null;
export let checkTitle: string = "";

class CheckOutput {
  text: Text = new Text(1024);
  code: u32 = 0;
}

function key(t: Text, name: string, first: bool = false): Text {
  if (!first) t.ch(0x2c);
  jsonString(t, name);
  return t.ch(0x3a);
}

// Devices holding a filesystem, as the search order lists them.
function filesystems(t: Text): i32 {
  const devs = searchOrder();
  let n = 0;
  t.ch(0x5b);
  for (let i = 0; i < devs.length; i++) {
    const dp = parseDevPath(devs[i]);
    if (mountDevice(dp.disk, dp.part).fs == null) continue;
    if (n++ > 0) t.ch(0x2c);
    jsonString(t, devs[i]);
  }
  t.ch(0x5d);
  return n;
}

function config(say: (line: string) => void): MenuConfig | null {
  return findConfig(cmdlineWords(startInfo.cmdLine, startInfo.cmdLineLength()), say);
}

// The summary: filesystems and the menu (its JSON as `pvboot menu --json` gives it).
function summary(out: CheckOutput, say: (line: string) => void): void {
  const t = out.text;
  t.ch(0x7b);
  key(t, "filesystems", true);
  const n = filesystems(t);
  key(t, "menu");
  const cfg = n > 0 ? config(say) : null;
  if (cfg == null) t.str("null");
  else if (cfg.error != null) {
    t.str("null");
    key(t, "error");
    jsonString(t, cfg.error!);
  } else t.text(menuJson(cfg));
  t.ch(0x7d);
  out.code = cfg != null && cfg.error == null ? 0 : 1;
}

// "line 12: kernel: ..." -> 12 and "kernel: ..."; errors without a line get the title's.
class Located {
  line: i32 = 0;
  message: string = "";
}

function locate(error: string, titleLine: i32): Located {
  const l = new Located();
  l.line = titleLine;
  l.message = error;
  if (!error.startsWith("line ")) return l;
  const colon = error.indexOf(": ");
  if (colon < 0) return l;
  const n = I32.parseInt(error.substring(5, colon));
  if (n <= 0) return l;
  l.line = n;
  l.message = error.substring(colon + 2);
  return l;
}

function entryCheck(out: CheckOutput, arg: string, say: (line: string) => void): void {
  const slash = arg.indexOf("/");
  const jump = slash < 0 || arg.substring(slash + 1) != "nojump";
  const index = I32.parseInt(slash < 0 ? arg : arg.substring(0, slash));
  const t = out.text;
  const cfg = config(say);
  if (cfg == null || cfg.error != null) {
    if (cfg != null) say(cfg.error!);
    out.code = 1;
    return;
  }
  if (index < 0 || index >= cfg.entries.length) {
    say("no entry " + arg + " (the menu has " + cfg.entries.length.toString() + ")");
    out.code = 2;
    return;
  }
  const entry = cfg.entries[index];
  // As the menu runs it (src/ui/menu.ts bootOne): a grub.cfg or BLS entry through the script
  // interpreter, a menu.lst entry line by line.
  const st = entry.kind == ENTRY_SCRIPT ? bootScript(entry, cfg, diskFiles, true) : runEntry(entry, cfg.root, true, true);
  t.ch(0x7b);
  key(t, "entry", true).u(<u64>index);
  key(t, "title");
  jsonString(t, entry.title);
  let ok = st.error == null;
  let outcome = "loaded";
  let error: string | null = st.error;
  if (st.action == ACTION_REBOOT) outcome = "reboot";
  else if (st.action == ACTION_HALT) outcome = "halt";
  else if (st.action == ACTION_COMMANDLINE) outcome = "commandline";
  else if (st.configfile != null) {
    outcome = "configfile";
    const other = loadConfigFile(st.configfile!, cfg.root);
    if (other.error != null) {
      ok = false;
      error = "configfile: " + other.error!;
    } else if (other.entries.length == 0) {
      ok = false;
      error = "configfile: " + other.path + " has no entries";
    }
  } else if (st.loaded == null) outcome = "failed";
  key(t, "ok").str(ok ? "true" : "false");
  key(t, "outcome");
  jsonString(t, ok ? outcome : "failed");
  if (st.configfile != null) {
    key(t, "configfile");
    jsonString(t, st.configfile!);
  }
  if (error != null) {
    const l = locate(error!, entry.lineNo);
    key(t, "error");
    jsonString(t, l.message);
    key(t, "file");
    jsonString(t, cfg.path);
    key(t, "line").u(<u64>l.line);
  }
  if (st.loaded != null) {
    const l = st.loaded!;
    key(t, "kernel");
    jsonString(t, l.kernel!.name);
    key(t, "kernel_bytes").u(l.kernel!.size);
    if (l.image != null) {
      key(t, "image");
      jsonString(t, l.image!.describe());
    }
    if (l.initrd != null) key(t, "initrd_bytes").u(l.initrd!.size);
    if (l.modules.length > 0) key(t, "modules").u(<u64>l.modules.length);
    key(t, "memory_mb").u(startInfo.nrPages >> 8);
    // PV: the new domain's pages in use; PVH (no new page tables or P2M): the top of what the
    // kernel, the initrd and hvm_start_info's block take, in whole MiB.
    if (l.pvh != null) key(t, "used_mb").u((pvhTop(l.pvh!) + 0xfffff) >> 20);
    else key(t, "used_mb").u(l.domain!.usedPfns >> 8);
    if (jump) {
      checkLoaded = l;
      checkTitle = entry.title;
    }
  }
  t.ch(0x7d);
  out.code = ok ? 0 : 1;
}

function pvhTop(d: PvhDomain): u64 {
  let top = d.kernelEnd;
  if (d.initrdPhys + d.initrdLen > top) top = d.initrdPhys + d.initrdLen;
  const block = d.startInfo + (<u64>d.blockPages << 12);
  return block > top ? block : top;
}

// Returns the exit code; the output (one JSON object) goes through `emit`.
export function runCheck(arg: string, emit: (t: Text) => void, say: (line: string) => void): u32 {
  const out = new CheckOutput();
  if (arg.length == 0) summary(out, say);
  else entryCheck(out, arg, say);
  if (out.text.len > 0) emit(out.text);
  return out.code;
}
