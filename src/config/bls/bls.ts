// Boot Loader Specification type 1 entries (UAPI.1, "Type #1 Boot Loader Entry Files"), with
// Fedora's extensions (grub_users, grub_arg, grub_class; options holding $kernelopts and other
// grubenv variables), read from a loader/entries folder:
//   - every *.conf file: `key value` lines, '#' comments; title, version, machine-id,
//     sort-key, linux, initrd (repeatable), options (repeatable, joined by a space);
//   - sorted as the specification says: entries with a sort-key first, by sort-key, then
//     machine-id (both increasing), then version (decreasing); then by file name (decreasing
//     version order);
//   - each becomes a GRUB 2 script entry, as Fedora's blscfg makes them: `linux FILE OPTIONS`
//     and `initrd FILES`, files on the partition that holds loader/entries (for
//     /boot/loader/entries on a root partition, under /boot when the file is there), options
//     expanded like grub.cfg words when the entry runs;
//   - loader/loader.conf beside the folder: `default GLOB` (over entry ids, with or without
//     .conf) and `timeout`.
// Read alone (no grub.cfg calling blscfg), variables come from the grubenv on that partition.

import { MenuConfig, MenuEntry, ENTRY_SCRIPT, ConfigLine, TIMEOUT_NONE } from "../menu";
import { Interp, FileAccess, parseGrubEnv } from "../grubcfg/eval";
import { baseContext, finishConfig } from "../grubcfg/reader";
import { grubDevice } from "../grubcfg/devices";
import { parseNumber } from "../menulst";

export const MAX_BLS_FILE: u32 = 65536;
export const MAX_BLS_ENTRIES: i32 = 256;

class BlsEntry {
  id: string = "";
  file: string = "";
  title: string = "";
  version: string = "";
  machineId: string = "";
  sortKey: string = "";
  linux: string = "";
  linuxLine: i32 = 0;
  initrds: Array<string> = new Array<string>();
  options: string = "";
}

function isBlank(c: i32): bool {
  return c == 0x20 || c == 0x09 || c == 0x0d;
}

// Unknown keys warned of per entry file; past that one line says the rest were ignored too.
export const MAX_UNKNOWN_KEYS: i32 = 8;

function parseEntry(text: string, file: string, warnings: Array<string>): BlsEntry {
  const e = new BlsEntry();
  const ls = text.split("\n");
  // Joined once at the end: appending line by line copied the whole string each time, and
  // 4096 options lines took memory quadratic in them, past what a domain has.
  const options = new Array<string>();
  let unknown = 0;
  for (let i = 0; i < ls.length && i < 4096; i++) {
    const l = ls[i];
    let a = 0;
    while (a < l.length && isBlank(l.charCodeAt(a))) a++;
    if (a >= l.length || l.charCodeAt(a) == 0x23) continue;
    let b = a;
    while (b < l.length && !isBlank(l.charCodeAt(b))) b++;
    const key = l.substring(a, b);
    let v0 = b;
    while (v0 < l.length && isBlank(l.charCodeAt(v0))) v0++;
    let v1 = l.length;
    while (v1 > v0 && isBlank(l.charCodeAt(v1 - 1))) v1--;
    const v = l.substring(v0, v1);
    if (key == "title") e.title = v;
    else if (key == "version") e.version = v;
    else if (key == "machine-id") e.machineId = v;
    else if (key == "sort-key") e.sortKey = v;
    else if (key == "linux") { e.linux = v; e.linuxLine = i + 1; }
    else if (key == "initrd") { const w = v.split(" "); for (let k = 0; k < w.length; k++) if (w[k].length > 0) e.initrds.push(w[k]); }
    else if (key == "options") { if (v.length > 0) options.push(v); }
    else if (key == "efi" || key == "devicetree" || key == "devicetree-overlay" || key == "architecture" ||
      key == "grub_users" || key == "grub_arg" || key == "grub_class" || key == "grub_hotkey" || key == "uki" || key == "profile") continue;
    else {
      unknown++;
      if (unknown <= MAX_UNKNOWN_KEYS) warnings.push(file + ":" + (i + 1).toString() + ": unknown key '" + key + "', ignored");
      else if (unknown == MAX_UNKNOWN_KEYS + 1) warnings.push(file + ":" + (i + 1).toString() + ": more unknown keys, ignored and not listed");
    }
  }
  e.options = options.join(" ");
  return e;
}

// Version comparison (the specification's, as rpm's and systemd's): runs of digits compare as
// numbers, runs of letters as text, '~' sorts before anything, other characters separate.
export function versionCompare(a: string, b: string): i32 {
  let i = 0;
  let j = 0;
  for (let g = 0; g < 4096; g++) {
    while (i < a.length && !alnum(a.charCodeAt(i)) && a.charCodeAt(i) != 0x7e) i++;
    while (j < b.length && !alnum(b.charCodeAt(j)) && b.charCodeAt(j) != 0x7e) j++;
    const ta = i < a.length && a.charCodeAt(i) == 0x7e;
    const tb = j < b.length && b.charCodeAt(j) == 0x7e;
    if (ta || tb) {
      if (!ta) return 1;
      if (!tb) return -1;
      i++;
      j++;
      continue;
    }
    if (i >= a.length || j >= b.length) break;
    const da = digit(a.charCodeAt(i));
    const db = digit(b.charCodeAt(j));
    if (da != db) return da ? 1 : -1;
    let ie = i;
    let je = j;
    if (da) {
      while (ie < a.length && digit(a.charCodeAt(ie))) ie++;
      while (je < b.length && digit(b.charCodeAt(je))) je++;
      let sa = a.substring(i, ie);
      let sb = b.substring(j, je);
      while (sa.length > 1 && sa.startsWith("0")) sa = sa.substring(1);
      while (sb.length > 1 && sb.startsWith("0")) sb = sb.substring(1);
      if (sa.length != sb.length) return sa.length > sb.length ? 1 : -1;
      if (sa != sb) return sa > sb ? 1 : -1;
    } else {
      while (ie < a.length && alpha(a.charCodeAt(ie))) ie++;
      while (je < b.length && alpha(b.charCodeAt(je))) je++;
      const sa = a.substring(i, ie);
      const sb = b.substring(j, je);
      if (sa != sb) return sa > sb ? 1 : -1;
    }
    i = ie;
    j = je;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

function digit(c: i32): bool { return c >= 0x30 && c <= 0x39; }
function alpha(c: i32): bool { return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a); }
function alnum(c: i32): bool { return digit(c) || alpha(c); }

// <0 when x comes first in the menu.
function order(x: BlsEntry, y: BlsEntry): i32 {
  const hx = x.sortKey.length > 0;
  const hy = y.sortKey.length > 0;
  if (hx != hy) return hx ? -1 : 1;
  if (hx) {
    if (x.sortKey != y.sortKey) return x.sortKey < y.sortKey ? -1 : 1;
    if (x.machineId != y.machineId) return x.machineId < y.machineId ? -1 : 1;
    const v = versionCompare(x.version, y.version);
    if (v != 0) return -v;
  }
  return -versionCompare(x.id, y.id);
}

// Whether ch is in the set p[from, to) of a [...] class: characters and ranges "a-z".
function inSet(p: string, from: i32, to: i32, ch: i32): bool {
  for (let k = from; k < to; k++) {
    if (k + 2 < to && p.charCodeAt(k + 1) == 0x2d) {
      if (ch >= p.charCodeAt(k) && ch <= p.charCodeAt(k + 2)) return true;
      k += 2;
    } else if (p.charCodeAt(k) == ch) return true;
  }
  return false;
}

// Shell-style glob: * ? and [...] (a '[' without its ']' is itself). Iterative, with one
// backtracking point, the last '*': time at most the pattern's length times the string's, and
// no allocation (a recursive match on substrings took time and memory exponential in the
// number of '*'s: found by the grubcfg fuzzer).
export function globMatch(p: string, s: string): bool {
  let i = 0;
  let j = 0;
  let starI = -1; // the last '*' seen, and where in s its match now ends
  let starJ = 0;
  while (j < s.length) {
    if (i < p.length) {
      const c = p.charCodeAt(i);
      if (c == 0x2a) {
        starI = i++;
        starJ = j;
        continue;
      }
      let next = -1; // where the pattern goes on when p[i..] matches s[j]
      const close = c == 0x5b ? p.indexOf("]", i + 1) : -1; // a class's end, or -1
      if (c == 0x3f) next = i + 1;
      else if (close > i) {
        if (inSet(p, i + 1, close, s.charCodeAt(j))) next = close + 1;
      } else if (c == s.charCodeAt(j)) next = i + 1;
      if (next >= 0) {
        i = next;
        j++;
        continue;
      }
    }
    if (starI < 0) return false;
    i = starI + 1; // the last '*' takes one more character
    j = ++starJ;
  }
  while (i < p.length && p.charCodeAt(i) == 0x2a) i++;
  return i == p.length;
}

// The entries of `dir` ("(hd0,0)/loader/entries"), sorted, as script entries. null: no folder.
export function blsEntries(dir: string, files: FileAccess, warnings: Array<string>): Array<MenuEntry> | null {
  const names = files.list(dir);
  if (names == null) return null;
  const device = dir.substring(0, dir.indexOf(")") + 1);
  const folder = dir.substring(device.length);
  const list = new Array<BlsEntry>();
  for (let i = 0; i < names!.length; i++) {
    const n = names![i];
    if (!n.endsWith(".conf") || n.startsWith(".")) continue;
    if (list.length >= MAX_BLS_ENTRIES) {
      warnings.push(folder + ": more than " + MAX_BLS_ENTRIES.toString() + " entries, the rest ignored");
      break;
    }
    const t = files.read(dir + "/" + n, MAX_BLS_FILE);
    if (t.error != null) {
      warnings.push("entries/" + n + ": " + t.error!);
      continue;
    }
    const e = parseEntry(t.text, "entries/" + n, warnings);
    e.id = n.substring(0, n.length - 5);
    e.file = "entries/" + n;
    if (e.linux.length == 0) {
      warnings.push(e.file + ": no 'linux' line (pvboot boots Linux-style kernels), skipped");
      continue;
    }
    list.push(e);
  }
  // insertion sort: a few hundred entries at most
  for (let i = 1; i < list.length; i++) {
    const x = list[i];
    let j = i - 1;
    while (j >= 0 && order(x, list[j]) < 0) {
      list[j + 1] = list[j];
      j--;
    }
    list[j + 1] = x;
  }
  const dev = "(" + grubDevice(device) + ")";
  const underBoot = folder == "/boot/loader/entries";
  const out = new Array<MenuEntry>();
  for (let i = 0; i < list.length; i++) {
    const b = list[i];
    const title = b.title.length > 0 ? b.title : b.version.length > 0 ? b.version : b.id;
    const e = new MenuEntry(title, 1);
    e.kind = ENTRY_SCRIPT;
    e.id = b.id;
    e.file = b.file;
    const k = filePath(b.linux, device, underBoot, files);
    e.lines.push(new ConfigLine(b.linuxLine, "linux", dev + k + (b.options.length > 0 ? " " + b.options : "")));
    if (b.initrds.length > 0) {
      let a = "";
      for (let r = 0; r < b.initrds.length; r++) a += (r > 0 ? " " : "") + dev + filePath(b.initrds[r], device, underBoot, files);
      e.lines.push(new ConfigLine(b.linuxLine, "initrd", a));
    }
    out.push(e);
  }
  return out;
}

// A BLS path on its partition; entries in /boot/loader/entries of a root partition name files
// under /boot (kernel-install's $BOOT), unless the file is at the partition's root.
function filePath(p: string, device: string, underBoot: bool, files: FileAccess): string {
  const q = p.startsWith("/") ? p : "/" + p;
  if (underBoot && files.kind(device + "/boot" + q) == 1) return "/boot" + q;
  return q;
}

// The entries folder read on its own: its menu, its loader.conf, the grubenv beside it.
export function readBlsConfig(dir: string, files: FileAccess): MenuConfig {
  const cfg = new MenuConfig();
  cfg.format = "bls";
  cfg.path = dir;
  const device = dir.substring(0, dir.indexOf(")") + 1);
  const folder = dir.substring(device.length);
  const top = folder.substring(0, folder.length - "/loader/entries".length); // "" or "/boot"
  cfg.root = device;
  const it = new Interp(baseContext(device, top + "/grub2"), files);
  it.file = "entries";
  const envs = ["/grub2/grubenv", "/grub/grubenv", "/boot/grub2/grubenv", "/boot/grub/grubenv"];
  for (let i = 0; i < envs.length; i++) {
    const t = files.read(device + envs[i], 65536);
    if (t.error != null) continue;
    const kv = parseGrubEnv(t.text);
    for (let k = 0; k < kv.length; k += 2) it.set(kv[k], kv[k + 1]);
    break;
  }
  const warnings = new Array<string>();
  const got = blsEntries(dir, files, warnings);
  if (got != null) it.entries = got!;
  // loader.conf: default and timeout; without it, grubenv's saved_entry (Fedora) or the first
  let timeout = TIMEOUT_NONE;
  let def = it.ctx.env.has("saved_entry") ? it.ctx.env.get("saved_entry") : "";
  const lc = files.read(device + top + "/loader/loader.conf", MAX_BLS_FILE);
  if (lc.error == null) {
    const ls = lc.text.split("\n");
    for (let i = 0; i < ls.length && i < 1024; i++) {
      const w = ls[i].trim().split(" ");
      if (w.length < 2) continue;
      const v = w[w.length - 1];
      if (w[0] == "timeout") {
        const n = parseNumber(v);
        if (n >= 0) timeout = n;
        else if (v == "menu-force") timeout = TIMEOUT_NONE;
      } else if (w[0] == "default") {
        for (let k = 0; k < it.entries.length; k++) {
          const id = it.entries[k].id!;
          if (globMatch(v, id) || globMatch(v, id + ".conf")) {
            def = id;
            break;
          }
        }
      }
    }
  }
  it.ctx.env.set("default", def.length > 0 ? def : "0");
  it.ctx.env.set("timeout", timeout >= 0 ? timeout.toString() : "-1");
  finishConfig(cfg, it);
  for (let i = 0; i < warnings.length; i++) cfg.warnings.push(warnings[i]);
  return cfg;
}
