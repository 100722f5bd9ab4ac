// The Makefile's rewrites of wasm2c's C (docs/image.md, "Sizes"), on a small module compiled and
// run as a host program with the hosted runtime (scripts/hosted/): scripts/wasm2c-hot.mjs gives
// the cold functions optimize("Oz") and an out-of-line prologue and leaves the hot ones alone;
// scripts/wasm2c-sparse-data.mjs stores the data segments without zeros. The memory after
// instantiation must be Node's, byte for byte, and the functions must still compute and trap
// on call-depth exhaustion as wasm2c's own code does.

import { describe, expect, it } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "pvboot-wasm2c-rewrite-"));
const PAGES = 2;

// Indented as asc writes its .wat (` (func $name`), which is what wasm2c-hot.mjs reads.
const WAT = `(module
 (import "env" "memory" (memory ${PAGES}))
 (data (i32.const 16) "p\\00v\\00b\\00o\\00o\\00t\\00:\\00 \\00n\\00o\\00 \\00s\\00u\\00c\\00h\\00 \\00f\\00i\\00l\\00e\\00")
 (data (i32.const 200) "\\01\\00\\00\\00\\ff\\00\\00\\00\\02\\00\\00\\00\\00\\00\\00\\80\\07")
 (data (i32.const 300) "abcdefgh12345")
 (data (i32.const 65530) "\\00x\\00y\\00z\\00\\00\\00\\00q")
 (func $src/loader/decompress/t/sum (param $0 i32) (param $1 i32) (result i32)
  (local $2 i32)
  (loop $l
   (local.set $2 (i32.add (local.get $2) (i32.load8_u (local.get $0))))
   (local.set $0 (i32.add (local.get $0) (i32.const 1)))
   (br_if $l (local.tee $1 (i32.sub (local.get $1) (i32.const 1)))))
  (local.get $2))
 (func $src/config/t/twice (param $0 i32) (result i32)
  (i32.shl (call $src/loader/decompress/t/sum (local.get $0) (i32.const 40)) (i32.const 1)))
 (func $src/config/t/deep (param $0 i32) (result i32)
  (if (result i32) (local.get $0)
   (then (i32.add (i32.const 1) (call $src/config/t/deep (i32.sub (local.get $0) (i32.const 1)))))
   (else (i32.const 0))))
 (export "twice" (func $src/config/t/twice))
 (export "deep" (func $src/config/t/deep)))
`;

const MAIN = `#include <stdio.h>
#include <stdlib.h>
#include "wasm-rt-hosted.h"
#include "m.h"
static Z_m_instance_t instance;
int main(int argc, char **argv) {
    wasm_rt_init();
    hosted_memory_reserve(1);
    hosted_memory_reset(${PAGES});
    Z_m_init_module();
    Z_m_instantiate(&instance, &hosted_env);
    if (argc > 1) { printf("deep %u\\n", Z_mZ_deep(&instance, (u32)atoi(argv[1]))); return 0; }
    fwrite(hosted_memory.data, 1, hosted_memory.size, stdout);
    fprintf(stderr, "twice %u\\n", Z_mZ_twice(&instance, 16));
    return 0;
}
`;

function build(): { c: string; bin: string; hot: string; sparse: string } {
  writeFileSync(join(dir, "m.wat"), WAT);
  execFileSync("wat2wasm", [join(dir, "m.wat"), "-o", join(dir, "m.wasm")]);
  execFileSync("wasm2c", ["-n", "m", join(dir, "m.wasm"), "-o", join(dir, "m.c")]);
  execFileSync("cp", ["/usr/include/wasm-rt.h", dir]);
  const hot = execFileSync("node", [join(ROOT, "scripts/wasm2c-hot.mjs"), join(dir, "m.c"), join(dir, "m.wat")], { encoding: "utf8" });
  const sparse = execFileSync("node", [join(ROOT, "scripts/wasm2c-sparse-data.mjs"), join(dir, "m.c")], { encoding: "utf8" });
  writeFileSync(join(dir, "main.c"), MAIN);
  const bin = join(dir, "m");
  const defs = ["-DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0", "-DWASM_RT_USE_STACK_DEPTH_COUNT=1", "-DWASM_RT_MAX_CALL_STACK_DEPTH=1000"];
  execFileSync("gcc", ["-O2", "-Wall", "-Werror", "-Wno-unused-function", "-Wno-unused-variable", "-Wno-unused-value", ...defs, `-I${dir}`,
    `-I${join(ROOT, "scripts/hosted")}`, join(dir, "m.c"), join(dir, "main.c"),
    join(ROOT, "scripts/hosted/wasm-rt-hosted.c"), "-o", bin]);
  return { c: readFileSync(join(dir, "m.c"), "utf8"), bin, hot, sparse };
}

async function nodeMemory(): Promise<{ bytes: Uint8Array; twice: number }> {
  const memory = new WebAssembly.Memory({ initial: PAGES });
  const { instance } = await WebAssembly.instantiate(readFileSync(join(dir, "m.wasm")), { env: { memory } });
  const twice = (instance.exports.twice as (p: number) => number)(16);
  return { bytes: new Uint8Array(memory.buffer), twice };
}

describe("wasm2c rewrites (wasm2c-hot.mjs, wasm2c-sparse-data.mjs)", () => {
  const b = build();

  it("compiles the cold functions for size and leaves the hot one as wasm2c wrote it", () => {
    expect(b.hot).toMatch(/2 of 3 functions compiled for size, 1 hot ones as they were/);
    // w2c_f0 is src/loader/decompress/t/sum, the hot one; twice and deep are cold.
    expect(b.c).toMatch(/^static u32 w2c_f0\(/m);
    expect(b.c).toMatch(/^__attribute__\(\(optimize\("Oz"\)\)\) static u32 w2c_twice\(/m);
    expect(b.c).toMatch(/^__attribute__\(\(optimize\("Oz"\)\)\) static u32 w2c_deep\(/m);
    expect(b.c.match(/^  FUNC_PROLOGUE_COLD;$/gm)?.length).toBe(2);
    expect(b.c.match(/^  FUNC_PROLOGUE;$/gm)?.length).toBe(1);
  });

  it("stores the segments that shrink without zeros, the rest as they were", () => {
    expect(b.sparse).toMatch(/3 of 4 data segments sparse/);
    expect(b.c).toMatch(/LOAD_DATA\(\(\*instance->Z_envZ_memory\), 300u, data_segment_data_w2c_d2, 13\);/);
    expect(b.c).toMatch(/LOAD_DATA_SPARSE\(\(\*instance->Z_envZ_memory\), 16u, data_segment_sparse_w2c_d0, 40\);/);
  });

  it("leaves the memory as the module's own segments do, and computes the same", async () => {
    const r = spawnSync(b.bin, [], { maxBuffer: 1 << 20 });
    expect(r.status).toBe(0);
    const want = await nodeMemory();
    expect(Buffer.from(r.stdout).equals(Buffer.from(want.bytes))).toBe(true);
    expect(r.stderr.toString()).toBe(`twice ${want.twice}\n`);
  });

  it("keeps the call-depth limit in the cold functions' out-of-line prologue", () => {
    expect(execFileSync(b.bin, ["900"], { encoding: "utf8" })).toBe("deep 900\n");
    const r = spawnSync(b.bin, ["5000"], { encoding: "utf8" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/exhaust/i);
  });

  it("refuses a .wat whose functions are not the C file's", () => {
    writeFileSync(join(dir, "other.wat"), WAT.replace(" (export", " (func $extra)\n (export"));
    const r = spawnSync("node", [join(ROOT, "scripts/wasm2c-hot.mjs"), join(dir, "m.c"), join(dir, "other.wat")], { encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/3 function definitions, .*other\.wat: 4 functions/);
  });
});
