// scripts/wasm-pack-data.mjs, which the Makefile runs on build/pvboot.wasm: the packed module
// leaves a zeroed memory exactly as the original does, with fewer segments and no zero runs;
// a module whose code names a segment (memory.init) is refused.

import { describe, expect, it } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
// @ts-expect-error: a plain .mjs script without types
import { packData } from "../scripts/wasm-pack-data.mjs";

const dir = mkdtempSync(join(tmpdir(), "pvboot-wasm-pack-"));

function wat(name: string, text: string): string {
  writeFileSync(join(dir, `${name}.wat`), text);
  execFileSync("wat2wasm", [join(dir, `${name}.wat`), "-o", join(dir, `${name}.wasm`)]);
  return join(dir, `${name}.wasm`);
}

async function memoryAfter(bytes: Buffer): Promise<Uint8Array> {
  const memory = new WebAssembly.Memory({ initial: 2 });
  await WebAssembly.instantiate(bytes, { env: { memory } });
  return new Uint8Array(memory.buffer);
}

function segmentCount(path: string): number {
  const out = execFileSync("wasm-objdump", ["-h", path], { encoding: "utf8" });
  return Number(/Data start=.*count: (\d+)/.exec(out)?.[1] ?? -1);
}

describe("wasm-pack-data", () => {
  it("leaves the memory as the original segments do, zeros dropped", async () => {
    // Strings with their zeros, a zero buffer, a table with a short zero gap, one at the end.
    const path = wat("a", `(module (import "env" "memory" (memory 2))
      (data (i32.const 16) "p\\00v\\00b\\00o\\00o\\00t\\00")
      (data (i32.const 40) "\\00\\00\\00\\00\\00\\00\\00\\00\\01")
      (data (i32.const 4096) "${"\\00".repeat(3000)}")
      (data (i32.const 8192) "\\ff\\ff\\00\\00\\00\\07")
      (data (i32.const 70000) "\\00end\\00"))`);
    const before = readFileSync(path);
    const r = packData(before);
    expect(r.before).toBe(5);
    expect(r.after).toBe(3); // 16..48, 8192..8197, 70001..70003
    expect(r.bytes).toBe(33 + 6 + 3);
    writeFileSync(join(dir, "a.packed.wasm"), r.wasm);
    expect(segmentCount(join(dir, "a.packed.wasm"))).toBe(3);
    expect(Buffer.from(await memoryAfter(r.wasm)).equals(Buffer.from(await memoryAfter(before)))).toBe(true);
  });

  it("refuses overlapping segments", () => {
    const path = wat("b", `(module (import "env" "memory" (memory 1)) (data (i32.const 0) "abc") (data (i32.const 2) "x"))`);
    expect(() => packData(readFileSync(path))).toThrow(/overlap at 2/);
  });

  it("refuses a module whose code uses memory.init", () => {
    const path = wat("c", `(module (import "env" "memory" (memory 1)) (data $d "xy")
      (func (export "f") (memory.init $d (i32.const 0) (i32.const 0) (i32.const 2))))`);
    const r = spawnSync("node", ["scripts/wasm-pack-data.mjs", path, join(dir, "c.out.wasm")], { encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/uses memory.init or data.drop/);
  });

  it("packed build/pvboot.wasm into a few segments", () => {
    // The Makefile packs the core in place: thousands of asc's segments become a few dozen.
    const n = segmentCount("build/pvboot.wasm");
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(100);
  });
});
