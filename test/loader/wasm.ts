// The kernel-format readers' test module (test/loader/entry.ts -> build/loader-test.wasm),
// built on demand; each call runs in a fresh instance over a copy of the file.

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const WASM_PATH = join(ROOT, "build/loader-test.wasm");

function newestSource(): number {
  const dirs = [join(ROOT, "src/loader"), join(ROOT, "src/loader/decompress")];
  const files = [join(ROOT, "test/loader/entry.ts"), join(ROOT, "test/loader/asconfig.json"),
    ...dirs.flatMap((d) => readdirSync(d).filter((f) => f.endsWith(".ts")).map((f) => join(d, f)))];
  return Math.max(...files.map((f) => statSync(f).mtimeMs));
}

function build(): string {
  if (existsSync(WASM_PATH) && statSync(WASM_PATH).mtimeMs >= newestSource()) return WASM_PATH;
  mkdirSync(dirname(WASM_PATH), { recursive: true });
  const tmp = `${WASM_PATH}.${process.pid}.tmp`;
  execFileSync("npx", ["asc", "test/loader/entry.ts", "--config", "test/loader/asconfig.json", "-o", tmp],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  renameSync(tmp, WASM_PATH);
  return WASM_PATH;
}

let module: WebAssembly.Module | null = null;

function call(file: Uint8Array, f: (x: any, p: number) => number): any {
  module ??= new WebAssembly.Module(readFileSync(build()));
  let abortMsg: string | null = null;
  let mem: WebAssembly.Memory;
  const str = (p: number) => {
    const len = new Uint32Array(mem.buffer, p - 4, 1)[0];
    return String.fromCharCode(...new Uint16Array(mem.buffer, p, len >> 1));
  };
  const inst = new WebAssembly.Instance(module, {
    env: { hostAbort: (m: number, fl: number, l: number, c: number) => { abortMsg = `${str(m)} at ${str(fl)}:${l}:${c}`; } },
  });
  const x = inst.exports as any;
  mem = x.memory;
  try {
    const p = x.alloc(Math.max(1, file.length));
    new Uint8Array(mem.buffer, p, file.length).set(file);
    const s = f(x, p);
    const len = new Uint32Array(mem.buffer, s - 4, 1)[0];
    return JSON.parse(Buffer.from(new Uint8Array(mem.buffer, s, len)).toString("utf16le"));
  } catch (e) {
    throw new Error(`loader module trapped: ${abortMsg ?? (e as Error).message}`);
  }
}

export const parseElf = (file: Uint8Array, width: 64 | 32 = 64) => call(file, (x, p) => x.elf(p, BigInt(file.length), width));
export const unpackKernel = (file: Uint8Array, width: 64 | 32 = 64) => call(file, (x, p) => x.kernel(p, BigInt(file.length), width));
export const parseBzImage = (file: Uint8Array) => call(file, (x, p) => x.bzimage(p, BigInt(file.length)));
