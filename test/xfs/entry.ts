// Test entry for the XFS reader (src/fs/xfs): drives XfsFs over a MemorySource of an image
// the test copies into this module's memory (the same exports as test/ext/entry.ts). Results go back as JSON strings (the export
// returns the string's address; the host reads the UTF-16 text behind it).
//
// Built by test/xfs/wasm.ts to build/xfs-test.wasm, with AssemblyScript's abort routed to
// testAbort: the message reaches the host, then the module traps (a failure in any test).

import { MemorySource } from "../../src/disk/source";
import { XfsFs } from "../../src/fs/xfs/xfs";
import { FileType } from "../../src/fs/fs";
import { crc32c, crc32cUpdate } from "../../src/lib/crc32c";

@external("env", "hostAbort")
declare function hostAbort(msg: usize, file: usize, line: u32, col: u32): void;

export function testAbort(msg: string | null, file: string | null, line: u32, col: u32): void {
  hostAbort(changetype<usize>(msg), changetype<usize>(file), line, col);
  unreachable();
}

let fs: XfsFs | null = null;

export function alloc(n: usize): usize {
  return heap.alloc(n);
}

// --- JSON building ---

function q(s: string | null): string {
  if (s == null) return "null";
  let plain = true;
  for (let i = 0; i < s.length && plain; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x22 || c == 0x5c || c < 0x20 || c >= 0x7f) plain = false;
  }
  if (plain) return "\"" + s + "\"";
  const parts: string[] = ["\""];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x22) parts.push("\\\"");
    else if (c == 0x5c) parts.push("\\\\");
    else if (c < 0x20 || c >= 0x7f) {
      let h = c.toString(16);
      while (h.length < 4) h = "0" + h;
      parts.push("\\u" + h);
    } else parts.push(String.fromCharCode(c));
  }
  parts.push("\"");
  return parts.join("");
}

function strList(list: string[]): string {
  const parts = new Array<string>(list.length);
  for (let i = 0; i < list.length; i++) parts[i] = q(list[i]);
  return "[" + parts.join(",") + "]";
}

function ret(s: string): usize {
  return changetype<usize>(s);
}

// --- the API, one export per method ---

export function mount(base: usize, size: u64): usize {
  const m = XfsFs.mount(new MemorySource(base, size, "image"));
  fs = m.fs;
  let s = "{\"error\":" + q(m.error) + ",\"warnings\":" + strList(m.warnings);
  const f = m.fs;
  if (f != null) {
    s += ",\"flavor\":" + q(f.flavor) + ",\"label\":" + q(f.label) + ",\"uuid\":" + q(f.uuid) +
      ",\"blockSize\":" + f.blockSize.toString() + ",\"blocks\":" + f.blocksCount.toString() +
      ",\"root\":" + f.rootIno.toString() + ",\"version\":" + f.version.toString() + ",\"features\":" + q(f.features) + ",\"describe\":" + q(f.describe());
  }
  return ret(s + "}");
}

export function warnings(): usize {
  const f = fs;
  if (f == null) return ret("[]");
  return ret("{\"warnings\":" + strList(f.warnings) + ",\"reads\":" + f.reads.toString() + ",\"bytesRead\":" + f.bytesRead.toString() + "}");
}

export function lookup(path: usize, len: u32, follow: bool): usize {
  const f = fs!;
  const l = f.lookup(String.UTF8.decodeUnsafe(path, len), follow);
  return ret("{\"ino\":" + l.ino.toString() + ",\"error\":" + q(l.error) + "}");
}

export function stat(ino: u64): usize {
  const st = fs!.stat(ino);
  return ret("{\"error\":" + q(st.error) + ",\"ino\":" + st.ino.toString() + ",\"mode\":" + st.mode.toString() +
    ",\"type\":" + (<i32>st.type).toString() + ",\"size\":" + st.size.toString() + ",\"links\":" + st.links.toString() +
    ",\"uid\":" + st.uid.toString() + ",\"gid\":" + st.gid.toString() + ",\"mtime\":" + st.mtime.toString() +
    ",\"flags\":" + st.flags.toString() + "}");
}

export function list(ino: u64): usize {
  const d = fs!.list(ino);
  const parts = new Array<string>(d.entries.length);
  for (let i = 0; i < d.entries.length; i++) {
    const e = d.entries[i];
    parts[i] = "[" + q(e.name) + "," + e.ino.toString() + "," + (<i32>e.type).toString() + "]";
  }
  return ret("{\"error\":" + q(d.error) + ",\"entries\":[" + parts.join(",") + "]}");
}

export function readFile(ino: u64): usize {
  const r = fs!.readFile(ino);
  return ret("{\"error\":" + q(r.error) + ",\"data\":" + r.data.toString() + ",\"size\":" + r.size.toString() + "}");
}

export function readRange(ino: u64, offset: u64, len: u32, dst: usize): usize {
  const e = fs!.readRange(ino, offset, len, dst);
  return e == null ? 0 : ret(e);
}

export function readLink(ino: u64): usize {
  const l = fs!.readLink(ino);
  return ret("{\"error\":" + q(l.error) + ",\"target\":" + q(l.target) + "}");
}

export function crc(p: usize, n: usize): u32 {
  return crc32c(p, n);
}

// --- a whole-tree walk inside the module (fast, and what the fuzz tests run) ---

const CHUNK: u32 = 1 << 20;
let chunk: usize = 0;
let budget: i32 = 0;
let byteBudget: u64 = 0;
let walkOut: string[] = [];

// Every entry under the root: one JSON record each; files are read whole through readRange
// (in 1 MiB pieces, at most maxFileBytes of each and maxTotalBytes in all) and summed with
// crc32c, symlinks are read and resolved. At most maxEntries entries.
export function walk(maxEntries: i32, maxFileBytes: u64, maxTotalBytes: u64): usize {
  if (chunk == 0) chunk = heap.alloc(CHUNK);
  budget = maxEntries;
  byteBudget = maxTotalBytes;
  walkOut = [];
  walkDir(fs!.lookup("/").ino, "", 0, maxFileBytes);
  return ret("[" + walkOut.join(",\n") + "]");
}

function walkDir(ino: u64, path: string, depth: i32, maxFileBytes: u64): void {
  const f = fs!;
  const d = f.list(ino);
  if (d.error != null) {
    walkOut.push("{\"p\":" + q(path.length > 0 ? path : "/") + ",\"e\":" + q(d.error) + "}");
    return;
  }
  for (let i = 0; i < d.entries.length; i++) {
    const e = d.entries[i];
    if (e.name == "." || e.name == "..") continue;
    if (--budget < 0) return;
    const p = path + "/" + e.name;
    const st = f.stat(e.ino);
    if (st.error != null) {
      walkOut.push("{\"p\":" + q(p) + ",\"i\":" + e.ino.toString() + ",\"t\":" + (<i32>e.type).toString() + ",\"e\":" + q(st.error) + "}");
      continue;
    }
    let rec = "{\"p\":" + q(p) + ",\"i\":" + e.ino.toString() + ",\"t\":" + (<i32>st.type).toString() + ",\"s\":" + st.size.toString();
    if (st.type == FileType.File) {
      let c: u32 = 0xffffffff;
      let err: string | null = null;
      let total = st.size < maxFileBytes ? st.size : maxFileBytes;
      if (total > byteBudget) total = byteBudget;
      byteBudget -= total;
      let off: u64 = 0;
      while (off < total) {
        const n = <u32>(total - off < <u64>CHUNK ? total - off : <u64>CHUNK);
        err = f.readRange(e.ino, off, n, chunk);
        if (err != null) break;
        c = crc32cUpdate(c, chunk, n);
        off += n;
      }
      rec += err != null ? ",\"e\":" + q(err) : ",\"c\":" + (~c).toString();
    } else if (st.type == FileType.Symlink) {
      const l = f.readLink(e.ino);
      rec += l.error != null ? ",\"e\":" + q(l.error) : ",\"l\":" + q(l.target);
      const r = f.lookup(p, true);
      rec += ",\"r\":" + r.ino.toString() + (r.error != null ? ",\"re\":" + q(r.error) : "");
    }
    walkOut.push(rec + "}");
    if (st.type == FileType.Dir && depth < 64) walkDir(e.ino, p, depth + 1, maxFileBytes);
  }
}
