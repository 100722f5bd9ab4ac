// Tool mode: `pvboot.tool=CMD pvboot.path=ARG` on the domain's command line makes the loader
// run one command and power off; the pvboot CLI (ls, cat, ...) drives the very same core this
// way. Results travel on the console in frames the CLI takes apart:
//   "\x02pvboot-out N\r\n" followed by N raw bytes  (the command's output)
//   "pvboot: error: ..." / "pvboot: warning: ..."   (lines for stderr)
//   "\x02pvboot-exit CODE\r\n"                       (last)
// Path arguments are percent-encoded by the CLI (%20 for a space, %25 for '%').

import { console } from "./xen/console";
import { Text } from "./lib/text";
import { disks } from "./drivers/blkfront";
import { partitionTable } from "./disk/volumes";
import { resolvePath, firstFilesystem } from "./fs/mounts";
import { parseDevPath } from "./fs/devpath";
import { FileSystem, FileType, FsStat } from "./fs/fs";
import { lsLine } from "./fs/listing";
import { startInfo } from "./xen/start_info";
import { cmdlineWords } from "./lib/cmdline";
import { findConfig } from "./config/find";
import { menuJson } from "./config/json";
import { runCheck } from "./check";

export function toolOut(t: Text): void {
  const h = new Text().ch(2).str("pvboot-out ").u(t.len).str("\r\n");
  console.write(h.buf, h.len);
  console.write(t.buf, t.len);
}

export function toolOutBytes(p: usize, n: u32): void {
  const h = new Text().ch(2).str("pvboot-out ").u(n).str("\r\n");
  console.write(h.buf, h.len);
  console.write(p, n);
}

export function toolError(msg: string): void {
  console.line(new Text().str("pvboot: error: ").str(msg));
}

export function toolWarning(msg: string): void {
  console.line(new Text().str("pvboot: warning: ").str(msg));
}

function exitWith(code: u32): void {
  const t = new Text().ch(2).str("pvboot-exit ").u(code).str("\r\n");
  console.write(t.buf, t.len);
}

export function percentDecode(s: string): string {
  if (s.indexOf("%") < 0) return s;
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charAt(i);
    if (c == "%" && i + 2 < s.length) {
      const v = <i32>I32.parseInt(s.substring(i + 1, i + 3), 16);
      out += String.fromCharCode(v);
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

// Run one command; returns when done (the caller tears down and powers off).
export function runTool(cmd: string, arg: string): void {
  let code: u32 = 0;
  if (cmd == "parts") code = parts();
  else if (cmd == "ls") code = ls(arg);
  else if (cmd == "cat") code = cat(arg);
  else if (cmd == "readall") code = readall(arg);
  else if (cmd == "menu") code = menu();
  else if (cmd == "check") code = runCheck(arg, toolOut, toolError);
  else {
    toolError("unknown tool command '" + cmd + "'");
    code = 2;
  }
  exitWith(code);
}

// Every disk and its partitions: "hd0 mbr", "(hd0,0) 1048576 66060288 0x83".
function parts(): u32 {
  const t = new Text();
  for (let i = 0; i < disks.list.length; i++) {
    const d = disks.list[i];
    if (!d.connected) continue;
    const pt = partitionTable(<u32>i)!;
    t.str(d.name).str(" ").u(d.bytes).str(" ").str(pt.scheme).str("\n");
    for (let w = 0; w < pt.warnings.length; w++) toolWarning(d.name + ": " + pt.warnings[w]);
    if (pt.error != null) toolError(pt.error!);
    for (let j = 0; j < pt.parts.length; j++) {
      const p = pt.parts[j];
      t.str("(hd").u(<u64>i).str(",").u(p.number).str(") ").u(p.start).str(" ").u(p.size).str(" ").str(p.kind).str("\n");
    }
  }
  toolOut(t);
  return 0;
}

class Opened {
  fs: FileSystem | null = null;
  path: string = "/";
  device: string = "";
}

// The filesystem a path names: its device, or the first partition (or partitionless disk)
// holding one (src/fs/mounts.ts). Errors are printed; fs is null on failure.
function openPath(arg: string): Opened {
  const o = new Opened();
  const dp = parseDevPath(arg.length == 0 ? "/" : arg);
  if (dp.error != null) {
    toolError(dp.error!);
    return o;
  }
  const m = dp.disk >= 0 ? resolvePath(arg, "") : firstFilesystem();
  if (m == null) {
    toolError("no filesystem found on any disk (" + disks.list.length.toString() + " disks)");
    return o;
  }
  if (m.fs == null) {
    toolError(m.error!);
    return o;
  }
  o.fs = m.fs;
  o.device = m.device;
  o.path = dp.path;
  return o;
}

// "drwxr-xr-x         4096 boot/": the entries of a directory by name, or the one file.
function ls(arg: string): u32 {
  const o = openPath(arg);
  if (o.fs == null) return 1;
  const fs = o.fs!;
  const l = fs.lookup(o.path);
  if (l.error != null) {
    toolError(o.device + o.path + ": " + l.error!);
    return 1;
  }
  const st = fs.stat(l.ino);
  if (st.error != null) {
    toolError(st.error!);
    return 1;
  }
  const t = new Text(4096);
  if (st.type != FileType.Dir) {
    lsLine(t, fs, st, o.path.substring(o.path.lastIndexOf("/") + 1), "", "\n");
    toolOut(t);
    return 0;
  }
  const d = fs.list(l.ino);
  if (d.error != null) {
    toolError(d.error!);
    return 1;
  }
  const names: string[] = [];
  for (let i = 0; i < d.entries.length; i++) {
    const n = d.entries[i].name;
    if (n != "." && n != "..") names.push(n);
  }
  names.sort();
  let code: u32 = 0;
  for (let i = 0; i < names.length; i++) {
    let ino: u64 = 0;
    for (let j = 0; j < d.entries.length; j++) if (d.entries[j].name == names[i]) ino = d.entries[j].ino;
    const est = fs.stat(ino);
    if (est.error != null) {
      toolError(o.device + o.path + "/" + names[i] + ": " + est.error!);
      code = 1;
      continue;
    }
    lsLine(t, fs, est, names[i], "", "\n");
  }
  toolOut(t);
  return code;
}

// The menu the loader would show, as JSON (src/config/json.ts), found the way the boot finds
// it (src/config/find.ts) from the domain's command line. Nothing found: what was tried.
function menu(): u32 {
  const found = findConfig(cmdlineWords(startInfo.cmdLine, startInfo.cmdLineLength()), toolError);
  if (found == null) return 1; // what was tried is printed
  const cfg = found!;
  if (cfg.error != null) {
    toolError(cfg.error!);
    return 1;
  }
  const t = menuJson(cfg); // may add warnings (UUIDs no filesystem has)
  for (let i = 0; i < cfg.warnings.length; i++) toolWarning(cfg.warnings[i]);
  toolOut(t);
  return 0;
}

const CHUNK: u32 = 1 << 20;

function cat(arg: string): u32 {
  const o = openPath(arg);
  if (o.fs == null) return 1;
  const fs = o.fs!;
  const l = fs.lookup(o.path);
  if (l.error != null) {
    toolError(o.device + o.path + ": " + l.error!);
    return 1;
  }
  const st = fs.stat(l.ino);
  if (st.error != null) {
    toolError(st.error!);
    return 1;
  }
  if (st.type != FileType.File) {
    toolError(o.device + o.path + ": not a regular file");
    return 1;
  }
  const buf = heap.alloc(CHUNK);
  for (let off: u64 = 0; off < st.size; off += CHUNK) {
    const n = <u32>(st.size - off < <u64>CHUNK ? st.size - off : <u64>CHUNK);
    const e = fs.readRange(l.ino, off, n, buf);
    if (e != null) {
      toolError(o.device + o.path + ": " + e);
      return 1;
    }
    toolOutBytes(buf, n);
  }
  return 0;
}

// Read every regular file under a directory (the benchmark's walk): one line,
// "files N bytes B checksum 0x...", the checksum as blkread's over each file in turn.
function readall(arg: string): u32 {
  const o = openPath(arg);
  if (o.fs == null) return 1;
  const fs = o.fs!;
  const root = fs.lookup(o.path);
  if (root.error != null) {
    toolError(root.error!);
    return 1;
  }
  const buf = heap.alloc(CHUNK);
  const stack: u64[] = [root.ino];
  const seen = new Set<u64>(); // directories read: a looped tree reads each once
  let files: u64 = 0;
  let bytes: u64 = 0;
  let h: u32 = 0;
  let code: u32 = 0;
  while (stack.length > 0 && seen.size < 1000000) {
    const ino = stack.pop();
    if (seen.has(ino)) continue;
    seen.add(ino);
    const d = fs.list(ino);
    if (d.error != null) {
      toolError(d.error!);
      code = 1;
      continue;
    }
    for (let i = 0; i < d.entries.length; i++) {
      const e = d.entries[i];
      if (e.name == "." || e.name == "..") continue;
      const st = fs.stat(e.ino);
      if (st.error != null) {
        toolError(st.error!);
        code = 1;
        continue;
      }
      if (st.type == FileType.Dir) {
        stack.push(e.ino);
        continue;
      }
      if (st.type != FileType.File) continue;
      files++;
      for (let off: u64 = 0; off < st.size; off += CHUNK) {
        const n = <u32>(st.size - off < <u64>CHUNK ? st.size - off : <u64>CHUNK);
        const err = fs.readRange(e.ino, off, n, buf);
        if (err != null) {
          toolError(err);
          code = 1;
          break;
        }
        bytes += n;
        let p: usize = 0;
        for (; p + 4 <= <usize>n; p += 4) h = rotl<u32>(h, 5) ^ load<u32>(buf + p);
        for (; p < <usize>n; p++) h = rotl<u32>(h, 5) ^ <u32>load<u8>(buf + p);
      }
    }
  }
  toolOut(new Text().str("files ").u(files).str(" bytes ").u(bytes).str(" checksum ").hex(h, 8).str("\n"));
  return code;
}
