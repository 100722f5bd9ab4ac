// The btrfs reader's test module (test/btrfs/entry.ts -> build/btrfs-test.wasm): built on
// demand, and driven from TypeScript over one image per instance. Inode handles are u64
// (subvolume index << 48 | inode) and travel as decimal strings.

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const WASM_PATH = join(ROOT, "build/btrfs-test.wasm");

function sourcesIn(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).map((f) => join(ROOT, dir, f));
}

function newestSource(): number {
  const files = [join(ROOT, "test/btrfs/entry.ts"), join(ROOT, "test/btrfs/asconfig.json"), join(ROOT, "src/lib/crc32c.ts"),
    join(ROOT, "src/disk/source.ts"), join(ROOT, "src/fs/fs.ts"), ...sourcesIn("src/fs/btrfs"), ...sourcesIn("src/fs/ext"),
    ...sourcesIn("src/loader/decompress")];
  return Math.max(...files.map((f) => statSync(f).mtimeMs));
}

export function buildBtrfsWasm(): string {
  if (existsSync(WASM_PATH) && statSync(WASM_PATH).mtimeMs >= newestSource()) return WASM_PATH;
  mkdirSync(dirname(WASM_PATH), { recursive: true });
  const tmp = `${WASM_PATH}.${process.pid}.tmp`;
  execFileSync("npx", ["asc", "test/btrfs/entry.ts", "--config", "test/btrfs/asconfig.json", "-o", tmp],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  renameSync(tmp, WASM_PATH);
  return WASM_PATH;
}

let cachedModule: WebAssembly.Module | null = null;
function btrfsModule(): WebAssembly.Module {
  if (!cachedModule) cachedModule = new WebAssembly.Module(readFileSync(buildBtrfsWasm()));
  return cachedModule;
}

export interface MountInfo {
  error: string | null; warnings: string[];
  flavor?: string; label?: string; uuid?: string; sectorSize?: number; nodeSize?: number; defaultSubvol?: number;
  features?: string; describe?: string;
}
export interface StatInfo { error: string | null; ino: string; mode: number; type: number; size: number; links: number; uid: number; gid: number; mtime: number; flags: number }
export interface WalkRecord { p: string; i?: string; t?: number; s?: number; c?: number; l?: string; r?: string; re?: string; e?: string }

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
}

// One module instance with one image in its memory. A trap or abort throws.
export class BtrfsImage {
  private x: Exports;
  private abortMsg: string | null = null;
  private scratch = 0;
  private scratchLen = 0;
  readonly mountInfo: MountInfo;

  constructor(image: Uint8Array) {
    const inst = new WebAssembly.Instance(btrfsModule(), {
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

  private call<R>(f: () => R): R {
    try {
      return f();
    } catch (e) {
      throw new Error(`btrfs wasm trapped: ${this.abortMsg ?? (e as Error).message}`);
    }
  }

  str(p: number): string {
    if (p === 0) return "(null)";
    const bytes = new DataView(this.x.memory.buffer).getUint32(p - 4, true);
    return Buffer.from(this.x.memory.buffer, p, bytes).toString("utf16le");
  }

  private json<R>(f: () => number): R {
    return JSON.parse(this.str(this.call(f))) as R;
  }

  lookup(path: string, follow = true): { ino: string; error: string | null } {
    const b = Buffer.from(path, "utf8");
    if (b.length > this.scratchLen) {
      this.scratchLen = Math.max(b.length, 4096);
      this.scratch = this.call(() => this.x.alloc(this.scratchLen));
    }
    new Uint8Array(this.x.memory.buffer, this.scratch, b.length).set(b);
    return this.json(() => this.x.lookup(this.scratch, b.length, follow ? 1 : 0));
  }

  stat(ino: string): StatInfo { return this.json(() => this.x.stat(BigInt(ino))); }

  list(ino: string): { error: string | null; entries: [string, string, number][] } {
    return this.json(() => this.x.list(BigInt(ino)));
  }

  readFile(ino: string): { error: string | null; data?: Buffer; size: number } {
    const r = this.json<{ error: string | null; data: number; size: number }>(() => this.x.readFile(BigInt(ino)));
    if (r.error !== null) return { error: r.error, size: 0 };
    return { error: null, size: r.size, data: Buffer.from(new Uint8Array(this.x.memory.buffer, r.data, r.size)) };
  }

  readRange(ino: string, offset: bigint | number, len: number): Buffer | string {
    if (len > this.scratchLen) {
      this.scratchLen = len;
      this.scratch = this.call(() => this.x.alloc(len));
    }
    const dst = this.scratch;
    const e = this.call(() => this.x.readRange(BigInt(ino), BigInt(offset), len, dst));
    if (e !== 0) return this.str(e);
    return Buffer.from(new Uint8Array(this.x.memory.buffer, dst, len));
  }

  readLink(ino: string): { error: string | null; target: string } { return this.json(() => this.x.readLink(BigInt(ino))); }

  // A path's whole content (lookup + readFile), or the error.
  cat(path: string): string {
    const l = this.lookup(path);
    if (l.error !== null) return "ERROR " + l.error;
    const f = this.readFile(l.ino);
    return f.error !== null ? "ERROR " + f.error : f.data!.toString("utf8");
  }

  walk(maxEntries = 100000, maxFileBytes = 1n << 40n, maxTotalBytes = 1n << 40n): WalkRecord[] {
    return this.json(() => this.x.walk(maxEntries, maxFileBytes, maxTotalBytes));
  }

  stats(): { warnings: string[]; reads: number; bytesRead: number } { return this.json(() => this.x.warnings()); }
}
