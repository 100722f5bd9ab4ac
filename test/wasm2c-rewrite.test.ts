// The Makefile's rewrites of wasm2c's C (docs/image.md, "Sizes"), on a small module compiled and
// run as a host program with the hosted runtime (scripts/hosted/): scripts/wasm2c-hot.mjs gives
// the cold functions optimize("Oz") and an out-of-line prologue and leaves the hot ones alone;
// scripts/wasm2c-sparse-data.mjs stores the data segments without zeros;
// scripts/wasm2c-fixed-base.mjs has the hot functions load and store through a static base;
// scripts/wasm2c-segment.mjs lets a build with PVBOOT_SEGMENT_MEMORY load and store through
// %gs. The memory after instantiation and after the functions' stores must be Node's, byte for
// byte, and the functions must still compute, check their bounds and trap on call-depth
// exhaustion as wasm2c's own code does. The %gs build runs here too: Linux lets a process set
// its %gs base (arch_prctl), which 64-bit mode adds to each %gs access as the x86_32 image's
// segment does, but checks no limit; the x86_32 image's traps are test/xen/smoke.test.ts's.

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
 (func $src/loader/decompress/t/put (param $0 i32) (param $1 i32)
  (i32.store8 (local.get $0) (local.get $1))
  (i64.store offset=1 (local.get $0) (i64.extend_i32_u (local.get $1)))
  (i32.store16 offset=9 (local.get $0) (i32.load8_u (local.get $0))))
 (func $src/config/t/twice (param $0 i32) (result i32)
  (i32.shl (call $src/loader/decompress/t/sum (local.get $0) (i32.const 40)) (i32.const 1)))
 (func $src/config/t/far (param $0 i32)
  (i32.store8 offset=5000 (local.get $0) (i32.const 0x77)))
 (func $src/config/t/deep (param $0 i32) (result i32)
  (if (result i32) (local.get $0)
   (then (i32.add (i32.const 1) (call $src/config/t/deep (i32.sub (local.get $0) (i32.const 1)))))
   (else (i32.const 0))))
 (export "twice" (func $src/config/t/twice))
 (export "deep" (func $src/config/t/deep))
 (export "far" (func $src/config/t/far))
 (export "put" (func $src/loader/decompress/t/put)))
`;

// m put ADDR, m far ADDR, m deep N: one call; m: the stores Node makes too (nodeMemory), then
// the memory on stdout.
const MAIN = `#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "wasm-rt-hosted.h"
#include "m.h"
#if PVBOOT_SEGMENT_MEMORY
#include <asm/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif
static Z_m_instance_t instance;
int main(int argc, char **argv) {
    wasm_rt_init();
    hosted_memory_reserve(1);
    hosted_memory_reset(${PAGES});
    Z_m_init_module();
    Z_m_instantiate(&instance, &hosted_env);
#if PVBOOT_SEGMENT_MEMORY
    if (syscall(SYS_arch_prctl, ARCH_SET_GS, (unsigned long)hosted_memory.data) != 0) return 3;
#endif
    u32 arg = argc > 2 ? (u32)strtoul(argv[2], NULL, 0) : 0;
    if (argc > 2 && !strcmp(argv[1], "put")) { Z_mZ_put(&instance, arg, 0x5a); printf("put\\n"); return 0; }
    if (argc > 2 && !strcmp(argv[1], "far")) { Z_mZ_far(&instance, arg); printf("far\\n"); return 0; }
    if (argc > 2) { printf("deep %u\\n", Z_mZ_deep(&instance, arg)); return 0; }
    Z_mZ_put(&instance, 400, 0xa7);
    Z_mZ_put(&instance, ${PAGES * 65536 - 11}, 0x3c);
    Z_mZ_far(&instance, 100);
    fwrite(hosted_memory.data, 1, hosted_memory.size, stdout);
    fprintf(stderr, "twice %u\\n", Z_mZ_twice(&instance, 16));
    return 0;
}
`;

function build(): { c: string; bin: string; binSegment: string; hot: string; sparse: string; fixed: string; segment: string } {
  writeFileSync(join(dir, "m.wat"), WAT);
  execFileSync("wat2wasm", [join(dir, "m.wat"), "-o", join(dir, "m.wasm")]);
  execFileSync("wasm2c", ["-n", "m", join(dir, "m.wasm"), "-o", join(dir, "m.c")]);
  execFileSync("cp", ["/usr/include/wasm-rt.h", dir]);
  const hot = execFileSync("node", [join(ROOT, "scripts/wasm2c-hot.mjs"), join(dir, "m.c"), join(dir, "m.wat")], { encoding: "utf8" });
  const sparse = execFileSync("node", [join(ROOT, "scripts/wasm2c-sparse-data.mjs"), join(dir, "m.c")], { encoding: "utf8" });
  const fixed = execFileSync("node", [join(ROOT, "scripts/wasm2c-fixed-base.mjs"), join(dir, "m.c")], { encoding: "utf8" });
  const segment = execFileSync("node", [join(ROOT, "scripts/wasm2c-segment.mjs"), join(dir, "m.c")], { encoding: "utf8" });
  writeFileSync(join(dir, "main.c"), MAIN);
  const defs = ["-DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0", "-DWASM_RT_USE_STACK_DEPTH_COUNT=1", "-DWASM_RT_MAX_CALL_STACK_DEPTH=1000"];
  const compile = (out: string, extra: string[]) => execFileSync("gcc", ["-O2", "-Wall", "-Werror", "-Wno-unused-function",
    "-Wno-unused-variable", "-Wno-unused-value", ...defs, ...extra, `-I${dir}`, `-I${join(ROOT, "scripts/hosted")}`,
    join(dir, "m.c"), join(dir, "main.c"), join(ROOT, "scripts/hosted/wasm-rt-hosted.c"), "-o", out]);
  const bin = join(dir, "m");
  compile(bin, []);
  // As the Makefile builds the x86_32 image's core (MEMCHECK_x86_32).
  const binSegment = join(dir, "m-segment");
  compile(binSegment, ["-DPVBOOT_SEGMENT_MEMORY=1", "-fno-tree-fre"]);
  return { c: readFileSync(join(dir, "m.c"), "utf8"), bin, binSegment, hot, sparse, fixed, segment };
}

async function nodeMemory(): Promise<{ bytes: Uint8Array; twice: number }> {
  const memory = new WebAssembly.Memory({ initial: PAGES });
  const { instance } = await WebAssembly.instantiate(readFileSync(join(dir, "m.wasm")), { env: { memory } });
  const put = instance.exports.put as (p: number, v: number) => void;
  put(400, 0xa7);
  put(PAGES * 65536 - 11, 0x3c);
  (instance.exports.far as (p: number) => void)(100);
  const twice = (instance.exports.twice as (p: number) => number)(16);
  return { bytes: new Uint8Array(memory.buffer), twice };
}

describe("wasm2c rewrites (wasm2c-hot.mjs, wasm2c-sparse-data.mjs, wasm2c-fixed-base.mjs, wasm2c-segment.mjs)", () => {
  const b = build();

  it("compiles the cold functions for size and leaves the hot one as wasm2c wrote it", () => {
    expect(b.hot).toMatch(/3 of 5 functions compiled for size, 2 hot ones as they were/);
    // w2c_f0 is src/loader/decompress/t/sum and w2c_put t/put, the hot ones; twice, far and deep
    // are cold.
    expect(b.c).toMatch(/^static u32 w2c_f0\(/m);
    expect(b.c).toMatch(/^static void w2c_put\(/m);
    expect(b.c).toMatch(/^__attribute__\(\(optimize\("Oz"\)\)\) static u32 w2c_twice\(/m);
    expect(b.c).toMatch(/^__attribute__\(\(optimize\("Oz"\)\)\) static u32 w2c_deep\(/m);
    expect(b.c.match(/^  FUNC_PROLOGUE_COLD;$/gm)?.length).toBe(3);
    expect(b.c.match(/^  FUNC_PROLOGUE;$/gm)?.length).toBe(2);
  });

  it("sends the hot functions' loads and stores, and only theirs, through the fixed base", () => {
    // sum's load, put's three stores and its load; the cold ones have none of their own.
    expect(b.fixed).toMatch(/5 loads and stores in 2 hot functions through linear_memory_base/);
    expect(b.c).toMatch(/^  linear_memory_base = instance->Z_envZ_memory->data;$/m);
    const body = (name: string) => b.c.slice(b.c.indexOf(`${name}(Z_m_instance_t* instance`)).split("\n}\n")[0];
    expect(body("w2c_put")).toMatch(/i32_store8_fixed\(instance->Z_envZ_memory, /);
    expect(body("w2c_put")).toMatch(/i64_store_fixed\(instance->Z_envZ_memory, /);
    expect(body("w2c_f0")).toMatch(/i32_load8_u_fixed\(instance->Z_envZ_memory, /);
    expect(body("w2c_put")).not.toMatch(/\b(i32|i64)_(load|store)(8|16|32)?(_[su])?\(instance/);
    // A second run finds its own edits and leaves the file as it is.
    execFileSync("node", [join(ROOT, "scripts/wasm2c-fixed-base.mjs"), join(dir, "m.c")]);
    execFileSync("node", [join(ROOT, "scripts/wasm2c-segment.mjs"), join(dir, "m.c")]);
    expect(readFileSync(join(dir, "m.c"), "utf8")).toBe(b.c);
  });

  it("keeps the bounds check of a store through the fixed base", () => {
    // put writes 11 bytes: at the memory's last 11 it fits, one further on its last byte does not.
    expect(execFileSync(b.bin, ["put", String(PAGES * 65536 - 11)], { encoding: "utf8" })).toBe("put\n");
    const r = spawnSync(b.bin, ["put", String(PAGES * 65536 - 10)], { encoding: "utf8" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/out of bounds/i);
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
    expect(execFileSync(b.bin, ["deep", "900"], { encoding: "utf8" })).toBe("deep 900\n");
    const r = spawnSync(b.bin, ["deep", "5000"], { encoding: "utf8" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/exhaust/i);
  });

  it("refuses a .wat whose functions are not the C file's", () => {
    writeFileSync(join(dir, "other.wat"), WAT.replace(" (export", " (func $extra)\n (export"));
    const r = spawnSync("node", [join(ROOT, "scripts/wasm2c-hot.mjs"), join(dir, "m.c"), join(dir, "other.wat")], { encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/5 function definitions, .*other\.wat: 6 functions/);
  });

  it("points every integer load and store at a %gs twin under PVBOOT_SEGMENT_MEMORY, and checks far offsets", () => {
    // far's offset, 5000, is past the hole (4096): its one store gets segment_far; put's are near.
    expect(b.segment).toMatch(/1 loads and stores with an offset of 4096 or more checked for %gs/);
    expect(b.c).toMatch(/i32_store8\(instance->Z_envZ_memory, segment_far\(\(u64\)\(w2c_i0\) \+ 5000\)/);
    expect(b.c).toMatch(/^#define SEGMENT_HOLE 4096$/m);
    expect(b.c).toMatch(/^#define i32_store8_fixed\(mem, addr, value\) i32_store8_gs\(addr, value\)$/m);
    const objdump = execFileSync("objdump", ["-d", b.binSegment], { encoding: "utf8", maxBuffer: 1 << 26 });
    // put's store at offset 9 and far's at 5000, each one move with the offset as displacement
    expect(objdump).toMatch(/%gs:0x9\(/);
    expect(objdump).toMatch(/%gs:0x1388\(/);
  });

  it("leaves the memory as Node does when every access goes through %gs", async () => {
    const r = spawnSync(b.binSegment, [], { maxBuffer: 1 << 20 });
    expect(r.status).toBe(0);
    const want = await nodeMemory();
    expect(Buffer.from(r.stdout).equals(Buffer.from(want.bytes))).toBe(true);
    expect(r.stderr.toString()).toBe(`twice ${want.twice}\n`);
  });

  it("traps on a far offset whose sum passes 4 GiB, where %gs's 32 bits would wrap", () => {
    expect(execFileSync(b.binSegment, ["far", "100"], { encoding: "utf8" })).toBe("far\n");
    const r = spawnSync(b.binSegment, ["far", String(0xfffff000)], { encoding: "utf8" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/out of bounds/i);
    expect(r.stdout).not.toMatch(/far/);
  });
});
