// The decompressors' test module (test/decompress/entry.ts -> build/decompress-test.wasm),
// built on demand, and a TypeScript face for it: decompress(format, bytes) -> bytes, or an
// Error carrying the decompressor's message.

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const WASM_PATH = join(ROOT, "build/decompress-test.wasm");
export const FORMATS = ["gzip", "xz", "lzma", "zstd", "lz4", "bzip2", "lzo"] as const;
export type Format = (typeof FORMATS)[number];

function newestSource(): number {
  const dir = join(ROOT, "src/loader/decompress");
  const files = [join(ROOT, "test/decompress/entry.ts"), join(ROOT, "test/decompress/asconfig.json"),
    ...readdirSync(dir).map((f) => join(dir, f))];
  return Math.max(...files.map((f) => statSync(f).mtimeMs));
}

// Compiled when a source is newer; written under a temporary name and renamed, so
// concurrent test files never load half a module.
export function buildDecompressWasm(): string {
  if (existsSync(WASM_PATH) && statSync(WASM_PATH).mtimeMs >= newestSource()) return WASM_PATH;
  mkdirSync(dirname(WASM_PATH), { recursive: true });
  const tmp = `${WASM_PATH}.${process.pid}.tmp`;
  execFileSync("npx", ["asc", "test/decompress/entry.ts", "--config", "test/decompress/asconfig.json", "-o", tmp],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  renameSync(tmp, WASM_PATH);
  return WASM_PATH;
}

interface Exports {
  memory: WebAssembly.Memory;
  alloc(n: number): number;
  reset(): void;
  run(format: number, src: number, len: number, limit: number): number;
  detect(src: number, len: number): number;
}

let module: WebAssembly.Module | null = null;

class Instance {
  x: Exports;
  abortMsg: string | null = null;
  constructor() {
    module ??= new WebAssembly.Module(readFileSync(buildDecompressWasm()));
    const inst = new WebAssembly.Instance(module, {
      env: {
        hostAbort: (msg: number, file: number, line: number, col: number) => {
          this.abortMsg = `abort: ${this.str(msg)} at ${this.str(file)}:${line}:${col}`;
        },
      },
    });
    this.x = inst.exports as unknown as Exports;
  }
  str(p: number): string {
    if (!p) return "null";
    const len = new Uint32Array(this.x.memory.buffer, p - 4, 1)[0];
    return String.fromCharCode(...new Uint16Array(this.x.memory.buffer, p, len >> 1));
  }
  call<T>(f: () => T): T {
    try {
      return f();
    } catch (e) {
      throw new Error(`decompressor trapped: ${this.abortMsg ?? (e as Error).message}`);
    }
  }
  copyIn(data: Uint8Array): number {
    const p = this.call(() => this.x.alloc(Math.max(1, data.length)));
    new Uint8Array(this.x.memory.buffer, p, data.length).set(data);
    return p;
  }
}

// A fresh instance per call: a trap in one case cannot poison the next.
export function decompress(format: Format, data: Uint8Array, limit = 1 << 30): Uint8Array {
  return decompressIgnoring(format, data, limit).out;
}

// The output and how many bytes after the stream the decoder left alone (gzip's trailing data).
export function decompressIgnoring(format: Format, data: Uint8Array, limit = 1 << 30): { out: Uint8Array; ignored: number } {
  const i = new Instance();
  const src = i.copyIn(data);
  const rec = i.call(() => i.x.run(FORMATS.indexOf(format), src, data.length, limit));
  const [ptr, len, err, ignored] = new Uint32Array(i.x.memory.buffer, rec, 4);
  if (err) throw new Error(i.str(err));
  return { out: new Uint8Array(i.x.memory.buffer, ptr, len).slice(), ignored };
}

export function detect(data: Uint8Array): Format | null {
  const i = new Instance();
  const src = i.copyIn(data);
  const n = i.call(() => i.x.detect(src, data.length));
  return n < 0 ? null : FORMATS[n];
}
