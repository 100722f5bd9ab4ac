// A grub.cfg read into the menu model (src/config/menu.ts): the script is run as GRUB's normal
// mode runs it before showing the menu (eval.ts), its menuentry/submenu commands become the
// entries, and the variables it leaves decide the rest:
//   default   an index, a title or an --id at each level, "1>2" through submenus
//             (after load_env, next_entry and saved_entry as the script itself handles them);
//             one naming nothing is 0, with a warning;
//   timeout   seconds; unset or negative: wait (-1); timeout_style hidden/countdown: hidden;
//   fallback  entry numbers.
// GRUB's own variables are there from the start: root and prefix (the device and folder the
// file was found in), grub_platform=xen, grub_cpu, and the feature_* flags grub-mkconfig's
// scripts test.

import { MenuConfig, MenuEntry, ScriptContext, TIMEOUT_NONE } from "../menu";
import { parseScript } from "./parser";
import { Interp, FileAccess } from "./eval";
import { grubDevice } from "./devices";
import { parseNumber } from "../menulst";

const FEATURES = ["feature_chainloader_bpb", "feature_ntldr", "feature_platform_search_hint",
  "feature_default_font_path", "feature_all_video_module", "feature_menuentry_id",
  "feature_menuentry_options", "feature_200_final", "feature_nativedisk_cmd", "feature_timeout_style"];

export function baseContext(device: string, dir: string): ScriptContext {
  const c = new ScriptContext();
  const root = grubDevice(device);
  c.env.set("root", root);
  c.env.set("prefix", "(" + root + ")" + dir);
  c.env.set("cmdpath", "(" + root + ")" + dir);
  c.env.set("config_directory", "(" + root + ")" + dir);
  c.env.set("grub_platform", "xen");
  c.env.set("grub_cpu", "x86_64");
  for (let i = 0; i < FEATURES.length; i++) c.env.set(FEATURES[i], "y");
  return c;
}

// Read grub.cfg's text, found at `path` ("(hd0,0)/boot/grub/grub.cfg") on `device`.
export function readGrubCfg(text: string, path: string, device: string, files: FileAccess): MenuConfig {
  const cfg = new MenuConfig();
  cfg.format = "grub.cfg";
  cfg.path = path;
  cfg.root = device;
  const inDev = path.substring(device.length);
  const dir = inDev.substring(0, inDev.lastIndexOf("/"));
  const it = new Interp(baseContext(device, dir.length > 0 ? dir : "/"), files);
  it.file = path.substring(path.lastIndexOf("/") + 1);
  const parsed = parseScript(text);
  if (parsed.error != null) it.warn(parsed.errorLine, "syntax error: " + parsed.error!.substring(parsed.error!.indexOf(":") + 2) + "; the rest of the file is not read");
  it.block(parsed.nodes);
  finishConfig(cfg, it);
  return cfg;
}

// The entries, warnings and menu settings an evaluation left (grub.cfg, and BLS read alone).
export function finishConfig(cfg: MenuConfig, it: Interp): void {
  cfg.entries = it.entries;
  cfg.script = it.ctx;
  for (let i = 0; i < it.warnings.length; i++) cfg.warnings.push(it.warnings[i]);
  const env = it.ctx.env;
  const file = it.file;
  // timeout
  cfg.timeout = TIMEOUT_NONE;
  if (env.has("timeout") && env.get("timeout").length > 0) {
    const t = env.get("timeout");
    const v = parseNumber(t);
    if (v >= 0) cfg.timeout = v;
    else if (!t.startsWith("-")) cfg.warnings.push(file + ": timeout '" + t + "' is not a number of seconds; the menu waits");
  }
  const style = env.has("timeout_style") ? env.get("timeout_style") : "menu";
  cfg.hiddenmenu = style == "hidden" || style == "countdown";
  // fallback
  if (env.has("fallback")) {
    const ws = env.get("fallback").split(" ");
    for (let i = 0; i < ws.length; i++) {
      const v = parseNumber(ws[i]);
      if (v >= 0 && v < cfg.entries.length) cfg.fallback.push(v);
    }
  }
  // default
  const d = env.has("default") ? env.get("default") : "0";
  cfg.defaultPath = defaultPath(cfg.entries, d.length > 0 ? d : "0");
  if (cfg.defaultPath.length == 0) {
    if (cfg.entries.length > 0) cfg.warnings.push(file + ": default '" + d + "' names no entry; 0 used");
    cfg.defaultPath = [0];
  }
  cfg.defaultEntry = cfg.defaultPath[0];
  if (cfg.entries.length == 0) cfg.warnings.push(file + ": no entries");
}

// "1>2", "gnulinux-advanced-...>gnulinux-6.1...", "Debian GNU/Linux": indices through the
// submenus; [] when it names nothing. A submenu alone is not a default: its first entry is.
export function defaultPath(entries: Array<MenuEntry>, spec: string): Array<i32> {
  const out = new Array<i32>();
  const parts = spec.split(">");
  let level = entries;
  for (let i = 0; i < parts.length && i < 16; i++) {
    const p = parts[i];
    let hit = -1;
    const n = parseNumber(p);
    if (n >= 0) {
      if (n < level.length) hit = n;
    } else {
      for (let k = 0; k < level.length && hit < 0; k++) {
        const e = level[k];
        if ((e.id != null && e.id! == p) || e.title == p) hit = k;
      }
    }
    if (hit < 0) return new Array<i32>();
    out.push(hit);
    const e = level[hit];
    if (e.children == null) return i == parts.length - 1 ? out : new Array<i32>();
    level = e.children!;
  }
  // ended on a submenu: its first entries down to one that boots
  for (let g = 0; g < 16; g++) {
    if (level.length == 0) return new Array<i32>();
    out.push(0);
    if (level[0].children == null) return out;
    level = level[0].children!;
  }
  return new Array<i32>();
}

// Every entry that boots, depth-first in file order, with the submenu titles above it.
export class FlatEntry {
  constructor(public entry: MenuEntry, public path: Array<string>, public indices: Array<i32>) {}
}

export function flatten(entries: Array<MenuEntry>): Array<FlatEntry> {
  const out = new Array<FlatEntry>();
  walk(entries, new Array<string>(), new Array<i32>(), out, 0);
  return out;
}

function walk(entries: Array<MenuEntry>, path: Array<string>, idx: Array<i32>, out: Array<FlatEntry>, depth: i32): void {
  if (depth > 16) return;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    const p = path.slice(0);
    p.push(e.title);
    const x = idx.slice(0);
    x.push(i);
    if (e.children != null) walk(e.children!, p, x, out, depth + 1);
    else out.push(new FlatEntry(e, p, x));
  }
}

// The flattened index of a path of indices, or 0.
export function flatIndex(entries: Array<MenuEntry>, path: Array<i32>): i32 {
  const flat = flatten(entries);
  for (let i = 0; i < flat.length; i++) {
    const x = flat[i].indices;
    if (x.length != path.length) continue;
    let same = true;
    for (let k = 0; k < x.length; k++) if (x[k] != path[k]) same = false;
    if (same) return i;
  }
  return 0;
}
