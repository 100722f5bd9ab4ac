#!/usr/bin/env node
// Runs inputs through a fuzz entry's .wasm in Node, the way the native driver does: a fresh
// instance and memory per input (capped at 256 MiB like the driver), fuzz_alloc, copy,
// fuzz_one. A trap is reported with its kind, the AssemblyScript abort message when there is
// one, and the wasm stack mapped to AssemblyScript source lines through the .wasm.map.
//
//   node scripts/fuzz/wasm-run.mjs [--json] [--selftest=KIND] TARGET FILE|DIR...
//
// Exit status 1 when any input traps. Files ending in .gz are gunzipped first. test/fuzz.test.ts
// runs the regression inputs through this; use it to see where a native crash is in the source.

import { readFileSync, readdirSync, statSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const MAX_PAGES = 4096; // 256 MiB, the native driver's default cap
export const SELFTEST_KINDS = ["oob", "unreachable", "abort", "recursion", "alloc", "div0", "loop"];
const ABORT_MAGIC = 0x54524241;

// ---- the source map (asc: one generated "line", columns are byte offsets in the module) ----

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

function decodeVlq(s) {
  const out = [];
  let v = 0, shift = 0;
  for (const ch of s) {
    const d = B64.indexOf(ch);
    v += (d & 31) << shift;
    if (d & 32) shift += 5;
    else {
      out.push(v & 1 ? -(v >>> 1) : v >>> 1);
      v = 0;
      shift = 0;
    }
  }
  return out;
}

export function loadSourceMap(path) {
  let map;
  try { map = JSON.parse(readFileSync(path, "utf8")); } catch { return null; }
  const segs = [];
  let col = 0, src = 0, line = 0, c = 0;
  for (const group of map.mappings.split(";")) {
    for (const seg of group.split(",")) {
      if (!seg) continue;
      const f = decodeVlq(seg);
      col += f[0];
      if (f.length >= 4) {
        src += f[1]; line += f[2]; c += f[3];
        segs.push([col, src, line, c]);
      }
    }
  }
  return { sources: map.sources, segs };
}

function lookup(map, offset) {
  if (!map) return null;
  let lo = 0, hi = map.segs.length - 1, best = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (map.segs[mid][0] <= offset) { best = mid; lo = mid + 1; } else hi = mid - 1;
  }
  if (best < 0) return null;
  const [, s, l, c] = map.segs[best];
  return `${map.sources[s]}:${l + 1}:${c + 1}`;
}

// "at name (wasm://wasm/xxxx:wasm-function[12]:0x1a2b)" -> "name (src/x.ts:10:5)"
export function wasmStack(err, map) {
  const lines = [];
  for (const l of String(err?.stack ?? "").split("\n")) {
    const m = l.match(/at (.*?) ?\(?wasm:\/\/wasm\/[0-9a-f]+:wasm-function\[\d+\]:(0x[0-9a-f]+)\)?/);
    if (!m) continue;
    const where = lookup(map, Number(m[2]));
    lines.push(`${m[1] || "?"} ${where ? `(${where})` : `(${m[2]})`}`);
  }
  return lines;
}

// ---- running ---------------------------------------------------------------------------------

export function loadTarget(target) {
  const wasmPath = join(ROOT, "build/fuzz", `${target}.wasm`);
  const bytes = readFileSync(wasmPath);
  const module = new WebAssembly.Module(bytes);
  const imports = WebAssembly.Module.imports(module);
  // env.memory, and contract imports xen.NAME the entry answers itself with an export
  // fake_NAME (src/fuzz/fakexen.ts): the platform is inside the wasm, this only wires it.
  const exported = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
  const xen = imports.filter((i) => i.module === "xen" && i.kind === "function" && exported.has(`fake_${i.name}`)).map((i) => i.name);
  const others = imports.filter((i) => !(i.module === "env" && i.name === "memory" && i.kind === "memory") && !xen.includes(i.name));
  if (others.length > 0 || !imports.some((i) => i.module === "env" && i.name === "memory")) {
    throw new Error(`${wasmPath}: imports ${JSON.stringify(others)}; a fuzz entry imports env.memory and xen.* it answers with fake_*`);
  }
  const wat = readFileSync(join(ROOT, "build/fuzz", `${target}.wat`), "utf8");
  const minPages = Number(wat.match(/\(import "env" "memory" \(memory \$\w+ (\d+)/)?.[1] ?? 1);
  return { target, module, minPages, xen, map: loadSourceMap(`${wasmPath}.map`) };
}

function asString(mem, ptr) {
  if (!ptr) return "(null)";
  const dv = new DataView(mem.buffer);
  if (ptr < 4 || ptr + 4 > mem.buffer.byteLength) return "(bad string)";
  const len = dv.getUint32(ptr - 4, true);
  if (len > 8192 || ptr + len > mem.buffer.byteLength) return "(bad string)";
  return Buffer.from(mem.buffer, ptr, len).toString("utf16le");
}

export function readInput(path) {
  const b = readFileSync(path);
  return path.endsWith(".gz") ? gunzipSync(b) : b;
}

// One input in a fresh instance. Returns { ok, ms, trap?, abort?, stack? }.
export function runOne(t, input, selftest = 0) {
  const memory = new WebAssembly.Memory({ initial: t.minPages, maximum: MAX_PAGES });
  const t0 = performance.now();
  let record = 0;
  try {
    const xen = {};
    let inst;
    for (const name of t.xen) xen[name] = (...args) => inst.exports[`fake_${name}`](...args);
    inst = new WebAssembly.Instance(t.module, { env: { memory }, xen });
    const e = inst.exports;
    record = e.fuzz_abort_record() >>> 0;
    const ptr = e.fuzz_alloc(input.length) >>> 0;
    new Uint8Array(memory.buffer, ptr, input.length).set(input);
    if (selftest) e.fuzz_selftest(selftest, input.length);
    else e.fuzz_one(ptr, input.length);
    return { ok: true, ms: performance.now() - t0 };
  } catch (err) {
    const r = { ok: false, ms: performance.now() - t0, trap: String(err?.message ?? err), stack: wasmStack(err, t.map) };
    if (err instanceof RangeError && /call stack/i.test(r.trap)) r.trap = "call stack exhausted";
    const dv = new DataView(memory.buffer);
    if (record && record + 20 <= memory.buffer.byteLength && dv.getUint32(record, true) === ABORT_MAGIC) {
      r.abort = `${asString(memory, dv.getUint32(record + 4, true))} at ${asString(memory, dv.getUint32(record + 8, true))}` +
        `:${dv.getUint32(record + 12, true)}:${dv.getUint32(record + 16, true)}`;
    }
    if (!(err instanceof WebAssembly.RuntimeError) && !(err instanceof RangeError)) r.trap = `not a trap: ${err?.stack ?? err}`;
    return r;
  }
}

export function describe(r) {
  if (r.ok) return `ok (${r.ms.toFixed(1)} ms)`;
  return [`TRAP: ${r.trap}${r.abort ? ` (AssemblyScript abort: ${r.abort})` : ""}`, ...(r.stack ?? []).slice(0, 12).map((s) => `    at ${s}`)].join("\n");
}

function inputsOf(p) {
  if (statSync(p).isDirectory()) return readdirSync(p).sort().map((f) => join(p, f)).filter((f) => statSync(f).isFile());
  return [p];
}

function main() {
  const args = process.argv.slice(2);
  const json = args.includes("--json");
  const st = args.find((a) => a.startsWith("--selftest="))?.slice(11);
  const rest = args.filter((a) => !a.startsWith("--"));
  if (rest.length < 2) {
    console.error("usage: wasm-run.mjs [--json] [--selftest=KIND] TARGET FILE|DIR...");
    process.exit(2);
  }
  const selftest = st ? SELFTEST_KINDS.indexOf(st) + 1 : 0;
  if (st && !selftest) throw new Error(`unknown self-test ${st}`);
  const t = loadTarget(rest[0]);
  let failed = 0;
  for (const p of rest.slice(1).flatMap(inputsOf)) {
    if (json) process.stdout.write(JSON.stringify({ start: p }) + "\n");
    const r = runOne(t, readInput(p), selftest);
    if (!r.ok) failed++;
    process.stdout.write(json ? JSON.stringify({ file: p, ...r }) + "\n" : `${p}: ${describe(r)}\n`);
  }
  process.exit(failed ? 1 : 0);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
