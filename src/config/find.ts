// Where the menu comes from (docs/config.md), in order:
//   1. the domain's command line (xl extra=) names it: the LAST word that is not one of our
//      pvboot.* options and looks like a file, "(hd0,0)/boot/grub/menu.lst", "(hd0)/menu.lst"
//      or "/boot/grub/menu.lst" (searched for on every device). Words before it are other
//      options. A named file that cannot be read is not replaced by a search;
//   2. a ramdisk given to the domain (start_info's module) is the menu.lst itself, as PV-GRUB
//      took it: "(ramdisk)";
//   3. every device in search order (hd0's partitions, hd1's, ...), on each in turn:
//      /boot/xen/pvboot-ARCH.elf (a pvboot the guest ships, chainloaded as a PV kernel; skipped
//      when this domain was itself started that way: CHAINED on its command line), the
//      grub.cfg names (GRUB_CFGS), the BLS entry folders (BLS_DIRS), then CANDIDATES (menu.lst).
// A named file (1.) may be a menu.lst, a grub.cfg or a BLS entries folder: the content tells
// (a folder is BLS; a file is grub.cfg when its commands are GRUB 2's, see looksLikeGrubCfg).
// What was tried, and why each failed, is kept for the caller to print.

import { MenuConfig, EntrySummary, MenuEntry, ConfigLine, ENTRY_SCRIPT, TIMEOUT_NONE } from "./menu";
import { readGrubCfg } from "./grubcfg/reader";
import { readBlsConfig, blsEntries } from "./bls/bls";
import { FileAccess, FileText } from "./grubcfg/eval";
import { grubDevice } from "./grubcfg/devices";
import { summarizeScript } from "./grubcfg/boot";
import { parseMenuLst, applySavedDefault, entrySummary, UuidResolver, baseName } from "./menulst";
import { MAX_FILE } from "./lexer";
import { resolvePath, searchOrder, mountDevice, Mounted } from "../fs/mounts";
import { parseDevPath } from "../fs/devpath";
import { FileSystem, FileType, FsStat } from "../fs/fs";
import { readRamdisk } from "./ramdisk";
import { console } from "../xen/console";
import { pv32 } from "../xen/arch";
import { startInfo } from "../xen/start_info";
import { cmdlineWords } from "../lib/cmdline";
import { Text } from "../lib/text";

export const CANDIDATES = ["/boot/grub/menu.lst", "/boot/grub/grub.conf", "/grub/menu.lst", "/grub/grub.conf"];
export const GRUB_CFGS = ["/boot/grub/grub.cfg", "/grub/grub.cfg", "/boot/grub2/grub.cfg", "/grub2/grub.cfg"];
export const BLS_DIRS = ["/boot/loader/entries", "/loader/entries"];
// On the command line of a domain pvboot chainloads from /boot/xen: that one does not look there.
export const CHAINED = "pvboot.chained";

// "x86_64" or "x86_32": the width of this image, as the contract reports it (src/xen/arch.ts).
export function imageArch(): string {
  return pv32() ? "x86_32" : "x86_64";
}

export class ConfigSearch {
  config: MenuConfig | null = null;
  named: string | null = null; // the file the command line named
  tried: Array<string> = new Array<string>(); // "(hd0,0)/boot/grub/menu.lst: not found"
}

// The config file named on the command line, by the rule above, or null.
export function namedConfig(words: string[]): string | null {
  let found: string | null = null;
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w.startsWith("pvboot.")) continue;
    if (w.startsWith("(") || w.startsWith("/")) found = w;
  }
  return found;
}

class FileBytes {
  data: usize = 0;
  size: u32 = 0;
  device: string = "";
  path: string = "";
  missing: bool = false; // the file (or a directory on its way) does not exist
  error: string | null = null;
}

// The whole file, refused when larger than maxSize; or, with head > 0, only its first `head`
// bytes whatever its size.
function readWhole(m: Mounted, maxSize: u32, head: u32 = 0): FileBytes {
  const f = new FileBytes();
  f.device = m.device;
  f.path = m.path;
  if (m.fs == null) {
    const e: string = m.error != null ? m.error! : "?";
    f.error = m.device.length > 0 && e.startsWith(m.device + ": ") ? fsProblem(m) : e;
    return f;
  }
  const fs = m.fs!;
  const l = fs.lookup(m.path);
  if (l.error != null) {
    f.missing = l.error!.indexOf(" not found") >= 0;
    f.error = f.missing ? "not found" : l.error!;
    return f;
  }
  const st = fs.stat(l.ino);
  if (st.error != null) {
    f.error = st.error!;
    return f;
  }
  if (st.type != FileType.File) {
    f.error = "not a regular file";
    return f;
  }
  if (head > 0) {
    const n = st.size < <u64>head ? <u32>st.size : head;
    f.data = heap.alloc(head);
    const e = n > 0 ? fs.readRange(l.ino, 0, n, f.data) : null;
    if (e != null) f.error = e;
    f.size = n;
    return f;
  }
  if (st.size > <u64>maxSize) {
    f.error = st.size.toString() + " bytes, more than the " + (maxSize >> 10).toString() + " KiB a config file may have";
    return f;
  }
  const d = fs.readFile(l.ino);
  if (d.error != null) {
    f.error = d.error!;
    return f;
  }
  f.data = d.data;
  f.size = <u32>d.size;
  return f;
}

// GRUB 2's script rather than GRUB legacy's commands: a line starting with one of the words
// only grub.cfg has (menuentry, set x=, if, function, insmod, search, ...).
export function looksLikeGrubCfg(text: string): bool {
  const ls = text.split("\n");
  for (let i = 0; i < ls.length && i < 20000; i++) {
    const l = ls[i].trim();
    if (l.startsWith("menuentry ") || l.startsWith("submenu ") || l.startsWith("set ") || l.startsWith("if ") ||
      l.startsWith("function ") || l.startsWith("insmod ") || l.startsWith("search ") || l.startsWith("load_env") ||
      l.startsWith("blscfg") || l.startsWith("source ") || l == "fi") return true;
  }
  return false;
}

function textOf(p: usize, n: u32): string {
  const codes = new Array<i32>(<i32>n);
  for (let i: u32 = 0; i < n; i++) codes[i] = <i32>load<u8>(p + i);
  return String.fromCharCodes(codes);
}

function configFrom(f: FileBytes): MenuConfig {
  const path = f.device + f.path;
  const text = textOf(f.data, f.size);
  if (looksLikeGrubCfg(text)) return readGrubCfg(text, path, f.device, diskFiles);
  const cfg = parseMenuLst(f.data, f.size, path);
  cfg.root = f.device;
  if (cfg.error == null && cfg.defaultSaved) savedDefault(cfg, f.device, f.path);
  return cfg;
}

// `default saved`: the `default` file beside the config.
function savedDefault(cfg: MenuConfig, device: string, path: string): void {
  const dir = path.substring(0, path.lastIndexOf("/") + 1);
  const m = resolvePath(device + dir + "default", "");
  const f = readWhole(m, 0, 9); // GRUB read 10 bytes and used the first 9
  const where = device + dir + "default";
  if (f.error != null) {
    cfg.warnings.push(baseName(cfg.path) + ": default saved, but " + where + ": " + f.error! + "; 0 used");
    cfg.defaultEntry = 0;
    return;
  }
  let text = "";
  for (let i: u32 = 0; i < f.size; i++) text += String.fromCharCode(<i32>load<u8>(f.data + i));
  applySavedDefault(cfg, text, where);
}

// The `configfile` command and the named case: a file on its device, or on `root` when the
// name has none. A config that cannot be read comes back with error set.
export function loadConfigFile(path: string, root: string): MenuConfig {
  const m = resolvePath(path, root);
  if (m.fs != null && diskFiles.kind(m.device + m.path) == 2) return readBlsConfig(m.device + trimSlash(m.path), diskFiles);
  const f = readWhole(m, MAX_FILE);
  if (f.error != null) {
    const cfg = new MenuConfig();
    cfg.path = m.device + m.path;
    cfg.root = m.device;
    const where: string = m.device.length > 0 ? m.device + m.path : path;
    cfg.error = where + ": " + f.error!;
    return cfg;
  }
  return configFrom(f);
}

function trimSlash(p: string): string {
  return p.length > 1 && p.endsWith("/") ? p.substring(0, p.length - 1) : p;
}

// A BLS folder with at least one entry.
function tryBls(s: ConfigSearch, device: string, dir: string): bool {
  const k = diskFiles.kind(device + dir);
  if (k != 2) {
    s.tried.push(device + dir + ": " + (k == 0 ? "not found" : "not a folder"));
    return false;
  }
  const cfg = readBlsConfig(device + dir, diskFiles);
  if (cfg.entries.length == 0) {
    s.tried.push(device + dir + ": no entries");
    return false;
  }
  s.config = cfg;
  return true;
}

// /boot/xen/pvboot-ARCH.elf: a one-entry menu that boots it at once, telling it not to look
// again (CHAINED) and passing this domain's own command line on.
function tryChain(s: ConfigSearch, device: string, words: string[]): bool {
  const path = "/boot/xen/pvboot-" + imageArch() + ".elf";
  const k = diskFiles.kind(device + path);
  if (k != 1) {
    s.tried.push(device + path + ": " + (k == 0 ? "not found" : "not a regular file"));
    return false;
  }
  const cfg = new MenuConfig();
  cfg.format = "chain";
  cfg.path = device + path;
  cfg.root = device;
  cfg.timeout = 0;
  const e = new MenuEntry("pvboot from " + device + path, 1);
  e.kind = ENTRY_SCRIPT;
  e.file = "pvboot-" + imageArch() + ".elf";
  const rest = new Array<string>();
  for (let i = 0; i < words.length; i++) if (!words[i].startsWith("pvboot.tool") && !words[i].startsWith("pvboot.path")) rest.push(words[i]);
  e.lines.push(new ConfigLine(1, "linux", "(" + grubDevice(device) + ")" + path + " " + CHAINED + "=" + device + path + (rest.length > 0 ? " " + rest.join(" ") : "")));
  cfg.entries.push(e);
  cfg.defaultPath = [0];
  s.config = cfg;
  return true;
}

function tryFile(s: ConfigSearch, device: string, path: string): bool {
  const m = resolvePath(device + path, "");
  if (m.fs == null) return false;
  if (s.named != null && diskFiles.kind(device + path) == 2) {
    s.config = readBlsConfig(device + trimSlash(path), diskFiles);
    return true;
  }
  const f = readWhole(m, MAX_FILE);
  if (f.error != null) {
    s.tried.push(device + path + ": " + f.error!);
    return false;
  }
  s.config = configFrom(f);
  return true;
}

// "no filesystem (no ext2/3/4 superblock ...)": why a device did not mount, without its name.
function fsProblem(m: Mounted): string {
  let why = m.error != null ? m.error! : "?";
  if (why.startsWith(m.device + ": ")) why = why.substring(m.device.length + 2);
  return "no filesystem (" + why + ")";
}

function noFilesystem(dev: string, m: Mounted): string {
  return dev + ": " + fsProblem(m);
}

// The search, without printing: see the top of the file.
export function searchConfig(words: string[]): ConfigSearch {
  const s = new ConfigSearch();
  const named = namedConfig(words);
  const devices = searchOrder();
  if (named != null) {
    s.named = named;
    const dp = parseDevPath(named);
    if (dp.error != null || dp.disk >= 0) {
      s.config = loadConfigFile(named, ""); // its error says why when it cannot be used
      return s;
    }
    for (let i = 0; i < devices.length; i++) {
      const m = mountDevice(parseDevPath(devices[i]).disk, parseDevPath(devices[i]).part);
      if (m.fs == null) {
        s.tried.push(noFilesystem(devices[i], m));
        continue;
      }
      if (tryFile(s, devices[i], named)) return s;
    }
    if (devices.length == 0) s.tried.push("no disks to look on");
    return s;
  }
  let chained = false;
  for (let i = 0; i < words.length; i++) if (words[i].startsWith(CHAINED + "=") || words[i] == CHAINED) chained = true;
  const rd = readRamdisk();
  let rdProblem: string | null = null;
  if (rd.present) {
    if (rd.error != null) {
      rdProblem = "(ramdisk): " + rd.error!;
      s.tried.push(rdProblem!);
    } else {
      const cfg = parseMenuLst(rd.data, rd.size, "(ramdisk)");
      if (cfg.error == null && cfg.defaultSaved) {
        cfg.warnings.push("(ramdisk): default saved, but a ramdisk has no default file beside it; 0 used");
        cfg.defaultEntry = 0;
      }
      s.config = cfg;
      return s;
    }
  }
  for (let i = 0; i < devices.length; i++) {
    const dp = parseDevPath(devices[i]);
    const m = mountDevice(dp.disk, dp.part);
    if (m.fs == null) {
      s.tried.push(noFilesystem(devices[i], m));
      continue;
    }
    let found = false;
    if (!chained) found = tryChain(s, devices[i], words);
    for (let j = 0; j < GRUB_CFGS.length && !found; j++) found = tryFile(s, devices[i], GRUB_CFGS[j]);
    for (let j = 0; j < BLS_DIRS.length && !found; j++) found = tryBls(s, devices[i], BLS_DIRS[j]);
    for (let j = 0; j < CANDIDATES.length && !found; j++) found = tryFile(s, devices[i], CANDIDATES[j]);
    if (found) {
      if (rdProblem != null) s.config!.warnings.unshift(rdProblem! + "; not used");
      return s;
    }
  }
  if (devices.length == 0) s.tried.push("no disks to look on");
  return s;
}

// The search, printing what was tried when nothing was found (the caller then opens the
// command line). A config that was found but could not be used comes back with error set.
// words: the domain's command line as words (src/lib/cmdline.ts); null: read it here.
// say: how to print a line (default: "pvboot: ..." on the console; tool mode: toolError).
export function findConfig(words: string[] | null = null, say: (line: string) => void = sayOnConsole): MenuConfig | null {
  const s = searchConfig(words != null ? words! : cmdlineWords(startInfo.cmdLine, startInfo.cmdLineLength()));
  if (s.config != null) return s.config;
  say(s.named != null ? "cannot find the config file " + s.named! + "; tried:" : "no config file found; tried:");
  for (let i = 0; i < s.tried.length; i++) say("  " + s.tried[i]);
  return null;
}

function sayOnConsole(line: string): void {
  console.line(new Text().str("pvboot: ").str(line));
}

// UUIDs to devices, through the mounts (every device in search order is mounted once).
class MountsUuidResolver extends UuidResolver {
  resolve(uuid: string): string | null {
    const devs = searchOrder();
    for (let i = 0; i < devs.length; i++) {
      const dp = parseDevPath(devs[i]);
      const m = mountDevice(dp.disk, dp.part);
      if (m.fs != null && m.fs!.uuid.toLowerCase() == uuid.toLowerCase()) return devs[i];
    }
    return null;
  }
}

export const mountsUuidResolver: UuidResolver = new MountsUuidResolver();

// entrySummary with the config's root and UUIDs resolved on the disks.
// An entry whose `uuid` names no filesystem gets a warning (once).
export function summarize(cfg: MenuConfig, index: i32): EntrySummary {
  return summarizeEntry(cfg, cfg.entries[index]);
}

export function summarizeEntry(cfg: MenuConfig, e: MenuEntry): EntrySummary {
  if (e.kind == ENTRY_SCRIPT) return summarizeScript(e, cfg, diskFiles);
  const s = entrySummary(e, cfg.root, mountsUuidResolver);
  if (s.uuid != null && mountsUuidResolver.resolve(s.uuid!) == null) {
    for (let i = 0; i < e.lines.length; i++) {
      if (e.lines[i].name != "uuid") continue;
      const w = baseName(cfg.path) + ":" + e.lines[i].lineNo.toString() + ": no filesystem has UUID " + s.uuid!;
      if (!cfg.warnings.includes(w)) cfg.warnings.push(w);
    }
  }
  return s;
}

// Files on the guest's disks for the grub.cfg evaluator and the BLS reader, through the mounts.
class DiskFiles extends FileAccess {
  read(full: string, max: u32): FileText {
    const t = new FileText();
    const m = resolvePath(full, "");
    const f = readWhole(m, max);
    if (f.error != null) {
      t.error = f.error;
      return t;
    }
    t.text = textOf(f.data, f.size);
    return t;
  }

  kind(full: string): i32 {
    const m = resolvePath(full, "");
    if (m.fs == null) return 0;
    const l = m.fs!.lookup(m.path);
    if (l.error != null) return 0;
    const st = m.fs!.stat(l.ino);
    if (st.error != null) return 0;
    return st.type == FileType.Dir ? 2 : st.type == FileType.File ? 1 : 3;
  }

  size(full: string): i64 {
    const m = resolvePath(full, "");
    if (m.fs == null) return -1;
    const l = m.fs!.lookup(m.path);
    if (l.error != null) return -1;
    const st = m.fs!.stat(l.ino);
    if (st.error != null || st.type != FileType.File) return -1;
    return <i64>st.size;
  }

  list(dir: string): Array<string> | null {
    const m = resolvePath(dir, "");
    if (m.fs == null) return null;
    const l = m.fs!.lookup(m.path);
    if (l.error != null) return null;
    const d = m.fs!.list(l.ino);
    if (d.error != null) return null;
    const out = new Array<string>();
    for (let i = 0; i < d.entries.length && i < 4096; i++) {
      const n = d.entries[i].name;
      if (n != "." && n != "..") out.push(n);
    }
    out.sort();
    return out;
  }

  bls(dir: string, warnings: Array<string>): Array<MenuEntry> | null {
    return blsEntries(dir, this, warnings);
  }
}

export const diskFiles: FileAccess = new DiskFiles();
