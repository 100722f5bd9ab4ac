// Fuzz entry: grub.cfg (src/config/grubcfg: lexer, parser, evaluation) and Boot Loader Spec
// entries (src/config/bls) over a small tree of files made from one input. The input is
// grub.cfg's text, then any number of further files, each introduced by a NUL byte, its path
// on (hd0,0) and a newline:
//     <grub.cfg> \0/boot/grub/grubenv\n<text> \0/loader/entries/a.conf\n<text> ...
// (folders are those the paths imply). The files are served to the evaluator by MemFiles, the
// FileAccess the readers give it on a disk (src/config/find.ts), so `source`, `load_env`,
// `configfile`, `blscfg`, `-f`/`-d`/`-s` tests and BLS listing all read them.
//
// One input: readGrubCfg as the menu reads (hd0,0)/boot/grub/grub.cfg; every entry, at every
// submenu level (the first 32), summarised as `pvboot menu` does (a dry run of its body);
// readBlsConfig on (hd0,0)/loader/entries as a BLS-only disk is read. A trap is a finding; so
// is a broken promise of the readers:
//   - the default path names an entry at each level, every one but the last a submenu (the
//     menu opens a submenu it ends on), and defaultEntry is its first index; fallbacks name
//     top-level entries;
//   - entries and their lines have line numbers of at least 1; no warning is empty.
// `search` looks at the disks (src/fs/mounts.ts): there are none here, the fake platform
// (fakexen.ts) has no xenstore, so every search finds nothing, as on a domain without disks.

import { readGrubCfg } from "../config/grubcfg/reader";
import { summarizeScript } from "../config/grubcfg/boot";
import { FileAccess, FileText, setEvalLimits } from "../config/grubcfg/eval";
import { blsEntries, readBlsConfig } from "../config/bls/bls";
import { MenuConfig, MenuEntry } from "../config/menu";
import { abortRecord, fuzzFail } from "./abort";
import { selftest } from "./selftest";
export * from "./fakexen";

const DEVICE = "(hd0,0)";
const MAX_SUMMARIES = 32;

export function fuzz_alloc(n: usize): usize {
  return heap.alloc(n);
}

export function fuzz_abort_record(): usize {
  return abortRecord();
}

export function fuzz_selftest(kind: u32, arg: u32): u32 {
  return selftest(kind, arg);
}

// Latin-1, as the readers turn a file's bytes into text (src/config/find.ts).
function latin1(p: usize, n: usize): string {
  const codes = new Array<i32>(<i32>n);
  for (let i: usize = 0; i < n; i++) codes[<i32>i] = <i32>load<u8>(p + i);
  return String.fromCharCodes(codes);
}

// The input's files, by their full name "(hd0,0)/a/b".
class MemFiles extends FileAccess {
  names: Array<string> = new Array<string>();
  texts: Array<string> = new Array<string>();

  add(path: string, text: string): void {
    let p = path.startsWith("/") ? path : "/" + path;
    while (p.length > 1 && p.endsWith("/")) p = p.substring(0, p.length - 1);
    const full = DEVICE + p;
    const i = this.names.indexOf(full);
    if (i >= 0) this.texts[i] = text;
    else {
      this.names.push(full);
      this.texts.push(text);
    }
  }

  read(full: string, max: u32): FileText {
    const t = new FileText();
    const i = this.names.indexOf(full);
    if (i < 0) {
      const why: string = this.kind(full) == 2 ? "is a directory: " : "file not found: ";
      t.error = why + full;
      return t;
    }
    if (<u32>this.texts[i].length > max) {
      t.error = full + ": larger than " + max.toString() + " bytes";
      return t;
    }
    t.text = this.texts[i];
    return t;
  }

  kind(full: string): i32 {
    if (this.names.includes(full)) return 1;
    const dir = full.endsWith("/") ? full : full + "/";
    if (dir == DEVICE + "/") return 2;
    for (let i = 0; i < this.names.length; i++) if (this.names[i].startsWith(dir)) return 2;
    return 0;
  }

  size(full: string): i64 {
    const i = this.names.indexOf(full);
    return i < 0 ? -1 : <i64>this.texts[i].length;
  }

  list(dir: string): Array<string> | null {
    if (this.kind(dir) != 2) return null;
    const prefix = dir.endsWith("/") ? dir : dir + "/";
    const out = new Array<string>();
    for (let i = 0; i < this.names.length; i++) {
      const n = this.names[i];
      if (!n.startsWith(prefix)) continue;
      const rest = n.substring(prefix.length);
      const slash = rest.indexOf("/");
      const name = slash < 0 ? rest : rest.substring(0, slash);
      if (name.length > 0 && !out.includes(name)) out.push(name);
    }
    out.sort();
    return out;
  }

  bls(dir: string, warnings: Array<string>): Array<MenuEntry> | null {
    return blsEntries(dir, this, warnings);
  }
}

// A tenth of the loader's bounds (MAX_STEPS, MAX_EXPANDED; MAX_SOURCED and MAX_RUN_MEMORY an
// eighth, MAX_SCRIPT_MEMORY a quarter): inputs that loop to the bound reach the same code (the
// run stopped, its warning) ten times sooner. Measured in docs/fuzzing.md.
const FUZZ_STEPS: i32 = 2000;
const FUZZ_EXPANDED: i64 = 512 << 10;
const FUZZ_SOURCED: i64 = 128 << 10;
const FUZZ_RUN_MEMORY: i64 = 1 << 20;
const FUZZ_SCRIPT_MEMORY: i64 = 8 << 20;

export function fuzz_one(ptr: usize, len: usize): void {
  setEvalLimits(FUZZ_STEPS, FUZZ_EXPANDED, FUZZ_SOURCED, FUZZ_RUN_MEMORY, FUZZ_SCRIPT_MEMORY);
  const files = new MemFiles();
  // grub.cfg up to the first NUL, then "path\ntext" pieces.
  let at: usize = 0;
  while (at < len && load<u8>(ptr + at) != 0) at++;
  const cfgText = latin1(ptr, at);
  files.add("/boot/grub/grub.cfg", cfgText);
  let pieces = 0;
  while (at < len && pieces < 64) {
    const start = at + 1; // past the NUL
    let nl = start;
    while (nl < len && load<u8>(ptr + nl) != 0x0a && load<u8>(ptr + nl) != 0) nl++;
    const path = latin1(ptr + start, nl - start);
    let end = nl < len && load<u8>(ptr + nl) == 0x0a ? nl + 1 : nl;
    const body = end;
    while (end < len && load<u8>(ptr + end) != 0) end++;
    if (path.length > 0) files.add(path, latin1(ptr + body, end - body));
    at = end;
    pieces++;
  }

  const cfg = readGrubCfg(cfgText, DEVICE + "/boot/grub/grub.cfg", DEVICE, files);
  checkConfig(cfg);
  let summaries = 0;
  summaries = summarize(cfg.entries, cfg, files, summaries, 0);

  const bls = readBlsConfig(DEVICE + "/loader/entries", files);
  checkConfig(bls);
  summarize(bls.entries, bls, files, 0, 0);
}

function checkConfig(cfg: MenuConfig): void {
  for (let i = 0; i < cfg.warnings.length; i++) if (cfg.warnings[i].length == 0) fuzzFail("an empty warning");
  const n = cfg.entries.length;
  for (let i = 0; i < cfg.fallback.length; i++) {
    if (cfg.fallback[i] < 0 || cfg.fallback[i] >= n) fuzzFail("a fallback names no entry");
  }
  if (n == 0) return;
  const path = cfg.defaultPath;
  if (path.length == 0) fuzzFail("no default path with entries");
  if (cfg.defaultEntry != path[0]) fuzzFail("defaultEntry is not the default path's first index");
  let level = cfg.entries;
  for (let i = 0; i < path.length; i++) {
    if (path[i] < 0 || path[i] >= level.length) fuzzFail("the default path names no entry");
    const e = level[path[i]];
    if (i < path.length - 1) {
      if (e.children == null) fuzzFail("the default path goes through an entry that is not a submenu");
      level = e.children!;
    }
  }
}

function summarize(entries: Array<MenuEntry>, cfg: MenuConfig, files: MemFiles, done: i32, depth: i32): i32 {
  if (depth > 32) return done; // the menu's own walks stop at 16 levels
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    if (e.lineNo < 1) fuzzFail("an entry without a line number");
    if (e.children != null) {
      done = summarize(e.children!, cfg, files, done, depth + 1);
      continue;
    }
    for (let k = 0; k < e.lines.length; k++) if (e.lines[k].lineNo < 1) fuzzFail("an entry's line without a line number");
    if (done >= MAX_SUMMARIES) continue;
    summarizeScript(e, cfg, files);
    done++;
  }
  return done;
}
