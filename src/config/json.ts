// The parsed menu as JSON, for `pvboot menu --json` (shape in docs/config.md; stable).
// menu.lst is bytes, held one byte per character (src/config/lexer.ts). In JSON strings, runs
// of bytes that are valid UTF-8 are written as they are, so UTF-8 titles read naturally; any
// other byte of 0x80 and up is taken as the Latin-1 character of that value (\u00XX). Quotes,
// backslashes and control bytes are escaped. The output is always valid UTF-8 JSON.

import { Text } from "../lib/text";
import { MenuConfig, TIMEOUT_NONE } from "./menu";
import { summarizeEntry } from "./find";
import { flatten, flatIndex } from "./grubcfg/reader";

// Length of the valid UTF-8 sequence starting at s[i] (a byte >= 0x80), or 0.
function utf8Length(s: string, i: i32): i32 {
  const c = s.charCodeAt(i);
  let n = 0;
  let min = 0;
  if (c >= 0xc2 && c <= 0xdf) { n = 2; min = 0x80; }
  else if (c >= 0xe0 && c <= 0xef) { n = 3; min = 0x800; }
  else if (c >= 0xf0 && c <= 0xf4) { n = 4; min = 0x10000; }
  else return 0;
  if (i + n > s.length) return 0;
  let v = c & (n == 2 ? 0x1f : n == 3 ? 0x0f : 0x07);
  for (let k = 1; k < n; k++) {
    const d = s.charCodeAt(i + k);
    if ((d & 0xc0) != 0x80) return 0;
    v = (v << 6) | (d & 0x3f);
  }
  if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return 0;
  return n;
}

export function jsonString(t: Text, s: string): void {
  const hex = "0123456789abcdef";
  t.ch(0x22);
  let i = 0;
  while (i < s.length) {
    const c = <u32>s.charCodeAt(i);
    if (c == 0x22 || c == 0x5c) {
      t.ch(0x5c).ch(c);
    } else if (c == 0x0a) {
      t.ch(0x5c).ch(0x6e);
    } else if (c == 0x09) {
      t.ch(0x5c).ch(0x74);
    } else if (c == 0x0d) {
      t.ch(0x5c).ch(0x72);
    } else if (c < 0x20 || c == 0x7f || (c >= 0x80 && utf8Length(s, i) == 0) || c > 0xff) {
      t.str("\\u");
      for (let k = 3; k >= 0; k--) t.ch(<u32>hex.charCodeAt(<i32>((c >> (<u32>k * 4)) & 15)));
    } else if (c >= 0x80) {
      const n = utf8Length(s, i);
      for (let k = 0; k < n; k++) t.ch(<u32>s.charCodeAt(i + k));
      i += n;
      continue;
    } else {
      t.ch(c);
    }
    i++;
  }
  t.ch(0x22);
}

function key(t: Text, name: string, first: bool = false): Text {
  if (!first) t.ch(0x2c);
  jsonString(t, name);
  return t.ch(0x3a);
}

// The shape of docs/config.md for every format: format, file, default (an index into the
// flattened entries), timeout (-1: the menu waits), entries depth-first with their path through
// the submenus; menu.lst's own fields (config, fallback, hiddenmenu, password...) kept.
export function menuJson(cfg: MenuConfig): Text {
  const t = new Text(4096);
  const menulst = cfg.format == "menu.lst";
  const flat = flatten(cfg.entries);
  t.ch(0x7b);
  key(t, "format", true);
  jsonString(t, cfg.format);
  key(t, "file");
  jsonString(t, cfg.path);
  if (menulst) {
    key(t, "config");
    jsonString(t, cfg.path);
  }
  key(t, "default").u(<u64>(menulst ? cfg.defaultEntry : flatIndex(cfg.entries, cfg.defaultPath)));
  if (cfg.defaultSaved) key(t, "default_saved").str("true");
  key(t, "timeout").i(<i64>cfg.timeout);
  if (cfg.fallback.length > 0) {
    key(t, "fallback").ch(0x5b);
    for (let i = 0; i < cfg.fallback.length; i++) {
      if (i > 0) t.ch(0x2c);
      t.u(<u64>cfg.fallback[i]);
    }
    t.ch(0x5d);
  }
  key(t, "hiddenmenu").str(cfg.hiddenmenu ? "true" : "false");
  if (cfg.password != null) {
    key(t, "password").str("true");
    if (cfg.passwordMd5) key(t, "password_md5").str("true");
    if (cfg.passwordConfig != null) {
      key(t, "password_config");
      jsonString(t, cfg.passwordConfig!);
    }
  }
  key(t, "entries").ch(0x5b);
  for (let i = 0; i < flat.length; i++) {
    if (i > 0) t.ch(0x2c);
    const e = flat[i].entry;
    const s = summarizeEntry(cfg, e);
    t.ch(0x7b);
    key(t, "title", true);
    jsonString(t, e.title);
    key(t, "path").ch(0x5b);
    for (let k = 0; k < flat[i].path.length; k++) {
      if (k > 0) t.ch(0x2c);
      jsonString(t, flat[i].path[k]);
    }
    t.ch(0x5d);
    if (e.id != null) {
      key(t, "id");
      jsonString(t, e.id!);
    }
    if (s.root.length > 0) {
      key(t, "root");
      jsonString(t, s.root);
    }
    if (s.uuid != null) {
      key(t, "uuid");
      jsonString(t, s.uuid!);
    }
    if (s.kernel != null) {
      key(t, "kernel");
      jsonString(t, s.kernel!);
      if (s.kernelType != null) {
        key(t, "type");
        jsonString(t, s.kernelType!);
      }
      key(t, "args");
      jsonString(t, s.args);
    }
    if (menulst && s.initrd != null) {
      key(t, "initrd");
      jsonString(t, s.initrd!);
    }
    key(t, "initrds").ch(0x5b);
    for (let k = 0; k < s.initrds.length; k++) {
      if (k > 0) t.ch(0x2c);
      jsonString(t, s.initrds[k]);
    }
    t.ch(0x5d);
    if (s.modules.length > 0) {
      key(t, "modules").ch(0x5b);
      for (let m = 0; m < s.modules.length; m++) {
        if (m > 0) t.ch(0x2c);
        key(t.ch(0x7b), "path", true);
        jsonString(t, s.modules[m].path);
        key(t, "args");
        jsonString(t, s.modules[m].args);
        if (s.modules[m].nounzip) key(t, "nounzip").str("true");
        t.ch(0x7d);
      }
      t.ch(0x5d);
    }
    if (s.configfile != null) {
      key(t, "configfile");
      jsonString(t, s.configfile!);
    }
    if (s.chainloader != null) {
      key(t, "chainloader");
      jsonString(t, s.chainloader!);
    }
    t.ch(0x7d);
  }
  t.ch(0x5d);
  if (cfg.warnings.length > 0) {
    key(t, "warnings").ch(0x5b);
    for (let i = 0; i < cfg.warnings.length; i++) {
      if (i > 0) t.ch(0x2c);
      jsonString(t, cfg.warnings[i]);
    }
    t.ch(0x5d);
  }
  t.ch(0x7d).ch(0x0a);
  return t;
}
