// Lets an image reach the core's linear memory through the %gs segment: the x86_32 image, built
// with PVBOOT_SEGMENT_MEMORY=1 (the Makefile's MEMCHECK_x86_32).
//
//   node scripts/wasm2c-segment.mjs FILE.c
//
// Run after scripts/wasm2c-fixed-base.mjs. wasm2c (1.0.32) checks every load and store with a
// 64-bit compare against the memory's size and a branch, unless guard pages stand in for it,
// which a 4 GiB address space has no room for (docs/contract.md, "Faults"). The x86_32 shim
// gives %gs a data segment whose base is the memory and whose limit is its size
// (boot/x86_32/segment.c). This adds, under `#if PVBOOT_SEGMENT_MEMORY`, an `_gs` twin of each of
// wasm2c's integer loads and stores that is one %gs-relative move, with the wasm offset as its
// displacement and no check, and points wasm2c's names and the `_fixed` ones at them. An access
// past the limit is a #GP, which the shim reports as the wasm trap.
//
// The sum address + offset is 33 bits in wasm and 32 in the move: where it passes 4 GiB, the
// move wraps to below the offset. The shim leaves the memory's first SEGMENT_HOLE bytes
// unmapped, so such an access page-faults there (reported as the wasm trap too). asc puts the
// core's data at 4096 and up (asconfig.json's memoryBase), so nothing the core may touch lies in
// the hole. The few accesses whose offset is SEGMENT_HOLE or more could wrap past the hole: each
// is wrapped here in segment_far(), which checks the sum's upper half. Without
// PVBOOT_SEGMENT_MEMORY (the other images, the benchmarks, the fuzz targets) segment_far() is
// the sum itself and wasm2c's accessors are untouched.
//
// gcc 12 crashes (a segfault in forwprop or dom) on some stores to __seg_gs after its full
// redundancy elimination has seen them: the Makefile compiles such a core with -fno-tree-fre.
// FILE.c is rewritten in place; a file already rewritten is left as it is.
import { readFileSync, writeFileSync } from "node:fs";

// The unmapped bytes at the memory's base: one page. asconfig.json's memoryBase is this.
const SEGMENT_HOLE = 4096;

const [cFile] = process.argv.slice(2);
if (!cFile) {
  console.error("usage: node scripts/wasm2c-segment.mjs FILE.c");
  process.exit(2);
}
const text = readFileSync(cFile, "utf8");
if (text.includes("PVBOOT_SEGMENT_MEMORY")) process.exit(0);

const fail = (msg) => {
  console.error(`${cFile}: ${msg}`);
  process.exit(1);
};

const lines = text.split("\n");

// DEFINE_LOAD(i32_load8_s, s8, s32, u32), DEFINE_STORE(i64_store32, u32, u64): the integer ones.
const DEFINE = /^DEFINE_(LOAD|STORE)\((\w+), ([us]\d+), (\w+)(?:, (\w+))?\)$/;
const defs = [];
lines.forEach((l) => {
  const m = DEFINE.exec(l);
  if (m) defs.push({ kind: m[1], name: m[2], t1: m[3], t2: m[4], t3: m[5] });
});
if (defs.length < 19) fail(`${defs.length} integer DEFINE_LOAD/DEFINE_STORE lines, not wasm2c 1.0.32's 19`);
const last = lines.findLastIndex((l) => /^DEFINE_STORE(_FIXED)?\(/.test(l));
if (!lines.some((l) => l.startsWith("DEFINE_STORE_FIXED("))) fail("run scripts/wasm2c-fixed-base.mjs first");

const types = [...new Set(defs.map((d) => d.t1))];
const redirects = defs.flatMap((d) => {
  const args = d.kind === "LOAD" ? ["(mem, addr)", "(addr)"] : ["(mem, addr, value)", "(addr, value)"];
  return [`#define ${d.name}${args[0]} ${d.name}_gs${args[1]}`, `#define ${d.name}_fixed${args[0]} ${d.name}_gs${args[1]}`];
});
lines.splice(last + 1, 0, "",
  "/* scripts/wasm2c-segment.mjs: with PVBOOT_SEGMENT_MEMORY, each integer load and store is one",
  " * move relative to %gs, whose segment is the linear memory (limit: its size), unchecked; an",
  " * offset of SEGMENT_HOLE or more is checked for a sum past 4 GiB (segment_far) */",
  "#if PVBOOT_SEGMENT_MEMORY",
  "#if WABT_BIG_ENDIAN",
  '#error "scripts/wasm2c-segment.mjs writes the little-endian accessors only"',
  "#endif",
  `#define SEGMENT_HOLE ${SEGMENT_HOLE}`,
  ...types.map((t) => `typedef ${t} __attribute__((aligned(1))) gs_${t};`),
  "#define DEFINE_LOAD_GS(name, t1, t2, t3)                               \\",
  "  static inline t3 name##_gs(u64 addr) {                               \\",
  "    t1 result = *(const __seg_gs gs_##t1*)(uintptr_t)(u32)addr;        \\",
  '    wasm_asm("" ::"r"(result));                                        \\',
  "    return (t3)(t2)result;                                             \\",
  "  }",
  "#define DEFINE_STORE_GS(name, t1, t2)                                  \\",
  "  static inline void name##_gs(u64 addr, t2 value) {                   \\",
  "    *(__seg_gs gs_##t1*)(uintptr_t)(u32)addr = (t1)value;              \\",
  "  }",
  ...defs.map((d) => d.kind === "LOAD" ? `DEFINE_LOAD_GS(${d.name}, ${d.t1}, ${d.t2}, ${d.t3})` : `DEFINE_STORE_GS(${d.name}, ${d.t1}, ${d.t2})`),
  ...redirects,
  "static inline u64 segment_far(u64 addr) {",
  "  if (UNLIKELY(addr >> 32))",
  "    TRAP(OOB);",
  "  return addr;",
  "}",
  "#else",
  "#define segment_far(addr) (addr)",
  "#endif");

// i32_load(instance->Z_envZ_memory, (u64)(w2c_i1) + 5728u), i32_store_fixed(..., (u64)(w2c_i0) + 8800, v)
const names = defs.map((d) => d.name).join("|");
const FAR = new RegExp(`\\b((?:${names})(?:_fixed)?\\(instance->\\w+, )(\\(u64\\)\\(\\w+\\) \\+ (\\d+)u?)(?=[,)])`, "g");
let far = 0, near = 0;
for (let i = last + 1; i < lines.length; i++) {
  lines[i] = lines[i].replace(FAR, (all, call, sum, offset) => {
    if (Number(offset) < SEGMENT_HOLE) {
      near++;
      return all;
    }
    far++;
    return `${call}segment_far(${sum})`;
  });
}
if (near === 0) fail("no load or store with an offset found: not wasm2c 1.0.32's output");
writeFileSync(cFile, lines.join("\n"));
console.log(`${cFile}: ${far} loads and stores with an offset of ${SEGMENT_HOLE} or more checked for %gs`);
