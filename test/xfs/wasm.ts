// The XFS reader's test module (test/xfs/entry.ts -> build/xfs-test.wasm): built on demand,
// and driven from TypeScript over one image per instance. The same shape as test/ext/wasm.ts
// (so test/ext/verify.ts's checks apply), with inode numbers passed as 64-bit.

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const WASM_PATH = join(ROOT, "build/xfs-test.wasm");

function newestSource(): number {
  const files = [join(ROOT, "test/xfs/entry.ts"), join(ROOT, "test/xfs/asconfig.json"), join(ROOT, "src/lib/crc32c.ts"),
    join(ROOT, "src/disk/source.ts"), join(ROOT, "src/fs/fs.ts"),
    ...readdirSync(join(ROOT, "src/fs/ext")).map((f) => join(ROOT, "src/fs/ext", f)),
    ...readdirSync(join(ROOT, "src/fs/xfs")).map((f) => join(ROOT, "src/fs/xfs", f))];
  return Math.max(...files.map((f) => statSync(f).mtimeMs));
}

// Compile the test module if any of its sources is newer than it. Written under a temporary
// name and renamed, so concurrent test files never load half a module.
export function buildXfsWasm(): string {
  if (existsSync(WASM_PATH) && statSync(WASM_PATH).mtimeMs >= newestSource()) return WASM_PATH;
  mkdirSync(dirname(WASM_PATH), { recursive: true });
  const tmp = `${WASM_PATH}.${process.pid}.tmp`;
  execFileSync("npx", ["asc", "test/xfs/entry.ts", "--config", "test/xfs/asconfig.json", "-o", tmp],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  renameSync(tmp, WASM_PATH);
  return WASM_PATH;
}

let cachedModule: WebAssembly.Module | null = null;
export function xfsModule(): WebAssembly.Module {
  if (!cachedModule) cachedModule = new WebAssembly.Module(readFileSync(buildXfsWasm()));
  return cachedModule;
}

export interface MountInfo {
  error: string | null; warnings: string[];
  flavor?: string; label?: string; uuid?: string; blockSize?: number; blocks?: number; root?: number; version?: number; features?: string; describe?: string;
}
export interface StatInfo { error: string | null; ino: number; mode: number; type: number; size: number; links: number; uid: number; gid: number; mtime: number; flags: number }
export interface WalkRecord { p: string; i?: number; t?: number; s?: number; c?: number; l?: string; r?: number; re?: string; e?: string }

export const T = { unknown: 0, file: 1, dir: 2, chr: 3, blk: 4, fifo: 5, sock: 6, symlink: 7 } as const;

interface Exports {
  memory: WebAssembly.Memory;
  alloc(n: number): number;
  mount(base: number, size: bigint): number;
  warnings(): number;
  lookup(p: number, n: number, follow: number): number;
  stat(ino: bigint): number;
  list(ino: bigint): number;
  readFile(ino: bigint): number;
  readRange(ino: bigint, off: bigint, len: number, dst: number): number;
  readLink(ino: bigint): number;
  walk(maxEntries: number, maxFileBytes: bigint, maxTotalBytes: bigint): number;
  crc(p: number, n: number): number;
}

// One module instance with one image in its memory. Any trap (or abort) throws an Error
// whose message says so: tests treat that as a failure.
export class XfsImage {
  private x: Exports;
  private abortMsg: string | null = null;
  private scratch = 0;
  private scratchLen = 0;
  readonly mountInfo: MountInfo;

  constructor(image: Uint8Array) {
    const inst = new WebAssembly.Instance(xfsModule(), {
      env: {
        hostAbort: (msg: number, file: number, line: number, col: number) => {
          this.abortMsg = `abort: ${this.str(msg)} at ${this.str(file)}:${line}:${col}`;
        },
      },
    });
    this.x = inst.exports as unknown as Exports;
    const base = this.call(() => this.x.alloc(Math.max(image.length, 1)));
    new Uint8Array(this.x.memory.buffer, base, image.length).set(image);
    this.mountInfo = this.json(() => this.x.mount(base, BigInt(image.length)));
  }

  get mounted(): boolean { return this.mountInfo.error === null; }

  private call<R>(f: () => R): R {
    try {
      return f();
    } catch (e) {
      throw new Error(`xfs wasm trapped: ${this.abortMsg ?? (e as Error).message}`);
    }
  }

  // An AssemblyScript string at p (UTF-16, its byte length just before it).
  str(p: number): string {
    if (p === 0) return "(null)";
    const bytes = new DataView(this.x.memory.buffer).getUint32(p - 4, true);
    return Buffer.from(this.x.memory.buffer, p, bytes).toString("utf16le");
  }

  private json<R>(f: () => number): R {
    const p = this.call(f);
    return JSON.parse(this.str(p)) as R;
  }

  private bytesIn(b: Uint8Array): number {
    if (b.length > this.scratchLen) {
      this.scratchLen = Math.max(b.length, 4096);
      this.scratch = this.call(() => this.x.alloc(this.scratchLen));
    }
    new Uint8Array(this.x.memory.buffer, this.scratch, b.length).set(b);
    return this.scratch;
  }

  lookup(path: string, follow = true): { ino: number; error: string | null } {
    const b = Buffer.from(path, "utf8");
    const p = this.bytesIn(b);
    return this.json(() => this.x.lookup(p, b.length, follow ? 1 : 0));
  }

  stat(ino: number): StatInfo { return this.json(() => this.x.stat(BigInt(ino))); }

  list(ino: number): { error: string | null; entries: [string, number, number][] } {
    return this.json(() => this.x.list(BigInt(ino)));
  }

  readFile(ino: number): { error: string | null; data?: Buffer; size: number } {
    const r = this.json<{ error: string | null; data: number; size: number }>(() => this.x.readFile(BigInt(ino)));
    if (r.error !== null) return { error: r.error, size: 0 };
    return { error: null, size: r.size, data: Buffer.from(new Uint8Array(this.x.memory.buffer, r.data, r.size)) };
  }

  // Into a buffer of len bytes allocated in the module (reused between calls).
  readRange(ino: number, offset: bigint | number, len: number): Buffer | string {
    if (len > this.scratchLen) {
      this.scratchLen = len;
      this.scratch = this.call(() => this.x.alloc(len));
    }
    const dst = this.scratch;
    const e = this.call(() => this.x.readRange(BigInt(ino), BigInt(offset), len, dst));
    if (e !== 0) return this.str(e);
    return Buffer.from(new Uint8Array(this.x.memory.buffer, dst, len));
  }

  readLink(ino: number): { error: string | null; target: string } { return this.json(() => this.x.readLink(BigInt(ino))); }

  walk(maxEntries = 100000, maxFileBytes = 1n << 40n, maxTotalBytes = 1n << 40n): WalkRecord[] {
    return this.json(() => this.x.walk(maxEntries, maxFileBytes, maxTotalBytes));
  }

  stats(): { warnings: string[]; reads: number; bytesRead: number } { return this.json(() => this.x.warnings()); }

  crc(data: Uint8Array): number {
    const p = this.bytesIn(data);
    return this.call(() => this.x.crc(p, data.length)) >>> 0;
  }
}
