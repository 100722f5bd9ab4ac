// Fuzz entry: menu.lst (src/config/menulst.ts) over one file's bytes. Parse it as the menu
// does, summarise every entry as `pvboot menu` does, split every kernel line, and resolve
// `default saved` from the same bytes as a `default` file would hold them. Anything that
// traps is a finding; so is a broken promise of the parser:
//   - an error leaves no entries;
//   - the default entry and every fallback name an entry (when there are entries);
//   - every line of an entry has a line number within the file, at or after its title's;
//   - no ConfigLine has a name with a blank in it.
//
// Built with scripts/fuzz/build.sh, as the others.

import { parseMenuLst, entrySummary, kernelParts, applySavedDefault } from "../config/menulst";
import { abortRecord, fuzzFail } from "./abort";
import { selftest } from "./selftest";

export function fuzz_alloc(n: usize): usize {
  return heap.alloc(n);
}

export function fuzz_abort_record(): usize {
  return abortRecord();
}

export function fuzz_selftest(kind: u32, arg: u32): u32 {
  return selftest(kind, arg);
}

export function fuzz_one(ptr: usize, len: usize): void {
  const cfg = parseMenuLst(ptr, <u32>len, "(hd0,0)/boot/grub/menu.lst");
  if (cfg.error != null) {
    if (cfg.entries.length != 0) fuzzFail("an error with entries");
    return;
  }
  let newlines: i32 = 1;
  for (let i: usize = 0; i < len; i++) if (load<u8>(ptr + i) == 0x0a) newlines++;
  checkConfig(cfg.entries.length, cfg.defaultEntry, cfg.fallback);
  for (let i = 0; i < cfg.entries.length; i++) {
    const e = cfg.entries[i];
    if (e.lineNo < 1 || e.lineNo > newlines) fuzzFail("a title's line number outside the file");
    for (let j = 0; j < e.lines.length; j++) {
      const l = e.lines[j];
      if (l.lineNo < e.lineNo || l.lineNo > newlines) fuzzFail("a line number outside its entry");
      if (l.name.indexOf(" ") >= 0) fuzzFail("a command name with a blank");
      if (l.name == "kernel") kernelParts(l.args);
      l.toString();
    }
    entrySummary(e, cfg.root);
  }
  // The same bytes as a `default` file (GRUB read its first 9 bytes).
  const text = String.UTF8.decodeUnsafe(ptr, len < 64 ? len : 64);
  applySavedDefault(cfg, text, "(hd0,0)/boot/grub/default");
  checkConfig(cfg.entries.length, cfg.defaultEntry, cfg.fallback);
}

function checkConfig(n: i32, def: i32, fallback: Array<i32>): void {
  if (n == 0) return;
  if (def < 0 || def >= n) fuzzFail("the default names no entry");
  for (let i = 0; i < fallback.length; i++) {
    if (fallback[i] < 0 || fallback[i] >= n) fuzzFail("a fallback names no entry");
  }
}
